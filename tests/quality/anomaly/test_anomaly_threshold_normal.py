"""Threshold and normal strategies against numpy means and deviations computed in the test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.anomaly import BatchNormalStrategy, OnlineNormalStrategy, SimpleThresholdStrategy

RNG = np.random.default_rng(7)
NOISY = (RNG.normal(10.0, 1.0, 60)).tolist()
NOISY[25] = 30.0
NOISY[40] = -5.0
NOISY[52] = 25.0


def _indices(result: list) -> list[int]:
    return [i for i, _ in result]


def test_simple_threshold_strict_bounds_and_interval() -> None:
    x = [0.0, 1.0, 2.0, 3.0, math.inf, math.nan, -1.0]
    strategy = SimpleThresholdStrategy(lower_bound=0.0, upper_bound=2.0)
    assert _indices(strategy.detect(x)) == [3, 4, 6]  # 0.0 and 2.0 are on the bounds: normal
    assert _indices(strategy.detect(x, (1, 4))) == [3]
    assert _indices(SimpleThresholdStrategy(upper_bound=5.0).detect(x)) == [4]  # +inf flagged
    assert SimpleThresholdStrategy(upper_bound=1.0).detect([]) == []
    anomaly = strategy.detect([7.5])[0][1]
    assert (anomaly.value, anomaly.confidence) == (7.5, 1.0)
    with pytest.raises(InvalidArgumentError, match="lower_bound"):
        SimpleThresholdStrategy(lower_bound=3.0, upper_bound=1.0)
    with pytest.raises(InvalidArgumentError, match="at least one"):
        SimpleThresholdStrategy()


def _online_reference(
    x: list[float], low: float, high: float, skip_share: float, ignore: bool, start: int = 0, end: int = 10**9
) -> list[int]:
    # Independent restatement: statistics of every kept point up to and including i (population std,
    # numpy ddof=0); a flagged point is dropped from the kept set when ignore_anomalies.
    kept: list[float] = []
    flagged = []
    for i, v in enumerate(x):
        sample = np.array([*kept, v])
        mean, std = sample.mean(), sample.std(ddof=0)
        if i >= end:
            break
        if i >= len(x) * skip_share and i >= start and (v < mean - low * std or v > mean + high * std):
            flagged.append(i)
            if ignore:
                continue
        kept.append(v)
    return flagged


@pytest.mark.parametrize("ignore", [True, False])
@pytest.mark.parametrize("factors", [(3.0, 3.0), (2.0, 1.5)])
def test_online_normal_matches_running_population_statistics(ignore: bool, factors: tuple) -> None:
    strategy = OnlineNormalStrategy(*factors, ignore_start_percentage=0.1, ignore_anomalies=ignore)
    expected = _online_reference(NOISY, *factors, 0.1, ignore)
    assert _indices(strategy.detect(NOISY)) == expected
    assert 25 in expected and 40 in expected


def test_online_normal_interval_skip_and_nan() -> None:
    strategy = OnlineNormalStrategy(ignore_start_percentage=0.0)
    full = _indices(strategy.detect(NOISY))
    assert full == _online_reference(NOISY, 3.0, 3.0, 0.0, True)
    # Points before the interval update the statistics but are never flagged (so never restored).
    assert _indices(strategy.detect(NOISY, (30, 50))) == _online_reference(NOISY, 3.0, 3.0, 0.0, True, 30, 50)
    # Points before len × ignore_start_percentage are never flagged: 0.5 × 60 = 30.
    assert _indices(OnlineNormalStrategy(ignore_start_percentage=0.5).detect(NOISY)) == _online_reference(
        NOISY, 3.0, 3.0, 0.5, True
    )
    # A NaN point is skipped (not flagged, kept out of the statistics).
    with_nan = [*NOISY[:10], math.nan, *NOISY[10:]]
    assert _indices(strategy.detect(with_nan)) == [i + 1 if i >= 10 else i for i in full]
    # Single point: mean = x, std = 0 -> x equals both bounds, not anomalous; empty -> nothing.
    assert strategy.detect([5.0]) == []
    assert strategy.detect([]) == []
    with pytest.raises(InvalidArgumentError, match="ignore_start_percentage"):
        OnlineNormalStrategy(ignore_start_percentage=1.5)
    with pytest.raises(InvalidArgumentError, match="lower_deviation_factor"):
        OnlineNormalStrategy(lower_deviation_factor=-1.0)


def test_online_normal_one_sided() -> None:
    strategy = OnlineNormalStrategy(lower_deviation_factor=None, upper_deviation_factor=3.0)
    expected = [i for i in _online_reference(NOISY, math.inf, 3.0, 0.1, True)]
    assert _indices(strategy.detect(NOISY)) == expected
    assert 40 not in expected  # the low outlier is not looked at


def test_batch_normal_uses_sample_std_outside_interval() -> None:
    start, end = 45, 60
    history = np.array(NOISY[:start])
    mean, std = history.mean(), history.std(ddof=1)  # sample deviation, as Deequ (breeze)
    expected = [i for i in range(start, end) if abs(NOISY[i] - mean) > 2.0 * std]
    got = BatchNormalStrategy(2.0, 2.0).detect(NOISY, (start, end))
    assert _indices(got) == expected and 52 in expected
    # include_interval: statistics over every point.
    alls = np.array(NOISY)
    m_all, s_all = alls.mean(), alls.std(ddof=1)
    expected_all = [i for i in range(start, end) if abs(NOISY[i] - m_all) > 2.0 * s_all]
    assert _indices(BatchNormalStrategy(2.0, 2.0, include_interval=True).detect(NOISY, (start, end))) == (
        expected_all
    )


def test_batch_normal_edge_cases() -> None:
    # Strict: with history [1, 3] mean 2 and sample std sqrt(2); the bound 2 + sqrt(2) itself is normal.
    bound = 2.0 + math.sqrt(2.0)
    assert BatchNormalStrategy(1.0, 1.0).detect([1.0, 3.0, bound], (2, 3)) == []
    assert _indices(BatchNormalStrategy(1.0, 1.0).detect([1.0, 3.0, bound + 1e-9], (2, 3))) == [2]
    # NaN in the history is left out of the statistics.
    assert _indices(BatchNormalStrategy(1.0, 1.0).detect([1.0, math.nan, 3.0, 9.0], (3, 4))) == [3]
    with pytest.raises(InvalidArgumentError, match="empty"):
        BatchNormalStrategy().detect([])
    with pytest.raises(InvalidArgumentError, match="search_interval"):
        BatchNormalStrategy().detect([1.0], (0, 1))
    assert BatchNormalStrategy(include_interval=True).detect([1.0], (0, 1)) == []
