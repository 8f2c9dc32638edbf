"""The anomaly-strategy interface: a pure function of a number series.

Strategies follow Deequ's ``AnomalyDetectionStrategy``: ``detect(series, (start, end))`` returns the
anomalous points whose index lies in the half-open search interval ``[start, end)``, ascending, each as
``(absolute index, Anomaly)``. An ``end`` past the series is clamped; ``start > end`` is an error.
Bounds are strict everywhere: a value equal to a bound is not anomalous.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from spark_mlops.errors import InvalidArgumentError

__all__ = ["Anomaly", "AnomalyDetectionStrategy", "SearchInterval", "as_series", "resolve_interval"]

#: ``(start, end)``: half-open index range to search; ``end=None`` means "to the end of the series".
SearchInterval = tuple[int, "int | None"]


@dataclass(frozen=True)
class Anomaly:
    """One anomalous point.

    Attributes:
        value: The raw series value at the flagged index.
        confidence: Confidence of the detection (1.0 for every built-in strategy, as in Deequ).
        detail: Human-readable reason (the strategy and the bounds that were crossed).
    """

    value: float | None
    confidence: float = 1.0
    detail: str | None = None


def as_series(values: Sequence[float | int | None]) -> list[float]:
    """The series as floats; ``None`` becomes NaN (a point that is never flagged)."""
    out: list[float] = []
    for i, v in enumerate(values):
        if v is None:
            out.append(math.nan)
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InvalidArgumentError(f"values: expected numbers, got {v!r} at index {i}")
        out.append(float(v))
    return out


def resolve_interval(search_interval: SearchInterval | None, length: int) -> tuple[int, int]:
    """Validate ``(start, end)`` and clamp ``end`` to the series length.

    Raises:
        InvalidArgumentError: a negative start, or start > end.
    """
    if search_interval is None:
        return 0, length
    try:
        start, end = search_interval
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"search_interval: expected a (start, end) pair, got {search_interval!r}"
        ) from None
    if end is None:
        end = length
    if isinstance(start, bool) or not isinstance(start, int) or not isinstance(end, int):
        raise InvalidArgumentError(f"search_interval: expected integer indices, got {search_interval!r}")
    if start < 0:
        raise InvalidArgumentError(f"search_interval: start must be >= 0, got {start}")
    if start > end:
        raise InvalidArgumentError(
            f"search_interval: the start ({start}) cannot be larger than the end ({end})"
        )
    return start, min(end, length)


def check_factor(name: str, value: float | None) -> None:
    """A deviation factor or rate must be a finite number (or None); raise naming it otherwise."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise InvalidArgumentError(f"{name}: expected a number or None, got {value!r}")


class AnomalyDetectionStrategy(ABC):
    """Base class: a strategy decides which points of a metric series are anomalous."""

    def detect(
        self, values: Sequence[float | int | None], search_interval: SearchInterval | None = None
    ) -> list[tuple[int, Anomaly]]:
        """Find the anomalies among the points with index in ``[start, end)``.

        Args:
            values: The metric series, oldest first (``None`` is treated as NaN).
            search_interval: ``(start, end)`` half-open; default the whole series. ``end`` past the
                series is clamped.

        Returns:
            ``(index, Anomaly)`` pairs, ascending by index.

        Raises:
            InvalidArgumentError: start > end, a negative start, or a series the strategy cannot use.
        """
        series = as_series(values)
        start, end = resolve_interval(search_interval, len(series))
        return self._detect(series, start, end)

    @abstractmethod
    def _detect(self, series: list[float], start: int, end: int) -> list[tuple[int, Anomaly]]:
        """Subclass hook: ``end`` is already clamped and ``start <= end``."""


def fmt_bound(value: float | None, default: float) -> str:
    """A bound for a detail message: a missing bound reads as ±Infinity."""
    return str(default if value is None else float(value))
