"""Row-count analyzers: Size, Completeness, Compliance, PatternMatch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pyspark.sql.types import StructType

from spark_mlops.quality.analyzers.base import (
    ScanShareableAnalyzer,
    has_column,
    is_string,
    normalize_columns,
    sql_column,
    sql_in_scope,
    sql_string,
)
from spark_mlops.quality.analyzers.states import ComplianceState, NumMatches, NumMatchesAndCount
from spark_mlops.quality.metrics import Entity

__all__ = ["Completeness", "Compliance", "PatternMatch", "Size"]


@dataclass(frozen=True)
class Size(ScanShareableAnalyzer):
    """Number of rows (with ``where``: rows where it is TRUE). An empty input has size 0.0."""

    where: str | None = None
    name: ClassVar[str] = "Size"

    @property
    def entity(self) -> Entity:
        return Entity.DATASET

    @property
    def instance(self) -> str:
        return "*"

    def aggregations(self, schema: StructType) -> list[str]:
        return [f"count_if({sql_in_scope(self.where)})"]

    def state_from_row(self, values: Sequence[Any]) -> NumMatches:
        return NumMatches(int(values[0] or 0))

    def _metric_value(self, state: NumMatches) -> float:
        return float(state.num_matches)


@dataclass(frozen=True)
class Completeness(ScanShareableAnalyzer):
    """Share of rows in scope where ``column`` is not NULL (all-NULL → 0.0; no rows → failure)."""

    column: str
    where: str | None = None
    name: ClassVar[str] = "Completeness"

    @property
    def instance(self) -> str:
        return self.column

    def preconditions(self, schema: StructType) -> str | None:
        return has_column(schema, self.column)

    def aggregations(self, schema: StructType) -> list[str]:
        scoped = sql_in_scope(self.where)
        return [f"count_if({scoped} AND {sql_column(self.column)} IS NOT NULL)", f"count_if({scoped})"]

    def state_from_row(self, values: Sequence[Any]) -> NumMatchesAndCount:
        return NumMatchesAndCount(int(values[0] or 0), int(values[1] or 0))

    def _metric_value(self, state: NumMatchesAndCount) -> float | None:
        return state.num_matches / state.count if state.count else None


@dataclass(frozen=True)
class Compliance(ScanShareableAnalyzer):
    """Share of rows in scope where the SQL ``predicate`` is TRUE.

    A NULL predicate result is a non-match that stays in the denominator; when the predicate is NULL
    on every row in scope, or no row is in scope, the metric is a failure (Deequ).

    Args:
        instance: Name of the metric instance (e.g. the constraint's description).
        predicate: A SQL boolean expression, e.g. ``"`total votes` BETWEEN 30 AND 300"``.
        where: Optional SQL filter of the rows in scope.
        columns: Columns the predicate needs; a missing one is reported as a missing column.
    """

    instance_name: str
    predicate: str
    where: str | None = None
    columns: tuple[str, ...] = ()

    name: ClassVar[str] = "Compliance"

    def __init__(
        self, instance: str, predicate: str, where: str | None = None, columns: str | Sequence[str] = ()
    ) -> None:
        object.__setattr__(self, "instance_name", instance)
        object.__setattr__(self, "predicate", predicate)
        object.__setattr__(self, "where", where)
        object.__setattr__(self, "columns", normalize_columns(columns) if columns else ())

    @property
    def instance(self) -> str:
        return self.instance_name

    def spec(self) -> dict[str, Any]:
        return {
            "type": "Compliance",
            "instance": self.instance_name,
            "predicate": self.predicate,
            "where": self.where,
            "columns": list(self.columns),
        }

    def preconditions(self, schema: StructType) -> str | None:
        for name in self.columns:
            missing = has_column(schema, name)
            if missing:
                return missing
        return None

    def aggregations(self, schema: StructType) -> list[str]:
        scoped = sql_in_scope(self.where)
        predicate = f"(\n{self.predicate}\n)"  # own lines: a trailing -- comment ends there
        return [
            f"count_if({scoped} AND coalesce({predicate}, false))",
            f"count_if({scoped})",
            f"count_if({scoped} AND {predicate} IS NOT NULL)",
        ]

    def state_from_row(self, values: Sequence[Any]) -> ComplianceState:
        return ComplianceState(int(values[0] or 0), int(values[1] or 0), int(values[2] or 0))

    def _metric_value(self, state: ComplianceState) -> float | None:
        if state.count == 0 or state.num_evaluated == 0:
            return None
        return state.num_matches / state.count


@dataclass(frozen=True)
class PatternMatch(ScanShareableAnalyzer):
    """Share of rows in scope whose string value contains a match of the Java regex ``pattern``.

    *Find* semantics (a match anywhere, as ``rlike``); NULL is a non-match; no rows → failure.
    """

    column: str
    pattern: str
    where: str | None = None
    name: ClassVar[str] = "PatternMatch"

    @property
    def instance(self) -> str:
        return self.column

    def preconditions(self, schema: StructType) -> str | None:
        return is_string(schema, self.column)

    def aggregations(self, schema: StructType) -> list[str]:
        scoped = sql_in_scope(self.where)
        matches = f"coalesce({sql_column(self.column)} RLIKE {sql_string(self.pattern)}, false)"
        return [f"count_if({scoped} AND {matches})", f"count_if({scoped})"]

    def state_from_row(self, values: Sequence[Any]) -> NumMatchesAndCount:
        return NumMatchesAndCount(int(values[0] or 0), int(values[1] or 0))

    def _metric_value(self, state: NumMatchesAndCount) -> float | None:
        return state.num_matches / state.count if state.count else None
