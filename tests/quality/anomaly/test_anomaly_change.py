"""Change strategies against numpy's discrete differences and ratios (Deequ semantics)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.anomaly import AbsoluteChangeStrategy, Anomaly, RelativeRateOfChangeStrategy

SERIES = [1.0, 2.0, 3.0, 9.0, 10.0, 10.0, 5.0, 4.0, 12.0]


def _indices(result: list[tuple[int, Anomaly]]) -> list[int]:
    return [i for i, _ in result]


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_absolute_change_matches_numpy_diff(order: int) -> None:
    # k-th discrete difference d_k[i] = d_{k-1}[i+1] - d_{k-1}[i] (numpy.diff with n=k); index shifts by k.
    diffs = np.diff(np.array(SERIES), n=order)
    expected = [i + order for i, d in enumerate(diffs) if d < -3.0 or d > 3.0]
    got = AbsoluteChangeStrategy(-3.0, 3.0, order=order).detect(SERIES)
    assert _indices(got) == expected
    assert all(a.value == SERIES[i] and a.confidence == 1.0 for i, a in got)


def test_absolute_change_bounds_are_strict_and_history_before_interval_is_used() -> None:
    # Change 9 - 3 = 6 at index 3; a bound of exactly 6 does not flag it.
    assert AbsoluteChangeStrategy(-6.0, 6.0).detect(SERIES, (3, 4)) == []
    got = AbsoluteChangeStrategy(-5.0, 5.0).detect(SERIES, (3, 4))
    assert _indices(got) == [3]
    assert "Change of 6.0" in (got[0][1].detail or "")
    # Half-open interval: index 6 (change -5 -> flagged with bound 4) lies outside [3, 6).
    assert _indices(AbsoluteChangeStrategy(-4.0, 4.0).detect(SERIES, (3, 6))) == [3]
    # An end past the series is clamped.
    assert _indices(AbsoluteChangeStrategy(-4.0, 4.0).detect(SERIES, (5, 1000))) == [6, 8]


def test_first_order_points_cannot_be_flagged() -> None:
    assert AbsoluteChangeStrategy(-0.1, 0.1, order=2).detect(SERIES, (0, 2)) == []
    assert RelativeRateOfChangeStrategy(0.9, 1.1, order=1).detect([100.0], (0, 1)) == []


def test_relative_rate_matches_numpy_ratios() -> None:
    x = np.array([10.0, 12.0, 25.0, 20.0, 9.0, 10.0, 30.0])
    for order in (1, 2):
        ratios = x[order:] / x[:-order]  # x[i] / x[i-order], not recursive
        expected = [i + order for i, r in enumerate(ratios) if r < 0.5 or r > 2.0]
        got = RelativeRateOfChangeStrategy(max_rate_decrease=0.5, max_rate_increase=2.0, order=order)
        assert _indices(got.detect(x.tolist())) == expected


def test_relative_rate_doubling_is_not_strictly_more_than_double() -> None:
    strategy = RelativeRateOfChangeStrategy(max_rate_increase=2.0)
    assert strategy.detect([5.0, 10.0]) == []  # exactly double: ratio 2.0 == bound
    assert _indices(strategy.detect([5.0, 10.0, 20.5])) == [2]


def test_relative_rate_division_by_zero() -> None:
    # x/0 = +Infinity is flagged even with no upper bound; 0/0 = NaN is never flagged.
    strategy = RelativeRateOfChangeStrategy(max_rate_decrease=0.5)
    got = strategy.detect([4.0, 0.0, 0.0, 3.0, 3.0])
    assert _indices(got) == [1, 3]  # 0/4 = 0 < 0.5; 0/0 skipped; 3/0 = inf
    assert math.isinf(float((got[1][1].detail or "").split("Change of ")[1].split(" ")[0]))


def test_nan_and_empty_series() -> None:
    strategy = AbsoluteChangeStrategy(-1.0, 1.0)
    assert strategy.detect([]) == []
    assert strategy.detect([1.0]) == []
    # A NaN change compares False with every bound: not flagged; None is read as NaN.
    assert _indices(strategy.detect([1.0, float("nan"), 1.0, 5.0])) == [3]
    assert _indices(strategy.detect([1.0, None, 1.0, 5.0])) == [3]
    # Infinity is flagged even when it is within "no bound".
    assert _indices(AbsoluteChangeStrategy(max_rate_increase=1.0).detect([1.0, -math.inf])) == [1]


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({}, "at least one"),
        ({"max_rate_decrease": 2.0, "max_rate_increase": 1.0}, "max_rate_decrease"),
        ({"max_rate_increase": 1.0, "order": -1}, "order"),
        ({"max_rate_increase": float("nan")}, "max_rate_increase"),
    ],
)
def test_bad_parameters_raise_at_construction(kwargs: dict, word: str) -> None:
    with pytest.raises(InvalidArgumentError, match=word):
        AbsoluteChangeStrategy(**kwargs)


def test_relative_rate_needs_positive_order_and_valid_interval() -> None:
    with pytest.raises(InvalidArgumentError, match="order"):
        RelativeRateOfChangeStrategy(max_rate_increase=2.0, order=0)
    with pytest.raises(InvalidArgumentError, match="cannot be larger"):
        RelativeRateOfChangeStrategy(max_rate_increase=2.0).detect([1.0, 2.0], (2, 1))
