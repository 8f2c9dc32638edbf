"""QualityCheckStep: data-quality checks and drift against a baseline that the first run registers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spark_mlops.delta import write_delta
from spark_mlops.pipeline import ClarifyCheckStep, ExecutionStatus, Pipeline, QualityCheckStep, StepStatus
from spark_mlops.quality import Check, CheckLevel


def test_quality_and_drift_checks_with_baseline_evolution(spark, raw_table, raw_data, home):
    dq = QualityCheckStep(
        "dq",
        "DataQuality",
        inputs={"data": raw_table},
        checks=[Check(CheckLevel.ERROR, "raw").has_size(lambda n: n == 200).is_complete("y")],
        fail_on_violation=False,
    )
    drift = QualityCheckStep("drift", "DataDrift", inputs={"data": raw_table}, columns=["x"], methods="ks")
    pipeline = Pipeline("checks", steps=[dq, drift], home=home, experiment_name="", lineage=False)

    first = pipeline.start()
    assert first.status is ExecutionStatus.SUCCEEDED, first.failure_reason
    dq_props = first.step("dq").properties
    assert dq_props["check_status"] == "Error"
    assert len(dq_props["violations"]) == 1 and "Completeness" in dq_props["violations"][0]
    assert dq_props["metrics"]["Completeness.y"] == float(raw_data.y.notna().mean())  # 190/200
    assert dq_props["metrics"]["Size"] == 200
    drift_props = first.step("drift").properties
    assert drift_props["check_status"] == "Skipped"  # no baseline yet: this run registers it
    assert drift_props["new_baseline"] == {"reference": {"table": raw_table, "version": 0}}

    shifted = pd.DataFrame({"id": np.arange(1000, 1100), "x": np.linspace(20, 30, 100), "y": np.zeros(100)})
    write_delta(spark.createDataFrame(shifted, "id LONG, x DOUBLE, y DOUBLE"), raw_table, mode="append")
    second = pipeline.start()

    assert second.status is ExecutionStatus.FAILED
    record = second.step("drift")
    assert record.status is StepStatus.FAILED
    assert (record.failure_reason or "").startswith("x: ks statistic")
    assert (second.failure_reason or "").startswith("step 'drift' failed: x: ks statistic")
    current = np.concatenate([raw_data.x.to_numpy(), shifted.x.to_numpy()])
    expected = stats.ks_2samp(raw_data.x.to_numpy(), current).statistic
    assert f"{expected:.4g}" in (record.failure_reason or "")


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
