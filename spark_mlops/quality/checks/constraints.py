"""Constraints: an analyzer, an assertion on its metric, a hint — they read metrics, never compute.

A constraint evaluates against the metrics of one engine run. Its message has Deequ's shape:
``"Value: <v> does not meet the constraint requirement!"`` (plus the hint); a constraint on a failed
metric fails with the metric's message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from spark_mlops.quality.analyzers import Analyzer, Size
from spark_mlops.quality.analyzers.base import column as column_ref
from spark_mlops.quality.analyzers.base import in_scope
from spark_mlops.quality.metrics import Metric, MetricValue

__all__ = ["Constraint", "ConstraintResult", "ConstraintStatus", "RowLevel"]

log = logging.getLogger(__name__)

#: Deequ's message when the metric a constraint needs was not computed.
MISSING_ANALYSIS = "Missing Analysis, can't run the constraint!"


class ConstraintStatus(str, Enum):
    """Outcome of one constraint."""

    SUCCESS = "Success"
    FAILURE = "Failure"


def _identity(value: MetricValue) -> Any:
    return value


@dataclass(frozen=True)
class RowLevel:
    """How a constraint judges a single row (for row-level results and quarantine).

    Exactly one of ``condition`` (a boolean column per row; NULL counts as a violation) and
    ``unique_columns`` (the row's group over these columns must occur once) is set.
    """

    condition: Callable[[], Column] | None = None
    unique_columns: tuple[str, ...] = ()

    def outcome(self, df: DataFrame, where: str | None) -> Column:
        """TRUE when the row passes. Rows outside ``where`` pass (nothing to violate)."""
        scoped = in_scope(where)
        if self.condition is not None:
            return F.when(scoped, F.coalesce(self.condition(), F.lit(False))).otherwise(F.lit(True))
        cols = [column_ref(c) for c in self.unique_columns]
        # Count in-scope rows of the same group; rows whose grouping columns are all NULL are not
        # grouped by the Uniqueness metric, so they cannot violate it.
        count = F.sum(F.when(scoped, F.lit(1)).otherwise(F.lit(0))).over(Window.partitionBy(*cols))
        all_null = F.lit(True)
        for c in cols:
            all_null = all_null & c.isNull()
        return F.when(~scoped | all_null, F.lit(True)).otherwise(count == 1)


@dataclass(frozen=True, eq=False)
class Constraint:
    """One constraint of a :class:`~spark_mlops.quality.checks.Check`.

    Attributes:
        kind: Deequ's constraint noun (``"Completeness"``), used in :attr:`name`.
        analyzer: The analyzer whose metric is asserted on.
        assertion: Called with the picked metric value; truthy = success.
        hint: Appended to the failure message.
        label: Short, Delta-safe name used for row-level result columns (``is_complete_review_id``).
        pick: Turns the metric value into the value asserted on (e.g. a ratio out of type counts).
        row_level: How a single row is judged, or None when the constraint is about the whole dataset.
        empty_where_succeeds: With a ``where`` that selects no rows, succeed although the metric fails
            (has_min, has_max, is_complete, satisfies: nothing violates them).
    """

    kind: str
    analyzer: Analyzer
    assertion: Callable[[Any], bool]
    label: str
    hint: str | None = None
    pick: Callable[[MetricValue], Any] = field(default=_identity, repr=False)
    row_level: RowLevel | None = field(default=None, repr=False)
    empty_where_succeeds: bool = False

    @property
    def name(self) -> str:
        """Deequ-shaped description, e.g. ``CompletenessConstraint(Completeness(review_id,None))``."""
        spec = self.analyzer.spec()
        parts = [_render(v) for k, v in spec.items() if k != "type"]
        return f"{self.kind}Constraint({self.analyzer.name}({','.join(parts)}))"

    def __str__(self) -> str:
        return self.name

    def required_analyzers(self) -> tuple[Analyzer, ...]:
        """The analyzer plus, when a ``where`` may select nothing, the Size of that ``where``."""
        if self.empty_where_succeeds and self.analyzer.where is not None:
            return (self.analyzer, Size(where=self.analyzer.where))
        return (self.analyzer,)

    def with_where(self, where: str) -> Constraint:
        """The same constraint on the rows where the SQL predicate ``where`` is TRUE."""
        spec = self.analyzer.spec()
        spec["where"] = where
        return Constraint(
            kind=self.kind,
            analyzer=Analyzer.from_spec(spec),
            assertion=self.assertion,
            label=self.label,
            hint=self.hint,
            pick=self.pick,
            row_level=self.row_level,
            empty_where_succeeds=self.empty_where_succeeds,
        )

    def evaluate(self, metrics: Mapping[Analyzer, Metric]) -> ConstraintResult:
        """Judge the metric of :attr:`analyzer` in ``metrics``."""
        metric = metrics.get(self.analyzer)
        if metric is None:
            return self._result(ConstraintStatus.FAILURE, MISSING_ANALYSIS, None)
        if not metric.is_success:
            if self._where_selected_nothing(metrics):
                return self._result(ConstraintStatus.SUCCESS, None, metric)
            return self._result(ConstraintStatus.FAILURE, metric.failure, metric)
        assert metric.value is not None
        try:
            value = self.pick(metric.value)
        except Exception as exc:  # noqa: BLE001 - a user-facing failure, not a crash
            return self._result(
                ConstraintStatus.FAILURE, f"Can't retrieve the value to assert on: {exc}", metric
            )
        try:
            passed = bool(self.assertion(value))
        except Exception as exc:  # noqa: BLE001 - a raising user assertion fails the constraint
            return self._result(ConstraintStatus.FAILURE, f"Can't execute the assertion: {exc}!", metric)
        if passed:
            return self._result(ConstraintStatus.SUCCESS, None, metric)
        message = f"Value: {_render(value)} does not meet the constraint requirement!"
        if self.hint:
            message += f" {self.hint}"
        return self._result(ConstraintStatus.FAILURE, message, metric)

    def _where_selected_nothing(self, metrics: Mapping[Analyzer, Metric]) -> bool:
        if not self.empty_where_succeeds or self.analyzer.where is None:
            return False
        size = metrics.get(Size(where=self.analyzer.where))
        return size is not None and size.is_success and size.value == 0

    def _result(
        self, status: ConstraintStatus, message: str | None, metric: Metric | None
    ) -> ConstraintResult:
        return ConstraintResult(self, status, message, metric)


def _render(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class ConstraintResult:
    """The outcome of one constraint: status, message (None on success) and the metric it read."""

    constraint: Constraint
    status: ConstraintStatus
    message: str | None = None
    metric: Metric | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {
            "constraint": self.constraint.name,
            "constraint_status": self.status.value,
            "constraint_message": self.message or "",
            "metric": None if self.metric is None else self.metric.to_dict(),
        }
