"""Clarify bias metrics against a hand-computed table (arithmetic shown next to each assertion)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.monitoring.bias import bias_metrics

# (gender, group, label, prediction). Facet d = "F" (4 rows), facet a = "M" (6 rows).
ROWS = [
    ("M", "g1", 1, 1), ("M", "g2", 1, 1), ("M", "g1", 1, 0),
    ("M", "g1", 0, 1), ("M", "g2", 0, 0), ("M", "g2", 0, 0),
    ("F", "g1", 1, 1), ("F", "g2", 0, 1), ("F", "g2", 0, 1), ("F", "g1", 0, 0),
    (None, "g1", 1, 1),  # NULL facet: excluded
    ("F", "g1", None, 1),  # NULL label: excluded
]  # fmt: skip


@pytest.fixture(scope="module")
def table(spark):  # type: ignore[no-untyped-def]
    return spark.createDataFrame(ROWS, "gender string, grp string, label int, prediction int")


def test_pre_and_post_training_metrics_by_hand(table) -> None:  # type: ignore[no-untyped-def]
    m = bias_metrics(
        table,
        label="label",
        facet="gender",
        facet_value="F",
        predicted_label="prediction",
        group_variable="grp",
    )
    assert m.facet_counts == {"a": 6, "d": 4} and m.excluded == 2
    assert m["CI"] == pytest.approx((6 - 4) / 10)
    # qa = 3/6, qd = 1/4
    assert m["DPL"] == pytest.approx(0.5 - 0.25)
    pa, pd_ = np.array([0.5, 0.5]), np.array([0.25, 0.75])  # P(label = 1), P(label = 0)
    mid = (pa + pd_) / 2
    assert m["KL"] == pytest.approx(np.sum(pa * np.log(pa / pd_)))
    assert m["JS"] == pytest.approx(0.5 * (np.sum(pa * np.log(pa / mid)) + np.sum(pd_ * np.log(pd_ / mid))))
    assert m["LP"] == pytest.approx(math.sqrt(0.25**2 + 0.25**2))
    assert m["TVD"] == pytest.approx(0.5 * (0.25 + 0.25))
    assert m["KS"] == pytest.approx(0.25)
    # g1: 5 rows, DD = nd(0)/n(0) − nd(1)/n(1) = 1/2 − 1/3; g2: 5 rows, DD = 2/4 − 0/1.
    assert m["CDDL"] == pytest.approx((5 * (1 / 2 - 1 / 3) + 5 * (2 / 4 - 0 / 1)) / 10)
    # a: TP 2, FN 1, FP 1, TN 2 (3 predicted positive); d: TP 1, FN 0, FP 2, TN 1 (3 predicted positive).
    assert m["DPPL"] == pytest.approx(3 / 6 - 3 / 4)
    assert m["DI"] == pytest.approx((3 / 4) / (3 / 6))
    assert m["DCAcc"] == pytest.approx(3 / 3 - 1 / 3)  # na(1)/n'a(1) − nd(1)/n'd(1)
    assert m["DCR"] == pytest.approx(3 / 1 - 3 / 3)  # nd(0)/n'd(0) − na(0)/n'a(0)
    assert m["RD"] == pytest.approx(2 / 3 - 1 / 1)
    assert m["SD"] == pytest.approx(1 / 3 - 2 / 3)  # TNR_d − TNR_a
    assert m["DAR"] == pytest.approx(2 / 3 - 1 / 3)
    assert m["DRR"] == pytest.approx(1 / 1 - 2 / 3)
    assert m["AD"] == pytest.approx(4 / 6 - 2 / 4)
    assert m["TE"] == pytest.approx(0 / 2 - 1 / 1)
    # b = ŷ − y + 1 over all 10 rows: one FN (0), six correct (1), three FP (2).
    b = np.array([0] + [1] * 6 + [2] * 3, dtype=float)
    assert m["GE"] == pytest.approx(np.mean((b / b.mean()) ** 2 - 1) / 2)
    # g1 predicted: DD = 1/2 − 1/3; g2 predicted: DD = 0/2 − 2/3.
    assert m["CDDPL"] == pytest.approx((5 * (1 / 2 - 1 / 3) + 5 * (0 / 2 - 2 / 3)) / 10)
    assert math.isnan(m["FT"]) and "model" in m.reasons["FT"]


def test_one_spark_job(table) -> None:  # type: ignore[no-untyped-def]
    sc = table.sparkSession.sparkContext
    group = "bias-one-job"
    sc.setJobGroup(group, "count")
    try:
        bias_metrics(table, label="label", facet="gender", facet_value="F", predicted_label="prediction")
    finally:
        jobs = len(sc.statusTracker().getJobIdsForGroup(group))
        sc.setLocalProperty("spark.jobGroup.id", None)
    assert jobs == 1


def test_division_conventions_and_missing_inputs(spark) -> None:  # type: ignore[no-untyped-def]
    # Facet a never predicted positive: DI = q'd / 0 = +inf (Clarify's x/0); no group variable: CDDL nan.
    df = spark.createDataFrame([(0, 1, 1), (0, 0, 0), (1, 1, 1), (1, 0, 0)], "age int, label int, pred int")
    df = df.selectExpr("age * 50 AS age", "label", "CASE WHEN age = 0 THEN 0 ELSE pred END AS pred")
    m = bias_metrics(df, label="label", facet="age", facet_threshold=10, predicted_label="pred")
    assert m.facet_counts == {"a": 2, "d": 2}
    assert m["DI"] == math.inf
    assert m["DPPL"] == pytest.approx(0 / 2 - 1 / 2)
    assert math.isnan(m["CDDL"]) and m.reasons["CDDL"] == "needs group_variable"
    assert "DPPL" not in bias_metrics(df, label="label", facet="age", facet_threshold=10)


def test_empty_facet_is_undefined_not_zero(table) -> None:  # type: ignore[no-untyped-def]
    m = bias_metrics(table, label="label", facet="gender", facet_value="X", predicted_label="prediction")
    assert m["CI"] == pytest.approx(1.0)  # (na − 0) / na
    for key in ("DPL", "KL", "KS", "DPPL", "DI", "RD", "AD"):
        assert math.isnan(m[key]), key
    assert "facet d has no rows" in m.reasons["DPL"]


def test_bad_arguments(table) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ColumnNotFoundError, match="facet='sex'"):
        bias_metrics(table, label="label", facet="sex", facet_value="F")
    with pytest.raises(InvalidArgumentError, match="facet_value"):
        bias_metrics(table, label="label", facet="gender")
    with pytest.raises(InvalidArgumentError, match="facet='gender'"):
        bias_metrics(table, label="label", facet="gender", facet_threshold=1.0)


def test_string_labels_with_numeric_positive_values(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([("F", "1"), ("F", "0"), ("M", "1"), ("M", "1")], "g string, y string")
    m = bias_metrics(df, label="y", facet="g", facet_value="F")  # positive_label_values=(1,) matches "1"
    assert m["DPL"] == pytest.approx(2 / 2 - 1 / 2)  # qa − qd
