"""Batch inference from a registered MLflow Spark model over a real Delta table."""

from __future__ import annotations

import mlflow
import mlflow.spark
import numpy as np
import pytest
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import functions as F

from spark_mlops.delta import read_delta, write_delta
from spark_mlops.errors import InvalidArgumentError, SparkMlopsError
from spark_mlops.models.batch_inference import batch_inference
from spark_mlops.models.mlflow_spark import spark_model_requirements


@pytest.fixture(scope="module")
def registered_model(spark, mlflow_tracking_uri):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.3, size=300) > 0).astype(int)
    train = spark.createDataFrame(
        [(float(a), float(b), int(c)) for (a, b), c in zip(x, y, strict=True)], ["x1", "x2", "label"]
    )
    pipeline = Pipeline(
        stages=[VectorAssembler(inputCols=["x1", "x2"], outputCol="features"), LogisticRegression()]
    )
    model = pipeline.fit(train)
    mlflow.set_experiment("batch-inference-tests")
    with mlflow.start_run():
        # Explicit requirements: inferring them loads the model again in a second Python process and JVM.
        info = mlflow.spark.log_model(
            model,
            artifact_path="model",
            registered_model_name="bi-test-model",
            pip_requirements=spark_model_requirements(),
        )
    return model, info


def test_predictions_with_provenance_written_once(spark, registered_model, tmp_path):
    model, _ = registered_model
    source = str(tmp_path / "features")
    out = str(tmp_path / "predictions")
    data = spark.createDataFrame(
        [(float(i % 7) - 3.0, float(i % 5) - 2.0, i) for i in range(50)], ["x1", "x2", "row"]
    )
    write_delta(data, source)  # version 0
    write_delta(data.limit(10), source)  # version 1: must not be read when version=0 is asked

    result = batch_inference(spark, "models:/bi-test-model/1", source, out, version=0)
    assert result.input.version == 0 and result.model_version == "1"
    assert result.rows_written == 50

    got = read_delta(spark, out).orderBy("row").toPandas()
    expected = model.transform(data).orderBy("row").toPandas()
    assert list(got["prediction"]) == list(expected["prediction"])
    np.testing.assert_allclose(got["score"], [p[1] for p in expected["probability"]], rtol=1e-12)
    assert set(got["input_version"]) == {0} and set(got["model_version"]) == {"1"}
    assert got["inference_id"].is_unique

    again = batch_inference(spark, "models:/bi-test-model/1", source, out, version=0)
    assert again.output.version == result.output.version  # the retry committed nothing
    assert read_delta(spark, out).count() == 50
    ids = read_delta(spark, out).agg(F.countDistinct("inference_id")).first()[0]
    assert ids == 50


def test_bad_inputs_are_clear(spark, registered_model, tmp_path):
    source = str(tmp_path / "in")
    write_delta(spark.createDataFrame([(1.0, 2.0)], ["x1", "x2"]), source)
    with pytest.raises(InvalidArgumentError, match="columns"):
        batch_inference(spark, "models:/bi-test-model/1", source, str(tmp_path / "o"), columns=["nope"])
    with pytest.raises(SparkMlopsError, match="no-such-model"):
        batch_inference(spark, "models:/no-such-model/1", source, str(tmp_path / "o"))
