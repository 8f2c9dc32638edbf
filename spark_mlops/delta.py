"""Small typed helpers over Delta Lake: versioned reads, history, idempotent writes.

A table is given either as a path (anything with ``/`` or a URI scheme) or as a catalog name
(``db.table``). Everything read from Delta is recorded as a :class:`TableVersion`, so a result can say
exactly which data produced it and can be reproduced with time travel. The helpers use SQL and the
DataFrame reader/writer only, so they also work over Spark Connect; a local path table's newest version
comes from a listing of its ``_delta_log`` (a fixed cost of every versioned read: ``DESCRIBE HISTORY`` is
a SQL command plus two small Spark jobs), and the read is pinned to the version listed.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.errors import (
    DeltaTableError,
    DeltaTableNotFoundError,
    DeltaVersionError,
    InvalidArgumentError,
)

__all__ = [
    "TableVersion",
    "current_version",
    "history",
    "is_delta_table",
    "normalize_table",
    "read_delta",
    "read_delta_versioned",
    "rows_in_commit",
    "sql_identifier",
    "write_delta",
]

log = logging.getLogger(__name__)

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True, order=True)
class TableVersion:
    """A Delta table (path or catalog name) at one version: the provenance of anything read."""

    table: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON, MLflow tags and Delta rows."""
        return {"table": self.table, "version": self.version}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableVersion:
        """Inverse of :meth:`to_dict`."""
        return cls(table=str(data["table"]), version=int(data["version"]))

    def __str__(self) -> str:
        return f"{self.table}@v{self.version}"


def _is_path(table: str) -> bool:
    return "/" in table or "\\" in table or bool(_SCHEME.match(table))


def normalize_table(table: str | os.PathLike[str]) -> str:
    """Absolute path for local paths (so records compare equal), URIs and catalog names unchanged."""
    text = os.fspath(table)
    if not text or not text.strip():
        raise InvalidArgumentError("table: expected a Delta path or catalog table name, got ''")
    if _is_path(text) and not _SCHEME.match(text):
        return os.path.abspath(text)
    return text


def sql_identifier(table: str | os.PathLike[str]) -> str:
    """The SQL identifier of a table: ``delta.`path``` for paths, the name otherwise."""
    text = normalize_table(table)
    if _is_path(text):
        return "delta.`" + text.replace("`", "``") + "`"
    return text


