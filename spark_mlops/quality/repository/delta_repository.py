"""DeltaMetricsRepository: one Delta row per metric, queryable with SQL, safe under concurrent jobs.

Schema (documented for SQL users in docs/repository.md)::

    dataset_date_ms LONG, tags MAP<STRING,STRING>, analyzer STRING (spec JSON), entity STRING,
    instance STRING, name STRING, value DOUBLE, value_json STRING, state STRING, source_table STRING,
    source_version LONG, run_status STRING, written_at TIMESTAMP, written_at_ns LONG

Every save is one blind append (one Spark job and one commit). Blind appends do not conflict with each
other under Delta's WriteSerializable isolation; the first commits of a new table and concurrent
metadata changes can, so a save is retried with exponential backoff and jitter on Delta's concurrency
exceptions. Loads push the date, tag and analyzer filters down to Spark and collect only the matching
metric rows (a few per run).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from spark_mlops.delta import is_delta_table, normalize_table, sql_identifier
from spark_mlops.errors import InvalidArgumentError, RepositoryError
from spark_mlops.quality.repository.base import LoadQuery, MetricsRepository
from spark_mlops.quality.repository.records import MetricRecord
from spark_mlops.quality.repository.result_key import ResultKey
from spark_mlops.spark import job_description

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

__all__ = ["DELTA_REPOSITORY_SCHEMA", "DeltaMetricsRepository"]

log = logging.getLogger(__name__)

#: DDL of the repository table.
DELTA_REPOSITORY_SCHEMA = (
    "dataset_date_ms BIGINT NOT NULL, tags MAP<STRING, STRING>, analyzer STRING NOT NULL, "
    "entity STRING NOT NULL, instance STRING NOT NULL, name STRING NOT NULL, value DOUBLE, "
    "value_json STRING, state STRING, source_table STRING, source_version BIGINT, run_status STRING, "
    "written_at TIMESTAMP NOT NULL, written_at_ns BIGINT NOT NULL"
)

# Class names of Delta's optimistic-concurrency conflicts (io.delta.exceptions.*); a save that hits one
# is retried. Matched by name because they reach Python as Py4J/Spark Connect errors.
_CONFLICTS = (
    "ConcurrentAppendException",
    "ConcurrentWriteException",
    "ConcurrentTransactionException",
    "ConcurrentDeleteReadException",
    "MetadataChangedException",
    "ProtocolChangedException",
    "DELTA_CONCURRENT",
    "DELTA_METADATA_CHANGED",
    "DELTA_PROTOCOL_CHANGED",
    "FileAlreadyExistsException",
    "DELTA_TABLE_ALREADY_EXISTS",
)


def _schema() -> StructType:
    from pyspark.sql.types import (
        DoubleType,
        LongType,
        MapType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    text, long_, double = StringType(), LongType(), DoubleType()
    return StructType(
        [
            StructField("dataset_date_ms", long_, False),
            StructField("tags", MapType(text, text, True), True),
            StructField("analyzer", text, False),
            StructField("entity", text, False),
            StructField("instance", text, False),
            StructField("name", text, False),
            StructField("value", double, True),
            StructField("value_json", text, True),
            StructField("state", text, True),
            StructField("source_table", text, True),
            StructField("source_version", long_, True),
            StructField("run_status", text, True),
            StructField("written_at", TimestampType(), False),
            StructField("written_at_ns", long_, False),
        ]
    )


class DeltaMetricsRepository(MetricsRepository):
    """Stores the records in a Delta table (path or catalog name), one row per metric.

    Args:
        spark: The session.
        table: Delta path or catalog table name; created on the first save.
        max_retries: Retries of a save that hit a Delta concurrency conflict.
        backoff_s: First retry delay in seconds (doubled per retry, with jitter).

    Raises:
        InvalidArgumentError: an empty table name or a negative retry setting.
    """

    def __init__(
        self, spark: SparkSession, table: str, *, max_retries: int = 10, backoff_s: float = 0.2
    ) -> None:
        if max_retries < 0 or backoff_s < 0:
            raise InvalidArgumentError(
                f"max_retries, backoff_s: expected >= 0, got {max_retries}, {backoff_s}"
            )
        self.spark = spark
        self.table = normalize_table(table)
        self.max_retries = int(max_retries)
        self.backoff_s = float(backoff_s)

    def __repr__(self) -> str:
        return f"DeltaMetricsRepository('{self.table}')"

    def _rows_frame(self, records: Sequence[MetricRecord]) -> DataFrame:
        rows = [
            (
                r.result_key.data_set_date_ms,
                dict(r.result_key.tags),
                r.analyzer,
                r.entity,
                r.instance,
                r.name,
                r.value,
                r.value_json,
                r.state,
                r.source_table,
                r.source_version,
                r.run_status,
                dt.datetime.fromtimestamp(r.written_at_ns / 1e9, tz=dt.timezone.utc),
                r.written_at_ns,
            )
            for r in records
        ]
        return self.spark.createDataFrame(rows, _schema())

    def _append(self, records: Sequence[MetricRecord]) -> None:
        frame = self._rows_frame(records)
        is_path = sql_identifier(self.table).startswith("delta.`")
        attempt = 0
        while True:
            writer = frame.write.format("delta").mode("append")
            try:
                with job_description(self.spark, f"spark_mlops: save {len(records)} metrics to {self.table}"):
                    if is_path:
                        writer.save(self.table)
                    else:
                        writer.saveAsTable(self.table)
                return
            except Exception as exc:  # noqa: BLE001 - classified below; never a raw Py4J trace
                text = f"{type(exc).__name__}: {exc}"
                if not any(c in text for c in _CONFLICTS) or attempt >= self.max_retries:
                    first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
                    raise RepositoryError(
                        f"saving {len(records)} metrics to Delta repository '{self.table}' failed"
                        f" after {attempt + 1} attempt(s): {first}"
                    ) from None
                delay = min(self.backoff_s * (2**attempt), 5.0) * (0.5 + random.random())
                log.info("concurrent commit on %s; retrying the save in %.2fs", self.table, delay)
                time.sleep(delay)
                attempt += 1

    def _read(self, query: LoadQuery) -> Iterable[MetricRecord]:
        if not is_delta_table(self.spark, self.table):
            return []
        from pyspark.sql import functions as F

        reader = self.spark.read.format("delta")
        is_path = sql_identifier(self.table).startswith("delta.`")
        try:
            frame = reader.load(self.table) if is_path else reader.table(self.table)
            missing = {f.name for f in _schema().fields} - set(frame.columns)
        except Exception as exc:  # noqa: BLE001
            raise RepositoryError(f"Delta repository '{self.table}' cannot be read: {exc}") from None
        if missing:
            raise RepositoryError(
                f"Delta repository '{self.table}' is not a metrics repository table: "
                f"missing columns {sorted(missing)}"
            )
        condition = F.lit(True)
        for tag, value in query.tag_values.items():
            condition = condition & (F.element_at(F.col("tags"), F.lit(tag)) == F.lit(value))
        if query.after_ms is not None:
            condition = condition & (F.col("dataset_date_ms") >= F.lit(query.after_ms))
        if query.before_ms is not None:
            condition = condition & (F.col("dataset_date_ms") <= F.lit(query.before_ms))
        if query.analyzers is not None:
            condition = condition & F.col("analyzer").isin(list(query.analyzers))
        with job_description(self.spark, f"spark_mlops: load metrics from {self.table}"):
            rows = frame.where(condition).collect()  # metric rows of the matching runs: small
        return [
            MetricRecord(
                result_key=ResultKey(int(row["dataset_date_ms"]), dict(row["tags"] or {})),
                analyzer=row["analyzer"],
                entity=row["entity"],
                instance=row["instance"],
                name=row["name"],
                value=row["value"],
                value_json=row["value_json"],
                state=row["state"],
                source_table=row["source_table"],
                source_version=row["source_version"],
                run_status=row["run_status"],
                written_at_ns=int(row["written_at_ns"]),
            )
            for row in rows
        ]
