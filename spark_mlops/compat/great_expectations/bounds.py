"""The assertion of a converted expectation: GE's bounds (inclusive unless strict, None = unbounded),
carrying the expectation it came from so :func:`to_expectation_suite` can give it back unchanged."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ExpectationBounds"]


@dataclass(frozen=True)
class ExpectationBounds:
    """``min_value <(=) value <(=) max_value`` as Great Expectations reads it.

    A missing bound is unbounded; ``strict_*`` make a bound exclusive. NaN or a non-number never
    passes (GE fails a NaN metric too).

    Attributes:
        expectation: The GE expectation configuration (``{"type", "kwargs", ...}``) this came from.
    """

    min_value: float | None = None
    max_value: float | None = None
    strict_min: bool = False
    strict_max: bool = False
    expectation: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def __call__(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            return False
        if self.min_value is not None and (
            value <= self.min_value if self.strict_min else value < self.min_value
        ):
            return False
        return not (
            self.max_value is not None
            and (value >= self.max_value if self.strict_max else value > self.max_value)
        )

    def __repr__(self) -> str:
        parts = []
        if self.min_value is not None:
            parts.append(f"{'>' if self.strict_min else '>='} {self.min_value!r}")
        if self.max_value is not None:
            parts.append(f"{'<' if self.strict_max else '<='} {self.max_value!r}")
        return " and ".join(parts) or "any value"
