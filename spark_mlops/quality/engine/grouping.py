"""Grouping analyzers: one Spark job per distinct (grouping columns, where), shared by all of them.

Exact uniqueness without grouping on wide values: rows are grouped on a 64-bit ``xxhash64`` of the
grouping columns (NULL-aware: a NULL bitmask is hashed in, so ``(NULL, "a")`` and ``("a", NULL)``
differ). Each hash group also keeps min and max of a second, independently seeded 64-bit hash; a group
whose second hash varies holds different values that collided on the first hash, and only those
groups are re-counted on the real values (a second job that runs only when such a collision exists).
The shuffle carries three longs per group instead of the values, which is what makes it faster than
``groupBy(col).count()``. The answer is exact unless two different values collide on *both* hashes
(probability ≈ n²/2¹²⁹ — for 10⁹ rows about 10⁻²¹).

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

#: Bits of the grouping hash. Tests lower it to force collisions and prove the answer stays exact.
HASH_BITS = 64
_SECOND_HASH_SALT = 0x5EED_C0FF_EE15_D00D
_MAX_MASK_COLUMNS = 62


def _null_mask(columns: Sequence[str]) -> Column:
    bits = [F.when(column(c).isNull(), F.lit(1 << i)).otherwise(F.lit(0)) for i, c in enumerate(columns)]
    return reduce(lambda a, b: a + b, bits).cast("long")


def _hashes(columns: Sequence[str]) -> tuple[Column, Column, Column]:
    mask = _null_mask(columns)
    values = [column(c) for c in columns]
    first = F.xxhash64(mask, *values)
    if HASH_BITS < 64:
        first = first.bitwiseAND(F.lit((1 << HASH_BITS) - 1))
    second = F.xxhash64(F.lit(_SECOND_HASH_SALT), mask, *values)
    any_present = reduce(lambda a, b: a | b, [column(c).isNotNull() for c in columns])
    return first, second, any_present


def hashed_summary(df: DataFrame, columns: Sequence[str], where: str | None) -> GroupSummary:
    """The :class:`GroupSummary` of ``columns`` over rows in scope, grouping on hashes (exact).

    Rows whose grouping columns are all NULL are dropped before grouping (no analyzer on this path
    needs them), so ``null_rows`` is 0. One Spark job; a second one only when a first-hash collision
    between different values exists.
    """
    first, second, any_present = _hashes(columns)
    scoped = df.where(any_present if where is None else any_present & in_scope(where))
    groups = scoped.groupBy(first.alias("h")).agg(
        F.count(F.lit(1)).alias("cnt"),
        F.min(second).alias("lo"),
        F.max(second).alias("hi"),
    )
    clean = F.col("lo") == F.col("hi")
    row = groups.agg(
        *summary_aggregates(F.col("cnt"), F.lit(False), include=clean),
        F.collect_list(F.when(~clean, F.col("h"))),
    ).collect()[0]
    summary = summary_from_row(row)
    colliding = list(row[5])
    if not colliding:
        return summary
    log.info("%d hash groups of %s hold colliding values; re-counting them exactly", len(colliding), columns)
    collided = scoped.where(first.isin(colliding))
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
