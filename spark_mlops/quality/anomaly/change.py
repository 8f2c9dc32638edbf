"""Change strategies: flag a point whose change against earlier points leaves the allowed range.

* :class:`AbsoluteChangeStrategy` — the ``order``-th discrete difference (recursive:
  ``d1[i] = x[i] - x[i-1]``, ``dk = d1(d(k-1))``), Deequ's ``AbsoluteChangeStrategy``.
* :class:`RelativeRateOfChangeStrategy` — the ratio ``x[i] / x[i-order]`` (not recursive), Deequ's
  ``RelativeRateOfChangeStrategy``; ``x/0`` is ±Infinity (flagged), ``0/0`` is NaN (never flagged).

The first ``order`` points of the series cannot be flagged (nothing to compare with); a point near the
start of the search interval is compared with the history before the interval.
"""

from __future__ import annotations

import itertools
import math
from abc import abstractmethod

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.anomaly.base import Anomaly, AnomalyDetectionStrategy, check_factor

__all__ = ["AbsoluteChangeStrategy", "RelativeRateOfChangeStrategy"]


class _ChangeStrategy(AnomalyDetectionStrategy):
    _label = "ChangeStrategy"
    _min_order = 0

    def __init__(
        self,
        max_rate_decrease: float | None = None,
        max_rate_increase: float | None = None,
        order: int = 1,
    ) -> None:
        check_factor("max_rate_decrease", max_rate_decrease)
        check_factor("max_rate_increase", max_rate_increase)
        if max_rate_decrease is None and max_rate_increase is None:
            raise InvalidArgumentError(
                "max_rate_decrease, max_rate_increase: at least one of the two limits must be given"
            )
        if (
            max_rate_decrease is not None
            and max_rate_increase is not None
            and max_rate_decrease > max_rate_increase
        ):
            raise InvalidArgumentError(
                f"max_rate_decrease ({max_rate_decrease}) must not be larger than "
                f"max_rate_increase ({max_rate_increase})"
            )
        if isinstance(order, bool) or not isinstance(order, int) or order < self._min_order:
            raise InvalidArgumentError(f"order: expected an integer >= {self._min_order}, got {order!r}")
        self.max_rate_decrease = None if max_rate_decrease is None else float(max_rate_decrease)
        self.max_rate_increase = None if max_rate_increase is None else float(max_rate_increase)
        self.order = order

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(max_rate_decrease={self.max_rate_decrease}, "
            f"max_rate_increase={self.max_rate_increase}, order={self.order})"
        )

    @abstractmethod
    def _changes(self, window: list[float]) -> list[float]:
        """The change of each point of ``window`` after its first ``order`` points."""

    def _out_of_bounds(self, change: float) -> bool:
        # Strict comparisons; NaN compares False everywhere, so 0/0 is never flagged. A missing limit is
        # unbounded, but ±Infinity is still flagged (Deequ compares against ±Double.MaxValue).
        if math.isinf(change):
            return True
        low = -math.inf if self.max_rate_decrease is None else self.max_rate_decrease
        high = math.inf if self.max_rate_increase is None else self.max_rate_increase
        return change < low or change > high

    def _detect(self, series: list[float], start: int, end: int) -> list[tuple[int, Anomaly]]:
        first = max(start - self.order, 0)
        window = series[first:end]
        low = "-Infinity" if self.max_rate_decrease is None else str(self.max_rate_decrease)
        high = "Infinity" if self.max_rate_increase is None else str(self.max_rate_increase)
        out: list[tuple[int, Anomaly]] = []
        for offset, change in enumerate(self._changes(window)):
            index = first + self.order + offset
            if index < start or not self._out_of_bounds(change):
                continue
            detail = (
                f"[{self._label}]: Change of {change} is not in bounds [{low}, {high}]. Order={self.order}"
            )
            out.append((index, Anomaly(series[index], 1.0, detail)))
        return out


class AbsoluteChangeStrategy(_ChangeStrategy):
    """Flag points whose ``order``-th discrete difference leaves ``[max_rate_decrease, max_rate_increase]``.

    Args:
        max_rate_decrease: Lowest allowed change (e.g. ``-100.0``); None = unbounded below.
        max_rate_increase: Highest allowed change; None = unbounded above.
        order: Order of the difference (0 compares the raw values, 1 the day-over-day change, ...).

    Raises:
        InvalidArgumentError: both limits missing, decrease > increase, or a negative order.

    Example:
        >>> AbsoluteChangeStrategy(-2.0, 2.0).detect([1, 2, 3, 9, 10])
        [(3, Anomaly(value=9.0, confidence=1.0, detail='[AbsoluteChangeStrategy]: ...'))]
    """

    _label = "AbsoluteChangeStrategy"
    _min_order = 0

    def _changes(self, window: list[float]) -> list[float]:
        values = window
        for _ in range(self.order):
            values = [b - a for a, b in itertools.pairwise(values)]
        return values


class RelativeRateOfChangeStrategy(_ChangeStrategy):
    """Flag points whose ratio ``x[i] / x[i-order]`` is outside ``[max_rate_decrease, max_rate_increase]``.

    ``RelativeRateOfChangeStrategy(max_rate_increase=2.0)`` alerts when a metric more than doubles.

    Args:
        max_rate_decrease: Lowest allowed ratio (e.g. ``0.5``: alert when it more than halves).
        max_rate_increase: Highest allowed ratio.
        order: Distance of the compared point (1 = previous point); must be >= 1.

    Raises:
        InvalidArgumentError: both limits missing, decrease > increase, or order < 1.
    """

    _label = "RelativeRateOfChangeStrategy"
    _min_order = 1

    def _changes(self, window: list[float]) -> list[float]:
        return [_ratio(b, a) for a, b in zip(window, window[self.order :], strict=False)]


def _ratio(numerator: float, denominator: float) -> float:
    # IEEE semantics as in Deequ (breeze vector division): x/0 = ±Infinity, 0/0 = NaN.
    if denominator == 0.0:
        if numerator == 0.0 or math.isnan(numerator):
            return math.nan
        return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)
    return numerator / denominator
