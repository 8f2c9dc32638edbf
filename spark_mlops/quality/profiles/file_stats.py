"""Count, min and max of numeric columns from a Delta snapshot's per-file statistics (no data read).

Delta writes ``numRecords`` and per column ``nullCount``, ``minValues`` and ``maxValues`` into every
``add`` action (by default for the first 32 columns, ``delta.dataSkippingNumIndexedCols``). For an
*unfiltered* read of a snapshot without deletion vectors those are exact: the present values of a column
are ``Σ (numRecords − nullCount)`` and its min/max the min/max over the files — as long as no value is NaN
(the profile counts NaN as missing). Delta records a file's ``maxValues`` as ``"NaN"`` when it holds a NaN
(Spark orders NaN above every number), so a finite or infinite, non-NaN ``maxValues`` in every file proves
there is none. Job 1 then skips those three aggregates per column (the costliest part of a profile is
updating aggregate buffers per row; see :mod:`.scans`). Anything else — a filtered or projected plan, a
non-Delta source, a cached DataFrame, deletion vectors, column mapping, a file without statistics for
the column — gives nothing and job 1 computes them as before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame

from spark_mlops.quality.analyzers.base import sql_column, sql_string
from spark_mlops.spark import job_description

__all__ = ["FileStatistics", "delta_file_statistics"]

log = logging.getLogger(__name__)

#: Column index → (present values, min, max) of a numeric column.
FileStatistics = dict[int, tuple[int, float | None, float | None]]


def delta_file_statistics(df: DataFrame, columns: Mapping[int, str], label: str) -> FileStatistics:
    """Present count, min and max of ``columns`` (index → name) from the Delta log, where exact.

    Args:
        df: The data; only a plain read of a Delta table (optionally with columns selected as they are)
            qualifies.
        columns: Numeric columns to look up, by index.
        label: Job description prefix of the one Spark job over the snapshot's file list.

    Returns:
        The columns whose statistics are exact (possibly none).
    """
    snapshot = _snapshot(df)
    if snapshot is None or not columns:
        return {}
    spark = df.sparkSession
    files = DataFrame(snapshot.allFiles().toDF(), spark)

    def struct(kind: str) -> str:
        return "STRUCT<" + ", ".join(f"{sql_column(name)}: {kind}" for name in columns.values()) + ">"

    schema = (
        f"numRecords BIGINT, nullCount {struct('BIGINT')}, minValues {struct('DOUBLE')}, "
        f"maxValues {struct('DOUBLE')}"
    )
    parsed = files.selectExpr("deletionVector", f"from_json(stats, {sql_string(schema)}) AS st")
    aggregates = [
        "count(1) AS files",
        "count_if(st.numRecords IS NULL OR deletionVector IS NOT NULL) AS bad",
    ]
    for i, name in columns.items():
        nulls, low, high = (
            f"st.{part}.{sql_column(name)}" for part in ("nullCount", "minValues", "maxValues")
        )
        exact = (
            f"{nulls} IS NOT NULL AND ({nulls} = st.numRecords OR "
            f"({low} IS NOT NULL AND {high} IS NOT NULL AND NOT isnan({high})))"
        )
        aggregates += [
            f"sum(st.numRecords - {nulls}) AS c{i}",
            f"count_if(NOT ({exact})) AS u{i}",
            f"min({low}) AS lo{i}",
            f"max({high}) AS hi{i}",
        ]
    with job_description(spark, f"{label}: Delta file statistics"):
        row = parsed.selectExpr(*aggregates).collect()[0].asDict()
    if not row["files"] or row["bad"]:
        return {}
    out: FileStatistics = {}
    for i in columns:
        if row[f"u{i}"] == 0 and row[f"c{i}"] is not None:
            low, high = row[f"lo{i}"], row[f"hi{i}"]
            out[i] = (
                int(row[f"c{i}"]),
                None if low is None else float(low),
                None if high is None else float(high),
            )
    return out


def _snapshot(df: DataFrame) -> Any | None:
    """The Delta snapshot a plain read of a Delta table scans, or None for any other plan."""
    try:
        if df.storageLevel.useMemory or df.storageLevel.useDisk:
            return None  # cached: the scans read the cache, which a newer snapshot's log may not match
        node = df._jdf.queryExecution().analyzed()
        while True:
            kind = node.getClass().getSimpleName()
            if not (kind == "SubqueryAlias" or (kind == "Project" and _plain(node.projectList()))):
                break
            node = node.child()
        if node.getClass().getSimpleName() != "LogicalRelation":
            return None
        index = node.relation().location()
        if index.getClass().getSimpleName() != "TahoeLogFileIndex" or not index.partitionFilters().isEmpty():
            return None
        snapshot = index.getSnapshot()
        mode = snapshot.metadata().configuration().get("delta.columnMapping.mode")
        if mode.isDefined() and str(mode.get()).lower() != "none":
            return None  # statistics are keyed by physical column names
        return snapshot
    except Exception as exc:  # noqa: BLE001 - Spark Connect, another relation type: no statistics
        log.debug("no Delta file statistics: %s", exc)
        return None


def _plain(project_list: Any) -> bool:
    """Whether a projection only selects columns as they are (no expression, no alias)."""
    return all(
        project_list.apply(k).getClass().getSimpleName() == "AttributeReference"
        for k in range(project_list.size())
    )
