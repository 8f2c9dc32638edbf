"""Frequency tables of grouping analyzers that grow by appends, with a running summary per grouping.

Every grouping metric (Uniqueness, Distinctness, UniqueValueRatio, CountDistinct, Entropy) is a function
of a :class:`~spark_mlops.quality.analyzers.grouping.GroupSummary` — rows, groups, groups seen once and
Σ c·ln c over the per-group counts c. An append changes the counts of the groups it touches only, so the
summary is stored with the state and corrected from those groups:

1. the appended rows are counted per group (small) and **appended** to the frequency table
   ``(g, h, h2, cnt)`` — a blind append, never a MERGE that rewrites the big table; a group's count is
   the sum of its rows. All hashed groupings of a run share one table (``g`` names the grouping), so a
   run makes one commit and one correction job however many groupings it has;
2. the old counts ``o`` of the touched groups are read from the files the table had *before* this
   append (their list is kept with the state, so no Delta snapshot is rebuilt and no file listed) with a
   broadcast hash join on ``h`` alone — a single long key, Spark's fastest join path — and ``h2`` as a
   residual condition; only ``h``, ``h2`` and ``cnt`` are read, never ``g``: both hashes are salted with
   the grouping id, so keys of different groupings differ (no shuffle of the big side);
3. with ``c = o + d`` (``d`` the appended count): rows += Σd, groups += #(o = 0),
   singletons += #(c = 1) − #(o = 1), Σ c·ln c += Σ (c·ln c − o·ln o).

Groups are keyed by two independent 64-bit hashes of the values (NULL-aware), as the engine's hashed
uniqueness; different values share a key only if both hashes collide (≈ n²/2¹²⁹). Every
``COMPACT_AFTER`` appends a table is rewritten with one row per group. Groupings whose metrics need the
values themselves (Histogram's top bins, MutualInformation's marginals, > 62 columns) keep their own
value-keyed table ``(k0, …, cnt)`` and are re-summarized from it (they are usually low-cardinality).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ByteType, IntegerType, LongType, ShortType, StructType

from spark_mlops.errors import RepositoryError
from spark_mlops.quality.analyzers.base import column, in_scope
from spark_mlops.quality.analyzers.frequency import GroupingAnalyzer
from spark_mlops.quality.analyzers.grouping import (
    COUNT,
    GroupSummary,
    frequencies,
    key_name,
    summarize,
    summary_aggregates,
    summary_from_row,
)
from spark_mlops.quality.incremental_log import EMPTY_RANGE, ValueRange, commit_adds, latest_log_version
from spark_mlops.spark import job_description

__all__ = [
    "COMPACT_AFTER",
    "LAYOUT",
    "ConcurrentGroupingWriteError",
    "GroupingPlan",
    "StoredGrouping",
    "append_hashed",
    "append_valued",
    "build_hashed",
    "build_valued",
    "compact_if_due",
    "range_column",
    "stored_summary",
    "value_ranges",
]

log = logging.getLogger(__name__)

#: Appends after which a frequency table is rewritten with one row per group.
COMPACT_AFTER = 32
#: Largest number of appended groups whose keys are broadcast for the semi-join (24 bytes each).
BROADCAST_KEYS = 2_000_000
HASH_KEYS = ("g", "h", "h2")
#: Layout of stored grouping states; states of another layout are rebuilt by a full scan.
#: 2: hashes salted with the grouping id and the table's file list kept with the state.
LAYOUT = 2
_SECOND_SALT = 0x5EED_C0FF_EE15_D00D
_MAX_MASK_COLUMNS = 62
_EMPTY = GroupSummary(0, 0, 0, 0.0, 0)
_HASHED_SCHEMA = f"g string, h long, h2 long, {COUNT} long"


class ConcurrentGroupingWriteError(RepositoryError):
    """Another writer committed to a frequency table between our read and our append."""


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

    def counts(self, df: DataFrame) -> DataFrame:
        """Counts per group of ``df`` in this grouping's table layout (lazy; analysis errors raise here)."""
        if not self.hashed:
            return frequencies(df, self.columns, self.where)  # keeps the all-NULL group (Histogram)
        bits = [
            F.when(column(c).isNull(), F.lit(1 << i)).otherwise(F.lit(0)) for i, c in enumerate(self.columns)
        ]
        mask = reduce(lambda a, b: a + b, bits).cast("long")
        values = [column(c) for c in self.columns]
        present = reduce(lambda a, b: a | b, [column(c).isNotNull() for c in self.columns])
        # Deequ drops rows whose grouping columns are all NULL; no hashed member needs their count.
        scoped = df.where(present if self.where is None else present & in_scope(self.where))
        # Salted with the grouping id: the correction joins on (h, h2) without reading g.
        salt = int(self.group_id[:15], 16)
        h = F.xxhash64(F.lit(salt), mask, *values).alias("h")
        h2 = F.xxhash64(F.lit(salt ^ _SECOND_SALT), mask, *values).alias("h2")
        counted = scoped.groupBy(h, h2).agg(F.count(F.lit(1)).alias(COUNT))
        return counted.select(F.lit(self.group_id).alias("g"), "h", "h2", COUNT)


