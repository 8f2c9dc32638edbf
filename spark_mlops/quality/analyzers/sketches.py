"""Sketch analyzers on Spark's built-in Apache DataSketches: ApproxCountDistinct (HLL) and
ApproxQuantile(s) (KLL).

The states keep the compact sketch bytes (base64 in JSON) together with the estimate they answer, so a
metric needs no Spark; adding two states merges the sketches with ``hll_union`` /
``kll_sketch_merge_double`` on the active session (evaluated on literals by the driver).
"""

from __future__ import annotations

import base64
import math
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pyspark.sql import SparkSession
from pyspark.sql.types import BinaryType, ByteType, IntegerType, LongType, ShortType, StringType, StructType

from spark_mlops.errors import InvalidArgumentError, SparkSetupError
from spark_mlops.quality.analyzers.base import (
    ScanShareableAnalyzer,
    State,
    has_column,
    is_numeric,
    sql_column,
    sql_scope,
)
from spark_mlops.quality.metrics import Metric

__all__ = [
    "ApproxCountDistinct",
    "ApproxQuantile",
    "ApproxQuantiles",
    "HllState",
    "KllState",
    "kll_k",
    "kll_rank_error",
]

#: HLL lgConfigK: 2^12 buckets, relative standard error ≈ 1.04/√4096 ≈ 1.6 % (Flajolet et al. 2007).
HLL_LG_K = 12


def kll_rank_error(k: int) -> float:
    """Normalized rank error of a KLL sketch with accuracy ``k``: ε(k) = 2.296 / k^0.9723.

    DataSketches' published fit (``KllSketch.getNormalizedRankError``, single-sided) to the 99th
    percentile of the largest rank error over all queries of a sketch: 1.33 % at k = 200.
    """
    return 2.296 / float(k) ** 0.9723


def kll_k(relative_error: float) -> int:
    """Smallest KLL ``k`` whose normalized rank error is at most ``relative_error``.

    The inverse of :func:`kll_rank_error`, clamped to Spark's range [8, 65535]; 0 → 65535 (a sketch
    that stays exact up to tens of thousands of values).
    """
    if relative_error <= 0:
        return 65535
    k = math.ceil((2.296 / relative_error) ** (1 / 0.9723))
    return min(65535, max(8, k))


def _session() -> SparkSession:
    spark = SparkSession.getActiveSession()
    if spark is None:
        raise SparkSetupError("merging sketch states needs an active SparkSession")
    return spark


def _hex(data: bytes) -> str:
    return "X'" + data.hex() + "'"


@dataclass(frozen=True)
class HllState(State):
    """An HLL sketch (DataSketches HLL_4) and its distinct-count estimate."""

    sketch: bytes
    estimate: float

    def __add__(self, other: State) -> HllState:
        if not isinstance(other, HllState):
            raise InvalidArgumentError(f"other: cannot add a {type(other).__name__} to an HllState")
        union = f"hll_union({_hex(self.sketch)}, {_hex(other.sketch)}, true)"
        row = _session().sql(f"SELECT {union} AS s, hll_sketch_estimate({union}) AS e").collect()[0]
        return HllState(bytes(row["s"]), float(row["e"]))

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "HllState",
            "sketch": base64.b64encode(self.sketch).decode(),
            "estimate": self.estimate,
        }

    @classmethod
    def _from_fields(cls, fields: dict[str, Any]) -> HllState:
        return cls(base64.b64decode(fields["sketch"]), float(fields["estimate"]))


@dataclass(frozen=True)
class KllState(State):
    """A KLL doubles sketch, the number of values in it, and its answers for ``quantiles``."""

    sketch: bytes
    n: int
    quantiles: tuple[float, ...]
    values: tuple[float, ...]

    def __add__(self, other: State) -> KllState:
        if not isinstance(other, KllState):
            raise InvalidArgumentError(f"other: cannot add a {type(other).__name__} to a KllState")
        merged = f"kll_sketch_merge_double({_hex(self.sketch)}, {_hex(other.sketch)})"
        ranks = "array(" + ", ".join(repr(float(q)) for q in self.quantiles) + ")"
        query = (
            f"SELECT {merged} AS s, kll_sketch_get_n_double({merged}) AS n, "
            f"CASE WHEN kll_sketch_get_n_double({merged}) > 0 "
            f"THEN kll_sketch_get_quantile_double({merged}, {ranks}) END AS q"
        )
        row = _session().sql(query).collect()[0]
        values = tuple(float(v) for v in row["q"]) if row["q"] is not None else ()
        return KllState(bytes(row["s"]), int(row["n"]), self.quantiles, values)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "KllState",
            "sketch": base64.b64encode(self.sketch).decode(),
            "n": self.n,
            "quantiles": list(self.quantiles),
            "values": list(self.values),
        }

    @classmethod
    def _from_fields(cls, fields: dict[str, Any]) -> KllState:
        return cls(
            base64.b64decode(fields["sketch"]),
            int(fields["n"]),
            tuple(float(q) for q in fields["quantiles"]),
            tuple(float(v) for v in fields["values"]),
        )


