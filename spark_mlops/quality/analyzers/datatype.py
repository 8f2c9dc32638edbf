"""DataType: how many values in scope look like each type (Deequ's type inference on text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pyspark.sql.types import StructType

from spark_mlops.quality.analyzers.base import (
    ScanShareableAnalyzer,
    has_column,
    sql_column,
    sql_in_scope,
    sql_string,
)
from spark_mlops.quality.analyzers.states import DataTypeState

__all__ = ["BOOLEAN_PATTERN", "FRACTIONAL_PATTERN", "INTEGRAL_PATTERN", "DataType"]

#: "2", "-3", "+ 4" (Deequ allows one space after the sign).
INTEGRAL_PATTERN = r"^(-|\+)? ?\d+$"
#: "1.0", "1.", ".5", "1e-3", "2.5E+10".
FRACTIONAL_PATTERN = r"^(-|\+)? ?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+|\.\d+[eE][-+]?\d+)$"
BOOLEAN_PATTERN = r"^(true|false)$"


@dataclass(frozen=True)
class DataType(ScanShareableAnalyzer):
    """Counts of values in scope by inferred type, keyed Unknown (NULL), Fractional, Integral,
    Boolean and String. Non-string columns are classified by their text (an int column is Integral).

    The metric value is a ``dict[str, float]`` of row counts (the ratio of a type is its count divided
    by the sum of all counts). The metric name is ``DataType`` (Deequ reuses ``Histogram``).
    """

    column: str
    where: str | None = None
    name: ClassVar[str] = "DataType"

    @property
    def instance(self) -> str:
        return self.column

    def preconditions(self, schema: StructType) -> str | None:
        return has_column(schema, self.column)

    def aggregations(self, schema: StructType) -> list[str]:
        scoped = sql_in_scope(self.where)
        text = f"CAST({sql_column(self.column)} AS STRING)"
        present = f"{scoped} AND {text} IS NOT NULL"
        return [
            f"count_if({scoped} AND {text} IS NULL)",
            f"count_if({present} AND {text} RLIKE {sql_string(FRACTIONAL_PATTERN)})",
            f"count_if({present} AND {text} RLIKE {sql_string(INTEGRAL_PATTERN)})",
            f"count_if({present} AND {text} RLIKE {sql_string(BOOLEAN_PATTERN)})",
            f"count_if({present})",
        ]

    def state_from_row(self, values: Sequence[Any]) -> DataTypeState:
        unknown, fractional, integral, boolean, present = (int(v or 0) for v in values)
        return DataTypeState(
            unknown, fractional, integral, boolean, present - fractional - integral - boolean
        )

    def _metric_value(self, state: DataTypeState) -> dict[str, float]:
        return state.counts()
