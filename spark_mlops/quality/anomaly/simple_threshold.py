"""SimpleThresholdStrategy: flag values outside fixed bounds (Deequ's ``SimpleThresholdStrategy``)."""

from __future__ import annotations

import math

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.anomaly.base import Anomaly, AnomalyDetectionStrategy, check_factor

__all__ = ["SimpleThresholdStrategy"]


class SimpleThresholdStrategy(AnomalyDetectionStrategy):
    """Flag every value strictly below ``lower_bound`` or strictly above ``upper_bound``.

    Args:
        lower_bound: Lowest normal value; None = unbounded below (``-Infinity`` is still flagged).
        upper_bound: Highest normal value; None = unbounded above (``+Infinity`` is still flagged).

    Raises:
        InvalidArgumentError: both bounds missing, or lower_bound > upper_bound.

    Example:
        >>> [i for i, _ in SimpleThresholdStrategy(upper_bound=1.0).detect([0.5, 1.0, 1.5])]
        [2]
    """

    def __init__(self, lower_bound: float | None = None, upper_bound: float | None = None) -> None:
        check_factor("lower_bound", lower_bound)
        check_factor("upper_bound", upper_bound)
        if lower_bound is None and upper_bound is None:
            raise InvalidArgumentError("lower_bound, upper_bound: at least one bound must be given")
        if lower_bound is not None and upper_bound is not None and lower_bound > upper_bound:
            raise InvalidArgumentError(
                f"lower_bound ({lower_bound}) must be smaller than or equal to upper_bound ({upper_bound})"
            )
        self.lower_bound = None if lower_bound is None else float(lower_bound)
        self.upper_bound = None if upper_bound is None else float(upper_bound)

    def __repr__(self) -> str:
        return f"SimpleThresholdStrategy(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"

    def _detect(self, series: list[float], start: int, end: int) -> list[tuple[int, Anomaly]]:
        low = -math.inf if self.lower_bound is None else self.lower_bound
        high = math.inf if self.upper_bound is None else self.upper_bound
        out: list[tuple[int, Anomaly]] = []
        for index in range(start, end):
            value = series[index]
            if math.isinf(value) or value < low or value > high:
                detail = f"[SimpleThresholdStrategy]: Value {value} is not in bounds [{low}, {high}]"
                out.append((index, Anomaly(value, 1.0, detail)))
        return out
