"""check_violations on generated data: each injected defect is reported, an undrifted sample is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spark_mlops.monitoring.baseline import DataBaseline
from spark_mlops.monitoring.violations import check_violations, violations_json


def frame(seed: int, n: int, shift: float = 0.0, null_share: float = 0.05, new_country: float = 0.0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    x = rng.normal(10.0 + shift, 2.0, n)
    x[rng.random(n) < null_share] = np.nan
    countries = rng.choice(["US", "UK", "DE"], n, p=[0.5, 0.3, 0.2]).astype(object)
    countries[rng.random(n) < new_country] = "XX"
    return pd.DataFrame({"x": x, "n": rng.integers(0, 100, n), "country": countries})


def to_spark(spark, pdf: pd.DataFrame, n_type: str = "long"):  # type: ignore[no-untyped-def]
    rows = [
        (None if np.isnan(a) else float(a), int(b) if n_type == "long" else float(b), str(c))
        for a, b, c in pdf.itertuples(index=False)
    ]
    return spark.createDataFrame(rows, f"x double, n {n_type}, country string")


@pytest.fixture(scope="module")
def baseline(spark):  # type: ignore[no-untyped-def]
    ref = frame(1, 3000)
    return ref, DataBaseline.from_dataframe(to_spark(spark, ref))


def test_no_false_alarm_on_an_undrifted_sample(spark, baseline) -> None:  # type: ignore[no-untyped-def]
    _, bl = baseline
    assert check_violations(to_spark(spark, frame(2, 2000)), bl) == []


def test_injected_defects_are_reported_with_numbers(spark, baseline) -> None:  # type: ignore[no-untyped-def]
    ref, bl = baseline
    cur_pd = frame(3, 2000, shift=1.5, null_share=0.3, new_country=0.1)
    cur = to_spark(spark, cur_pd, n_type="double").withColumnRenamed("n", "n2")
    found = {
        (v["feature_name"], v["constraint_check_type"]): v["description"] for v in check_violations(cur, bl)
    }
    assert set(found) == {
        ("n", "missing_column_check"),
        ("n2", "extra_column_check"),
        ("x", "completeness_check"),
        ("x", "baseline_drift_check"),
        ("country", "categorical_values_check"),  # 10 % new values: robust L∞ stays below 0.1
    }
    measured = cur_pd["x"].notna().mean()
    assert f"Completeness {measured:.6g}" in found[("x", "completeness_check")]
    # Robust L∞ = KS statistic − 1.8·√((n+m)/(n·m)) on the present values (SageMaker's robust form).
    rx, cx = ref["x"].dropna(), cur_pd["x"].dropna()
    robust = stats.ks_2samp(rx, cx).statistic - 1.8 * np.sqrt((len(rx) + len(cx)) / (len(rx) * len(cx)))
    assert f"(linf_robust): {robust:.6g}" in found[("x", "baseline_drift_check")]
    inside = (cur_pd["country"] != "XX").mean()
    assert f"{inside:.6g} is below the threshold 1" in found[("country", "categorical_values_check")]
    assert "['XX']" in found[("country", "categorical_values_check")]
    assert violations_json([])["violations"] == []


def test_type_change_is_a_data_type_violation(spark, baseline) -> None:  # type: ignore[no-untyped-def]
    _, bl = baseline
    cur = to_spark(spark, frame(4, 500), n_type="double")
    found = check_violations(cur, bl)
    assert found == [
        {
            "feature_name": "n",
            "constraint_check_type": "data_type_check",
            "description": "Baseline inferred type Integral, current type Fractional",
        }
    ]
