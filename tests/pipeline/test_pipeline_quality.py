"""QualityCheckStep: data quality, drift and model quality against baselines that runs register and evolve."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from spark_mlops.delta import write_delta
from spark_mlops.monitoring import DataBaseline
from spark_mlops.pipeline import (
    ClarifyCheckStep,
    ConditionGreaterThanOrEqualTo,
    ConditionStep,
    ExecutionStatus,
    JsonGet,
    ParameterBoolean,
    ParameterString,
    Pipeline,
    ProcessingStep,
    QualityCheckStep,
    StepStatus,
)
from spark_mlops.pipeline.steps.quality_checks import fixed_constraints, relaxed_constraints
from spark_mlops.quality import Check, CheckLevel


def test_quality_and_drift_checks_with_baseline_evolution(spark, raw_table, raw_data, home):
    evolve = ParameterBoolean("evolve", default_value=False)
    dq = QualityCheckStep(
        "dq",
        "DataQuality",
        inputs={"data": raw_table},
        checks=[Check(CheckLevel.ERROR, "raw").has_size(lambda n: n == 200).is_complete("y")],
        baseline_format="delta",
        fail_on_violation=False,
    )
    drift = QualityCheckStep(
        "drift",
        "DataDrift",
        inputs={"data": raw_table},
        columns=["x"],
        methods="ks",
        register_new_baseline=evolve,
        fail_on_violation=False,
    )
    pipeline = Pipeline("checks", [evolve], [dq, drift], home=home, experiment_name="", lineage=False)

    first = pipeline.start()
    assert first.status is ExecutionStatus.SUCCEEDED, first.failure_reason
    dq_props = first.step("dq").properties
    assert dq_props["check_status"] == "Error"
    assert len(dq_props["violations"]) == 1 and "Completeness" in dq_props["violations"][0]
    assert dq_props["metrics"]["Completeness.y"] == float(raw_data.y.notna().mean())  # 190/200
    assert dq_props["metrics"]["Size"] == 200
    # no baseline yet: the first run registers one (a DataBaseline in a Delta table of baselines)
    assert dq_props["baseline"] is None and dq_props["new_baseline"]["format"] == "delta"
    dq_base = DataBaseline.load_from_delta(spark, dq_props["new_baseline"]["location"])
    assert dq_base.source is not None and dq_base.source.version == 0
    assert dq_base.profile.columns["y"].missing == 10
    drift_props = first.step("drift").properties
    assert drift_props["check_status"] == "Skipped" and drift_props["baseline"] is None
    folder = Path(drift_props["new_baseline"]["location"])
    assert drift_props["new_baseline"]["source"] == {"table": raw_table, "version": 0}
    registered = DataBaseline.load(folder)
    stats_x = next(f for f in registered.statistics_json()["features"] if f["name"] == "x")
    assert stats_x["numerical_statistics"]["mean"] == pytest.approx(raw_data.x.mean())
    assert stats_x["numerical_statistics"]["std_dev"] == pytest.approx(raw_data.x.std(ddof=0))

    shifted = pd.DataFrame({"id": np.arange(1000, 1100), "x": np.linspace(20, 30, 100), "y": np.zeros(100)})
    write_delta(spark.createDataFrame(shifted, "id LONG, x DOUBLE, y DOUBLE"), raw_table, mode="append")

    # evolve=True: drift is judged against the v0 baseline, then the v1 data becomes the baseline
    second = pipeline.start({"evolve": True})
    assert second.status is ExecutionStatus.SUCCEEDED, second.failure_reason
    props = second.step("drift").properties
    current = np.concatenate([raw_data.x.to_numpy(), shifted.x.to_numpy()])
    expected = stats.ks_2samp(raw_data.x.to_numpy(), current).statistic
    assert props["check_status"] == "Drift"
    assert props["metrics"]["x.ks"] == pytest.approx(expected)
    assert props["violations"][0].startswith(f"x: ks statistic {expected:.4g}")
    assert props["baseline"]["source"]["version"] == 0
    assert props["new_baseline"]["source"]["version"] == 1
    assert DataBaseline.load(folder).profile.row_count == 300
    # the data-quality baseline (v0) now reports the shifted column through its constraints
    dq_second = second.step("dq").properties
    assert any(v.startswith("x: baseline_drift_check") for v in dq_second["violations"])
    violations_file = json.loads(Path(dq_second["property_files"]["constraint_violations"]).read_text())
    assert {"feature_name": "x", "constraint_check_type": "baseline_drift_check"}.items() <= next(
        v for v in violations_file["violations"] if v["feature_name"] == "x"
    ).items()

    # the next run reads the evolved baseline: the same data does not drift from itself
    third = pipeline.start()
    props = third.step("drift").properties
    assert props["check_status"] == "NoDrift" and props["metrics"]["x.ks"] == 0.0
    assert props["baseline"]["source"]["version"] == 1 and "new_baseline" not in props


BINARY, BINARY_CONSTRAINTS = "binary_classification_metrics", "binary_classification_constraints"


def _predictions(spark, path: str, noise: float, seed: int) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, 400)
    score = np.clip(0.5 + (label - 0.5) * 0.6 + rng.normal(0, noise, 400), 0, 1)
    frame = pd.DataFrame({"label": label, "score": score, "prediction": (score >= 0.5).astype(int)})
    spark.createDataFrame(frame).write.format("delta").save(path)
    return frame


def test_model_quality_step_passes_then_fails_against_its_baseline(spark, tmp_path, home):
    good = _predictions(spark, str(tmp_path / "good"), noise=0.25, seed=1)
    bad = _predictions(spark, str(tmp_path / "bad"), noise=0.6, seed=2)
    table = ParameterString("predictions", default_value=str(tmp_path / "good"))
    mq = QualityCheckStep(
        "mq",
        "ModelQuality",
        inputs={"data": table},
        problem_type="binary_classification",
        label="label",
        prediction="prediction",
        probability="score",
        thresholds={"accuracy": 0.6, "false_positive_rate": 0.5},
        baseline_factor=0.95,
        baseline_metrics=["auc", "f1"],
    )
    publish = ProcessingStep("publish", lambda ctx: None)
    gate = ConditionStep(
        "auc_ok",
        conditions=[ConditionGreaterThanOrEqualTo(JsonGet(mq, "statistics", f"{BINARY}.auc.value"), 0.8)],
        if_steps=[publish],
    )
    pipeline = Pipeline("mq", [table], [mq, gate], home=home, experiment_name="", lineage=False)

    first = pipeline.start()
    assert first.status is ExecutionStatus.SUCCEEDED, first.failure_reason
    props = first.step("mq").properties
    y, p = good.label, good.prediction
    assert props["metrics"]["auc"] == pytest.approx(roc_auc_score(y, good.score))
    assert props["metrics"]["accuracy"] == pytest.approx(accuracy_score(y, p))
    assert props["metrics"]["f1"] == pytest.approx(f1_score(y, p))
    assert props["metrics"]["precision"] == pytest.approx(precision_score(y, p))
    assert props["metrics"]["recall"] == pytest.approx(recall_score(y, p))
    assert props["check_status"] == "Success" and props["baseline"] is None
    assert first.step("publish").status is StepStatus.SUCCEEDED  # the JsonGet read auc >= 0.8
    baseline_dir = Path(props["new_baseline"]["location"])
    constraints = json.loads((baseline_dir / "constraints.json").read_text())[BINARY_CONSTRAINTS]
    assert constraints["auc"] == {
        "threshold": pytest.approx(roc_auc_score(y, good.score)),
        "comparison_operator": "LessThanThreshold",
    }

    second = pipeline.start({"predictions": str(tmp_path / "bad")})
    assert second.status is ExecutionStatus.FAILED
    record = second.step("mq")
    assert record.status is StepStatus.FAILED
    auc_good, auc_bad = roc_auc_score(y, good.score), roc_auc_score(bad.label, bad.score)
    assert auc_bad < 0.95 * auc_good
    # Model Monitor's wording, with the baseline threshold relaxed to 95 % of the baseline auc
    pattern = r"Metric auc with (\S+) was LessThanThreshold (\S+) \(baseline\)"
    found = re.search(pattern, record.failure_reason or "")
    assert found is not None, record.failure_reason
    assert float(found[1]) == pytest.approx(auc_bad) and float(found[2]) == pytest.approx(0.95 * auc_good)
    f1_bad = f1_score(bad.label, bad.prediction)
    assert (f1_bad < 0.95 * f1_score(y, p)) == ("Metric f1 with" in (record.failure_reason or ""))
    assert "accuracy" not in (record.failure_reason or "")  # accuracy_score(bad) is above the fixed 0.6
    assert accuracy_score(bad.label, bad.prediction) > 0.6
    assert second.step("auc_ok").status is StepStatus.NOT_RUN
    # a failed check does not replace the baseline
    again = json.loads((baseline_dir / "constraints.json").read_text())[BINARY_CONSTRAINTS]
    assert again["auc"]["threshold"] == pytest.approx(auc_good)


def test_clarify_check_bias_thresholds(spark, tmp_path, home):
    # 120 rows of facet M (60 positive), 80 rows of facet F (20 positive)
    frame = pd.DataFrame(
        {
            "gender": ["M"] * 120 + ["F"] * 80,
            "label": [1] * 60 + [0] * 60 + [1] * 20 + [0] * 60,
        }
    )
    table = str(tmp_path / "people")
    spark.createDataFrame(frame).write.format("delta").save(table)
    step = ClarifyCheckStep(
        "bias",
        inputs={"data": table},
        label="label",
        facet="gender",
        facet_value="F",
        thresholds={"DPL": 0.1, "CI": 0.5},
        fail_on_violation=False,
    )
    execution = Pipeline("bias", steps=[step], home=home, experiment_name="", lineage=False).start()
    assert execution.status is ExecutionStatus.SUCCEEDED, execution.failure_reason
    props = execution.step("bias").properties

    # Clarify's definitions (SageMaker Clarify docs): CI = (n_a - n_d) / n, DPL = q_a - q_d, with d the facet
    n_a, n_d = (frame.gender == "M").sum(), (frame.gender == "F").sum()
    q_a = frame.label[frame.gender == "M"].mean()
    q_d = frame.label[frame.gender == "F"].mean()
    assert props["metrics"]["CI"] == pytest.approx((n_a - n_d) / len(frame))  # 0.2
    assert props["metrics"]["DPL"] == pytest.approx(q_a - q_d)  # 0.25
    assert props["check_status"] == "Violation"
    assert props["violations"] == ["DPL = 0.25 exceeds 0.1 in absolute value"]
    assert props["new_baseline"]["metrics"]["DPL"] == pytest.approx(0.25)


def test_model_quality_constraints_from_thresholds_and_a_relaxed_baseline():
    # Model Monitor's convention: the operator states the violating comparison
    assert fixed_constraints("s", {"auc": 0.8, "mse": 6.0}) == {
        "auc": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"},
        "mse": {"threshold": 6.0, "comparison_operator": "GreaterThanThreshold"},
    }
    baseline = {
        "version": 0.0,
        "regression_constraints": {
            "r2": {"threshold": -0.5, "comparison_operator": "LessThanThreshold"},
            "rmse": {"threshold": 2.0, "comparison_operator": "GreaterThanThreshold"},
            "mae": {"threshold": 1.5, "comparison_operator": "GreaterThanThreshold"},
        },
    }
    relaxed = relaxed_constraints(baseline, 0.8, ["r2", "rmse"])
    # relaxed by the bound's magnitude, so a negative lower bound also moves down (never tightens)
    assert relaxed["r2"]["threshold"] == pytest.approx(-0.5 - 0.2 * 0.5)
    assert relaxed["rmse"]["threshold"] == pytest.approx(2.0 / 0.8)
    assert set(relaxed) == {"r2", "rmse"}
    assert relaxed_constraints(baseline, 1.0)["mae"]["threshold"] == 1.5
