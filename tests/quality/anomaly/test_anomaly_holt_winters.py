"""Holt-Winters on series whose forecasts can be worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.anomaly import HoltWinters, MetricInterval, SeriesSeasonality
from spark_mlops.quality.anomaly.holt_winters import fit_holt_winters

WEEK = [10.0, 12.0, 14.0, 13.0, 11.0, 4.0, 3.0]


def test_exact_weekly_pattern_forecasts_itself() -> None:
    # A repeated pattern without trend: level = mean of the week, trend = 0, seasonal index = y - level;
    # every update formula maps the state onto itself, so every one-step error is 0, the allowed error
    # 1.96 × std(|residuals|) is 0, and the forecast of the next week is the week itself.
    history = WEEK * 3
    model = fit_holt_winters(history, 7, 7)
    np.testing.assert_allclose(model.forecasts, WEEK, atol=1e-9)
    np.testing.assert_allclose(model.residuals, 0.0, atol=1e-9)
    test_week = list(WEEK)
    test_week[3] += 0.5
    got = HoltWinters(MetricInterval.DAILY, SeriesSeasonality.WEEKLY).detect(history + test_week, (21, 28))
    assert [i for i, _ in got] == [24]
    assert got[0][1].value == WEEK[3] + 0.5


def test_monthly_yearly_pattern() -> None:
    year = [float(v) for v in (5, 6, 8, 11, 15, 19, 21, 20, 16, 12, 8, 6)]
    series = year * 2 + [*year[:5], 40.0, *year[6:]]
    got = HoltWinters("Monthly", "Yearly").detect(series, (24, 36))
    assert [i for i, _ in got] == [29]


def test_noisy_trend_season_spike_and_residual_rule() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(42)
    series = (100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, 42)).tolist()
    series[38] += 25.0
    model = fit_holt_winters(series[:35], 7, 7)
    assert all(0.0 <= p <= 1.0 for p in (model.alpha, model.beta, model.gamma))
    limit = 1.96 * np.std(np.abs(model.residuals), ddof=1)
    expected = [35 + h for h, f in enumerate(model.forecasts) if abs(series[35 + h] - f) > limit]
    got = [i for i, _ in HoltWinters().detect(series, (35, 42))]
    assert got == expected and 38 in got
    # The fitted parameters minimise the one-step squared error: no point of a coarse grid does better.
    best = float(np.sum(np.square(model.residuals)))

    def sse(a: float, b: float, g: float) -> float:
        y = np.array(series[:35])
        level, trend = y[:7].mean(), (y[7:14].mean() - y[:7].mean()) / 7
        season = list(y[:7] - level)
        total = 0.0
        for i, obs in enumerate(y):
            total += (obs - level - trend - season[i]) ** 2
            new_level = a * (obs - season[i]) + (1 - a) * (level + trend)
            new_trend = b * (new_level - level) + (1 - b) * trend
            season.append(g * (obs - level - trend) + (1 - g) * season[i])
            level, trend = new_level, new_trend
        return float(total)

    grid = np.linspace(0.0, 1.0, 6)
    assert best <= min(sse(a, b, g) for a in grid for b in grid for g in grid) + 1e-6


def test_errors() -> None:
    with pytest.raises(InvalidArgumentError, match="two full periods"):
        HoltWinters().detect(WEEK * 3, (13, 21))
    with pytest.raises(InvalidArgumentError, match="NaN"):
        HoltWinters().detect([*WEEK, math.nan, *WEEK[1:], *WEEK], (14, 21))
    with pytest.raises(InvalidArgumentError, match="unsupported pair"):
        HoltWinters(MetricInterval.DAILY, SeriesSeasonality.YEARLY)
    with pytest.raises(InvalidArgumentError, match="metrics_interval"):
        HoltWinters("Hourly", "Weekly")
    with pytest.raises(InvalidArgumentError, match="empty"):
        HoltWinters().detect([], (0, 0))