def _short(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()
    return first[0][:300] if first else type(exc).__name__


def is_delta_table(spark: SparkSession, table: str | os.PathLike[str]) -> bool:
    """True when ``table`` names an existing Delta table."""
    try:
        current_version(spark, table)
    except DeltaTableNotFoundError:
        return False
    return True


def history(spark: SparkSession, table: str | os.PathLike[str], limit: int | None = None) -> DataFrame:
    """The table's commit history (``DESCRIBE HISTORY``), newest first.

    Raises:
        DeltaTableNotFoundError: ``table`` is not a Delta table.
    """
    if limit is not None and limit < 1:
        raise InvalidArgumentError(f"limit: expected a positive number of commits, got {limit}")
    ident = sql_identifier(table)
    query = f"DESCRIBE HISTORY {ident}" + (f" LIMIT {int(limit)}" if limit else "")
    try:
        return spark.sql(query)
    except Exception as exc:  # noqa: BLE001 - any analysis failure means "no such Delta table"
        raise DeltaTableNotFoundError(
            f"'{normalize_table(table)}' is not a Delta table or does not exist ({_short(exc)})"
        ) from None


def current_version(spark: SparkSession, table: str | os.PathLike[str]) -> int:
    """Newest committed version of the table.

    A local path table's version is the newest commit in a listing of its ``_delta_log`` (no SQL
    command, no Spark job); anything else (catalog names, other file systems, a log this listing
    cannot read) asks ``DESCRIBE HISTORY``.

    Raises:
        DeltaTableNotFoundError: ``table`` is not a Delta table.
    """
    listed = _listed_version(normalize_table(table))
    if listed is not None:
        return listed
    try:
        row = history(spark, table, limit=1).select("version").first()
    except DeltaTableNotFoundError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DeltaTableNotFoundError(
            f"'{normalize_table(table)}' is not a Delta table or does not exist ({_short(exc)})"
        ) from None
    if row is None:
        raise DeltaTableNotFoundError(f"'{normalize_table(table)}' has no commits")
    return int(row["version"])


# Commit files and checkpoints (classic, multi-part and V2) of the Delta log, as the protocol names them.
_LOG_FILE = re.compile(
    r"^(\d{20})\.(?:json|checkpoint\.(?:parquet|\d{10}\.\d{10}\.parquet|[0-9a-f-]{36}\.(?:json|parquet)))$"
)

# Where coordinated (Delta 3.x) and catalog-managed (Delta 4.x) commits wait to be backfilled.
_STAGED = ("_commits", "_staged_commits")


def _local_path(name: str) -> str | None:
    """The local file-system path of a normalized path table (None for catalog names and other URIs)."""
    if not _is_path(name):
        return None
    local = name[len("file:") :] if name.startswith("file:") else name
    return None if _SCHEME.match(local) else local


def _listed_version(name: str) -> int | None:
    """The newest version named in a local table's ``_delta_log`` listing; None when the listing cannot
    tell (not a local path, no log folder, no commit yet, or coordinated / catalog-managed commits,
    whose newest commits wait in a staging folder of the log until they are backfilled)."""
    local = _local_path(name)
    if local is None:
        return None
    directory = os.path.join(local, "_delta_log")
    try:
        names = os.listdir(directory)
        coordinated = any(os.listdir(os.path.join(directory, d)) for d in _STAGED if d in names)
    except OSError:
        return None
    if coordinated:
        return None
    return max((int(m.group(1)) for n in names if (m := _LOG_FILE.match(n))), default=None)


def read_delta(
    spark: SparkSession,
    table: str | os.PathLike[str],
    version: int | None = None,
    timestamp: str | None = None,
) -> DataFrame:
    """Read a Delta table, optionally at a version or timestamp (time travel).

    Args:
        spark: The session.
        table: Path or catalog name.
        version: Version to read (``versionAsOf``); default the newest.
        timestamp: Timestamp to read (``timestampAsOf``, e.g. ``"2026-11-25 10:00:00"``).

    Raises:
        InvalidArgumentError: both version and timestamp given, or a negative version.
        DeltaTableNotFoundError: not a Delta table.
        DeltaVersionError: the version or timestamp is not in the table's history.
    """
    return read_delta_versioned(spark, table, version=version, timestamp=timestamp)[0]


def read_delta_versioned(
    spark: SparkSession,
    table: str | os.PathLike[str],
    version: int | None = None,
    timestamp: str | None = None,
) -> tuple[DataFrame, TableVersion]:
    """Like :func:`read_delta`, and also return the exact :class:`TableVersion` that was read."""
    if version is not None and timestamp is not None:
        raise InvalidArgumentError("version, timestamp: give at most one of them")
    if version is not None and (isinstance(version, bool) or int(version) != version or version < 0):
        raise InvalidArgumentError(
            f"version: expected a non-negative integer for '{normalize_table(table)}', got {version!r}"
        )
    name = normalize_table(table)
    latest = current_version(spark, name)
    if version is not None and version > latest:
        raise DeltaVersionError(f"'{name}' has no version {version}: the newest version is {latest}")
    reader = spark.read.format("delta")
    if version is None and timestamp is None and _local_path(name) is not None:
        version = latest  # listed, not asked: pin the read so it cannot see a later commit
    if version is not None:
        reader = reader.option("versionAsOf", int(version))
    elif timestamp is not None:
        reader = reader.option("timestampAsOf", timestamp)
    try:
        df = reader.load(name) if _is_path(name) else reader.table(name)
        if timestamp is not None:
            resolved = _version_at(spark, name, timestamp)
        else:
            resolved = latest if version is None else int(version)
        df.schema  # noqa: B018 - forces analysis so a bad version fails here, not later
    except DeltaTableError:
        raise
    except Exception as exc:  # noqa: BLE001
        what = f"version {version}" if version is not None else f"timestamp {timestamp}"
        raise DeltaVersionError(f"cannot read '{name}' at {what}: {_short(exc)}") from None
    return df, TableVersion(name, resolved)


def _version_at(spark: SparkSession, table: str, timestamp: str) -> int:
    rows = (
        history(spark, table)
        .where(f"timestamp <= cast('{timestamp.replace(chr(39), '')}' as timestamp)")
        .selectExpr("max(version) as v")
        .first()
    )
    if rows is None or rows["v"] is None:
        raise DeltaVersionError(f"'{table}' has no version at or before timestamp {timestamp}")
    return int(rows["v"])


def write_delta(
    df: DataFrame,
    table: str | os.PathLike[str],
    mode: str = "append",
    *,
    user_metadata: str | None = None,
    txn_app_id: str | None = None,
    txn_version: int | None = None,
    partition_by: Sequence[str] | None = None,
    merge_schema: bool = False,
    overwrite_schema: bool = False,
) -> TableVersion:
    """Write ``df`` to a Delta table and return the version the table is at afterwards.

    Args:
        df: Data to write.
        table: Path or catalog name.
        mode: ``append``, ``overwrite``, ``error`` or ``ignore``.
        user_metadata: Stored in the commit (``userMetadata`` column of the history).
        txn_app_id: With ``txn_version``, makes the write idempotent: Delta skips a write whose
            (app id, version) was already committed, so a retried job does not duplicate rows.
        txn_version: Monotonically increasing number per ``txn_app_id`` (e.g. the logical date).
        partition_by: Partition columns of a new table.
        merge_schema: Add new columns to the table's schema.
        overwrite_schema: Replace the schema (with ``mode="overwrite"``).

    Returns:
        The table's version after the write (unchanged when an idempotent write was skipped).
    """
    if mode not in {"append", "overwrite", "error", "errorifexists", "ignore"}:
        raise InvalidArgumentError(f"mode: expected append/overwrite/error/ignore, got {mode!r}")
    if (txn_app_id is None) != (txn_version is None):
        raise InvalidArgumentError("txn_app_id, txn_version: give both or neither")
    if txn_version is not None and txn_version < 0:
        raise InvalidArgumentError(f"txn_version: expected a non-negative integer, got {txn_version}")
    name = normalize_table(table)
    writer = df.write.format("delta").mode(mode)
    if user_metadata is not None:
        writer = writer.option("userMetadata", user_metadata)
    if txn_app_id is not None:
        writer = writer.option("txnAppId", txn_app_id).option("txnVersion", int(txn_version or 0))
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    if merge_schema:
        writer = writer.option("mergeSchema", "true")
    if overwrite_schema:
        writer = writer.option("overwriteSchema", "true")
    try:
        if _is_path(name):
            writer.save(name)
        else:
            writer.saveAsTable(name)
    except Exception as exc:  # noqa: BLE001
        raise DeltaTableError(f"writing to '{name}' (mode={mode}) failed: {_short(exc)}") from None
    version = current_version(df.sparkSession, name)
    log.info("wrote %s (mode=%s) -> version %d", name, mode, version)
    return TableVersion(name, version)


def rows_in_commit(spark: SparkSession, written: TableVersion) -> int | None:
    """Rows the commit at ``written.version`` added (Delta's ``numOutputRows``), without a scan.

    ``None`` when the commit did not record it (e.g. a metadata-only commit).
    """
    row = (
        history(spark, written.table)
        .where(f"version = {int(written.version)}")
        .select("operationMetrics")
        .first()
    )
    if row is None or not row["operationMetrics"]:
        return None
    value = row["operationMetrics"].get("numOutputRows")
    return int(value) if value is not None else None
