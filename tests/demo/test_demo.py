"""`make demo` end to end at a small size: tables, MLflow runs, registered model, report, drift verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from spark_mlops.commands.demo import _monitoring_file, run_demo
from spark_mlops.delta import current_version


@pytest.mark.slow
def test_demo_runs_the_seed_story(spark, tmp_path, mlflow_tracking_uri):
    summary = run_demo(spark, rows=4000, home=tmp_path / "demo")
    first, again, drifted = summary.executions
    assert [e["status"] for e in summary.executions] == ["Succeeded"] * 3, [
        e["failure_reason"] for e in summary.executions
    ]

    # Tables exist with the expected versions (each day written once).
    for name in ("day1", "day2", "day3"):
        assert current_version(spark, summary.tables[name]) == 0

    # The second run on the same data reuses preprocessing, training and evaluation.
    for step in ("preprocess", "train", "evaluate"):
        assert not first["steps"][step]["cache_hit"]
        assert again["steps"][step]["cache_hit"], step
        assert drifted["steps"][step]["cache_hit"], step

    # A registered, approved model version in the MLflow registry.
    reg = first["register"]
    client = MlflowClient(mlflow_tracking_uri)
    mv = client.get_model_version("reviews-helpful", str(reg["model_version"]))
    assert mv.tags.get("approval_status") == "Approved"

    # MLflow has the pipeline's runs (a parent per execution).
    experiment = client.get_experiment_by_name("pipelines/reviews")
    runs = client.search_runs([experiment.experiment_id], "tags.`mlflow.parentRunId` IS NULL")
    assert len(runs) >= 3

    # The clean day shows no dataset drift; the injected drift (marketplace mix, votes) is reported.
    clean = _monitoring_file(first["monitor"])
    shifted = _monitoring_file(drifted["monitor"])
    assert clean["drift"]["dataset_drift"] is False
    assert "marketplace" not in clean["drift"]["drifted_columns"]
    assert shifted["drift"]["dataset_drift"] is True
    assert {"marketplace", "total_votes"} <= set(shifted["drift"]["drifted_columns"])
    assert shifted["model_quality"]["binary_classification_metrics"]["auc"]["value"] > 0.6

    report = Path(shifted["report"])
    text = report.read_text()
    assert report.is_file() and "Drift" in text and "Model quality" in text and "<img" in text
