"""Learn from the first rows which categorical columns have few values and which numeric columns are
continuous (before a profile's job 1).

Without a reference, job 1 of a profile used to read every categorical column only to decide "frequency
table or not" (a count and a two-word bitmap per column), and job 2 then read the same column again for
its table: string columns are the costliest to decode, and they were decoded twice. The first rows
answer that question for most real columns (a country, a status, a category repeats within a few
thousand rows; an id or a free text does not) at the cost of one small ``limit`` job. A column guessed
"few values" skips job 1 and goes straight to job 2's table *guarded* by a window over its cells
(:func:`~spark_mlops.quality.profiles.scans.distribution_job`), so a wrong guess — a column whose first
rows are not representative, e.g. a table sorted by it — costs a larger shuffle, never a wrong number:
above ``max_categories`` cells the column comes back truncated with its exact present and distinct
counts. A column guessed "many values" is profiled as before (job 1's bitmap decides).

The same rows *prove* a numeric column continuous when they show more than 20 distinct values (the
most a discrete column may have): job 1 then skips that column's hash bitmap, which only answers
"discrete or not". The probe reads one row group of the first file (≈ 0.8-1.7 s at 10 M rows × 60
columns; Parquet decodes a column chunk at a time) and saves job 1 a hash per numeric value and a
decode of every string.

A selective filter the scan cannot prune (not on a partition column, not answered by Delta's data
skipping) is the probe's bad case: Spark's ``limit`` then reads ever more partitions (1, 4, 16, …) to
find its rows, at worst one more read of the profiled columns. Catalyst does not shrink its size estimate
for a filter, so the 64 MB gate below cannot tell; pass ``probe_rows=0`` to ``profile_columns`` for such
a plan.

Measured at 10 M rows × (50 numeric + 10 categorical), Delta (``bench/results/drift.md``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from pyspark.sql import DataFrame

from spark_mlops.spark import job_description

__all__ = ["PROBE_MIN_BYTES", "first_rows"]

log = logging.getLogger(__name__)

#: The probe runs only on data whose plan estimate is at least this large (a Delta table's files):
#: below it, job 1's count and bitmap of a string column cost less than the probe's own job.
PROBE_MIN_BYTES = 64 * 1024 * 1024


def first_rows(
    source: DataFrame,
    categorical: Mapping[int, str],
    numeric: Mapping[int, str],
    rows: int,
    max_values: int,
    max_discrete: int,
    label: str,
) -> tuple[set[int], set[int]]:
    """Read the first ``rows`` rows of the columns; return (categorical columns with few values,
    numeric columns proven continuous).

    A categorical column has "few values" when it shows at most ``max_values`` distinct values, repeated:
    at most half as many as the rows read, so a column of unique values is never guessed small, however
    large ``max_values`` is. A numeric column that shows more than ``max_discrete`` distinct values is
    *proven* to have more (no guess): job 1 then skips its discreteness bitmap, as it does for a column a
    reference saw as continuous.

    Args:
        source: The data.
        categorical: Column index → SQL text of its value as a string.
        numeric: Column index → SQL text of its value as a double (NaN → NULL, as job 1 reads it).
        rows: How many rows to read (Spark reads the first partitions only, as ``df.limit(n)`` does).
        max_values: The frequency-table cut (``max_categories``).
        max_discrete: The most distinct values of a numeric column treated as discrete.
        label: Spark job description prefix.
    """
    columns = {**categorical, **numeric}
    exprs = [f"{v} AS v{j}" for j, v in columns.items()]
    with job_description(source.sparkSession, f"{label}: first {rows} rows of {len(exprs)} columns"):
        # Distinct counts on the driver: a global limit followed by an aggregate would add a shuffle,
        # and a limit collected to Arrow reads every partition (a collect reads the first ones only).
        probed = source.selectExpr(*exprs).limit(rows).collect()
    seen: dict[int, set[object]] = {j: set() for j in columns}
    for row in probed:
        for j, value in zip(columns, row, strict=True):
            if value is not None:
                seen[j].add(value)
    cap = min(max_values, max(1, len(probed) // 2))
    few = {j for j in categorical if len(seen[j]) <= cap}
    continuous = {i for i in numeric if len(seen[i]) > max_discrete}
    log.debug(
        "first %d rows: %d of %d categorical columns have few values, %d of %d numeric are continuous",
        len(probed),
        len(few),
        len(categorical),
        len(continuous),
        len(numeric),
    )
    return few, continuous
