"""OnlineNormalStrategy: running mean and deviation, Deequ's ``OnlineNormalStrategy``.

For each point the running mean and *population* variance are updated with the point itself
(Welford's algorithm: ``mean_n = mean_{n-1} + (x - mean_{n-1}) / n``,
``S_n = S_{n-1} + (x - mean_{n-1})(x - mean_n)``, ``var_n = S_n / n``), then the point is anomalous when
it lies strictly outside ``[mean - lower·std, mean + upper·std]``. Points with index below
``len(series) × ignore_start_percentage`` are never flagged (the statistics are still warming up). With
``ignore_anomalies`` the statistics are restored to their value before a flagged point, so an outlier does
not widen the band for the points after it.

Deliberate differences from Deequ (documented in docs/repository.md): a missing factor means "unbounded
on that side" even when the deviation is 0 (Deequ multiplies ``Double.MaxValue`` by the deviation, which
gives a bound at the mean when the deviation is 0), and a NaN point is skipped — never flagged and kept
out of the statistics — instead of turning every later mean into NaN and silently disabling detection.
"""

from __future__ import annotations

import math

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.anomaly.base import Anomaly, AnomalyDetectionStrategy, check_factor

__all__ = ["OnlineNormalStrategy"]


def check_factors(lower: float | None, upper: float | None) -> None:
    """Shared validation of the two deviation factors of the normal strategies."""
    check_factor("lower_deviation_factor", lower)
    check_factor("upper_deviation_factor", upper)
    if lower is None and upper is None:
        raise InvalidArgumentError(
            "lower_deviation_factor, upper_deviation_factor: at least one factor must be given"
        )
    for name, value in (("lower_deviation_factor", lower), ("upper_deviation_factor", upper)):
        if value is not None and value < 0:
            raise InvalidArgumentError(f"{name}: factors cannot be smaller than zero, got {value}")


def band(mean: float, std: float, lower: float | None, upper: float | None) -> tuple[float, float]:
    """``(mean - lower·std, mean + upper·std)``; a missing factor gives an infinite bound."""
    low = -math.inf if lower is None else mean - lower * std
    high = math.inf if upper is None else mean + upper * std
    return low, high


class OnlineNormalStrategy(AnomalyDetectionStrategy):
    """Flag points far from the running mean, in running standard deviations.

    Args:
        lower_deviation_factor: Allowed deviations below the mean; None = unbounded below.
        upper_deviation_factor: Allowed deviations above the mean; None = unbounded above.
        ignore_start_percentage: Share of the series (from its start) never flagged, in [0, 1].
        ignore_anomalies: Keep flagged points out of the running statistics.

    Raises:
        InvalidArgumentError: both factors missing, a negative factor, or a percentage outside [0, 1].
    """

    def __init__(
        self,
        lower_deviation_factor: float | None = 3.0,
        upper_deviation_factor: float | None = 3.0,
        ignore_start_percentage: float = 0.1,
        ignore_anomalies: bool = True,
    ) -> None:
        check_factors(lower_deviation_factor, upper_deviation_factor)
        check_factor("ignore_start_percentage", ignore_start_percentage)
        if not 0.0 <= ignore_start_percentage <= 1.0:
            raise InvalidArgumentError(
                f"ignore_start_percentage: expected a share in [0, 1], got {ignore_start_percentage}"
            )
        self.lower_deviation_factor = lower_deviation_factor
        self.upper_deviation_factor = upper_deviation_factor
        self.ignore_start_percentage = float(ignore_start_percentage)
        self.ignore_anomalies = bool(ignore_anomalies)

    def __repr__(self) -> str:
        return (
            f"OnlineNormalStrategy(lower_deviation_factor={self.lower_deviation_factor}, "
            f"upper_deviation_factor={self.upper_deviation_factor}, "
            f"ignore_start_percentage={self.ignore_start_percentage}, "
            f"ignore_anomalies={self.ignore_anomalies})"
        )

    def _detect(self, series: list[float], start: int, end: int) -> list[tuple[int, Anomaly]]:
        skip = len(series) * self.ignore_start_percentage
        mean, s_n, n = 0.0, 0.0, 0
        out: list[tuple[int, Anomaly]] = []
        for index, value in enumerate(series[:end]):
            if math.isnan(value):
                continue
            last = (mean, s_n, n)
            n += 1
            mean = value if n == 1 else mean + (value - mean) / n
            s_n += (value - last[0]) * (value - mean) if n > 1 else 0.0
            std = math.sqrt(s_n / n)
            if index < skip or index < start:
                continue
            low, high = band(mean, std, self.lower_deviation_factor, self.upper_deviation_factor)
            if math.isinf(value) or value < low or value > high:
                detail = f"[OnlineNormalStrategy]: Value {value} is not in bounds [{low}, {high}]."
                out.append((index, Anomaly(value, 1.0, detail)))
                if self.ignore_anomalies:
                    mean, s_n, n = last
        return out
