"""Grouping analyzers: one Spark job per distinct (grouping columns, where), shared by all of them.

Exact uniqueness without grouping on wide values: rows are grouped on a 128-bit key, the pair of two
independently seeded 64-bit ``xxhash64`` of the grouping columns (NULL-aware: a NULL bitmask is hashed
in, so ``(NULL, "a")`` and ``("a", NULL)`` differ). Each key group also keeps min and max of a third,
32-bit ``hash`` (Murmur3) as a collision witness: a group whose witness varies holds different values
that collided on the key, and only those groups are re-counted on the real values (a second job that
runs only when such a collision exists). The shuffle carries two longs of key plus a count and two ints
per group instead of the values, which is what makes it faster than ``groupBy(col).count()``; the
global summary of the groups folds into the same job. The answer is exact unless two different values
collide on all 160 bits (probability ≈ n²/2¹⁶¹).

Groupings that need the values themselves (Histogram's bins, MutualInformation's marginals) group on
the real values instead; they are usually low-cardinality.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_mlops.quality.analyzers.base import column, in_scope
from spark_mlops.quality.analyzers.frequency import GroupingAnalyzer
from spark_mlops.quality.analyzers.grouping import (
    GroupSummary,
    frequencies,
    summarize,
    summary_aggregates,
    summary_from_row,
)
from spark_mlops.quality.engine.errors import failure_message
from spark_mlops.quality.metrics import Metric
from spark_mlops.spark import job_description

__all__ = ["HASH_BITS", "compute_grouping_metrics", "hashed_summary"]

log = logging.getLogger(__name__)

#: Bits kept of each of the two key hashes. Tests lower it to force key collisions between different
#: values and prove that the witness finds them and the answer stays exact.
HASH_BITS = 64
_SECOND_HASH_SALT = 0x5EED_C0FF_EE15_D00D
_WITNESS_SALT = 0x0DDB_A115
_MAX_MASK_COLUMNS = 62


def _null_mask(columns: Sequence[str]) -> Column:
    bits = [F.when(column(c).isNull(), F.lit(1 << i)).otherwise(F.lit(0)) for i, c in enumerate(columns)]
    return reduce(lambda a, b: a + b, bits).cast("long")


def _truncated(hash_: Column) -> Column:
    return hash_ if HASH_BITS >= 64 else hash_.bitwiseAND(F.lit((1 << HASH_BITS) - 1))


def _key_and_witness(columns: Sequence[str]) -> tuple[Column, Column, Column, Column]:
    """First and second key hash, the witness hash and whether any grouping column is present."""
    mask = _null_mask(columns)
    values = [column(c) for c in columns]
    first = _truncated(F.xxhash64(mask, *values))
    second = _truncated(F.xxhash64(F.lit(_SECOND_HASH_SALT), mask, *values))
    witness = F.hash(F.lit(_WITNESS_SALT), mask, *values)
    any_present = reduce(lambda a, b: a | b, [column(c).isNotNull() for c in columns])
    return first, second, witness, any_present


def _free_name(df: DataFrame, name: str) -> str:
    """``name``, suffixed with underscores until no column of ``df`` has it (so no column is shadowed)."""
    while name in df.columns:
        name += "_"
    return name


def hashed_summary(df: DataFrame, columns: Sequence[str], where: str | None) -> GroupSummary:
    """The :class:`GroupSummary` of ``columns`` over rows in scope, grouping on hashes (exact).

    Rows whose grouping columns are all NULL are dropped before grouping (no analyzer on this path
    needs them), so ``null_rows`` is 0. One Spark job; a second one only when different values share
    a key and the witness tells them apart.
    """
    first, second, witness, any_present = _key_and_witness(columns)
    scoped = df.where(any_present if where is None else any_present & in_scope(where))
    groups = scoped.groupBy(first.alias("h1"), second.alias("h2")).agg(
        F.count(F.lit(1)).alias("cnt"),
        F.min(witness).alias("lo"),
        F.max(witness).alias("hi"),
    )
    clean = F.col("lo") == F.col("hi")
    # The keys of mixed groups ride along in the same job; the list is empty unless keys collide.
    row = groups.agg(
        *summary_aggregates(F.col("cnt"), F.lit(False), include=clean),
        F.collect_list(F.when(~clean, F.struct("h1", "h2"))),
    ).collect()[0]
    summary = summary_from_row(row)
    mixed = [(int(k["h1"]), int(k["h2"])) for k in row[5]]
    if not mixed:
        return summary
    log.info("%d key groups of %s hold different values; re-counting them exactly", len(mixed), columns)
    k1, k2 = _free_name(df, "__spark_mlops_h1"), _free_name(df, "__spark_mlops_h2")
    keys = df.sparkSession.createDataFrame(mixed, f"{k1} long, {k2} long")
    collided = scoped.withColumns({k1: first, k2: second}).join(F.broadcast(keys), [k1, k2], "left_semi")
    return summary + summarize(frequencies(collided, columns, None), len(columns))


def _summary(
    df: DataFrame, columns: tuple[str, ...], where: str | None, members: list[GroupingAnalyzer]
) -> GroupSummary:
    top_k = max(m.top_k for m in members)
    mutual_information = any(m.needs_mutual_information for m in members)
    if top_k or mutual_information or len(columns) > _MAX_MASK_COLUMNS:
        return summarize(frequencies(df, columns, where), len(columns), top_k, mutual_information)
    return hashed_summary(df, columns, where)


def compute_grouping_metrics(
    df: DataFrame, analyzers: Sequence[GroupingAnalyzer]
) -> dict[GroupingAnalyzer, Metric]:
    """Metrics of grouping analyzers, one Spark job per distinct (columns, where)."""
    results: dict[GroupingAnalyzer, Metric] = {}
    schema = df.schema
    groupings: dict[tuple[tuple[str, ...], str | None], list[GroupingAnalyzer]] = {}
    for analyzer in dict.fromkeys(analyzers):
        problem = analyzer.preconditions(schema)
        if problem:
            results[analyzer] = analyzer.failure(problem)
        else:
            groupings.setdefault((analyzer.grouping_columns, analyzer.where), []).append(analyzer)
    for (columns, where), members in groupings.items():
        label = f"spark_mlops: grouping on {list(columns)} for {len(members)} analyzers"
        try:
            with job_description(df.sparkSession, label):
                summary = _summary(df, columns, where, members)
        except Exception as exc:  # noqa: BLE001 - a bad where is a failed metric, not a crash
            message = failure_message(exc)
            for analyzer in members:
                results[analyzer] = analyzer.failure(message)
            continue
        for analyzer in members:
            results[analyzer] = analyzer.metric_from_summary(summary)
    return results