@dataclass(frozen=True)
class StoredGrouping:
    """Where a grouping's counts are and which table version matches the stored states.

    Attributes:
        path: The Delta table of counts.
        table_version: Its version holding exactly the counts of the verified source version.
        appends: Appends since the table was last written with one row per group.
        summary: The running summary (hashed groupings only; value-keyed ones are re-summarized).
        files: The table's data files at ``table_version``, relative to ``path`` (hashed groupings;
            read directly, so a run never rebuilds the table's Delta snapshot).
        value_range: Bounds of the non-NULL values of a single integer grouping column over every row
            verified so far (None: unknown or not such a grouping). An append whose values lie outside
            them touches only new groups, so its correction needs no read of the table.
    """

    path: str
    table_version: int
    appends: int = 0
    summary: GroupSummary | None = None
    files: tuple[str, ...] = ()
    value_range: ValueRange | None = None

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
            "table_version": self.table_version,
            "appends": self.appends,
            "summary": summary,
            "files": list(self.files),
            "range": None if self.value_range is None else list(self.value_range),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredGrouping | None:
        """Inverse of :meth:`to_json`; None for another state type or an older layout."""
        if data.get("type") != "DeltaGrouping" or data.get("layout") != LAYOUT:
            return None
        summary = data.get("summary")
        return cls(
            str(data["path"]),
            int(data["table_version"]),
            int(data.get("appends", 0)),
            None if summary is None else summary_from_row(summary),
            tuple(str(f) for f in data.get("files", ())),
            None if data.get("range") is None else (int(data["range"][0]), int(data["range"][1])),
        )


def _read(spark: SparkSession, path: str, version: int) -> DataFrame:
    return spark.read.format("delta").option("versionAsOf", version).load(path)


def _committed(spark: SparkSession, path: str, expected: int | None) -> int:
    """The version our write created; raises when another writer committed in between."""
    version = latest_log_version(spark, path)
    if expected is not None and version != expected:
        raise ConcurrentGroupingWriteError(
            f"frequency table {path} is at version {version}, expected {expected} after this run's "
            "append (a concurrent incremental run?)"
        )
    return version


def _valued_summary(spark: SparkSession, plan: GroupingPlan, path: str, version: int) -> GroupSummary:
    grouped = _read(spark, path, version).groupBy(*plan.keys).agg(F.sum(COUNT).alias(COUNT))
    return summarize(grouped, len(plan.columns), plan.top_k, plan.mutual_information)


def stored_summary(spark: SparkSession, plan: GroupingPlan, stored: StoredGrouping) -> GroupSummary:
    """The summary of a stored grouping (no Spark job for hashed groupings)."""
    if plan.hashed and stored.summary is not None:
        return stored.summary
    return _valued_summary(spark, plan, stored.path, stored.table_version)


