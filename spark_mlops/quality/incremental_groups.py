"""Frequency tables of grouping analyzers that grow by appends, with a running summary per grouping.

Every grouping metric (Uniqueness, Distinctness, UniqueValueRatio, CountDistinct, Entropy) is a function
of a :class:`~spark_mlops.quality.analyzers.grouping.GroupSummary` — rows, groups, groups seen once and
Σ c·ln c over the per-group counts c. An append changes the counts of the groups it touches only, so the
summary is stored with the state and corrected from those groups:

1. the appended rows are counted per group (small) and the counts kept next to the stored ones — a
   group's count is the sum of its rows, so nothing big is ever rewritten. All hashed groupings of a run
   share one folder of plain Parquet files listed by the stored state (``g`` names the grouping; see
   :mod:`spark_mlops.quality.incremental_hashed`), so a run makes one write and at most one correction
   job however many groupings it has, and no Delta commit;
2. the old counts ``o`` of the touched groups are read from the files listed before this append with a
   broadcast hash join on ``h`` alone (``h2`` a residual condition; both hashes salted with the grouping
   id, so ``g`` is not read from the big side). When a single integer grouping column's appended values
   lie outside every stored value (the Delta statistics of the appended files prove it, e.g. increasing
   ids), every touched group is new and this step is skipped;
3. with ``c = o + d`` (``d`` the appended count): rows += Σd, groups += #(o = 0),
   singletons += #(c = 1) − #(o = 1), Σ c·ln c += Σ (c·ln c − o·ln o).

Groups are keyed by two independent 64-bit hashes of the values (NULL-aware), as the engine's hashed
uniqueness; different values share a key only if both hashes collide (≈ n²/2¹²⁹). Every
``COMPACT_AFTER`` appends the counts are rewritten with one row per group. Groupings whose metrics need
the values themselves (Histogram's top bins, MutualInformation's marginals, > 62 columns) keep their own
value-keyed counts ``(k0, …, cnt)`` (Parquet files listed by the state too) and are re-summarized from
them each run (they are usually low-cardinality).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ByteType, IntegerType, LongType, ShortType, StructType

from spark_mlops.quality.analyzers.base import quote, sql_in_scope
from spark_mlops.quality.analyzers.frequency import GroupingAnalyzer
from spark_mlops.quality.analyzers.grouping import (
    COUNT,
    GroupSummary,
    frequencies,
    key_name,
    summarize,
    summary_from_row,
)
from spark_mlops.quality.engine.grouping import _SECOND_HASH_SALT
from spark_mlops.quality.incremental_files import read_files, write_files
from spark_mlops.quality.incremental_log import EMPTY_RANGE, ValueRange
from spark_mlops.spark import job_description

__all__ = [
    "COMPACT_AFTER",
    "LAYOUT",
    "GroupingPlan",
    "StoredGrouping",
    "append_valued",
    "build_valued",
    "range_column",
    "sql_over",
    "stored_summary",
    "value_ranges",
]

log = logging.getLogger(__name__)

#: Appends after which a frequency table is rewritten with one row per group.
COMPACT_AFTER = 32
HASH_KEYS = ("g", "h", "h2")
#: Layout of stored grouping states; states of another layout are rebuilt by a full scan.
#: 2: hashes salted with the grouping id and the table's file list kept with the state.
#: 4: all counts in plain Parquet files listed by the state (no Delta table).
LAYOUT = 4
_MAX_MASK_COLUMNS = 62
_EMPTY = GroupSummary(0, 0, 0, 0.0, 0)


@dataclass(frozen=True)
class GroupingPlan:
    """One (columns, where) grouping and what its analyzers need from it."""

    columns: tuple[str, ...]
    where: str | None
    top_k: int = 0
    mutual_information: bool = False

    @classmethod
    def of(cls, members: Sequence[GroupingAnalyzer]) -> GroupingPlan:
        """The plan shared by analyzers of the same (grouping columns, where)."""
        first = members[0]
        return cls(
            first.grouping_columns,
            first.where,
            max(m.top_k for m in members),
            any(m.needs_mutual_information for m in members),
        )

    @property
    def hashed(self) -> bool:
        """True when the summary alone answers every member (no values needed)."""
        return not (self.top_k or self.mutual_information or len(self.columns) > _MAX_MASK_COLUMNS)

    @property
    def group_id(self) -> str:
        """Stable id of the grouping (the ``g`` of the shared hashed table)."""
        return hashlib.sha1(json.dumps([list(self.columns), self.where]).encode()).hexdigest()[:16]

    @property
    def keys(self) -> list[str]:
        """Key columns of the frequency table."""
        return list(HASH_KEYS) if self.hashed else [key_name(i) for i in range(len(self.columns))]

    def scoped(self, df: DataFrame) -> DataFrame:
        """The rows of ``df`` in the scope of this grouping's ``where`` (parsed as an expression)."""
        return df if self.where is None else df.where(sql_in_scope(self.where))

    def _hashes(self) -> tuple[str, str, str]:
        """SQL text of the key hashes ``h`` and ``h2`` and of the filter keeping rows with a value."""
        names = [quote(c) for c in self.columns]
        mask = " + ".join(f"(CASE WHEN {n} IS NULL THEN {1 << i} ELSE 0 END)" for i, n in enumerate(names))
        # Salted with the grouping id: the correction joins on (h, h2) without reading g.
        salt = int(self.group_id[:15], 16)
        keys = f"CAST({mask} AS BIGINT), {', '.join(names)}"
        h, h2 = f"xxhash64({salt}L, {keys}) AS h", f"xxhash64({salt ^ _SECOND_HASH_SALT}L, {keys}) AS h2"
        # Deequ drops rows whose grouping columns are all NULL; no hashed member needs their count.
        return h, h2, " OR ".join(f"{n} IS NOT NULL" for n in names)

    def hashed_sql(self, relation: str) -> str:
        """SQL text of this hashed grouping's counts ``(g, h, h2, cnt)`` over ``relation``, a view of
        rows already in scope (:meth:`scoped`)."""
        h, h2, present = self._hashes()
        return (
            f"SELECT '{self.group_id}' AS g, h, h2, count(1) AS {COUNT} "
            f"FROM (SELECT {h}, {h2} FROM {relation} WHERE {present}) GROUP BY h, h2"
        )

    def hashes_sql(self, relation: str) -> str:
        """SQL text of this hashed grouping's key hashes ``(g, h, h2)``, one row per row in scope of
        ``relation`` with a value (uncounted: :func:`~spark_mlops.quality.incremental_hashed.collect_counts`
        counts them on the driver)."""
        h, h2, present = self._hashes()
        return f"SELECT '{self.group_id}' AS g, {h}, {h2} FROM {relation} WHERE {present}"

    def observed_hashes(self, df: DataFrame) -> DataFrame:
        """:meth:`hashes_sql` with the DataFrame API, for a ``df`` carrying an Observation (see
        :meth:`observed_counts`)."""
        h, h2, present = self._hashes()
        return self.scoped(df).where(present).selectExpr(f"'{self.group_id}' AS g", h, h2)

    def observed_counts(self, df: DataFrame) -> DataFrame:
        """This hashed grouping's counts of ``df`` built with the DataFrame API, for a ``df`` carrying an
        :class:`~pyspark.sql.Observation`: one inside a temporary view never reports (Spark looks for it
        in the query's unresolved plan), so :func:`sql_over` cannot take it."""
        h, h2, present = self._hashes()
        return (
            self.scoped(df)
            .where(present)
            .selectExpr(f"'{self.group_id}' AS g", h, h2)
            .groupBy("g", "h", "h2")
            .count()
            .withColumnRenamed("count", COUNT)
        )

    def counts(self, df: DataFrame) -> DataFrame:
        """Counts per group of ``df`` in this grouping's table layout (lazy; analysis errors raise here)."""
        if not self.hashed:
            return frequencies(df, self.columns, self.where)  # keeps the all-NULL group (Histogram)
        return sql_over([self.scoped(df)], lambda views: self.hashed_sql(views[0]))


