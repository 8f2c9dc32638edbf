"""Row-count analyzers: Size, Completeness, Compliance, PatternMatch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from spark_mlops.quality.analyzers.base import (
    ScanShareableAnalyzer,
    column,
    has_column,
    in_scope,
    is_string,
    normalize_columns,
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

    def aggregations(self, schema: StructType) -> list[Column]:
        return [F.count_if(in_scope(self.where))]

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

    def aggregations(self, schema: StructType) -> list[Column]:
        scoped = in_scope(self.where)
        return [F.count_if(scoped & column(self.column).isNotNull()), F.count_if(scoped)]

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

    def aggregations(self, schema: StructType) -> list[Column]:
        scoped = in_scope(self.where)
        predicate = F.expr(self.predicate)
        return [
            F.count_if(scoped & F.coalesce(predicate, F.lit(False))),
            F.count_if(scoped),
            F.count_if(scoped & predicate.isNotNull()),
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

    def aggregations(self, schema: StructType) -> list[Column]:
        scoped = in_scope(self.where)
        matches = F.coalesce(column(self.column).rlike(self.pattern), F.lit(False))
        return [F.count_if(scoped & matches), F.count_if(scoped)]

    def state_from_row(self, values: Sequence[Any]) -> NumMatchesAndCount:
        return NumMatchesAndCount(int(values[0] or 0), int(values[1] or 0))

    def _metric_value(self, state: NumMatchesAndCount) -> float | None:
        return state.num_matches / state.count if state.count else None
