"""Hashed frequency counts ``(g, h, h2, cnt)`` of all hashed groupings of a source in one folder of
plain Parquet files listed by the stored state (:mod:`spark_mlops.quality.incremental_files`).

A build (the whole table) counts with a shuffle and one write job that also returns, through
:class:`pyspark.sql.Observation`, each grouping's summary of the written counts (observed after the
aggregation, in the write's result stage, whose accumulator updates Spark applies exactly once per
partition) and optionally other aggregates over the input rows (observed before the aggregation, in a
map stage, which a retried stage could count twice; the caller checks the observed row count against
the Delta statistics and rescans if they differ).

A small append (the usual case: its size is known from the Delta statistics) sends its rows' key
hashes to the driver as Arrow in one map-only job (:func:`collect_counts`): the driver counts and
summarizes them and writes the file itself, which saves an aggregation stage and the Spark write's
fixed cost.

An append that may touch stored groups needs a correction: on the driver for a local folder
(:mod:`~spark_mlops.quality.incremental_match`), else one Spark job (a broadcast join of the appended
keys with the stored files, see :func:`correction`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from spark_mlops.quality import incremental_groups
from spark_mlops.quality.analyzers.base import quote
from spark_mlops.quality.analyzers.grouping import COUNT, GroupSummary, summary_from_row
from spark_mlops.quality.incremental_files import is_local, local_path, read_files, write_arrow, write_files
from spark_mlops.quality.incremental_groups import (
    HASH_KEYS,
    GroupingPlan,
    StoredGrouping,
    range_column,
    sql_over,
    value_ranges,
)
from spark_mlops.quality.incremental_log import EMPTY_RANGE, ValueRange, disjoint, union_range
from spark_mlops.quality.incremental_match import DRIVER_MATCH_GROUPS, correction_on_driver
from spark_mlops.spark import job_description

__all__ = [
    "BROADCAST_KEYS",
    "DRIVER_COUNTS",
    "Written",
    "append_hashed",
    "build_hashed",
    "collect_counts",
    "compact_hashed",
    "correction",
    "write_counts",
]

log = logging.getLogger(__name__)

#: Largest number of appended groups whose keys are broadcast for the correction (24 bytes each).
BROADCAST_KEYS = 2_000_000
#: Largest appended rows × hashed groupings whose key hashes are brought to the driver as Arrow and
#: counted there (≈ 40 bytes per row with the grouping id: ≤ 80 MB); larger appends are counted by a
#: shuffle and a Spark write.
DRIVER_COUNTS = 2_000_000
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


def _branches(
    plans: Sequence[GroupingPlan], data: DataFrame, extra: Sequence[str], sub: str, counted: bool = True
) -> tuple[DataFrame, Observation | None]:
    """The union of every plan's counts of ``data`` (or, not ``counted``, of its uncounted key hashes),
    with ``extra`` (aggregates as SQL text) observed on the input rows of the first plan without a
    ``where`` (a constant-false filter could prune the observed branch). The other plans' branches are
    one SQL text (few Py4J calls)."""
    carrier = next((i for i, plan in enumerate(plans) if plan.where is None), None) if extra else None
    scan_observation: Observation | None = None
    parts: list[DataFrame] = []
    if carrier is not None:
        scan_observation = Observation(f"spark_mlops_scan_{sub}")
        observed = data.observe(scan_observation, F.expr(f"{_struct(extra)} AS _scan"))
        carried = plans[carrier]
        parts.append(carried.observed_counts(observed) if counted else carried.observed_hashes(observed))
    others = [plan for i, plan in enumerate(plans) if i != carrier]
    if others:
        frames: list[DataFrame] = []
        index: list[int] = []
        for plan in others:  # plans without a where share one view of data
            frame = plan.scoped(data)
            if all(frame is not known for known in frames):
                frames.append(frame)
            index.append(next(j for j, known in enumerate(frames) if known is frame))
        parts.append(
            sql_over(
                frames,
                lambda views: " UNION ALL ".join(
                    (plan.hashed_sql if counted else plan.hashes_sql)(views[j])
                    for plan, j in zip(others, index, strict=True)
                ),
            )
        )
    return reduce(DataFrame.unionByName, parts), scan_observation


def _struct(expressions: Sequence[str]) -> str:
    """One ``named_struct`` of SQL ``expressions`` (fields ``_x0``, ``_x1``, …): one Py4J call for all."""
    return "named_struct(" + ", ".join(f"'_x{j}', {e}" for j, e in enumerate(expressions)) + ")"


def _observed(observation: Observation | None) -> list[Any] | None:
    return None if observation is None else list(observation.get["_scan"])


def write_counts(
    spark: SparkSession,
    folder: str,
    plans: Sequence[GroupingPlan],
    data: DataFrame,
    extra: Sequence[str] = (),
    single_file: bool = False,
) -> Written:
    """Count the groups of every plan in ``data`` into a new sub-folder of ``folder`` (one Spark job).

    Args:
        spark: The session.
        folder: The groupings' folder.
        plans: Hashed groupings (already checked to analyze).
        data: The rows to count.
        extra: Aggregates (SQL text) over the rows of ``data`` to observe in the same job; needs a plan
            without a ``where``: the first one carries them; with none, ``observed`` is None.
        single_file: Write one file (an append's counts are small; keeps the file list short).
    """
    sub = uuid.uuid4().hex
    counts, scan_observation = _branches(plans, data, extra, sub)
    group_observation = Observation(f"spark_mlops_groups_{sub}")
    # Per grouping: rows, groups, singletons, Σ c·ln c of the written counts.
    summary = [
        agg
        for plan in plans
        for agg in (
            f"coalesce(sum(CASE WHEN g = '{plan.group_id}' THEN {COUNT} END), 0L)",
            f"count_if(g = '{plan.group_id}')",
            f"count_if(g = '{plan.group_id}' AND {COUNT} = 1)",
            f"coalesce(sum(CASE WHEN g = '{plan.group_id}' THEN {COUNT} * ln({COUNT}) END), 0D)",
        )
    ]
    counts = counts.observe(group_observation, F.expr(f"{_struct(summary)} AS _groups"))
    what = f"counts of {len(plans)} groupings"
    files = write_files(spark, folder, counts, "a" if single_file else "b", what, single_file)
    found = list(group_observation.get["_groups"])
    summaries = {
        plan.group_id: summary_from_row([*found[4 * i : 4 * i + 4], 0]) for i, plan in enumerate(plans)
    }
    return Written(files, summaries, _observed(scan_observation))


def collect_counts(
    spark: SparkSession,
    folder: str,
    plans: Sequence[GroupingPlan],
    data: DataFrame,
    extra: Sequence[str] = (),
) -> Written:
    """:func:`write_counts` for a small append into a local ``folder``: the appended rows' key hashes
    come to the driver as Arrow (one map-only job, 16 bytes per row and grouping), the driver counts
    them, summarizes the counts and writes one Parquet file.

    Counting on the driver saves the aggregation's own stage and, for a Spark write, the write's fixed
    cost. Measured on 100 k appended rows of a 10 M-row table, same process, min of 6
    (``bench/results/incremental_10m.md``): the hashes to the driver and counted there 0.14 s; the
    same counted by Spark in one task 0.31 s; with a shuffle and a Spark write (the path above
    :data:`DRIVER_COUNTS`) 0.47 s. The caller bounds the append's size (:data:`DRIVER_COUNTS`).
    """
    sub = uuid.uuid4().hex
    hashes, scan_observation = _branches(plans, data, extra, sub, counted=False)
    with job_description(spark, f"spark_mlops: counts of {len(plans)} groupings"):
        rows = hashes.toArrow()
    counted = rows.group_by(list(HASH_KEYS)).aggregate([("h", "count")])
    table = pa.table({**{k: counted.column(k) for k in HASH_KEYS}, COUNT: counted.column("h_count")})
    files = write_arrow(folder, table, "a")
    groups, values = table.column("g"), table.column(COUNT)
    summaries: dict[str, GroupSummary] = {}
    for plan in plans:
        # The sums summary_aggregates takes in Spark, here over the counts.
        summaries[plan.group_id] = GroupSummary.of_counts(pc.filter(values, pc.equal(groups, plan.group_id)))
    return Written(files, summaries, _observed(scan_observation))


def correction(
    spark: SparkSession,
    folder: str,
    old_files: Sequence[str],
    added_files: Sequence[str],
    appended_groups: int,
    stored_groups: int,
) -> dict[str, GroupSummary]:
    """Per grouping id, what to add to ``summary(old) + summary(added as if all new)`` to get the
    summary of the merged counts: appended groups that already had ``o > 0`` rows. For a local folder
    with at most ``DRIVER_MATCH_GROUPS`` stored and ``BROADCAST_KEYS`` appended groups the driver matches
    the keys itself (:mod:`~spark_mlops.quality.incremental_match`, no Spark job); otherwise one Spark
    job, plus the broadcast of the appended keys when there are at most ``BROADCAST_KEYS``.

    For such a group with ``d`` appended rows and ``c = o + d``: it is not a new group (−1), it was
    counted a singleton if ``d = 1`` and stops being one if ``o = 1`` (``c ≥ 2``), and its entropy term
    is ``c·ln c − o·ln o`` rather than ``d·ln d``.
    """
    if not old_files or not added_files:
        return {}
    local = local_path(folder)
    if local is not None and appended_groups <= BROADCAST_KEYS and stored_groups <= DRIVER_MATCH_GROUPS:
        return correction_on_driver(local, old_files, added_files)
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
    bounds = [f"{agg}({quote(name)})" for name in names for agg in ("min", "max")]
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
    extra: Sequence[str] = (),
    rows: int | None = None,
) -> Appended:
    """Add the counts of the appended rows ``data`` to the stored ones (``before``, per grouping id).

    Writes the appended counts observing ``extra`` (one job; :func:`collect_counts` when ``rows``, the
    appended rows from the Delta statistics, are few enough), corrects the stored summaries from the
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
    small = rows is not None and rows * len(plans) <= DRIVER_COUNTS and is_local(first.path)

    def count(with_extra: Sequence[str]) -> Written:
        if small:
            return collect_counts(spark, first.path, plans, data, with_extra)
        return write_counts(spark, first.path, plans, data, with_extra, single_file=True)

    written = None
    if extra:
        try:
            written = count(extra)
        except Exception as exc:  # noqa: BLE001 - a scan expression failed: the caller scans it apart
            log.info("appended counts in %s: counting without the scan aggregates (%s)", first.path, exc)
    if written is None:
        written = count(())
    summaries: dict[str, GroupSummary] = {}
    stored_groups = 0
    for plan in plans:
        old = before[plan.group_id]
        assert old is not None and old.summary is not None
        summaries[plan.group_id] = old.summary + written.summaries[plan.group_id]
        stored_groups += old.summary.num_groups
    if not new_groups_only:
        appended_groups = sum(s.num_groups for s in written.summaries.values())
        fixes = correction(spark, first.path, first.files, written.files, appended_groups, stored_groups)
        summaries = {gid: s + fixes[gid] if gid in fixes else s for gid, s in summaries.items()}
    files, appends = (*first.files, *written.files), first.appends + 1
    if appends >= incremental_groups.COMPACT_AFTER:
        files, appends = compact_hashed(spark, first.path, files), 0
    return first.path, files, summaries, spans, appends, written.observed
