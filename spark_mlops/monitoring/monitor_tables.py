"""Profile and drift results as Delta tables, like Databricks Lakehouse Monitoring's output tables.

Each run appends rows keyed by ``(window_start, window_end, slice_key, slice_value, column_name)``,
so a trend is one SQL query, e.g.::

    SELECT window_start, statistic FROM delta.`/monitors/reviews_drift`
    WHERE column_name = 'star_rating' AND method = 'wasserstein' ORDER BY window_start

``slice_key``/``slice_value`` are NULL for the whole dataset.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from spark_mlops.delta import TableVersion, write_delta
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.monitoring.drift.compute import DriftResult
from spark_mlops.quality.profiles.distributions import NumericDistribution
from spark_mlops.quality.profiles.profile import DatasetProfile

__all__ = ["DRIFT_TABLE_SCHEMA", "PROFILE_TABLE_SCHEMA", "append_drift", "append_profile"]

_KEY = [
    T.StructField("window_start", T.TimestampType(), False),
    T.StructField("window_end", T.TimestampType(), False),
    T.StructField("slice_key", T.StringType(), True),
    T.StructField("slice_value", T.StringType(), True),
    T.StructField("column_name", T.StringType(), False),
]
_PROVENANCE = [
    T.StructField("source_table", T.StringType(), True),
    T.StructField("source_version", T.LongType(), True),
    T.StructField("created_at", T.TimestampType(), False),
]

#: One row per (window, slice, column): counts and moments of the current data.
PROFILE_TABLE_SCHEMA = T.StructType(
    [
        *_KEY,
        T.StructField("data_type", T.StringType(), False),
        T.StructField("row_count", T.LongType(), False),
        T.StructField("num_present", T.LongType(), False),
        T.StructField("num_missing", T.LongType(), False),
        T.StructField("completeness", T.DoubleType(), True),
        T.StructField("distinct_count", T.LongType(), True),
        T.StructField("mean", T.DoubleType(), True),
        T.StructField("stddev", T.DoubleType(), True),
        T.StructField("min", T.DoubleType(), True),
        T.StructField("max", T.DoubleType(), True),
        *_PROVENANCE,
    ]
)

#: One row per (window, slice, column, method).
DRIFT_TABLE_SCHEMA = T.StructType(
    [
        *_KEY,
        T.StructField("method", T.StringType(), False),
        T.StructField("statistic", T.DoubleType(), True),
        T.StructField("p_value", T.DoubleType(), True),
        T.StructField("threshold", T.DoubleType(), False),
        T.StructField("drifted", T.BooleanType(), False),
        T.StructField("mode", T.StringType(), False),
        *_PROVENANCE,
    ]
)


def _num(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) or math.isinf(value) else float(value)


def _check_window(window_start: datetime, window_end: datetime) -> None:
    if window_end < window_start:
        raise InvalidArgumentError(f"window_end: {window_end} is before window_start {window_start}")


def append_profile(
    spark: SparkSession,
    table: str,
    profile: DatasetProfile,
    window_start: datetime,
    window_end: datetime,
    *,
    slice_key: str | None = None,
    slice_value: str | None = None,
    source: TableVersion | None = None,
) -> TableVersion:
    """Append one row per profiled column to the profile table; returns the table's new version."""
    _check_window(window_start, window_end)
    now = datetime.now(timezone.utc)
    rows = []
    for name, d in profile.columns.items():
        moments: tuple[float | None, ...] = (None, None, None, None)
        if isinstance(d, NumericDistribution):
            moments = (_num(d.mean), _num(d.std), _num(d.minimum), _num(d.maximum))
        rows.append(
            (
                window_start,
                window_end,
                slice_key,
                slice_value,
                name,
                profile.types.get(name, "Unknown"),
                profile.row_count,
                d.count,
                d.missing,
                _num(d.completeness),
                profile.approx_distinct.get(name, d.distinct),
                *moments,
                source.table if source else None,
                source.version if source else None,
                now,
            )
        )
    df = spark.createDataFrame(rows, PROFILE_TABLE_SCHEMA)
    return write_delta(df, table, mode="append")


def append_drift(
    spark: SparkSession,
    table: str,
    result: DriftResult,
    window_start: datetime,
    window_end: datetime,
    *,
    slice_key: str | None = None,
    slice_value: str | None = None,
    source: TableVersion | None = None,
) -> TableVersion:
    """Append one row per (column, method) of ``result`` to the drift table."""
    _check_window(window_start, window_end)
    now = datetime.now(timezone.utc)
    rows = [
        (
            window_start,
            window_end,
            slice_key,
            slice_value,
            r.column,
            r.method,
            _num(r.statistic),
            _num(r.p_value),
            r.threshold,
            r.drifted,
            r.mode,
            source.table if source else None,
            source.version if source else None,
            now,
        )
        for r in result.rows
    ]
    df = spark.createDataFrame(rows, DRIFT_TABLE_SCHEMA)
    return write_delta(df, table, mode="append")
