"""Shared plumbing of the Check vocabulary: argument checks and labels (SQL literals: :mod:`.sql`)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.checks.assertions import is_one
from spark_mlops.quality.checks.constraints import Constraint

if TYPE_CHECKING:
    from spark_mlops.quality.checks.check import Check

__all__ = ["ConstraintBuilder"]


# Characters Delta rejects in column names (without column mapping): labels become row-level columns.
_NOT_IN_DELTA_NAMES = re.compile(r"[ ,;{}()\n\t=]+")


class ConstraintBuilder(ABC):
    """Base of the vocabulary mixins: each method builds a Constraint and returns ``self._add(it)``."""

    @abstractmethod
    def _add(self, constraint: Constraint) -> Check:
        """A new builder with ``constraint`` appended."""


def label(method: str, *parts: str) -> str:
    """A short, Delta-safe name for row-level result columns, e.g. ``is_complete_review_id``."""
    text = "_".join((method, *parts))
    return _NOT_IN_DELTA_NAMES.sub("_", text).strip("_") or method


def column_arg(value: Any, argument: str = "column") -> str:
    """Validated column name."""
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(f"{argument}: expected a non-empty column name, got {value!r}")
    return value


def columns_arg(value: Any, argument: str = "columns") -> tuple[str, ...]:
    """Validated non-empty tuple of column names (a single str is one column)."""
    cols = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, Sequence) else None
    if not cols or not all(isinstance(c, str) and c for c in cols):
        raise InvalidArgumentError(
            f"{argument}: expected a column name or a non-empty list of names, got {value!r}"
        )
    return cols


def assertion_arg(value: Any, default_one: bool = False) -> Callable[[Any], bool]:
    """The assertion, or ``== 1.0`` for ratio constraints when none is given."""
    if value is None:
        if default_one:
            return is_one()
        raise InvalidArgumentError("assertion: this constraint needs an assertion callable, got None")
    if not callable(value):
        raise InvalidArgumentError(f"assertion: expected a callable returning bool, got {value!r}")
    return value


def hint_arg(value: Any) -> str | None:
    """Validated hint."""
    if value is not None and not isinstance(value, str):
        raise InvalidArgumentError(f"hint: expected a string or None, got {value!r}")
    return value


def number_arg(value: Any, argument: str) -> float:
    """Validated finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise InvalidArgumentError(f"{argument}: expected a number, got {value!r}")
    return float(value)