def _added_files(
    spark: SparkSession, path: str, version: int, adds: list[tuple[str, int | None]] | None = None
) -> tuple[str, ...]:
    """The data files commit ``version`` of the table at ``path`` added (``adds`` if already read),
    relative to ``path``."""
    prefix = f"{path}/"
    found = commit_adds(spark, path, version) if adds is None else adds
    return tuple(p[len(prefix) :] if p.startswith(prefix) else p for p, _ in found)


def _hashed_files(spark: SparkSession, path: str, files: Sequence[str]) -> DataFrame:
    """The rows of the given data files of a hashed table (plain Parquet: no Delta snapshot, no listing)."""
    return spark.read.schema(_HASHED_SCHEMA).parquet(*[f if "://" in f else f"{path}/{f}" for f in files])


def build_hashed(
    spark: SparkSession, path: str, plans: Sequence[GroupingPlan], data: DataFrame
) -> tuple[int, tuple[str, ...], dict[str, GroupSummary]]:
    """Count every group of every hashed plan of ``data`` into a fresh table (overwrite); the table
    version, its files and each grouping's summary (two Spark jobs for all groupings)."""
    union = reduce(DataFrame.unionByName, [plan.counts(data) for plan in plans])
    with job_description(spark, f"spark_mlops: frequency table of {len(plans)} groupings"):
        union.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(path)
    version = _committed(spark, path, None)
    files = _added_files(spark, path, version)
    found: dict[str, GroupSummary] = {}
    if files:
        with job_description(spark, f"spark_mlops: summaries of {len(plans)} groupings"):
            rows = (
                _hashed_files(spark, path, files)
                .groupBy("g")
                .agg(*summary_aggregates(F.col(COUNT), F.lit(False)))
                .collect()
            )
        found = {r[0]: summary_from_row(list(r)[1:]) for r in rows}
    return version, files, {plan.group_id: found.get(plan.group_id, _EMPTY) for plan in plans}


def append_hashed(
    spark: SparkSession,
    stored: StoredGrouping,
    plans: Sequence[GroupingPlan],
    appended: DataFrame,
    probe: bool = True,
) -> tuple[int, tuple[str, ...], dict[str, GroupSummary]]:
    """Append the counts of ``appended`` to the shared hashed table; the new table version, its files
    and, per grouping, the summary *change* (to add to the stored summary). ``probe=False`` when every
    appended group is known to be new (value ranges disjoint): the old files are not read.

    Raises:
        ConcurrentGroupingWriteError: another run appended to the same table at the same time.
    """
    union = reduce(DataFrame.unionByName, [plan.counts(appended) for plan in plans])
    with job_description(spark, f"spark_mlops: append counts of {len(plans)} groupings"):
        union.write.format("delta").mode("append").save(stored.path)
    version = _committed(spark, stored.path, stored.table_version + 1)
    adds = commit_adds(spark, stored.path, version)
    added = _added_files(spark, stored.path, version, adds)
    files = (*stored.files, *added)
    if not added:
        return version, files, {plan.group_id: _EMPTY for plan in plans}
    small = sum(BROADCAST_KEYS + 1 if rows is None else rows for _, rows in adds) <= BROADCAST_KEYS
    change = _summary_change(_hashed_files(spark, stored.path, added), stored if probe else None, small)
    with job_description(spark, f"spark_mlops: summary corrections of {len(plans)} groupings"):
        found = {r[0]: summary_from_row([*list(r)[1:], 0]) for r in change.collect()}
    return version, files, {plan.group_id: found.get(plan.group_id, _EMPTY) for plan in plans}


