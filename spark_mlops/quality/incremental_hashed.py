"""Hashed frequency counts ``(g, h, h2, cnt)`` of all hashed groupings of a source in one folder of
plain Parquet files listed by the stored state (:mod:`spark_mlops.quality.incremental_files`).

One write job also returns, through :class:`pyspark.sql.Observation`:

* each grouping's summary of the written counts (observed after the aggregation, in the write's result
  stage, whose accumulator updates Spark applies exactly once per partition), which is the whole
  summary on a build and the summary change of an append whose groups are all new;
* optionally the scan analyzers' aggregates over the input rows (observed before the aggregation, in a
  map stage, which a retried stage could count twice; the caller checks the observed row count against
  the Delta statistics and rescans if they differ).

An append that may touch stored groups needs one correction job (a broadcast join of the appended keys
with the stored files, see :func:`correction`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from spark_mlops.quality import incremental_groups
from spark_mlops.quality.analyzers.grouping import COUNT, GroupSummary, summary_from_row
from spark_mlops.quality.incremental_files import read_files, write_files
from spark_mlops.quality.incremental_groups import (
    HASH_KEYS,
    GroupingPlan,
    StoredGrouping,
    range_column,
    value_ranges,
)
from spark_mlops.quality.incremental_log import EMPTY_RANGE, ValueRange, disjoint, union_range
from spark_mlops.spark import job_description

__all__ = [
    "BROADCAST_KEYS",
    "Written",
    "append_hashed",
    "build_hashed",
    "compact_hashed",
    "correction",
    "write_counts",
]

log = logging.getLogger(__name__)

#: Largest number of appended groups whose keys are broadcast for the correction (24 bytes each).
BROADCAST_KEYS = 2_000_000
#: What :func:`append_hashed` returns.
Appended = tuple[
    str, tuple[str, ...], dict[str, GroupSummary], dict[str, ValueRange | None], int, list[Any] | None
]
_SCHEMA = f"g string, h long, h2 long, {COUNT} long"


@dataclass(frozen=True)
class Written:
    """What one :func:`write_counts` produced.

    Attributes:
        files: The written files, relative to the folder.
        summaries: Per grouping id, the summary of the written counts.
        observed: Values of the extra aggregates over the input rows (None when none were asked).
    """

    files: tuple[str, ...]
    summaries: dict[str, GroupSummary]
    observed: list[Any] | None


def write_counts(
    spark: SparkSession,
    folder: str,
    plans: Sequence[GroupingPlan],
    data: DataFrame,
    extra: Sequence[Column] = (),
    single_file: bool = False,
) -> Written:
    """Count the groups of every plan in ``data`` into a new sub-folder of ``folder`` (one Spark job).

    Args:
        spark: The session.
        folder: The groupings' folder.
        plans: Hashed groupings (already checked to analyze).
        data: The rows to count.
        extra: Aggregates over the rows of ``data`` to observe in the same job; needs a plan without a
            ``where`` (a constant-false filter could prune the observed branch): the first one carries
            them; with none, ``observed`` is None.
        single_file: Write one file (an append's counts are small; keeps the file list short).
    """
    sub = uuid.uuid4().hex
    carrier = next((i for i, plan in enumerate(plans) if plan.where is None), None)
    scan_observation: Observation | None = None
    branches: list[DataFrame] = []
    for i, plan in enumerate(plans):
        source = data
        if extra and i == carrier:
            scan_observation = Observation(f"spark_mlops_scan_{sub}")
            source = data.observe(scan_observation, *[c.alias(f"_x{j}") for j, c in enumerate(extra)])
        branches.append(plan.counts(source))
    counts = reduce(DataFrame.unionByName, branches)
    group_observation = Observation(f"spark_mlops_groups_{sub}")
    # Per grouping: rows, groups, singletons, Σ c·ln c of the written counts (SQL text: few Py4J calls).
    summary = [
        F.expr(f"{agg} AS _s{i}_{j}")
        for i, plan in enumerate(plans)
        for j, agg in enumerate(
            (
                f"coalesce(sum(CASE WHEN g = '{plan.group_id}' THEN {COUNT} END), 0L)",
                f"count_if(g = '{plan.group_id}')",
                f"count_if(g = '{plan.group_id}' AND {COUNT} = 1)",
                f"coalesce(sum(CASE WHEN g = '{plan.group_id}' THEN {COUNT} * ln({COUNT}) END), 0D)",
            )
        )
    ]
    counts = counts.observe(group_observation, *summary)
    what = f"counts of {len(plans)} groupings"
    files = write_files(spark, folder, counts, "a" if single_file else "b", what, single_file)
    found = group_observation.get
    summaries = {
        plan.group_id: summary_from_row([*(found[f"_s{i}_{j}"] for j in range(4)), 0])
        for i, plan in enumerate(plans)
    }
    observed = None
    if scan_observation is not None:
        values = scan_observation.get
        observed = [values[f"_x{j}"] for j in range(len(extra))]
    return Written(files, summaries, observed)


def correction(
    spark: SparkSession,
    folder: str,
    old_files: Sequence[str],
    added_files: Sequence[str],
    appended_groups: int,
) -> dict[str, GroupSummary]:
    """Per grouping id, what to add to ``summary(old) + summary(added as if all new)`` to get the
    summary of the merged counts: appended groups that already had ``o > 0`` rows (one Spark job, plus
    the broadcast of the appended keys when there are at most ``BROADCAST_KEYS``).

    For such a group with ``d`` appended rows and ``c = o + d``: it is not a new group (−1), it was
    counted a singleton if ``d = 1`` and stops being one if ``o = 1`` (``c ≥ 2``), and its entropy term
    is ``c·ln c − o·ln o`` rather than ``d·ln d``.
    """
    if not old_files or not added_files:
        return {}
    added = read_files(spark, folder, added_files, _SCHEMA).select(
        F.col("g").alias("ag"), F.col("h").alias("ah"), F.col("h2").alias("ah2"), F.col(COUNT).alias("d")
    )
    if appended_groups <= BROADCAST_KEYS:
        added = F.broadcast(added)
    old = read_files(spark, folder, old_files, _SCHEMA).select("h", "h2", COUNT)
    # Equi-join on h only (one long key); the xor keeps h2 a residual condition, not a second key. The
    # hashes are salted with the grouping id, so g need not be read from the big side.
    on = (F.col("h") == F.col("ah")) & (F.col("h2").bitwiseXOR(F.col("ah2")) == 0)
    touched = (
        old.join(added, on)
        .groupBy("ag", "ah", "ah2")
        .agg(F.sum(COUNT).alias("o"), F.max("d").alias("d"))  # one appended row per key: max is d
    )
    o, d = F.col("o"), F.col("d")
    c = o + d
    with job_description(spark, "spark_mlops: summary corrections of appended groups"):
        rows = (
            touched.groupBy("ag")
            .agg(
                F.count(F.lit(1)),
                F.count_if(d == 1) + F.count_if(o == 1),
                F.sum(c * F.ln(c) - o * F.ln(o) - d * F.ln(d)),
            )
            .collect()
        )
    return {r[0]: GroupSummary(0, -int(r[1]), -int(r[2]), float(r[3]), 0) for r in rows}


def compact_hashed(spark: SparkSession, folder: str, files: Sequence[str]) -> tuple[str, ...]:
    """Rewrite the listed counts with one row per group into a new sub-folder; its files (one job)."""
    if not files:
        return ()
    log.info("compacting the frequency counts in %s (%d files)", folder, len(files))
    grouped = read_files(spark, folder, files, _SCHEMA).groupBy(*HASH_KEYS).agg(F.sum(COUNT).alias(COUNT))
    return write_files(spark, folder, grouped, "c", "compact frequency counts")


def build_hashed(
    spark: SparkSession, folder: str, plans: Sequence[GroupingPlan], data: DataFrame
) -> tuple[tuple[str, ...], dict[str, GroupSummary], dict[str, ValueRange | None]]:
    """Count the whole table into ``folder`` (one job): the files, each grouping's summary and value
    range (see :class:`~spark_mlops.quality.incremental_groups.StoredGrouping`). The ranges ride along
    in the write (min/max stay exact even if a retried stage were observed twice)."""
    column = {plan.group_id: range_column(plan, data.schema) for plan in plans}
    names = sorted({c for c in column.values() if c})
    bounds = [agg(F.col(f"`{name}`")) for name in names for agg in (F.min, F.max)]
    written = write_counts(spark, folder, plans, data, bounds)
    if written.observed is None:  # no grouping without a where to carry them: one more job
        exact = value_ranges(spark, data, names)
    else:
        exact = {}
        for i, name in enumerate(names):
            low, high = written.observed[2 * i], written.observed[2 * i + 1]
            exact[name] = EMPTY_RANGE if low is None else (int(low), int(high))
    spans = {gid: None if c is None else exact[c] for gid, c in column.items()}
    return written.files, written.summaries, spans


def append_hashed(
    spark: SparkSession,
    data: DataFrame,
    plans: Sequence[GroupingPlan],
    before: Mapping[str, StoredGrouping | None],
    ranges: Mapping[str, ValueRange | None],
    extra: Sequence[Column] = (),
) -> tuple[
    str, tuple[str, ...], dict[str, GroupSummary], dict[str, ValueRange | None], int, list[Any] | None
]:
    """Add the counts of the appended rows ``data`` to the stored ones (``before``, per grouping id).

    Writes the appended counts observing ``extra`` (one job), corrects the stored summaries from the
    touched stored groups (one job, skipped when every grouping is on one integer column whose appended
    values, ``ranges`` from the Delta statistics, lie outside the stored ones: then every appended group
    is new) and compacts when due.

    Returns:
        The folder, its files now, each grouping's summary and value range, the appends since the last
        compaction, and the observed values of ``extra`` (None when they could not be observed).
    """
    first = before[plans[0].group_id]
    assert first is not None
    spans: dict[str, ValueRange | None] = {}
    new_groups_only = True
    for plan in plans:
        c, old = range_column(plan, data.schema), before[plan.group_id]
        assert old is not None
        spans[plan.group_id] = None if c is None else union_range(old.value_range, ranges.get(c))
        new_groups_only = new_groups_only and c is not None and disjoint(old.value_range, ranges.get(c))
    written = None
    if extra:
        try:
            written = write_counts(spark, first.path, plans, data, extra, single_file=True)
        except Exception as exc:  # noqa: BLE001 - a scan expression failed: the caller scans it apart
            log.info("appended counts in %s: writing without the scan aggregates (%s)", first.path, exc)
    if written is None:
        written = write_counts(spark, first.path, plans, data, single_file=True)
    summaries: dict[str, GroupSummary] = {}
    for plan in plans:
        old = before[plan.group_id]
        assert old is not None and old.summary is not None
        summaries[plan.group_id] = old.summary + written.summaries[plan.group_id]
    if not new_groups_only:
        appended_groups = sum(s.num_groups for s in written.summaries.values())
        fixes = correction(spark, first.path, first.files, written.files, appended_groups)
        summaries = {gid: s + fixes[gid] if gid in fixes else s for gid, s in summaries.items()}
    files, appends = (*first.files, *written.files), first.appends + 1
    if appends >= incremental_groups.COMPACT_AFTER:
        files, appends = compact_hashed(spark, first.path, files), 0
    return first.path, files, summaries, spans, appends, written.observed
