"""The sample standard deviation GE's ``expect_column_stdev_to_be_between`` bounds (``stddev_samp``,
ddof = 1), from the same mergeable state as our population :class:`StandardDeviation`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from spark_mlops.quality.analyzers import StandardDeviation, StandardDeviationState

__all__ = ["SampleStandardDeviation"]


@dataclass(frozen=True)
class SampleStandardDeviation(StandardDeviation):
    """Sample standard deviation of the non-NULL values: ``sqrt(M2 / (n - 1))``.

    Fewer than two values is the "empty state" failure (Spark's ``stddev_samp`` is NULL there).
    """

    name: ClassVar[str] = "SampleStandardDeviation"

    def _metric_value(self, state: StandardDeviationState) -> float | None:
        return math.sqrt(state.m2 / (state.n - 1)) if state.n > 1 else None
