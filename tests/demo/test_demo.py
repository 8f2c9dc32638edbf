"""`make demo` end to end at a small size: tables, MLflow runs, registered model, report, drift verdicts.

One demo run (two pipeline executions: the clean day, then the drifted day) is shared by every test of
the module; each test asserts one part of what the demo promises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from spark_mlops.commands.demo import DemoSummary, _monitoring_file, run_demo
from spark_mlops.delta import current_version

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(spark, tmp_path_factory, mlflow_tracking_uri) -> DemoSummary:  # type: ignore[no-untyped-def]
    summary = run_demo(spark, rows=4000, home=tmp_path_factory.mktemp("demo"))
    assert [e["status"] for e in summary.executions] == ["Succeeded"] * 2, [
        e["failure_reason"] for e in summary.executions
    ]
    return summary


def _runs(demo: DemoSummary) -> tuple[dict[str, Any], dict[str, Any]]:
    first, drifted = demo.executions
    return first, drifted


def test_each_day_is_written_once(spark, demo: DemoSummary) -> None:  # type: ignore[no-untyped-def]
    for name in ("day1", "day2", "day3", "labels_day2", "labels_day3"):
        assert current_version(spark, demo.tables[name]) == 0, name


def test_the_second_run_reuses_quality_gate_preprocessing_training_and_evaluation(demo: DemoSummary) -> None:
    first, drifted = _runs(demo)
    for step in ("quality_gate", "preprocess", "train", "evaluate"):
        assert not first["steps"][step]["cache_hit"], step
        assert drifted["steps"][step]["cache_hit"], step
    # The drifted day is new data: it is scored and monitored afresh.
    assert not drifted["steps"]["batch_inference"]["cache_hit"]
    assert not drifted["steps"]["monitor"]["cache_hit"]


def test_the_model_is_registered_and_approved(demo: DemoSummary, mlflow_tracking_uri: str) -> None:
    first, _ = _runs(demo)
    client = MlflowClient(mlflow_tracking_uri)
    mv = client.get_model_version("reviews-helpful", str(first["register"]["model_version"]))
    assert mv.tags.get("approval_status") == "Approved"


def test_mlflow_has_a_parent_run_per_execution(demo: DemoSummary, mlflow_tracking_uri: str) -> None:
    client = MlflowClient(mlflow_tracking_uri)
    experiment = client.get_experiment_by_name("pipelines/reviews")
    runs = client.search_runs([experiment.experiment_id], "tags.`mlflow.parentRunId` IS NULL")
    parents = {r.data.tags.get("spark_mlops.execution_id") for r in runs}
    assert {e["execution_id"] for e in demo.executions} <= parents


def test_injected_drift_is_reported_and_the_clean_day_is_not(demo: DemoSummary) -> None:
    first, drifted = _runs(demo)
    clean = _monitoring_file(first["monitor"])
    shifted = _monitoring_file(drifted["monitor"])
    assert clean["drift"]["dataset_drift"] is False
    assert "marketplace" not in clean["drift"]["drifted_columns"]
    assert shifted["drift"]["dataset_drift"] is True
    assert {"marketplace", "total_votes"} <= set(shifted["drift"]["drifted_columns"])
    assert shifted["model_quality"]["binary_classification_metrics"]["auc"]["value"] > 0.6


def test_the_report_has_drift_model_quality_and_charts(demo: DemoSummary) -> None:
    _, drifted = _runs(demo)
    report = Path(_monitoring_file(drifted["monitor"])["report"])
    text = report.read_text()
    assert report.is_file() and "Drift" in text and "Model quality" in text and "<img" in text
