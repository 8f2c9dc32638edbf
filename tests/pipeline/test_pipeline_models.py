"""ML steps end to end: tuning (grid, trials tracked) -> one deployable PipelineModel -> registry with an
approval status -> batch transform; numbers against numpy least squares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from pyspark.ml import Pipeline as SparkPipeline
from pyspark.ml.evaluation import RegressionEvaluator
from pyspark.ml.feature import SQLTransformer, VectorAssembler
from pyspark.ml.regression import LinearRegression

from spark_mlops.delta import read_delta
from spark_mlops.models.batch_inference import load_spark_model
from spark_mlops.pipeline import (
    ExecutionStatus,
    ModelStep,
    ParameterString,
    Pipeline,
    RegisterModelStep,
    TransformStep,
    TuningStep,
)


@pytest.mark.slow
def test_tuning_model_register_transform(spark, raw_data, tmp_path, home, mlflow_tracking_uri):
    labelled = raw_data.dropna(subset=["y"]).reset_index(drop=True)
    train = str(tmp_path / "train")
    spark.createDataFrame(labelled).write.format("delta").save(train)

    estimator = SparkPipeline(
        stages=[
            VectorAssembler(inputCols=["x"], outputCol="features"),
            LinearRegression(featuresCol="features", labelCol="y", solver="normal"),
        ]
    )
    evaluator = RegressionEvaluator(labelCol="y", predictionCol="prediction", metricName="rmse")
    tune = TuningStep(
        "tune", estimator, evaluator, {"LinearRegression.regParam": [50.0, 0.0]}, inputs={"train": train}
    )
    model = ModelStep(
        "model",
        [
            tune.top_model_uri(top_k=0),
            SQLTransformer(statement="SELECT *, prediction * 2 AS doubled FROM __THIS__"),
        ],
    )
    approval = ParameterString("approval", default_value="PendingManualApproval")
    register = RegisterModelStep("register", model.properties.model_uri, "pipeline-test-model", approval)
    transform = TransformStep(
        "score",
        model.properties.model_uri,
        inputs={"data": train},
        outputs={"predictions": str(tmp_path / "predictions")},
        columns=["id", "x", "y"],
    )
    pipeline = Pipeline("ml", parameters=[approval], steps=[tune, model, register, transform], home=home)
    execution = pipeline.start()
    assert execution.status is ExecutionStatus.SUCCEEDED, execution.failure_reason

    # reference: ordinary least squares with numpy (regParam 0 with the normal solver is OLS)
    design = np.column_stack([labelled.x.to_numpy(), np.ones(len(labelled))])
    (slope, intercept), *_ = np.linalg.lstsq(design, labelled.y.to_numpy(), rcond=None)
    ols_pred = slope * labelled.x.to_numpy() + intercept
    ols_rmse = float(np.sqrt(np.mean((labelled.y.to_numpy() - ols_pred) ** 2)))

    tuned = execution.step("tune").properties
    assert tuned["trials"] == 2
    assert tuned["best_params"] == {"LinearRegression.regParam": 0.0}
    assert abs(tuned["top_models"][0]["metric"] - ols_rmse) < 1e-6
    assert tuned["top_models"][1]["metric"] > tuned["top_models"][0]["metric"]  # shrinkage costs train fit

    combined = load_spark_model(execution.step("model").properties["model_uri"])
    assert [type(s).__name__ for s in combined.stages] == [
        "VectorAssembler",
        "LinearRegressionModel",
        "SQLTransformer",
    ]
    scored = combined.transform(spark.createDataFrame(pd.DataFrame({"x": [0.0, 1.0]}))).toPandas()
    np.testing.assert_allclose(scored.doubled, 2 * (slope * np.array([0.0, 1.0]) + intercept), rtol=1e-9)

    reg = execution.step("register").properties
    version = MlflowClient(mlflow_tracking_uri).get_model_version(
        "pipeline-test-model", str(reg["model_version"])
    )
    assert version.tags["approval_status"] == "PendingManualApproval"
    assert reg["registered_model_uri"] == f"models:/pipeline-test-model/{reg['model_version']}"

    predictions = read_delta(spark, str(tmp_path / "predictions")).toPandas().sort_values("id")
    assert len(predictions) == len(labelled)
    np.testing.assert_allclose(
        predictions.prediction.to_numpy(), ols_pred[np.argsort(labelled.id.to_numpy())], rtol=1e-9
    )
    assert set(predictions.input_version) == {0}
    assert execution.step("score").properties["metrics"]["rows_written"] == len(labelled)