@dataclass(frozen=True)
class ApproxCountDistinct(ScanShareableAnalyzer):
    """Approximate number of distinct non-NULL values (HLL, ≈1.6 % relative standard error)."""

    column: str
    where: str | None = None
    name: ClassVar[str] = "ApproxCountDistinct"

    @property
    def instance(self) -> str:
        return self.column

    def preconditions(self, schema: StructType) -> str | None:
        return has_column(schema, self.column)

    def aggregations(self, schema: StructType) -> list[str]:
        # hll_sketch_agg takes INT, BIGINT, STRING or BINARY: other types are sketched by their text.
        kind = next((type(f.dataType) for f in schema.fields if f.name == self.column), StringType)
        col = sql_column(self.column)
        if kind in (ByteType, ShortType, IntegerType):
            col = f"CAST({col} AS INT)"
        elif kind not in (LongType, StringType, BinaryType):
            col = f"CAST({col} AS STRING)"
        sketch = f"hll_sketch_agg({sql_scope(col, self.where)}, {HLL_LG_K})"
        return [sketch, f"hll_sketch_estimate({sketch})"]

    def state_from_row(self, values: Sequence[Any]) -> HllState:
        return HllState(bytes(values[0]), float(values[1] or 0.0))

    def _metric_value(self, state: HllState) -> float:
        return float(state.estimate)


def _check_quantile_args(quantiles: Sequence[float], relative_error: float) -> str | None:
    for q in quantiles:
        if not 0.0 <= q <= 1.0:
            return f"Quantile parameter must be in the closed interval [0, 1]. Currently, the value is: {q}!"
    if not 0.0 <= relative_error <= 1.0:
        return (
            "Relative error parameter must be in the closed interval [0, 1]. "
            f"Currently, the value is: {relative_error}!"
        )
    return None


class _KllAnalyzer(ScanShareableAnalyzer):
    column: str
    relative_error: float

    @property
    def instance(self) -> str:
        return self.column

    @property
    @abstractmethod
    def _quantiles(self) -> tuple[float, ...]:
        """The quantiles the sketch answers."""

    def preconditions(self, schema: StructType) -> str | None:
        return _check_quantile_args(self._quantiles, self.relative_error) or is_numeric(schema, self.column)

    def aggregations(self, schema: StructType) -> list[str]:
        values = sql_scope(f"CAST({sql_column(self.column)} AS DOUBLE)", self.where)
        sketch = f"kll_sketch_agg_double({values}, {kll_k(self.relative_error)})"
        n = f"kll_sketch_get_n_double({sketch})"
        # repr of a float is exact (shortest round-trip text); the cast keeps it a DOUBLE.
        ranks = ", ".join(f"CAST('{float(q)!r}' AS DOUBLE)" for q in self._quantiles)
        answers = f"kll_sketch_get_quantile_double({sketch}, array({ranks}))"
        return [sketch, n, f"CASE WHEN {n} > 0 THEN {answers} END"]

    def state_from_row(self, values: Sequence[Any]) -> KllState:
        answers = tuple(float(v) for v in values[2]) if values[2] is not None else ()
        return KllState(bytes(values[0]), int(values[1] or 0), self._quantiles, answers)


@dataclass(frozen=True)
class ApproxQuantile(_KllAnalyzer):
    """An approximate quantile (a data value, e.g. the median of 1..6 is 3) from a KLL sketch.

    NULL and NaN values are ignored. ``relative_error`` is the rank error the sketch is sized for.
    """

    column: str
    quantile: float
    relative_error: float = 0.01
    where: str | None = None
    name: ClassVar[str] = "ApproxQuantile"

    @property
    def _quantiles(self) -> tuple[float, ...]:
        return (float(self.quantile),)

    def _metric_value(self, state: KllState) -> float | Metric | None:
        if state.n == 0:
            return None
        return state.values[0]


@dataclass(frozen=True)
class ApproxQuantiles(_KllAnalyzer):
    """Several approximate quantiles of one column from one KLL sketch; value keyed by ``str(q)``."""

    column: str
    quantiles: tuple[float, ...]
    relative_error: float = 0.01
    where: str | None = None
    name: ClassVar[str] = "ApproxQuantiles"

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantiles", tuple(float(q) for q in self.quantiles))

    @property
    def _quantiles(self) -> tuple[float, ...]:
        return self.quantiles

    def _metric_value(self, state: KllState) -> dict[str, float] | None:
        if state.n == 0:
            return None
        return {str(q): v for q, v in zip(state.quantiles, state.values, strict=True)}
