"""Frequency tables of grouping analyzers that grow by appends, with a running summary.

Every grouping metric (Uniqueness, Distinctness, UniqueValueRatio, CountDistinct, Entropy) is a function
of a :class:`~spark_mlops.quality.analyzers.grouping.GroupSummary` — rows, groups, groups seen once and
Σ c·ln c over the per-group counts c. An append changes the counts of the groups it touches only, so the
summary is kept with the state and corrected from those groups:

1. the appended rows are counted per group (small) and **appended** to the grouping's Delta table
   ``(h, h2, cnt)`` — a blind append, never a MERGE that rewrites the big table; a group's count is the
   sum of its rows;
2. the stored counts ``o`` of the touched groups are read with a semi-join of the stored table (at the
   recorded version) against the broadcast appended keys — no shuffle of the big side;
3. with ``c = o + d``: rows += Σd, groups += #(o = 0), singletons += #(c = 1) − #(o = 1),
   Σ c·ln c += Σ (c·ln c − o·ln o).

Groups are keyed by two independent 64-bit hashes of the values (NULL-aware), as the engine's hashed
uniqueness; values collide only if both hashes do (≈ n²/2¹²⁹). Every ``COMPACT_AFTER`` appends the
table is rewritten with one row per group. Groupings whose metrics need the values themselves
(Histogram's top bins, MutualInformation's marginals, > 62 columns) keep a value-keyed table
``(k0, …, cnt)`` and are re-summarized from it (they are usually low-cardinality).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

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
from spark_mlops.quality.incremental_log import commit_adds, latest_log_version
from spark_mlops.spark import job_description

__all__ = [
    "COMPACT_AFTER",
    "ConcurrentGroupingWriteError",
    "GroupingPlan",
    "StoredGrouping",
    "append_grouping",
    "build_grouping",
    "stored_summary",
]

log = logging.getLogger(__name__)

#: Appends after which a frequency table is rewritten with one row per group.
COMPACT_AFTER = 32
#: Largest number of appended groups whose keys are broadcast for the semi-join (16 bytes each).
BROADCAST_KEYS = 2_000_000
_HASH_KEYS = ("h", "h2")
_SECOND_SALT = 0x5EED_C0FF_EE15_D00D
_MAX_MASK_COLUMNS = 62


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
    def keys(self) -> list[str]:
        """Key columns of the frequency table."""
        return list(_HASH_KEYS) if self.hashed else [key_name(i) for i in range(len(self.columns))]

    def counts(self, df: DataFrame) -> DataFrame:
        """Counts per group of ``df`` in this grouping's table layout (lazy)."""
        if not self.hashed:
            return frequencies(df, self.columns, self.where)  # keeps the all-NULL group (Histogram)
        mask = reduce(
            lambda a, b: a + b,
            [
                F.when(column(c).isNull(), F.lit(1 << i)).otherwise(F.lit(0))
                for i, c in enumerate(self.columns)
            ],
        ).cast("long")
        values = [column(c) for c in self.columns]
        present = reduce(lambda a, b: a | b, [column(c).isNotNull() for c in self.columns])
        # Deequ drops rows whose grouping columns are all NULL; no hashed member needs their count.
        scoped = df.where(present if self.where is None else present & in_scope(self.where))
        h = F.xxhash64(mask, *values).alias("h")
        h2 = F.xxhash64(F.lit(_SECOND_SALT), mask, *values).alias("h2")
        return scoped.groupBy(h, h2).agg(F.count(F.lit(1)).alias(COUNT))


