"""fit_tracked on a real Delta table, MLflow SQLite store and lineage store; numbers checked vs sklearn."""

from __future__ import annotations

import uuid

import mlflow
import mlflow.spark
import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import VectorAssembler
from sklearn.metrics import roc_auc_score

from spark_mlops.delta import TableVersion, read_delta, write_delta
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.lineage import (
    ArtifactType,
    LineageQuery,
    LineageStore,
    contributing_trials,
    reproduce_inputs,
    upstream_data,
)
from spark_mlops.models import estimator_params, fit_tracked
from spark_mlops.tracking import ExperimentAnalytics


def _rows(n: int, seed: int) -> list[tuple[int, float, float, int]]:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    label = (x1 + 0.5 * x2 + rng.normal(scale=0.8, size=n) > 0).astype(int)
    return [(i, float(a), float(b), int(y)) for i, (a, b, y) in enumerate(zip(x1, x2, label, strict=True))]


def test_fit_tracked_logs_params_metric_model_and_exact_input_version(spark, mlflow_tracking_uri, tmp_path):
    table = str(tmp_path / "train")
    v0 = _rows(160, seed=1)
    schema = "id long, x1 double, x2 double, label int"
    write_delta(spark.createDataFrame(v0, schema), table, mode="overwrite")
    write_delta(spark.createDataFrame(_rows(40, seed=2), schema), table)  # table is now at v1

    store = LineageStore(spark, tmp_path / "lineage")
    lr = LogisticRegression(featuresCol="features", labelCol="label", regParam=0.1, maxIter=20)
    pipeline = Pipeline(stages=[VectorAssembler(inputCols=["x1", "x2"], outputCol="features"), lr])
    evaluator = BinaryClassificationEvaluator(labelCol="label", rawPredictionCol="rawPrediction")
    experiment = f"churn-{uuid.uuid4().hex[:8]}"
    config = {"ExperimentName": experiment, "TrialName": "trial-a", "TrialComponentDisplayName": "Training"}

    result = fit_tracked(
        pipeline,
        None,
        experiment_config=config,
        input_table=TableVersion(table, 0),
        evaluator=evaluator,
        lineage_store=store,
    )

    # The metric equals scikit-learn's AUC on the same predictions (v0 rows only: 160 of them).
    scored = result.model.transform(read_delta(spark, table, version=0)).select("label", "probability")
    pdf = scored.toPandas()
    assert len(pdf) == 160
    expected_auc = roc_auc_score(pdf["label"], [p[1] for p in pdf["probability"]])
    assert result.metrics["train:areaUnderROC"] == pytest.approx(expected_auc, abs=1e-9)

    client = MlflowClient(mlflow_tracking_uri)
    run = client.get_run(result.run_id)
    assert run.data.params["LogisticRegression.regParam"] == "0.1"
    assert run.data.params["LogisticRegression.maxIter"] == "20"
    assert run.data.params["VectorAssembler.inputCols"] == "['x1', 'x2']"
    assert run.data.params == {**estimator_params(pipeline), "estimator": "Pipeline"}
    assert run.data.metrics["train:areaUnderROC"] == pytest.approx(expected_auc)
    (dataset,) = run.inputs.dataset_inputs
    tags = {t.key: t.value for t in dataset.tags}
    assert (tags["spark_mlops.table"], tags["spark_mlops.delta_version"]) == (table, "0")
    assert tags["mlflow.data.context"] == "training"
    assert run.info.run_name == "Training"

    # Landed in the right trial; the analytics row shows it.
    analytics = ExperimentAnalytics(experiment).dataframe()
    assert analytics["TrialName"].tolist() == ["trial-a"]
    assert analytics["TrialComponentName"].tolist() == [result.run_id]
    assert analytics["train:areaUnderROC - Last"].tolist() == pytest.approx([expected_auc])

    # The logged model loads back and predicts the same as the fitted one.
    loaded = mlflow.spark.load_model(result.model_uri)
    sample = read_delta(spark, table, version=0).orderBy("id").limit(20)
    got = [r.prediction for r in loaded.transform(sample).select("prediction").collect()]
    want = [r.prediction for r in result.model.transform(sample).select("prediction").collect()]
    assert got == want
    assert mlflow.models.get_model_info(result.model_uri).signature is not None

    # Lineage: the model's upstream data is exactly train@v0, with the params to re-run.
    model_vertex = (
        LineageQuery(store)
        .query(
            result.tracker.action(),
            direction="Descendants",
            sources=[ArtifactType.MODEL],
            include_edges=False,
        )
        .vertices[0]
    )
    assert model_vertex.entity.source_uri == result.model_uri
    assert [(a.source_uri, a.version) for a in upstream_data(model_vertex.entity, store)] == [(table, 0)]
    assert [t.name for t in contributing_trials(model_vertex.entity, store)] == ["trial-a"]
    recipe = reproduce_inputs(model_vertex.entity, store)
    assert recipe.inputs == [TableVersion(table, 0)] and recipe.source_inputs == [TableVersion(table, 0)]
    (step,) = recipe.steps
    assert step.parameters["LogisticRegression.regParam"] == "0.1"
    assert step.inputs == [TableVersion(table, 0)]
    first = recipe.inputs[0]
    rows = sorted(tuple(r) for r in read_delta(spark, first.table, first.version).collect())
    assert rows == sorted(v0)


def test_fit_tracked_rejects_bad_config(spark):
    with pytest.raises(InvalidArgumentError, match="TrialName"):
        fit_tracked(LogisticRegression(), spark.range(1), experiment_config={"ExperimentName": "x"})
    with pytest.raises(InvalidArgumentError, match="estimator"):
        fit_tracked("lr", spark.range(1), experiment_config={})  # type: ignore[arg-type]
