"""Grouping analyzers: one Spark job per distinct (grouping columns, where), shared by all of them.

Three exact paths for the hashed analyzers (Uniqueness, Distinctness, UniqueValueRatio, CountDistinct,
Entropy), none of which shuffles the values themselves:

* **One column, rows known to be few** (a materialized cache's statistics or the run's scan job give
  at most a few million rows; from :data:`.driver_values.MIN_ROWS`): :mod:`.driver_values` — each row
  ships its 64-bit hash and its (short) value to the driver in one Arrow collect; only rows whose hash
  repeats are grouped on their values. One job, no probe, exact (an integral column ships itself as its
  key). 1 M cached ids: 0.18 s against 0.46 s for the group-by.
* **Large, nearly unique keys** (ids; decided by the plan's size estimate and a small probe):
  :mod:`.unique_keys` — one 64-bit hash per row (a single integral column is its own key), counted
  on the driver when the row count allows it, else per shuffle partition, and only the hashes seen
  more than once re-counted on the real values. Exact whatever the hash does; on 10 M ids ≈ 3× faster
  than ``groupBy(col).count()`` on the driver, ≈ 2× in the shuffle (``bench/results/quality_suite.md``).
  Two to five jobs.
* **Everything else**: rows are grouped on a 128-bit key, the pair of two independently seeded 64-bit
  ``xxhash64`` of the grouping columns (NULL-aware: a NULL bitmask is hashed in, so ``(NULL, "a")`` and
  ``("a", NULL)`` differ), and the per-key counts are summarized in the same job (Spark's map-side
  combine keeps low-cardinality keys cheap). Two different values are counted as one only if they
  collide on all 128 bits (probability ≈ n²/2¹²⁹ — for 10⁹ distinct values about 10⁻²¹). One job.

Groupings that need the values themselves (Histogram's bins, MutualInformation's marginals) group on
the real values instead; they are usually low-cardinality.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ByteType, DataType, IntegerType, LongType, ShortType

from spark_mlops.quality.analyzers.base import column, sql_column, sql_in_scope
from spark_mlops.quality.analyzers.frequency import GroupingAnalyzer
from spark_mlops.quality.analyzers.grouping import (
    GroupSummary,
    frequencies,
    summarize,
    summary_aggregates,
    summary_from_row,
)
from spark_mlops.quality.engine import driver_values
from spark_mlops.quality.engine.errors import failure_message
from spark_mlops.quality.engine.unique_keys import driver_max_keys, exact_unique_summary, looks_unique
from spark_mlops.quality.metrics import Metric
from spark_mlops.spark import job_description

__all__ = ["HASH_BITS", "_SECOND_HASH_SALT", "compute_grouping_metrics", "hashed_summary"]

log = logging.getLogger(__name__)

#: Bits kept of the first key hash. Tests lower it to make nearly every value collide on it and show
#: that the second hash in the key keeps the answer exact.
HASH_BITS = 64
_SECOND_HASH_SALT = 0x5EED_C0FF_EE15_D00D
_MAX_MASK_COLUMNS = 62


# The keys are SQL text parsed by one ``F.expr`` each: built with pyspark.sql.functions they cost ~120
# Py4J calls per grouping (each function records its call site), ≈ 10-15 ms of a 0.15 s uniqueness
# run on 1 M cached ids, measured (see analyzers.base for the same choice in the scan job).
def _null_mask(columns: Sequence[str]) -> str:
    """SQL text of a BIGINT whose bit ``i`` says that ``columns[i]`` is NULL."""
    bits = [f"CASE WHEN {sql_column(c)} IS NULL THEN {1 << i} ELSE 0 END" for i, c in enumerate(columns)]
    return f"CAST({' + '.join(bits)} AS BIGINT)"


def _key(columns: Sequence[str]) -> tuple[str, str, str]:
    """SQL text of the two 64-bit key hashes and of whether any grouping column is present."""
    mask = _null_mask(columns)
    values = ", ".join(sql_column(c) for c in columns)
    first = f"xxhash64({mask}, {values})"
    if HASH_BITS < 64:
        first = f"({first} & {(1 << HASH_BITS) - 1}L)"
    second = f"xxhash64({_SECOND_HASH_SALT}L, {mask}, {values})"
    any_present = " OR ".join(f"{sql_column(c)} IS NOT NULL" for c in columns)
    return first, second, any_present


def _column_type(df: DataFrame, name: str) -> DataType:
    """The type of top-level column ``name`` of ``df`` from the schema PySpark already holds (no analysis;
    the analyzers' preconditions ask for the exact name), else Spark's own resolution of it."""
    for field in df.schema.fields:
        if field.name == name:
            return field.dataType
    return df.select(column(name)).schema[0].dataType


def hashed_summary(
    df: DataFrame, columns: Sequence[str], where: str | None, row_bound: int | None = None
) -> GroupSummary:
    """The :class:`GroupSummary` of ``columns`` over rows in scope, grouping on a 128-bit hash key, in
    one Spark job (exact unless two different values collide on all 128 bits), or exactly on the
    unique-key path for large, nearly unique keys.

    Rows whose grouping columns are all NULL are dropped before grouping (no analyzer on this path
    needs them), so ``null_rows`` is 0.

    Args:
        df: The data.
        columns: The grouping columns.
        where: The analyzers' filter.
        row_bound: An upper bound on the rows of ``df`` if the caller knows one (a materialized
            cache's statistics, or the scan job's free count); the unique-key path otherwise counts
            them itself to decide whether the keys fit on the driver.
    """
    first_sql, second_sql, any_present = _key(columns)
    present = F.expr(any_present)
    # The user's filter is parsed on its own, as in the scan job: its text cannot reach the presence test.
    scoped = df.where(present if where is None else present & F.expr(sql_in_scope(where)))
    # A single integral column is its own exact 64-bit key: no hash, so nothing to re-count.
    dtype = _column_type(df, columns[0])
    injective = len(columns) == 1 and isinstance(dtype, (ByteType, ShortType, IntegerType, LongType))
    first = F.expr(first_sql)
    key = F.expr(f"CAST({sql_column(columns[0])} AS BIGINT)") if injective else first
    spark = df.sparkSession
    if row_bound is not None and row_bound >= driver_values.MIN_ROWS and len(columns) == 1:
        # Few enough rows, known without a job: exact on the driver in one job, no probe (see
        # engine.driver_values; an integral column ships itself as its key, nothing to re-count).
        max_keys = driver_max_keys(spark)
        if injective and row_bound <= max_keys:
            summary = exact_unique_summary(scoped, tuple(columns), key, 0, True, on_driver=True)
            if summary is not None:
                return summary
        cap = driver_values.value_cap(dtype, row_bound, max_keys)
        if cap is not None:
            return driver_values.values_on_driver_summary(scoped, columns[0], first, cap)
    if looks_unique(scoped, key):
        partitions = int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
        if row_bound is None:
            # One job that decodes no column (cheap on cached or file data; a costly plan pays one
            # more evaluation) and can spare the shuffle of every key.
            row_bound = df.count()
        on_driver = row_bound <= driver_max_keys(spark)
        summary = exact_unique_summary(scoped, tuple(columns), key, partitions, injective, on_driver)
        if summary is not None:
            return summary
    # count(1) only: any further per-group aggregate (e.g. a min/max witness) doubles the group-by's cost.
    groups = scoped.groupBy(first.alias("h1"), F.expr(second_sql).alias("h2")).agg(
        F.count(F.lit(1)).alias("cnt")
    )
    return summary_from_row(groups.agg(*summary_aggregates(F.col("cnt"), F.lit(False))).collect()[0])


def _summary(
    df: DataFrame,
    columns: tuple[str, ...],
    where: str | None,
    members: list[GroupingAnalyzer],
    row_bound: int | None,
) -> GroupSummary:
    top_k = max(m.top_k for m in members)
    mutual_information = any(m.needs_mutual_information for m in members)
    if top_k or mutual_information or len(columns) > _MAX_MASK_COLUMNS:
        return summarize(frequencies(df, columns, where), len(columns), top_k, mutual_information)
    return hashed_summary(df, columns, where, row_bound)


def compute_grouping_metrics(
    df: DataFrame,
    analyzers: Sequence[GroupingAnalyzer],
    row_bound: int | None = None,
    summaries: dict[tuple[tuple[str, ...], str | None], GroupSummary] | None = None,
) -> dict[GroupingAnalyzer, Metric]:
    """Metrics of grouping analyzers, one Spark job per distinct (columns, where).

    ``row_bound`` is the number of rows of ``df`` when the caller has counted them (see
    :func:`hashed_summary`). When ``summaries`` is given, each grouping's :class:`GroupSummary` is put
    there under its (columns, where) (a failed grouping is left out).
    """
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
                summary = _summary(df, columns, where, members, row_bound)
        except Exception as exc:  # noqa: BLE001 - a bad where is a failed metric, not a crash
            message = failure_message(exc)
            for analyzer in members:
                results[analyzer] = analyzer.failure(message)
            continue
        if summaries is not None:
            summaries[(columns, where)] = summary
        for analyzer in members:
            results[analyzer] = analyzer.metric_from_summary(summary)
    return results
