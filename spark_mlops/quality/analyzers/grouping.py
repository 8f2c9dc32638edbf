"""Frequency tables of grouping analyzers: the mergeable :class:`FrequencyState` and its summary.

A grouping analyzer (Uniqueness, Distinctness, UniqueValueRatio, CountDistinct, Entropy,
MutualInformation, Histogram) needs the count of every distinct value (group) of its columns. All of
their metrics are functions of a few sums over those per-group counts (a :class:`GroupSummary`), so the
engine groups once per (columns, where) and aggregates the per-group counts once for every analyzer of
that grouping.

A frequency table's canonical form is a DataFrame with the grouping values as ``k0, k1, …`` and the
count as ``cnt``; rows whose grouping columns are all NULL form their own group (Histogram counts it as
``NullValue``; the other analyzers drop it, as Deequ does).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from spark_mlops.errors import InvalidArgumentError, SparkSetupError
from spark_mlops.quality.analyzers.base import State, column, in_scope

__all__ = [
    "COUNT",
    "FrequencyState",
    "GroupSummary",
    "frequencies",
    "key_name",
    "summarize",
    "summary_aggregates",
    "summary_from_row",
]

COUNT = "cnt"
NULL_VALUE = "NullValue"


def key_name(i: int) -> str:
    """Name of the i-th grouping value in a canonical frequency table."""
    return f"k{i}"


def frequencies(df: DataFrame, columns: Sequence[str], where: str | None) -> DataFrame:
    """The canonical frequency table of ``columns`` over rows in scope (lazy, no job)."""
    scoped = df if where is None else df.where(in_scope(where))
    keys = [column(c).alias(key_name(i)) for i, c in enumerate(columns)]
    return scoped.groupBy(*keys).agg(F.count(F.lit(1)).alias(COUNT))


@dataclass(frozen=True)
class GroupSummary:
    """Sums over the per-group counts ``c`` that every grouping metric is computed from.

    Attributes:
        num_rows: Rows whose grouping columns are not all NULL (Deequ's n).
        num_groups: Distinct groups among them.
        num_singletons: Groups seen exactly once.
        sum_c_ln_c: Σ c·ln(c) over the groups (entropy numerator).
        null_rows: Rows whose grouping columns are all NULL.
        top: Largest groups as (value as string or None, count), count descending (Histogram only).
        mi_term: Σ c·(ln c − ln c_x − ln c_y) over groups of two columns (MutualInformation only).
    """

    num_rows: int
    num_groups: int
    num_singletons: int
    sum_c_ln_c: float
    null_rows: int
    top: tuple[tuple[str | None, int], ...] | None = None
    mi_term: float | None = None

    @classmethod
    def of_counts(cls, counts: Any) -> GroupSummary:
        """The summary of groups whose row counts are ``counts`` (a NumPy or Arrow array, each ≥ 1; no
        all-NULL group): the driver-side twin of :func:`summary_aggregates`."""
        real = np.asarray(counts, dtype=np.float64)
        return cls(int(real.sum()), len(real), int((real == 1).sum()), float((real * np.log(real)).sum()), 0)

    def __add__(self, other: GroupSummary) -> GroupSummary:
        """Summary of two *disjoint* sets of groups (top/mi_term are not additive and are dropped)."""
        return GroupSummary(
            self.num_rows + other.num_rows,
            self.num_groups + other.num_groups,
            self.num_singletons + other.num_singletons,
            self.sum_c_ln_c + other.sum_c_ln_c,
            self.null_rows + other.null_rows,
        )


def summary_aggregates(cnt: Column, all_null: Column, include: Column | None = None) -> list[Column]:
    """The five additive aggregates of a :class:`GroupSummary` over a table of per-group counts.

    Args:
        cnt: The per-group count.
        all_null: Whether the group is the all-NULL group.
        include: Optional filter of the groups to summarize (default all).
    """
    kept = ~all_null if include is None else include & ~all_null
    nulls = all_null if include is None else include & all_null
    return [
        F.coalesce(F.sum(F.when(kept, cnt)), F.lit(0)),
        F.count_if(kept),
        F.count_if(kept & (cnt == 1)),
        F.coalesce(F.sum(F.when(kept, cnt * F.ln(cnt))), F.lit(0.0)),
        F.coalesce(F.sum(F.when(nulls, cnt)), F.lit(0)),
    ]


def summary_from_row(values: Sequence[Any]) -> GroupSummary:
    """A :class:`GroupSummary` from the values of :func:`summary_aggregates`."""
    return GroupSummary(int(values[0]), int(values[1]), int(values[2]), float(values[3]), int(values[4]))


def _all_null(num_columns: int) -> Column:
    return reduce(lambda a, b: a & b, [F.col(key_name(i)).isNull() for i in range(num_columns)])


def summarize(
    freq: DataFrame, num_columns: int, top_k: int = 0, mutual_information: bool = False
) -> GroupSummary:
    """Summarize a canonical frequency table in one Spark job.

    Args:
        freq: Canonical frequency table (``k0…``, ``cnt``).
        num_columns: Number of grouping columns.
        top_k: Also return the ``top_k`` largest groups (Histogram detail bins); needs one column.
        mutual_information: Also return the mutual-information term; needs two columns.
    """
    all_null = _all_null(num_columns)
    cnt = F.col(COUNT)
    extra: list[Column] = []
    table = freq
    if top_k > 0:
        # One global window over the (few) groups instead of a sort + limit, so it stays one job.
        key = F.col(key_name(0)).cast("string")
        table = table.withColumn(
            "_rn", F.row_number().over(Window.orderBy(cnt.desc(), key.asc_nulls_first()))
        )
        extra.append(F.collect_list(F.when(F.col("_rn") <= top_k, F.struct(key.alias("k"), cnt.alias("c")))))
    if mutual_information:
        kept_cnt = F.when(~all_null, cnt)
        table = table.withColumn("_cx", F.sum(kept_cnt).over(Window.partitionBy(key_name(0)))).withColumn(
            "_cy", F.sum(kept_cnt).over(Window.partitionBy(key_name(1)))
        )
        term = cnt * (F.ln(cnt) - F.ln(F.col("_cx")) - F.ln(F.col("_cy")))
        extra.append(F.coalesce(F.sum(F.when(~all_null, term)), F.lit(0.0)))
    row = table.agg(*summary_aggregates(cnt, all_null), *extra).collect()[0]
    summary = summary_from_row(row)
    top = None
    mi = None
    position = 5
    if top_k > 0:
        entries = [(r["k"], int(r["c"])) for r in row[position]]
        entries.sort(key=lambda e: (-e[1], e[0] is not None, e[0] or ""))
        top = tuple(entries)
        position += 1
    if mutual_information:
        mi = float(row[position])
    return GroupSummary(
        summary.num_rows,
        summary.num_groups,
        summary.num_singletons,
        summary.sum_c_ln_c,
        summary.null_rows,
        top,
        mi,
    )


@dataclass(frozen=True, eq=False)
class FrequencyState(State):
    """Counts per distinct value of the grouping columns, as a (lazy) Spark DataFrame.

    Adding two states unions their tables and re-adds the counts per value, so a value seen once in
    each part is correctly not unique in the union. Persist large states with Delta
    (``state.frequencies.write.format("delta")``); :meth:`to_json` collects the table and is meant
    for small states only.
    """

    columns: tuple[str, ...]
    frequencies: DataFrame = field(repr=False)

    def __add__(self, other: State) -> FrequencyState:
        if not isinstance(other, FrequencyState) or len(other.columns) != len(self.columns):
            raise InvalidArgumentError("other: can only add a FrequencyState over the same number of columns")
        keys = [key_name(i) for i in range(len(self.columns))]
        union = self.frequencies.unionByName(other.frequencies)
        return FrequencyState(self.columns, union.groupBy(*keys).agg(F.sum(COUNT).alias(COUNT)))

    def summary(self, top_k: int = 0, mutual_information: bool = False) -> GroupSummary:
        """Summarize the table (one Spark job)."""
        return summarize(self.frequencies, len(self.columns), top_k, mutual_information)

    def to_json(self) -> dict[str, Any]:
        rows = [json.loads(r[0]) for r in self.frequencies.select(F.to_json(F.struct("*"))).collect()]
        return {
            "type": "FrequencyState",
            "columns": list(self.columns),
            "schema": self.frequencies.schema.jsonValue(),
            "rows": rows,
        }

    @classmethod
    def _from_fields(cls, fields: dict[str, Any]) -> FrequencyState:
        spark = SparkSession.getActiveSession()
        if spark is None:
            raise SparkSetupError("FrequencyState.from_json needs an active SparkSession")
        schema = StructType.fromJson(fields["schema"])
        lines = [(json.dumps(r),) for r in fields["rows"]]
        raw = spark.createDataFrame(lines, "value string")
        table = raw.select(F.from_json("value", schema).alias("r")).select("r.*")
        return cls(tuple(fields["columns"]), table)
