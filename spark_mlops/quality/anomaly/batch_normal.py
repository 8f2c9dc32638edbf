"""BatchNormalStrategy: mean and deviation of the history, Deequ's ``BatchNormalStrategy``.

The mean and the *sample* standard deviation (``n - 1`` denominator, as breeze's ``meanAndVariance``
that Deequ uses) are computed over the points outside the search interval (or over all points with
``include_interval=True``); a point in the interval is anomalous when it lies strictly outside
``[mean - lower·std, mean + upper·std]``. NaN points are left out of the statistics and never flagged.
A single remaining point has a deviation of 0.
"""

from __future__ import annotations

import math

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.anomaly.base import Anomaly, AnomalyDetectionStrategy
from spark_mlops.quality.anomaly.online_normal import band, check_factors

__all__ = ["BatchNormalStrategy"]


class BatchNormalStrategy(AnomalyDetectionStrategy):
    """Flag points of the search interval far from the mean of the other points.

    Args:
        lower_deviation_factor: Allowed sample deviations below the mean; None = unbounded below.
        upper_deviation_factor: Allowed sample deviations above the mean; None = unbounded above.
        include_interval: Also use the points of the search interval for the statistics.

    Raises:
        InvalidArgumentError: both factors missing or a negative factor (at construction); at
            detection, no (non-NaN) point left to compute the statistics from.
    """

    def __init__(
        self,
        lower_deviation_factor: float | None = 3.0,
        upper_deviation_factor: float | None = 3.0,
        include_interval: bool = False,
    ) -> None:
        check_factors(lower_deviation_factor, upper_deviation_factor)
        self.lower_deviation_factor = lower_deviation_factor
        self.upper_deviation_factor = upper_deviation_factor
        self.include_interval = bool(include_interval)

    def __repr__(self) -> str:
        return (
            f"BatchNormalStrategy(lower_deviation_factor={self.lower_deviation_factor}, "
            f"upper_deviation_factor={self.upper_deviation_factor}, include_interval={self.include_interval})"
        )

    def _detect(self, series: list[float], start: int, end: int) -> list[tuple[int, Anomaly]]:
        if not series:
            raise InvalidArgumentError("values: the series is empty; cannot compute a mean and deviation")
        reference = series if self.include_interval else series[:start] + series[end:]
        reference = [v for v in reference if not math.isnan(v)]
        if not reference:
            raise InvalidArgumentError(
                f"search_interval: no (non-NaN) value is left outside [{start}, {end}) to compute the "
                "mean and deviation from; pass include_interval=True or a shorter interval"
            )
        n = len(reference)
        mean = math.fsum(reference) / n
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in reference) / (n - 1)) if n > 1 else 0.0
        low, high = band(mean, std, self.lower_deviation_factor, self.upper_deviation_factor)
        out: list[tuple[int, Anomaly]] = []
        for index in range(start, end):
            value = series[index]
            if math.isinf(value) or value < low or value > high:
                detail = f"[BatchNormalStrategy]: Value {value} is not in bounds [{low}, {high}]."
                out.append((index, Anomaly(value, 1.0, detail)))
        return out
