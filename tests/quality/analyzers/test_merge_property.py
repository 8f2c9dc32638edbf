"""Merge property: metric(state(A) + state(B)) == metric(state(A ∪ B)), on random small frames with NULL
and NaN (hypothesis), for every analyzer; grouping states are also checked against pandas."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import entropy as scipy_entropy

from spark_mlops.quality.analyzers import (
    ApproxCountDistinct,
    ApproxQuantile,
    ApproxQuantiles,
    Completeness,
    Compliance,
    Correlation,
    DataType,
    Distinctness,
    Entropy,
    FrequencyState,
    Histogram,
    HllState,
    KllState,
    Maximum,
    MaxLength,
    Mean,
    Minimum,
    MinLength,
    PatternMatch,
    Size,
    StandardDeviation,
    State,
    Sum,
    Uniqueness,
)
from spark_mlops.quality.engine import compute_states
from spark_mlops.quality.metrics import Metric

SCHEMA = "x double, s string, k int"
rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.just(math.nan), st.floats(min_value=-100, max_value=100, allow_nan=False)),
        st.one_of(st.none(), st.sampled_from(["a", "ab", "b", "", "1.5", "7"])),
        st.one_of(st.none(), st.integers(min_value=-2, max_value=3)),
    ),
    max_size=12,
)
SLOW = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCAN = [
    Size(),
    Size(where="k > 0"),
    Completeness("x"),
    Completeness("s", where="k >= 0"),
    Compliance("positive k", "k > 0"),
    PatternMatch("s", "b"),
    Mean("x"),
    Sum("x"),
    Minimum("x"),
    Maximum("x", where="k IS NOT NULL"),
    StandardDeviation("x"),
    MinLength("s"),
    MaxLength("s"),
    Correlation("x", "k"),
    DataType("s"),
    ApproxCountDistinct("s"),
    ApproxQuantile("k", 0.5),
    ApproxQuantiles("x", (0.25, 0.75)),
]


def _same(a: Metric, b: Metric) -> bool:
    if a.failure is not None or b.failure is not None:
        return a.failure == b.failure
    va, vb = a.value, b.value
    if isinstance(va, dict) and isinstance(vb, dict):
        return va.keys() == vb.keys() and all(_close(va[k], vb[k]) for k in va)
    return _close(va, vb)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == pytest.approx(b, rel=1e-6, abs=1e-6))


@SLOW
@given(rows, rows)
def test_scan_states_merge_to_the_state_of_the_union(spark, a, b) -> None:  # type: ignore[no-untyped-def]
    df_a, df_b = spark.createDataFrame(a, SCHEMA), spark.createDataFrame(b, SCHEMA)
    states_a = compute_states(df_a, SCAN)
    states_b = compute_states(df_b, SCAN)
    states_u = compute_states(df_a.unionAll(df_b), SCAN)
    for analyzer in SCAN:
        sa, sb, su = states_a[analyzer], states_b[analyzer], states_u[analyzer]
        assert isinstance(sa, State) and isinstance(sb, State) and isinstance(su, State)
        merged = analyzer.compute_metric_from(sa + sb)
        assert _same(merged, analyzer.compute_metric_from(su)), (analyzer, merged, su)
        # Serialized states merge the same way (sketch bytes survive base64 JSON).
        if isinstance(sa, HllState | KllState):
            again = State.from_json(sa.to_json()) + State.from_json(sb.to_json())
            assert _same(analyzer.compute_metric_from(again), merged)
    # And one independent reference: the mean of the union's non-NULL values.
    xs = np.array([r[0] for r in a + b if r[0] is not None], dtype=float)
    mean = Mean("x").compute_metric_from(states_a[Mean("x")] + states_b[Mean("x")])
    if len(xs):
        assert _close(float(mean.value), float(np.mean(xs)))  # type: ignore[arg-type]
    else:
        assert not mean.is_success


GROUPING = [Uniqueness("s"), Distinctness(["s", "k"]), Entropy("s"), Histogram("s")]


@SLOW
@given(rows, rows)
def test_frequency_states_merge_exactly(spark, a, b) -> None:  # type: ignore[no-untyped-def]
    df_a, df_b = spark.createDataFrame(a, SCHEMA), spark.createDataFrame(b, SCHEMA)
    states_a, states_b = compute_states(df_a, GROUPING), compute_states(df_b, GROUPING)
    union = pd.DataFrame(a + b, columns=["x", "s", "k"], dtype=object)
    s_counts = union["s"].dropna().value_counts()
    sk = (
        union[["s", "k"]]
        .dropna(how="all")
        .apply(lambda c: c.map(lambda v: "<null>" if v is None else str(v)))
    )
    sk_counts = sk.groupby(["s", "k"]).size() if len(sk) else pd.Series(dtype=int)
    for analyzer in GROUPING:
        sa, sb = states_a[analyzer], states_b[analyzer]
        assert isinstance(sa, FrequencyState) and isinstance(sb, FrequencyState)
        metric = analyzer.compute_metric_from(sa + sb)
        if analyzer == Uniqueness("s"):
            expected = (s_counts == 1).sum() / s_counts.sum() if len(s_counts) else None
        elif analyzer == Distinctness(["s", "k"]):
            expected = len(sk_counts) / sk_counts.sum() if len(sk_counts) else None
        elif analyzer == Entropy("s"):
            expected = float(scipy_entropy(s_counts.to_numpy())) if len(s_counts) else None
        else:
            counts = union["s"].map(lambda v: "NullValue" if v is None else v).value_counts()
            assert metric.value.number_of_bins == len(counts)  # type: ignore[union-attr]
            assert {k: v.absolute for k, v in metric.value.values.items()} == counts.to_dict()  # type: ignore[union-attr]
            continue
        if expected is None:
            assert not metric.is_success
        else:
            assert metric.value == pytest.approx(expected), analyzer


def test_frequency_state_json_round_trip(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(1.0, "a", 1), (2.0, "a", None), (None, None, 2)], SCHEMA)
    state = compute_states(df, [Uniqueness(["s", "k"])])[Uniqueness(["s", "k"])]
    assert isinstance(state, FrequencyState)
    again = State.from_json(state.to_json())
    assert isinstance(again, FrequencyState)
    merged = Uniqueness(["s", "k"]).compute_metric_from(state + again)
    assert merged.value == 0.0  # every group is seen twice in the doubled data
    assert Uniqueness(["s", "k"]).compute_metric_from(again).value == 1.0
