"""Reading a Delta table's commit log for incremental verification: which files did appends add?

The ``add`` actions of the commits ``_delta_log/<version>.json`` name the data files a version added.
A range of commits is *append-only* when none removes data (``remove`` with ``dataChange``), changes
metadata or protocol, or adds partitioned / deletion-vector files; then the rows of the newer version
are exactly the rows of the older one plus the rows of those files. Local logs are read with plain file
IO (no Spark job); other file systems through ``spark.read.text`` (one small job per commit).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

from spark_mlops.delta import sql_identifier

__all__ = [
    "EMPTY_RANGE",
    "Appends",
    "ValueRange",
    "appended_files",
    "disjoint",
    "log_dir",
    "read_appends",
    "read_commit",
    "union_range",
]

#: A value range ``(low, high)`` of an integer column; ``low > high`` is the empty range.
ValueRange = tuple[int, int]
EMPTY_RANGE: ValueRange = (1, 0)


def log_dir(spark: SparkSession, table: str) -> str:
    """The ``_delta_log`` folder of a Delta table (path or catalog name)."""
    if sql_identifier(table).startswith("delta.`"):
        return f"{table}/_delta_log"
    location = spark.sql(f"DESCRIBE DETAIL {sql_identifier(table)}").select("location").first()
    assert location is not None
    return f"{location[0]}/_delta_log"


def _local(path: str) -> str | None:
    local = path[len("file:") :] if path.startswith("file:") else path
    return None if "://" in local else local


def read_commit(spark: SparkSession, directory: str, version: int) -> list[dict[str, Any]] | None:
    """The actions of one commit, or None when its file is gone (cleaned up by log retention)."""
    path = f"{directory}/{version:020d}.json"
    local = _local(path)
    if local is not None:
        try:
            with open(local, encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except OSError:
            return None
    try:
        return [json.loads(r[0]) for r in spark.read.text(path).collect()]
    except Exception:  # noqa: BLE001 - a cleaned-up commit forces a full scan
        return None


def _absolute(root: str, path: str) -> str:
    rel = urllib.parse.unquote(path)
    return rel if "://" in rel or rel.startswith("/") else f"{root}/{rel}"


@dataclass(frozen=True)
class Appends:
    """What the commits after a stored version added, read from their ``add`` actions in one pass.

    Attributes:
        files: Absolute paths of the added data files; None when a commit is not a plain append.
        reason: Why the commits are (or are not) append-only.
        rows: Rows in the added files from their ``numRecords`` statistics (None: a file has none).
        ranges: Per asked integer column, bounds of its non-NULL values in the added files from their
            ``minValues``/``maxValues`` statistics (exact for integers, unlike truncated strings); None
            when a file has no statistics for it.
    """

    files: list[str] | None
    reason: str
    rows: int | None = None
    ranges: dict[str, ValueRange | None] = field(default_factory=dict)


def read_appends(
    spark: SparkSession, table: str, after_version: int, to_version: int, columns: Sequence[str] = ()
) -> Appends:
    """The files commits ``after_version+1 … to_version`` added if they only append, with their row
    count and the value ranges of ``columns`` (each commit file read once, no Spark job for local logs).
    """
    directory = log_dir(spark, table)
    root = directory[: -len("/_delta_log")]
    paths: list[str] = []
    rows: int | None = 0
    ranges: dict[str, ValueRange | None] = dict.fromkeys(columns, EMPTY_RANGE)
    for version in range(after_version + 1, to_version + 1):
        actions = read_commit(spark, directory, version)
        if actions is None:
            return Appends(None, f"commit {version} is no longer in the Delta log")
        operation = next((a["commitInfo"].get("operation") for a in actions if "commitInfo" in a), "?")
        for action in actions:
            if "metaData" in action or "protocol" in action:
                return Appends(None, f"version {version} ({operation}) changes the table's metadata")
            if "remove" in action and action["remove"].get("dataChange", True):
                return Appends(None, f"version {version} is a {operation}: it removes data, not append-only")
            add = action.get("add")
            if add is None or not add.get("dataChange", True):
                continue
            if add.get("partitionValues") or add.get("deletionVector"):
                return Appends(None, f"version {version} adds partitioned or deletion-vector files")
            paths.append(_absolute(root, add["path"]))
            stats = json.loads(add["stats"]) if add.get("stats") else {}
            count = stats.get("numRecords")
            rows = None if rows is None or count is None else rows + int(count)
            for name in columns:
                ranges[name] = _with_file(ranges[name], stats, name)
    return Appends(paths, f"versions {after_version + 1}..{to_version} only append", rows, ranges)


def _with_file(known: ValueRange | None, stats: dict[str, Any], name: str) -> ValueRange | None:
    """``known`` widened by one added file's bounds of ``name`` (None: unknown)."""
    if known is None:
        return None
    if stats.get("numRecords") is not None and stats.get("nullCount", {}).get(name) == stats["numRecords"]:
        return known  # only NULLs: no value to compare
    low, high = stats.get("minValues", {}).get(name), stats.get("maxValues", {}).get(name)
    if not isinstance(low, int) or not isinstance(high, int):
        return None
    return union_range(known, (low, high))


def appended_files(
    spark: SparkSession, table: str, after_version: int, to_version: int
) -> tuple[list[str] | None, str]:
    """The data files added by commits ``after_version+1 … to_version`` if they only append.

    Returns:
        ``(paths, reason)``: the absolute file paths, or None (with the reason) when a commit is not a
        plain append.
    """
    appends = read_appends(spark, table, after_version, to_version)
    return appends.files, appends.reason


def union_range(a: ValueRange | None, b: ValueRange | None) -> ValueRange | None:
    """The smallest range holding both (None, unknown, absorbs)."""
    if a is None or b is None:
        return None
    if a[0] > a[1]:
        return b
    if b[0] > b[1]:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]))


def disjoint(a: ValueRange | None, b: ValueRange | None) -> bool:
    """True when no value can be in both (False when either is unknown)."""
    if a is None or b is None:
        return False
    return a[0] > a[1] or b[0] > b[1] or a[1] < b[0] or b[1] < a[0]