def _summary_change(added: DataFrame, stored: StoredGrouping | None, broadcast: bool) -> DataFrame:
    """Per grouping ``g``: the change of rows, groups, singletons and Σ c·ln c caused by the appended
    counts ``added`` (one row per touched group), given the table's files before the append (None:
    every touched group is new)."""
    zero = F.lit(0).cast("long")
    appended = added.select("g", "h", "h2", F.col(COUNT).alias("d"), zero.alias("o"))
    if stored is not None and stored.files:
        spark = added.sparkSession
        probe = added.select(F.col("h").alias("ah"), F.col("h2").alias("ah2"), F.col("g").alias("ag"))
        if broadcast:
            probe = F.broadcast(probe)
        old = _hashed_files(spark, stored.path, stored.files).select("h", "h2", COUNT)
        # Equi-join on h only (one long key); the xor keeps h2 a residual condition, not a second key.
        on = (F.col("h") == F.col("ah")) & (F.col("h2").bitwiseXOR(F.col("ah2")) == 0)
        matched = old.join(probe, on).select(
            F.col("ag").alias("g"), "h", "h2", zero.alias("d"), F.col(COUNT).alias("o")
        )
        appended = appended.unionByName(matched)
    both = appended.groupBy("g", "h", "h2").agg(F.sum("d").alias("d"), F.sum("o").alias("o"))
    d, o = F.col("d"), F.col("o")
    c = o + d
    return both.groupBy("g").agg(
        F.sum(d),
        F.count_if(o == 0),
        F.count_if(c == 1) - F.count_if(o == 1),
        F.sum(c * F.ln(c) - F.when(o > 0, o * F.ln(o)).otherwise(F.lit(0.0))),
    )


def build_valued(
    spark: SparkSession, plan: GroupingPlan, path: str, data: DataFrame
) -> tuple[int, GroupSummary]:
    """Count every group of ``data`` into a fresh value-keyed table at ``path``; version and summary."""
    with job_description(spark, f"spark_mlops: frequency table of {list(plan.columns)}"):
        plan.counts(data).write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(path)
    version = _committed(spark, path, None)
    with job_description(spark, f"spark_mlops: summary of {list(plan.columns)}"):
        return version, _valued_summary(spark, plan, path, version)


def append_valued(
    spark: SparkSession, plan: GroupingPlan, stored: StoredGrouping, appended: DataFrame
) -> tuple[int, GroupSummary]:
    """Append the counts of ``appended`` to a value-keyed table and re-summarize it.

    Raises:
        ConcurrentGroupingWriteError: another run appended to the same table at the same time.
    """
    with job_description(spark, f"spark_mlops: append counts of {list(plan.columns)}"):
        plan.counts(appended).write.format("delta").mode("append").save(stored.path)
    version = _committed(spark, stored.path, stored.table_version + 1)
    with job_description(spark, f"spark_mlops: summary of {list(plan.columns)}"):
        return version, _valued_summary(spark, plan, stored.path, version)


def compact_if_due(
    spark: SparkSession,
    path: str,
    version: int,
    appends: int,
    keys: Sequence[str],
    files: Sequence[str] | None = None,
) -> tuple[int, int, tuple[str, ...]]:
    """After ``COMPACT_AFTER`` appends, rewrite a frequency table with one row per group (so reads stay
    proportional to the groups); the table version, the appends since the last rewrite and the table's
    files (given as ``files`` for a hashed table, which is read from them; empty for value-keyed ones)."""
    if appends < COMPACT_AFTER:
        return version, appends, tuple(files or ())
    if files is not None and not files:  # a hashed table without rows: nothing to rewrite
        return version, 0, ()
    log.info("compacting frequency table %s after %d appends", path, appends)
    table = _read(spark, path, version) if files is None else _hashed_files(spark, path, files)
    with job_description(spark, "spark_mlops: compact a frequency table"):
        grouped = table.groupBy(*keys).agg(F.sum(COUNT).alias(COUNT))
        grouped.write.format("delta").mode("overwrite").save(path)
    version = _committed(spark, path, version + 1)
    return version, 0, (() if files is None else _added_files(spark, path, version))


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
