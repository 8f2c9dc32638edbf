"""A small real pipeline over Delta: property passing, JsonGet condition both ways, FailStep, MLflow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient
from pyspark.sql import functions as F

from spark_mlops.delta import current_version, read_delta
from spark_mlops.lineage import LineageStore, upstream_data
from spark_mlops.pipeline import (
    ConditionLessThanOrEqualTo,
    ConditionStep,
    ExecutionStatus,
    FailStep,
    Join,
    JsonGet,
    ParameterFloat,
    Pipeline,
    ProcessingStep,
    PropertyFile,
    StepContext,
    StepStatus,
)


def prepare_job(ctx: StepContext) -> dict[str, float]:
    """Keep rows with a label and add the feature square."""
    df = ctx.input("raw").where(F.col("y").isNotNull()).withColumn("x2", F.col("x") * F.col("x"))
    ctx.write_output("clean", df)
    return {"rows": float(df.count())}


def evaluate_job(ctx: StepContext) -> dict[str, float]:
    """MSE of the fixed model y_hat = slope * x, written as an evaluation report."""
    slope = float(ctx.args["slope"])
    row = ctx.input("data").select(F.avg((F.col("y") - F.col("x") * slope) ** 2).alias("mse")).first()
    mse = float(row["mse"])
    ctx.write_property_file("evaluation", {"regression_metrics": {"mse": {"value": mse}}})
    return {"mse": mse}


def publish_job(ctx: StepContext) -> None:
    """Copy the evaluated data to the 'published' output."""
    ctx.write_output("published", ctx.input("data").select("x", "y"))


def build(raw_table: str, out: Path, home: Path, name: str = "flow", lineage: bool = True) -> Pipeline:
    threshold = ParameterFloat("mse_threshold", default_value=6.0)
    report = PropertyFile("evaluation", path="evaluation.json")
    prepare = ProcessingStep(
        "prepare", prepare_job, inputs={"raw": raw_table}, outputs={"clean": str(out / "clean")}
    )
    evaluate = ProcessingStep(
        "evaluate",
        evaluate_job,
        inputs={"data": prepare.properties.outputs["clean"]},
        arguments={"slope": 2.0},
        property_files=[report],
    )
    publish = ProcessingStep(
        "publish",
        publish_job,
        inputs={"data": prepare.properties.outputs["clean"]},
        outputs={"published": str(out / "published")},
    )
    fail = FailStep("too_bad", error_message=Join(on=" ", values=["mse above", threshold]))
    cond = ConditionStep(
        "mse_ok",
        conditions=[
            ConditionLessThanOrEqualTo(JsonGet(evaluate, report, "regression_metrics.mse.value"), threshold)
        ],
        if_steps=[publish],
        else_steps=[fail],
    )
    return Pipeline(name, parameters=[threshold], steps=[prepare, evaluate, cond], home=home, lineage=lineage)


def reference_mse(raw: pd.DataFrame) -> float:
    labelled = raw.dropna(subset=["y"])
    return float(np.mean((labelled.y.to_numpy() - 2.0 * labelled.x.to_numpy()) ** 2))


def test_condition_true_publishes_and_passes_properties(
    spark, raw_table, raw_data, tmp_path, home, mlflow_tracking_uri
):
    pipeline = build(raw_table, tmp_path, home)
    execution = pipeline.start()

    assert execution.status is ExecutionStatus.SUCCEEDED, execution.failure_reason
    mse = reference_mse(raw_data)
    assert mse <= 6.0  # noise variance 4 (σ=2): the seed's `mse <= 6.0` holds
    evaluate = execution.step("evaluate")
    assert abs(evaluate.properties["metrics"]["mse"] - mse) < 1e-9
    assert execution.step("prepare").properties["metrics"]["rows"] == 190
    # evaluate read exactly the table version prepare wrote (property passing pins the version)
    clean = execution.step("prepare").properties["outputs"]["clean"]
    assert evaluate.properties["inputs"]["data"] == clean
    assert execution.step("mse_ok").properties["outcome"] is True
    assert execution.step("publish").status is StepStatus.SUCCEEDED
    assert execution.step("too_bad").status is StepStatus.SKIPPED
    published = read_delta(spark, str(tmp_path / "published")).toPandas().sort_values("x")
    expected = raw_data.dropna(subset=["y"]).sort_values("x")
    np.testing.assert_allclose(published.y.to_numpy(), expected.y.to_numpy())

    # MLflow: one parent run, one nested run per step that ran, with metrics and the report artifact
    client = MlflowClient(mlflow_tracking_uri)
    parent = client.get_run(execution.mlflow_run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.params["mse_threshold"] == "6.0"
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{execution.mlflow_run_id}'"
    )
    by_step = {r.data.tags["spark_mlops.step"]: r for r in children}
    assert set(by_step) == {"prepare", "evaluate", "mse_ok", "publish"}  # the skipped FailStep never ran
    assert abs(by_step["evaluate"].data.metrics["mse"] - mse) < 1e-9
    assert by_step["evaluate"].data.metrics["duration_seconds"] > 0
    assert all(r.info.status == "FINISHED" for r in children)
    artifacts = [a.path for a in client.list_artifacts(by_step["evaluate"].info.run_id)]
    assert artifacts == ["evaluation.json"]

    # Lineage: the publish action read the clean table at the version prepare wrote, which was derived
    # from the raw table at version 0.
    store = LineageStore(spark, str(home / "lineage"))
    publish_action = execution.step("publish").properties["lineage_action_id"]
    upstream = {(e.source_uri, e.version) for e in upstream_data(publish_action, store)}
    assert upstream == {(str(tmp_path / "clean"), clean["version"]), (raw_table, 0)}
    produced = store.list_associations(source=publish_action, association_type="Produced")
    assert [
        (store.describe(a.destination_id).source_uri, store.describe(a.destination_id).version)
        for a in produced
    ] == [(str(tmp_path / "published"), 0)]


def test_condition_false_runs_fail_step(spark, raw_table, raw_data, tmp_path, home):
    pipeline = build(raw_table, tmp_path, home, lineage=False)
    execution = pipeline.start({"mse_threshold": 1.5})

    assert reference_mse(raw_data) > 1.5
    assert execution.status is ExecutionStatus.FAILED
    assert execution.failure_reason == "step 'too_bad' failed: mse above 1.5"
    assert execution.step("publish").status is StepStatus.SKIPPED
    assert execution.step("mse_ok").properties["outcome"] is False
    # the state tables hold the same story
    recorded = pipeline.describe_execution(execution.execution_id)
    assert recorded.status is ExecutionStatus.FAILED
    assert recorded.step("too_bad").status is StepStatus.FAILED
    assert not (tmp_path / "published").exists()
    assert current_version(spark, str(tmp_path / "clean")) == 0