def sql_over(frames: Sequence[DataFrame], text: Callable[[list[str]], str]) -> DataFrame:
    """The SQL query ``text(views)`` over ``frames``, each given as a temporary view dropped again once
    the query is analyzed (the analyzed plan keeps what it read).

    One SQL text is a handful of Py4J calls; the same query built with the DataFrame API cost ~50 (each
    function and column is a JVM call recording its call site), a visible part of a small append's
    fixed cost.
    """
    spark = frames[0].sparkSession
    views = [f"spark_mlops_{uuid.uuid4().hex}" for _ in frames]
    try:
        for frame, view in zip(frames, views, strict=True):
            frame.createOrReplaceTempView(view)
        return spark.sql(text(views))
    finally:
        for view in views:
            spark.catalog.dropTempView(view)


@dataclass(frozen=True)
class StoredGrouping:
    """Where a grouping's counts are and which of them match the stored states.

    Attributes:
        path: The folder of the counts' Parquet files.
        appends: Appends since the counts were last written with one row per group.
        summary: The running summary (hashed groupings only; value-keyed ones are re-summarized).
        files: The Parquet files, relative to ``path``, holding exactly the counts of the verified
            source version (other files in the folder are ignored).
        value_range: Bounds of the non-NULL values of a single integer grouping column over every row
            verified so far (None: unknown or not such a grouping). An append whose values lie outside
            them touches only new groups, so its correction needs no read of the table.
        schema: The counts' schema as Spark JSON (value-keyed groupings; hashed ones have one schema).
    """

    path: str
    appends: int = 0
    summary: GroupSummary | None = None
    files: tuple[str, ...] = ()
    value_range: ValueRange | None = None
    schema: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-able form stored as the state of every analyzer of the grouping."""
        s = self.summary
        summary = (
            None if s is None else [s.num_rows, s.num_groups, s.num_singletons, s.sum_c_ln_c, s.null_rows]
        )
        return {
            "type": "DeltaGrouping",
            "layout": LAYOUT,
            "path": self.path,
            "appends": self.appends,
            "summary": summary,
            "files": list(self.files),
            "range": None if self.value_range is None else list(self.value_range),
            "schema": self.schema,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredGrouping | None:
        """Inverse of :meth:`to_json`; None for another state type or an older layout."""
        if data.get("type") != "DeltaGrouping" or data.get("layout") != LAYOUT:
            return None
        summary = data.get("summary")
        return cls(
            str(data["path"]),
            int(data.get("appends", 0)),
            None if summary is None else summary_from_row(summary),
            tuple(str(f) for f in data.get("files", ())),
            None if data.get("range") is None else (int(data["range"][0]), int(data["range"][1])),
            data.get("schema"),
        )


def _valued_summary(spark: SparkSession, plan: GroupingPlan, stored: StoredGrouping) -> GroupSummary:
    schema = StructType.fromJson(json.loads(stored.schema or "{}"))
    counts = read_files(spark, stored.path, stored.files, schema)
    grouped = counts.groupBy(*plan.keys).agg(F.sum(COUNT).alias(COUNT))
    with job_description(spark, f"spark_mlops: summary of {list(plan.columns)}"):
        return summarize(grouped, len(plan.columns), plan.top_k, plan.mutual_information)


def stored_summary(spark: SparkSession, plan: GroupingPlan, stored: StoredGrouping) -> GroupSummary:
    """The summary of a stored grouping (no Spark job for hashed groupings)."""
    if plan.hashed and stored.summary is not None:
        return stored.summary
    return _valued_summary(spark, plan, stored)


def build_valued(spark: SparkSession, plan: GroupingPlan, folder: str, data: DataFrame) -> StoredGrouping:
    """Count every group of ``data`` into new files in ``folder``; the stored grouping (one job)."""
    counts = plan.counts(data)
    files = write_files(spark, folder, counts, "b", f"frequency table of {list(plan.columns)}")
    return StoredGrouping(folder, 0, None, files, None, counts.schema.json())


def append_valued(
    spark: SparkSession, plan: GroupingPlan, stored: StoredGrouping, appended: DataFrame
) -> StoredGrouping:
    """Write the counts of ``appended`` next to the stored ones; compact after ``COMPACT_AFTER``
    appends (one row per group, so reads stay proportional to the groups)."""
    what = f"append counts of {list(plan.columns)}"
    added = write_files(spark, stored.path, plan.counts(appended), "a", what, single_file=True)
    grown = replace(stored, appends=stored.appends + 1, files=(*stored.files, *added))
    if grown.appends < COMPACT_AFTER:
        return grown
    log.info("compacting frequency counts %s after %d appends", stored.path, grown.appends)
    schema = StructType.fromJson(json.loads(stored.schema or "{}"))
    counts = read_files(spark, stored.path, grown.files, schema)
    grouped = counts.groupBy(*plan.keys).agg(F.sum(COUNT).alias(COUNT))
    files = write_files(spark, stored.path, grouped, "c", "compact a frequency table")
    return replace(grown, appends=0, files=files)


def range_column(plan: GroupingPlan, schema: StructType) -> str | None:
    """The column whose value range can prove an append's groups new: the one integer column of a
    hashed grouping (integer Delta statistics are exact); None for any other grouping."""
    if not plan.hashed or len(plan.columns) != 1:
        return None
    field = next((f for f in schema.fields if f.name == plan.columns[0]), None)
    integral = (ByteType, ShortType, IntegerType, LongType)
    return None if field is None or not isinstance(field.dataType, integral) else field.name


def value_ranges(spark: SparkSession, data: DataFrame, columns: Sequence[str]) -> dict[str, ValueRange]:
    """Exact (min, max) of the non-NULL values of each column of ``data`` (one Spark job; none if no
    column)."""
    names = sorted(set(columns))
    if not names:
        return {}
    bounds = [agg(F.col(f"`{name}`")) for name in names for agg in (F.min, F.max)]
    with job_description(spark, f"spark_mlops: value ranges of {names}"):
        row = data.agg(*bounds).collect()[0]
    out: dict[str, ValueRange] = {}
    for i, name in enumerate(names):
        low, high = row[2 * i], row[2 * i + 1]
        out[name] = EMPTY_RANGE if low is None else (int(low), int(high))
    return out