@dataclass(frozen=True)
class StoredGrouping:
    """Where a grouping's frequency table is and which of its versions matches the stored states.

    Attributes:
        path: The Delta table of counts.
        table_version: Its version holding exactly the counts of the verified source version.
        appends: Appends since the table was last written with one row per group.
        summary: The running summary (hashed groupings only; value-keyed ones are re-summarized).
    """

    path: str
    table_version: int
    appends: int = 0
    summary: GroupSummary | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-able form stored as the state of every analyzer of the grouping."""
        s = self.summary
        summary = None
        if s is not None:
            summary = [s.num_rows, s.num_groups, s.num_singletons, s.sum_c_ln_c, s.null_rows]
        return {
            "type": "DeltaGrouping",
            "path": self.path,
            "table_version": self.table_version,
            "appends": self.appends,
            "summary": summary,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredGrouping | None:
        """Inverse of :meth:`to_json`; None for another state type (e.g. an older layout)."""
        if data.get("type") != "DeltaGrouping":
            return None
        summary = data.get("summary")
        return cls(
            str(data["path"]),
            int(data["table_version"]),
            int(data.get("appends", 0)),
            None if summary is None else summary_from_row(summary),
        )


def _read(spark: SparkSession, path: str, version: int) -> DataFrame:
    return spark.read.format("delta").option("versionAsOf", version).load(path)


def _summarize_table(spark: SparkSession, plan: GroupingPlan, path: str, version: int) -> GroupSummary:
    table = _read(spark, path, version)
    if plan.hashed:
        row = table.agg(*summary_aggregates(F.col(COUNT), F.lit(False))).collect()[0]
        return summary_from_row(row)
    grouped = table.groupBy(*plan.keys).agg(F.sum(COUNT).alias(COUNT))
    return summarize(grouped, len(plan.columns), plan.top_k, plan.mutual_information)


def stored_summary(spark: SparkSession, plan: GroupingPlan, stored: StoredGrouping) -> GroupSummary:
    """The summary of a stored grouping (no Spark job for hashed groupings)."""
    if stored.summary is not None and plan.hashed:
        return stored.summary
    return _summarize_table(spark, plan, stored.path, stored.table_version)


def build_grouping(
    spark: SparkSession, plan: GroupingPlan, path: str, data: DataFrame
) -> tuple[StoredGrouping, GroupSummary]:
    """Count every group of ``data`` into a fresh table at ``path`` (overwrite) and summarize it."""
    with job_description(spark, f"spark_mlops: frequency table of {list(plan.columns)}"):
        plan.counts(data).write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(path)
    version = latest_log_version(spark, path)
    with job_description(spark, f"spark_mlops: summary of {list(plan.columns)}"):
        summary = _summarize_table(spark, plan, path, version)
    return StoredGrouping(path, version, 0, summary if plan.hashed else None), summary


def _correction(
    spark: SparkSession, plan: GroupingPlan, stored: StoredGrouping, files: list[str], touched: int
) -> GroupSummary:
    keys = plan.keys
    added = spark.read.parquet(*files)  # our own commit's rows: one per touched group
    probe = added.select(*keys)
    if touched <= BROADCAST_KEYS:
        probe = F.broadcast(probe)
    old = (
        _read(spark, stored.path, stored.table_version)
        .join(probe, keys, "left_semi")
        .groupBy(*keys)
        .agg(F.sum(COUNT).alias("o"))
    )
    zero = F.lit(0).cast("long")
    both = (
        added.select(*keys, F.col(COUNT).alias("d"), zero.alias("o"))
        .unionByName(old.select(*keys, zero.alias("d"), "o"))
        .groupBy(*keys)
        .agg(F.sum("d").alias("d"), F.sum("o").alias("o"))
    )
    o, d = F.col("o"), F.col("d")
    c = o + d
    row = both.agg(
        F.coalesce(F.sum(d), zero),
        F.count_if(o == 0),
        F.count_if(c == 1) - F.count_if(o == 1),
        F.coalesce(F.sum(c * F.ln(c) - F.when(o > 0, o * F.ln(o)).otherwise(F.lit(0.0))), F.lit(0.0)),
    ).collect()[0]
    return summary_from_row([row[0], row[1], row[2], row[3], 0])


def append_grouping(
    spark: SparkSession, plan: GroupingPlan, stored: StoredGrouping, appended: DataFrame
) -> tuple[StoredGrouping, GroupSummary]:
    """Add the counts of ``appended`` rows to a stored grouping; the new stored state and its summary.

    Raises:
        ConcurrentGroupingWriteError: another run appended to the same table at the same time.
    """
    label = f"spark_mlops: append counts of {list(plan.columns)}"
    with job_description(spark, label):
        plan.counts(appended).write.format("delta").mode("append").save(stored.path)
    version = latest_log_version(spark, stored.path)
    if version != stored.table_version + 1:
        raise ConcurrentGroupingWriteError(
            f"frequency table {stored.path} moved from version {stored.table_version} to {version} "
            "during this run (a concurrent incremental run?)"
        )
    adds = commit_adds(spark, stored.path, version)
    files = [path for path, _ in adds]
    if plan.hashed and stored.summary is not None:
        touched = sum(rows if rows is not None else BROADCAST_KEYS + 1 for _, rows in adds)
        if files:
            with job_description(spark, f"spark_mlops: summary correction of {list(plan.columns)}"):
                delta = _correction(spark, plan, stored, files, touched)
            summary = stored.summary + delta
        else:
            summary = stored.summary
    else:
        with job_description(spark, f"spark_mlops: summary of {list(plan.columns)}"):
            summary = _summarize_table(spark, plan, stored.path, version)
    appends = stored.appends + 1
    if appends >= COMPACT_AFTER:
        # Fold the appended rows into one row per group so reads stay proportional to the groups.
        log.info("compacting frequency table %s after %d appends", stored.path, appends)
        with job_description(spark, f"spark_mlops: compact frequency table of {list(plan.columns)}"):
            grouped = _read(spark, stored.path, version).groupBy(*plan.keys).agg(F.sum(COUNT).alias(COUNT))
            grouped.write.format("delta").mode("overwrite").save(stored.path)
        version, appends = latest_log_version(spark, stored.path), 0
    return StoredGrouping(stored.path, version, appends, summary if plan.hashed else None), summary
