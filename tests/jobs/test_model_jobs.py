"""Jobs as a cluster runs them, on real Delta and MLflow: jobs/model_quality.py and a failing jobs/quality.py
gate under spark-submit — both in one spark-submit driver (tests/jobs/run_scripts.py runs each as
``__main__`` with its own argv), so the module starts one extra JVM, not two — and jobs/bias.py as a script
in this process (``runpy``: its ``get_spark()`` reuses the test session)."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from spark_mlops.cli import build_parser
from spark_mlops.commands.model import EXIT_VIOLATIONS, run_bias, run_model_quality
from spark_mlops.datasets import ReviewDefects, generate_reviews
from spark_mlops.delta import write_delta

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)  # carries the test run's MLFLOW_TRACKING_URI (temp SQLite store)
    env.update(PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    return env


def test_cli_registers_commands() -> None:
    args = build_parser().parse_args(
        ["model-quality", "--input", "t", "--label", "y", "--prediction", "p", "--problem-type", "regression"]
    )
    assert args.handler is run_model_quality
    args = build_parser().parse_args(
        ["bias", "--input", "t", "--label", "y", "--facet", "g", "--facet-value", "F"]
    )
    assert args.handler is run_bias


@pytest.mark.slow
def test_model_quality_and_failing_quality_gate_under_spark_submit(
    spark, tmp_delta_path: str, tmp_path: Path, mlflow_tracking_uri: str
) -> None:  # type: ignore[no-untyped-def]
    from mlflow.tracking import MlflowClient

    from spark_mlops.jars import delta_jars

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.clip(0.4 * y + 0.6 * rng.random(300), 0, 1)
    frame = pd.DataFrame({"label": y, "prediction": (s > 0.5).astype(int), "probability": s})
    spark.createDataFrame(frame).write.format("delta").save(tmp_delta_path)
    constraints = tmp_path / "constraints.json"
    # An accuracy below 0.99 violates: this model has ~0.8.
    constraints.write_text(
        json.dumps(
            {
                "binary_classification_constraints": {
                    "accuracy": {"threshold": 0.99, "comparison_operator": "LessThanThreshold"}
                }
            }
        )
    )
    # A table with duplicated review ids: the gate's uniqueness constraint fails (ERROR, exit code 2).
    dirty = str(tmp_path / "dirty")
    write_delta(generate_reviews(spark, 1500, seed=4, defects=ReviewDefects(duplicate_id_rate=0.01)), dirty)
    out, runs = tmp_path / "mq", tmp_path / "runs.json"
    command = [
        str(Path(sys.executable).parent / "spark-submit"), "--master", "local[1]",
        "--jars", ",".join(str(j) for j in delta_jars()), "--conf", "spark.ui.enabled=false",
        str(REPO / "tests" / "jobs" / "run_scripts.py"), str(runs),
        str(REPO / "jobs" / "model_quality.py"),
        "--input", tmp_delta_path, "--problem-type", "binary_classification", "--label", "label",
        "--prediction", "prediction", "--probability", "probability", "--bootstrap-replicates", "0",
        "--constraints", str(constraints), "--output", str(out), "--experiment", "model-quality-job",
        "--fail-on-violation",
        "--next", str(REPO / "jobs" / "quality.py"),
        "--table", dirty, "--checks", str(REPO / "conf" / "checks" / "reviews_daily.yaml"),
    ]  # fmt: skip
    done = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    model_job, gate = json.loads(runs.read_text())
    assert "Py4JJavaError" not in done.stderr  # a failing gate is a verdict, not a Java trace

    assert gate["exit_code"] == 2, gate["stdout"][-3000:]
    assert "Uniqueness" in gate["stdout"] and "ERROR" in gate["stdout"]

    assert model_job["exit_code"] == EXIT_VIOLATIONS, done.stderr[-3000:]
    stats = json.loads((out / "statistics.json").read_text())["binary_classification_metrics"]
    assert stats["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, frame.prediction))
    assert stats["auc"]["value"] == pytest.approx(skm.roc_auc_score(y, s))
    violations = json.loads((out / "violations.json").read_text())["violations"]
    assert [v["metric_name"] for v in violations] == ["accuracy"]
    assert '<section id="model-quality">' in (out / "report.html").read_text()
    client = MlflowClient(mlflow_tracking_uri)
    experiment = client.get_experiment_by_name("model-quality-job")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.tags["input_version"] == "0"
    assert run.data.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, frame.prediction))
    assert run.data.metrics["violations"] == 1.0


@pytest.mark.slow
def test_bias_job(spark, tmp_delta_path: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rows = [("M", 1, 1), ("M", 0, 0), ("M", 1, 1), ("M", 0, 1), ("F", 1, 0), ("F", 0, 0)]
    spark.createDataFrame(rows, "gender string, label int, pred int").write.format("delta").save(
        tmp_delta_path
    )
    out = tmp_path / "bias"
    script = str(REPO / "jobs" / "bias.py")
    argv = [
        script, "--input", tmp_delta_path, "--label", "label",
        "--facet", "gender", "--facet-value", "F", "--predicted-label", "pred", "--threshold", "DPPL=0.5",
        "--threshold", "CI=0.5", "--output", str(out), "--no-mlflow", "--fail-on-violation",
    ]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as done:
        runpy.run_path(script, run_name="__main__")
    assert done.value.code == EXIT_VIOLATIONS
    stats = json.loads((out / "statistics.json").read_text())["bias_metrics"]
    assert stats["CI"] == pytest.approx((4 - 2) / 6)  # (na − nd) / n
    assert stats["DPPL"] == pytest.approx(3 / 4 - 0 / 2)  # q'a − q'd
    violations = json.loads((out / "violations.json").read_text())["violations"]
    assert [v["metric_name"] for v in violations] == ["DPPL"]  # 0.75 > 0.5; CI 0.33 within 0.5
