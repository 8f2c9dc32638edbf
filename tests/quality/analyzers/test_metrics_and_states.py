"""Pure tests (no Spark): metrics, state algebra against numpy, specs and JSON round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import (
    Analyzer,
    ApproxQuantiles,
    Completeness,
    Compliance,
    CorrelationState,
    DataTypeState,
    Histogram,
    MaxState,
    MeanState,
    MinState,
    StandardDeviation,
    StandardDeviationState,
    State,
    Uniqueness,
)
from spark_mlops.quality.metrics import Distribution, DistributionValue, Entity, Metric

floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


def _std_state(xs: list[float]) -> StandardDeviationState:
    if not xs:
        return StandardDeviationState(0, 0.0, 0.0)
    a = np.asarray(xs)
    return StandardDeviationState(len(xs), float(a.mean()), float(((a - a.mean()) ** 2).sum()))


def _corr_state(xs: list[float], ys: list[float]) -> CorrelationState:
    if not xs:
        return CorrelationState(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    x, y = np.asarray(xs), np.asarray(ys)
    dx, dy = x - x.mean(), y - y.mean()
    return CorrelationState(len(xs), x.mean(), y.mean(), (dx * dy).sum(), (dx * dx).sum(), (dy * dy).sum())


@settings(max_examples=60, deadline=None)
@given(st.lists(floats, max_size=20), st.lists(floats, max_size=20))
def test_standard_deviation_state_merge_equals_population_std_of_union(
    a: list[float], b: list[float]
) -> None:
    merged = _std_state(a) + _std_state(b)
    metric = StandardDeviation("x").compute_metric_from(merged)
    if not a and not b:
        assert not metric.is_success and "Empty state" in (metric.failure or "")
        return
    expected = float(np.std(np.asarray(a + b)))  # numpy's default ddof=0: population
    assert metric.value == pytest.approx(expected, rel=1e-6, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(floats, floats), min_size=0, max_size=20),
    st.lists(st.tuples(floats, floats), max_size=20),
)
def test_correlation_state_merge_equals_co_moments_of_union(
    a: list[tuple[float, float]], b: list[tuple[float, float]]
) -> None:
    sa = _corr_state([p[0] for p in a], [p[1] for p in a])
    sb = _corr_state([p[0] for p in b], [p[1] for p in b])
    union = a + b
    expected = _corr_state([p[0] for p in union], [p[1] for p in union])
    merged = sa + sb
    assert merged.n == expected.n
    for field in ("x_avg", "y_avg", "ck", "x_mk", "y_mk"):
        assert getattr(merged, field) == pytest.approx(getattr(expected, field), rel=1e-6, abs=1e-3)


def test_min_max_states_order_nan_above_everything_like_spark() -> None:
    assert (MaxState(1.0) + MaxState(math.nan)).value is not None
    assert math.isnan((MaxState(1.0) + MaxState(math.nan)).value or 0.0)
    assert (MinState(1.0) + MinState(math.nan)).value == 1.0
    assert (MinState(None) + MinState(-2.0)).value == -2.0
    assert (MaxState(None) + MaxState(None)).value is None


def test_adding_different_state_types_is_an_argument_error() -> None:
    with pytest.raises(InvalidArgumentError, match="other"):
        MeanState(1.0, 1) + MinState(1.0)


@pytest.mark.parametrize(
    "state",
    [
        MeanState(3.5, 2),
        StandardDeviationState(3, 2.0, 8.0),
        CorrelationState(4, 1.0, 2.0, 3.0, 4.0, 5.0),
        DataTypeState(1, 2, 3, 4, 5),
        MinState(None),
    ],
)
def test_state_json_round_trip(state: State) -> None:
    assert State.from_json(state.to_json()) == state


def test_metric_is_a_value_or_a_failure_never_both() -> None:
    ok = Metric(Entity.COLUMN, "a", "Completeness", 0.5)
    assert ok.is_success and ok.failure is None
    bad = Metric.failed(Entity.COLUMN, "a", "Completeness", "boom")
    assert not bad.is_success and bad.value is None
    both = Metric(Entity.COLUMN, "a", "Completeness", 0.5, "boom")
    assert both.value is None and both.failure == "boom"
    assert Metric(Entity.COLUMN, "a", "Correlation", math.nan) == Metric(
        Entity.COLUMN, "a", "Correlation", math.nan
    )


def test_flatten_distribution_and_keyed_metrics_deequ_style() -> None:
    dist = Distribution({"US": DistributionValue(3, 0.75), "NullValue": DistributionValue(1, 0.25)}, 2)
    flat = {m.name: m.value for m in Metric(Entity.COLUMN, "m", "Histogram", dist).flatten()}
    assert flat == {
        "Histogram.bins": 2.0,
        "Histogram.abs.US": 3.0,
        "Histogram.ratio.US": 0.75,
        "Histogram.abs.NullValue": 1.0,
        "Histogram.ratio.NullValue": 0.25,
    }
    keyed = Metric(Entity.COLUMN, "x", "ApproxQuantiles", {"0.5": 3.0, "0.9": 5.0}).flatten()
    assert [(m.name, m.value) for m in keyed] == [("ApproxQuantiles-0.5", 3.0), ("ApproxQuantiles-0.9", 5.0)]
    assert Distribution.from_dict(dist.to_dict()) == dist


@pytest.mark.parametrize(
    "analyzer",
    [
        Completeness("a b", where="x > 1"),
        Compliance("rule", "`a` > 0", columns=["a"]),
        Uniqueness(["a", "b"]),
        Histogram("c", max_detail_bins=5),
        ApproxQuantiles("q", [0.1, 0.5]),
    ],
)
def test_spec_round_trip_gives_an_equal_hashable_analyzer(analyzer: Analyzer) -> None:
    rebuilt = Analyzer.from_spec(analyzer.spec())
    assert rebuilt == analyzer and hash(rebuilt) == hash(analyzer)


def test_columns_normalized_and_equal_analyzers_dedupe() -> None:
    assert Uniqueness("a") == Uniqueness(["a"]) == Uniqueness(("a",))
    assert Uniqueness("a").columns == ("a",)
    assert len({Uniqueness("a"), Uniqueness(["a"]), Completeness("a")}) == 2
    assert Completeness("a") != Completeness("a", where="b > 1")


def test_bad_arguments_raise_naming_the_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="columns"):
        Uniqueness([])
    with pytest.raises(InvalidArgumentError, match="spec"):
        Analyzer.from_spec({"type": "NoSuchAnalyzer"})
