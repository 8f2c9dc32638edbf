"""Numeric and length analyzers: Mean, Sum, Minimum, Maximum, StandardDeviation, MinLength, MaxLength,
Correlation.

NULLs are ignored; when no value is left the metric is Deequ's "empty state" failure (never 0 or NaN).
NaN is a value, as in Spark (it propagates into Mean/Sum/StandardDeviation and is the largest value).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pyspark.sql.types import StructType

from spark_mlops.quality.analyzers.base import (
    ScanShareableAnalyzer,
    is_numeric,
    is_string,
    sql_column,
    sql_in_scope,
    sql_scope,
)
from spark_mlops.quality.analyzers.states import (
    CorrelationState,
    MaxState,
    MeanState,
    MinState,
    StandardDeviationState,
    SumState,
)
from spark_mlops.quality.metrics import Entity

__all__ = [
    "Correlation",
    "MaxLength",
    "Maximum",
    "Mean",
    "MinLength",
    "Minimum",
    "StandardDeviation",
    "Sum",
]


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class _NumericColumn(ScanShareableAnalyzer):
    column: str
    where: str | None = None

    @property
    def instance(self) -> str:
        return self.column

    def preconditions(self, schema: StructType) -> str | None:
        return is_numeric(schema, self.column)

    def _values(self) -> str:
        # Decimals and integers as doubles: states stay plain floats and merge without overflow.
        return sql_scope(f"CAST({sql_column(self.column)} AS DOUBLE)", self.where)


@dataclass(frozen=True)
class Mean(_NumericColumn):
    """Mean of the non-NULL values."""

    name: ClassVar[str] = "Mean"

    def aggregations(self, schema: StructType) -> list[str]:
        values = self._values()
        return [f"sum({values})", f"count({values})"]

    def state_from_row(self, values: Sequence[Any]) -> MeanState:
        return MeanState(float(values[0] or 0.0), int(values[1] or 0))

    def _metric_value(self, state: MeanState) -> float | None:
        return state.total / state.count if state.count else None


@dataclass(frozen=True)
class Sum(_NumericColumn):
    """Sum of the non-NULL values, as a double."""

    name: ClassVar[str] = "Sum"

    def aggregations(self, schema: StructType) -> list[str]:
        values = self._values()
        return [f"sum({values})", f"count({values})"]

    def state_from_row(self, values: Sequence[Any]) -> SumState:
        return SumState(float(values[0] or 0.0), int(values[1] or 0))

    def _metric_value(self, state: SumState) -> float | None:
        return state.total if state.count else None


@dataclass(frozen=True)
class Minimum(_NumericColumn):
    """Smallest non-NULL value."""

    name: ClassVar[str] = "Minimum"

    def aggregations(self, schema: StructType) -> list[str]:
        return [f"min({self._values()})"]

    def state_from_row(self, values: Sequence[Any]) -> MinState:
        return MinState(_opt_float(values[0]))

    def _metric_value(self, state: MinState) -> float | None:
        return state.value


@dataclass(frozen=True)
class Maximum(_NumericColumn):
    """Largest non-NULL value."""

    name: ClassVar[str] = "Maximum"

    def aggregations(self, schema: StructType) -> list[str]:
        return [f"max({self._values()})"]

    def state_from_row(self, values: Sequence[Any]) -> MaxState:
        return MaxState(_opt_float(values[0]))

    def _metric_value(self, state: MaxState) -> float | None:
        return state.value


@dataclass(frozen=True)
class StandardDeviation(_NumericColumn):
    """Population standard deviation of the non-NULL values."""

    name: ClassVar[str] = "StandardDeviation"

    def aggregations(self, schema: StructType) -> list[str]:
        values = self._values()
        return [f"count({values})", f"avg({values})", f"var_pop({values}) * count({values})"]

    def state_from_row(self, values: Sequence[Any]) -> StandardDeviationState:
        n = int(values[0] or 0)
        if n == 0:
            return StandardDeviationState(0, 0.0, 0.0)
        return StandardDeviationState(n, float(values[1]), float(values[2]))

    def _metric_value(self, state: StandardDeviationState) -> float | None:
        return math.sqrt(state.m2 / state.n) if state.n else None


@dataclass(frozen=True)
class _LengthColumn(ScanShareableAnalyzer):
    column: str
    where: str | None = None

    @property
    def instance(self) -> str:
        return self.column

    def preconditions(self, schema: StructType) -> str | None:
        return is_string(schema, self.column)

    def _lengths(self) -> str:
        return sql_scope(f"length({sql_column(self.column)})", self.where)


@dataclass(frozen=True)
class MinLength(_LengthColumn):
    """Shortest string length (in characters) among the non-NULL values."""

    name: ClassVar[str] = "MinLength"

    def aggregations(self, schema: StructType) -> list[str]:
        return [f"min({self._lengths()})"]

    def state_from_row(self, values: Sequence[Any]) -> MinState:
        return MinState(_opt_float(values[0]))

    def _metric_value(self, state: MinState) -> float | None:
        return state.value


@dataclass(frozen=True)
class MaxLength(_LengthColumn):
    """Longest string length (in characters) among the non-NULL values."""

    name: ClassVar[str] = "MaxLength"

    def aggregations(self, schema: StructType) -> list[str]:
        return [f"max({self._lengths()})"]

    def state_from_row(self, values: Sequence[Any]) -> MaxState:
        return MaxState(_opt_float(values[0]))

    def _metric_value(self, state: MaxState) -> float | None:
        return state.value


@dataclass(frozen=True)
class Correlation(ScanShareableAnalyzer):
    """Pearson correlation over rows where both columns are non-NULL; a constant column gives NaN."""

    first_column: str
    second_column: str
    where: str | None = None
    name: ClassVar[str] = "Correlation"

    @property
    def entity(self) -> Entity:
        return Entity.MULTICOLUMN

    @property
    def instance(self) -> str:
        return f"{self.first_column},{self.second_column}"

    def preconditions(self, schema: StructType) -> str | None:
        return is_numeric(schema, self.first_column) or is_numeric(schema, self.second_column)

    def aggregations(self, schema: StructType) -> list[str]:
        x = f"CAST({sql_column(self.first_column)} AS DOUBLE)"
        y = f"CAST({sql_column(self.second_column)} AS DOUBLE)"
        both = f"{sql_in_scope(self.where)} AND {x} IS NOT NULL AND {y} IS NOT NULL"
        xs, ys = f"CASE WHEN {both} THEN {x} END", f"CASE WHEN {both} THEN {y} END"
        n = f"count_if({both})"
        return [
            n,
            f"avg({xs})",
            f"avg({ys})",
            f"covar_pop({xs}, {ys}) * {n}",
            f"var_pop({xs}) * {n}",
            f"var_pop({ys}) * {n}",
        ]

    def state_from_row(self, values: Sequence[Any]) -> CorrelationState:
        n = int(values[0] or 0)
        if n == 0:
            return CorrelationState(0, 0.0, 0.0, 0.0, 0.0, 0.0)
        return CorrelationState(n, *(float(v) for v in values[1:6]))

    def _metric_value(self, state: CorrelationState) -> float | None:
        if state.n == 0:
            return None
        denominator = math.sqrt(state.x_mk * state.y_mk)
        if denominator == 0.0:
            return math.nan  # a constant column: 0/0, a value as in Deequ
        return state.ck / denominator
