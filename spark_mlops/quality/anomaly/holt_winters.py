"""HoltWinters: additive triple exponential smoothing forecasts, Deequ's ``HoltWinters`` strategy.

Model (additive Holt-Winters, Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, §8.3)::

    level    l_t = α (y_t − s_{t−m}) + (1 − α)(l_{t−1} + b_{t−1})
    trend    b_t = β (l_t − l_{t−1}) + (1 − β) b_{t−1}
    season   s_t = γ (y_t − l_{t−1} − b_{t−1}) + (1 − γ) s_{t−m}
    one-step forecast ŷ_t = l_{t−1} + b_{t−1} + s_{t−m};  h-step ŷ_{n+h} = l_n + h·b_n + s_{n+h−m(k+1)}

initialised as Deequ does: level = mean of the first period, trend = (mean of the second period − mean
of the first) / m, seasonal indices = first period − level. The training series is everything before the
search interval; (α, β, γ) ∈ [0, 1]³ minimise the sum of squared one-step errors over it (L-BFGS-B with
bounds). The points of the interval are forecast from the end of the training series; a point is
anomalous when ``|y − ŷ|`` is strictly larger than 1.96 × the sample standard deviation of the absolute
training residuals (plus a 1e-9 relative slack for float rounding). The training series must hold
at least two full periods and no NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy.optimize import minimize

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.anomaly.base import Anomaly, AnomalyDetectionStrategy

__all__ = ["HoltWinters", "HoltWintersModel", "MetricInterval", "SeriesSeasonality", "fit_holt_winters"]

# 1.96 = the two-sided 95 % quantile of the standard normal distribution (Deequ's choice).
_Z_95 = 1.96


class MetricInterval(str, Enum):
    """How often the metric is computed."""

    DAILY = "Daily"
    MONTHLY = "Monthly"


class SeriesSeasonality(str, Enum):
    """The length of the seasonal cycle."""

    WEEKLY = "Weekly"
    YEARLY = "Yearly"


_PERIODS = {
    (MetricInterval.DAILY, SeriesSeasonality.WEEKLY): 7,
    (MetricInterval.MONTHLY, SeriesSeasonality.YEARLY): 12,
}


@dataclass(frozen=True)
class HoltWintersModel:
    """A fitted model: smoothing parameters, one-step residuals and the forecasts of the interval."""

    alpha: float
    beta: float
    gamma: float
    residuals: tuple[float, ...]
    forecasts: tuple[float, ...]


def fit_holt_winters(series: list[float], period: int, horizon: int) -> HoltWintersModel:
    """Fit (α, β, γ) on ``series`` and forecast ``horizon`` points after it."""
    y = np.asarray(series, dtype=float)
    n = len(y)

    def simulate(params: np.ndarray) -> tuple[np.ndarray, float, float, list[float]]:
        alpha, beta, gamma = (float(p) for p in params)
        level = float(y[:period].mean())
        trend = float((y[period : 2 * period].mean() - y[:period].mean()) / period)
        season = [float(v) - level for v in y[:period]]
        residuals = np.empty(n)
        for t in range(n):
            obs = float(y[t])
            residuals[t] = obs - (level + trend + season[t])
            new_level = alpha * (obs - season[t]) + (1 - alpha) * (level + trend)
            new_trend = beta * (new_level - level) + (1 - beta) * trend
            season.append(gamma * (obs - level - trend) + (1 - gamma) * season[t])
            level, trend = new_level, new_trend
        return residuals, level, trend, season

    def sse(params: np.ndarray) -> float:
        return float(np.sum(simulate(params)[0] ** 2))

    best = minimize(sse, x0=np.array([0.3, 0.1, 0.1]), method="L-BFGS-B", bounds=[(0.0, 1.0)] * 3)
    params = np.clip(best.x, 0.0, 1.0)
    residuals, level, trend, season = simulate(params)
    forecasts = tuple(level + h * trend + season[n + (h - 1) % period] for h in range(1, horizon + 1))
    return HoltWintersModel(
        alpha=float(params[0]),
        beta=float(params[1]),
        gamma=float(params[2]),
        residuals=tuple(float(r) for r in residuals),
        forecasts=forecasts,
    )


class HoltWinters(AnomalyDetectionStrategy):
    """Forecast the search interval from the history before it and flag large forecast errors.

    Args:
        metrics_interval: How often the metric is computed (DAILY or MONTHLY).
        seasonality: The seasonal cycle (WEEKLY for daily metrics, YEARLY for monthly ones).

    Raises:
        InvalidArgumentError: an unsupported (interval, seasonality) pair; at detection, fewer than two
            full periods before the interval, or a NaN in them.
    """

    def __init__(
        self,
        metrics_interval: MetricInterval | str = MetricInterval.DAILY,
        seasonality: SeriesSeasonality | str = SeriesSeasonality.WEEKLY,
    ) -> None:
        try:
            interval = MetricInterval(metrics_interval)
            season = SeriesSeasonality(seasonality)
        except ValueError as exc:
            raise InvalidArgumentError(f"metrics_interval, seasonality: {exc}") from None
        if (interval, season) not in _PERIODS:
            raise InvalidArgumentError(
                f"metrics_interval, seasonality: unsupported pair ({interval.name}, {season.name}); "
                "use (DAILY, WEEKLY) or (MONTHLY, YEARLY)"
            )
        self.metrics_interval = interval
        self.seasonality = season
        self.period = _PERIODS[(interval, season)]

    def __repr__(self) -> str:
        return (
            f"HoltWinters(metrics_interval={self.metrics_interval.name}, seasonality={self.seasonality.name})"
        )

    def _detect(self, series: list[float], start: int, end: int) -> list[tuple[int, Anomaly]]:
        if not series:
            raise InvalidArgumentError("values: the series is empty")
        if start < 2 * self.period:
            raise InvalidArgumentError(
                f"search_interval: HoltWinters needs at least two full periods ({2 * self.period} points) "
                f"before the search interval, got start={start}"
            )
        training = series[:start]
        bad = [i for i, v in enumerate(training) if not math.isfinite(v)]
        if bad:
            raise InvalidArgumentError(f"values: HoltWinters needs finite history, got NaN/Infinity at {bad}")
        model = fit_holt_winters(training, self.period, end - start)
        spread = float(np.std(np.abs(model.residuals), ddof=1))
        limit = _Z_95 * spread
        out: list[tuple[int, Anomaly]] = []
        for offset, forecast in enumerate(model.forecasts):
            index = start + offset
            value = series[index]
            # A relative 1e-9 slack absorbs float rounding: on a series the model fits exactly the allowed
            # error is 0, and a rounding error of 1e-15 must not be an anomaly.
            if math.isinf(value) or abs(value - forecast) > limit + 1e-9 * max(1.0, abs(forecast)):
                detail = (
                    f"[HoltWinters]: Forecasted {forecast} for observed value {value}; "
                    f"allowed absolute error {limit}"
                )
                out.append((index, Anomaly(value, 1.0, detail)))
        return out
