"""SparkSubmitStep: a real spark-submit process of pyspark's own bin with --master local[1]."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_mlops.delta import read_delta
from spark_mlops.pipeline import (
    ConditionEquals,
    ConditionStep,
    ExecutionStatus,
    JsonGet,
    Pipeline,
    PropertyFile,
    SparkSubmitStep,
)

JOBS = Path(__file__).resolve().parent / "jobs"


@pytest.mark.slow
def test_spark_submit_step_runs_a_real_process(spark, raw_table, raw_data, tmp_path, home):
    stats = PropertyFile("stats", path="stats.json")
    submit = SparkSubmitStep(
        "summarize",
        str(JOBS / "summarize_table.py"),
        arguments=[raw_table],
        master="local[1]",
        outputs={"summary": str(tmp_path / "summary")},
        property_files=[stats],
        timeout_seconds=900,
    )
    labelled = ConditionStep(
        "all_labelled", conditions=[ConditionEquals(JsonGet(submit, stats, "labelled"), 200)]
    )
    execution = Pipeline(
        "submit", steps=[submit, labelled], home=home, experiment_name="", lineage=False
    ).start()

    assert execution.status is ExecutionStatus.SUCCEEDED, execution.failure_reason
    record = execution.step("summarize")
    with open(record.properties["property_files"]["stats"], encoding="utf-8") as fh:
        got = json.load(fh)
    assert got["master"] == "local[1]"
    assert got["n"] == len(raw_data)
    assert got["labelled"] == int(raw_data.y.notna().sum())
    assert got["sum_x"] == pytest.approx(float(raw_data.x.sum()), rel=1e-12)
    assert record.properties["outputs"]["summary"] == {"table": str(tmp_path / "summary"), "version": 0}
    assert execution.step("all_labelled").properties["outcome"] is False  # 10 rows have no label
    assert [r["n"] for r in read_delta(spark, str(tmp_path / "summary")).collect()] == [200]
