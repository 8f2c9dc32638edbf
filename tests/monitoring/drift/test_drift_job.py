"""`spark-mlops baseline` / `drift` end to end: Delta in, Delta monitor tables + MLflow out, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spark_mlops.cli import main as cli
from spark_mlops.delta import write_delta


def _frame(spark, seed: int, shift: float):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    pdf = pd.DataFrame(
        {
            "x": rng.normal(shift, 1.0, 1200),
            "country": rng.choice(["US", "UK", "DE"], 1200, p=[0.5, 0.3, 0.2]),
        }
    )
    rows = [(float(a), str(b)) for a, b in pdf.itertuples(index=False)]
    return pdf, spark.createDataFrame(rows, "x double, country string")


def test_baseline_and_drift_commands(spark, tmp_path, mlflow_tracking_uri) -> None:  # type: ignore[no-untyped-def]
    import mlflow

    ref_pd, ref = _frame(spark, 1, 0.0)
    ok_pd, ok = _frame(spark, 2, 0.0)
    bad_pd, bad = _frame(spark, 3, 1.0)
    paths = {name: str(tmp_path / name) for name in ("ref", "ok", "bad")}
    write_delta(ref, paths["ref"], mode="overwrite")
    write_delta(ok, paths["ok"], mode="overwrite")
    write_delta(bad, paths["bad"], mode="overwrite")
    folder, base = str(tmp_path / "baseline"), str(tmp_path / "monitor")

    assert cli(["baseline", "--table", paths["ref"], "--output", folder]) == 0
    stats = json.loads((tmp_path / "baseline" / "statistics.json").read_text())
    assert stats["dataset"] == {"item_count": 1200, "source": {"table": paths["ref"], "version": 0}}

    common = ["drift", "--baseline", folder, "--output-table", base, "--experiment", "drift-job-test"]
    assert cli([*common, "--table", paths["ok"], "--window-start", "2026-11-01T00:00:00"]) == 0
    vfile = tmp_path / "violations.json"
    argv = [*common, "--table", paths["bad"], "--window-start", "2026-11-02T00:00:00", "--fail-on-violation"]
    assert cli([*argv, "--violations-file", str(vfile)]) == 2
    violations = json.loads(vfile.read_text())["violations"]
    assert [(v["feature_name"], v["constraint_check_type"]) for v in violations] == [
        ("x", "baseline_drift_check")
    ]

    trend = spark.sql(
        f"SELECT window_start, statistic, drifted FROM delta.`{base}_drift` "
        "WHERE column_name = 'x' ORDER BY window_start"
    ).collect()
    assert [r["drifted"] for r in trend] == [False, True]
    # >1000 reference rows → normalized Wasserstein by default (Evidently); check the stored number.
    from scipy import stats as st

    expected = st.wasserstein_distance(ref_pd["x"], bad_pd["x"]) / np.std(ref_pd["x"])
    assert trend[1]["statistic"] == pytest.approx(expected, rel=1e-9)  # exact mode: 1200 rows ≤ 10 000
    prof = spark.sql(
        f"SELECT mean, num_present, source_table FROM delta.`{base}_profile` "
        "WHERE column_name = 'x' ORDER BY window_start"
    ).collect()
    assert prof[0]["mean"] == pytest.approx(ok_pd["x"].mean()) and prof[1]["num_present"] == 1200
    assert prof[1]["source_table"] == paths["bad"]

    runs = mlflow.search_runs(experiment_names=["drift-job-test"], order_by=["start_time DESC"])
    latest = runs.iloc[0]
    assert latest["metrics.violations.count"] == 1.0
    assert latest["tags.source_table"] == paths["bad"] and latest["tags.source_version"] == "0"
    logged = mlflow.artifacts.load_dict(latest["artifact_uri"] + "/constraint_violations.json")
    assert logged["violations"] == violations
