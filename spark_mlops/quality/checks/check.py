"""Check: an immutable, named list of constraints with a level (Deequ's Check, snake_case).

Every builder call returns a new Check, so a base check can be extended in several directions::

    base = Check(CheckLevel.ERROR, "review check").is_complete("review_id")
    strict = base.is_unique("review_id")          # base is unchanged

A check never computes: :meth:`Check.required_analyzers` says which metrics it needs (the
VerificationSuite computes all checks' analyzers in one engine call) and :meth:`Check.evaluate` judges
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import Analyzer
from spark_mlops.quality.checks.constraints import Constraint, ConstraintResult, ConstraintStatus
from spark_mlops.quality.checks.metric_constraints import MetricConstraints
from spark_mlops.quality.checks.row_constraints import RowConstraints
from spark_mlops.quality.metrics import Metric

__all__ = ["Check", "CheckLevel", "CheckResult", "CheckStatus"]


class CheckLevel(str, Enum):
    """How bad a failed check is."""

    ERROR = "Error"
    WARNING = "Warning"


class CheckStatus(str, Enum):
    """Outcome of a check (and of a verification run: the worst of its checks)."""

    SUCCESS = "Success"
    WARNING = "Warning"
    ERROR = "Error"

    @property
    def severity(self) -> int:
        """0 for success, 1 for warning, 2 for error (to take the worst of several)."""
        return {CheckStatus.SUCCESS: 0, CheckStatus.WARNING: 1, CheckStatus.ERROR: 2}[self]


@dataclass(frozen=True)
class Check(RowConstraints, MetricConstraints):
    """A named group of constraints; it fails with its ``level`` when any constraint fails.

    Args:
        level: :class:`CheckLevel` (or ``"error"``/``"warning"``).
        description: Shown in results, e.g. ``"review check"``.
        constraints: Normally built with the methods, not passed.

    Example:
        >>> check = (Check(CheckLevel.ERROR, "reviews")
        ...     .has_size(lambda n: n >= 3_000_000)
        ...     .is_complete("review_id").is_unique("review_id")
        ...     .is_contained_in("marketplace", ["US", "UK", "DE", "JP", "FR"])
        ...     .is_non_negative("year").where("marketplace = 'US'"))
    """

    level: CheckLevel
    description: str
    constraints: tuple[Constraint, ...] = field(default=())

    def __post_init__(self) -> None:
        level = self.level
        if isinstance(level, str) and not isinstance(level, CheckLevel):
            matches = [lv for lv in CheckLevel if lv.value.lower() == level.lower()]
            if not matches:
                raise InvalidArgumentError(f"level: expected 'error' or 'warning', got {level!r}")
            object.__setattr__(self, "level", matches[0])
        elif not isinstance(level, CheckLevel):
            raise InvalidArgumentError(f"level: expected a CheckLevel, got {level!r}")
        if not isinstance(self.description, str):
            raise InvalidArgumentError(f"description: expected a string, got {self.description!r}")
        object.__setattr__(self, "constraints", tuple(self.constraints))

    def _add(self, constraint: Constraint) -> Check:
        return Check(self.level, self.description, (*self.constraints, constraint))

    def add_constraint(self, constraint: Constraint) -> Check:
        """A new check with ``constraint`` appended (for constraints built outside the vocabulary)."""
        if not isinstance(constraint, Constraint):
            raise InvalidArgumentError(f"constraint: expected a Constraint, got {constraint!r}")
        return self._add(constraint)

    def where(self, predicate: str) -> Check:
        """Restrict the constraint added last to the rows where the SQL ``predicate`` is TRUE.

        Raises:
            InvalidArgumentError: no constraint yet, or ``predicate`` is empty.
        """
        if not isinstance(predicate, str) or not predicate.strip():
            raise InvalidArgumentError(f"predicate: expected a SQL boolean expression, got {predicate!r}")
        if not self.constraints:
            raise InvalidArgumentError(
                "where: add a constraint first; where() filters the constraint added last"
            )
        *head, last = self.constraints
        return Check(self.level, self.description, (*head, last.with_where(predicate)))

    def required_analyzers(self) -> tuple[Analyzer, ...]:
        """Every analyzer the constraints need, once each, in order."""
        return tuple(dict.fromkeys(a for c in self.constraints for a in c.required_analyzers()))

    def evaluate(self, metrics: Mapping[Analyzer, Metric]) -> CheckResult:
        """Judge every constraint on ``metrics`` (the engine's output)."""
        results = tuple(c.evaluate(metrics) for c in self.constraints)
        failed = any(r.status is ConstraintStatus.FAILURE for r in results)
        if not failed:
            status = CheckStatus.SUCCESS
        else:
            status = CheckStatus.ERROR if self.level is CheckLevel.ERROR else CheckStatus.WARNING
        return CheckResult(self, status, results)

    def __repr__(self) -> str:
        return f"Check({self.level.value}, {self.description!r}, {len(self.constraints)} constraints)"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: its status and the result of each constraint, in order."""

    check: Check
    status: CheckStatus
    constraint_results: tuple[ConstraintResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {
            "check": self.check.description,
            "check_level": self.check.level.value,
            "check_status": self.status.value,
            "constraints": [r.to_dict() for r in self.constraint_results],
        }
