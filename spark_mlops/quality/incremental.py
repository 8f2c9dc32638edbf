"""Incremental verification of a Delta table: scan only what was appended since the last stored version.

States, not numbers: every analyzer's state of version ``v`` is stored in a :class:`DeltaStateRepository`.
When the table's commits after ``v`` only *add* files (blind appends: no ``remove`` with data change, no
metadata change), the states of the added files are computed and merged with the stored ones
(``State.__add__``), so the metrics equal a full recompute while reading ~only the new data. Grouping
analyzers (uniqueness, distinctness, histogram, ...) keep their frequency table — the count of every
group — as a Delta table that is MERGEd with the counts of the appended rows. Anything else (update,
delete, merge, overwrite, schema change, a partitioned or column-mapped table, a commit file already
cleaned up) falls back to a full scan, and the result and the log say why.

Appended files are found in the commits' ``add`` actions (``_delta_log/<version>.json``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.parse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops.delta import TableVersion, read_delta, sql_identifier
from spark_mlops.errors import InvalidArgumentError, RepositoryError
from spark_mlops.quality.analyzers.base import Analyzer, State
from spark_mlops.quality.analyzers.frequency import GroupingAnalyzer
from spark_mlops.quality.analyzers.grouping import COUNT, FrequencyState, key_name
from spark_mlops.quality.engine import compute_states
from spark_mlops.quality.metrics import Metric
from spark_mlops.quality.repository.records import analyzer_spec_json
from spark_mlops.quality.verification_result import VerificationResult
from spark_mlops.spark import job_description

__all__ = [
    "DeltaStateRepository",
    "IncrementalInfo",
    "IncrementalVerificationResult",
    "appended_files",
    "incremental_metrics",
]

log = logging.getLogger(__name__)

_STATES_SCHEMA = "source_table string, version bigint, analyzer string, state string"


@dataclass(frozen=True)
class IncrementalInfo:
    """How an incremental run computed its metrics.

    Attributes:
        mode: ``"incremental"`` (only appended files scanned), ``"unchanged"`` (no new commit: stored
            states reused, no scan) or ``"full"`` (whole table scanned).
        reason: Why (e.g. ``"version 7 is a DELETE: not append-only"``).
        previous_version: The stored version the states were merged with (None for a full scan).
        version: The table version the metrics describe.
        appended_files: Files scanned in incremental mode.
    """

    mode: str
    reason: str
    previous_version: int | None
    version: int
    appended_files: int = 0


@dataclass(frozen=True)
class IncrementalVerificationResult(VerificationResult):
    """A :class:`VerificationResult` that also says how the metrics were computed (``incremental``)."""

    incremental: IncrementalInfo | None = None


class DeltaStateRepository:
    """Analyzer states per (table, version, analyzer spec), in Delta tables under ``root``.

    ``<root>/states`` holds one row per state (JSON); ``<root>/frequencies/<id>`` holds the frequency
    table ``(k0, …, cnt)`` of each (table, grouping columns, where), merged in place on every append.

    Args:
        spark: The session.
        root: A folder (path or URI) for the repository's Delta tables.
    """

    def __init__(self, spark: SparkSession, root: str | os.PathLike[str]) -> None:
        text = os.fspath(root)
        if not text.strip():
            raise InvalidArgumentError("root: expected a folder for the state repository, got ''")
        self.spark = spark
        self.root = os.path.abspath(text) if "://" not in text else text.rstrip("/")
        self.states_table = f"{self.root}/states"

    def __repr__(self) -> str:
        return f"DeltaStateRepository('{self.root}')"

    def frequency_table(self, source: str, analyzer: GroupingAnalyzer) -> str:
        """The path of the frequency table of ``analyzer``'s grouping on ``source``."""
        ident = json.dumps([source, list(analyzer.grouping_columns), analyzer.where])
        return f"{self.root}/frequencies/{hashlib.sha1(ident.encode()).hexdigest()[:20]}"

    def latest(self, source: str, specs: Sequence[str]) -> tuple[int, dict[str, dict[str, Any]]] | None:
        """The newest stored version of ``source`` with a state for every spec, and those states."""
        try:
            frame = self.spark.read.format("delta").load(self.states_table)
        except Exception:  # noqa: BLE001 - no table yet means no stored state
            return None
        with job_description(self.spark, f"spark_mlops: load stored states of {source}"):
            top = frame.where(F.col("source_table") == source).agg(F.max("version")).first()
            if top is None or top[0] is None:
                return None
            rows = (
                frame.where((F.col("source_table") == source) & (F.col("version") == top[0]))
                .where(F.col("analyzer").isin(list(specs)))
                .collect()
            )
        states = {r["analyzer"]: json.loads(r["state"]) for r in rows}
        if set(states) != set(specs):
            return None
        return int(top[0]), states

    def save(self, source: str, version: int, states: dict[str, dict[str, Any]]) -> None:
        """Store the states of ``source`` at ``version`` (one Delta append)."""
        rows = [(source, version, spec, json.dumps(state)) for spec, state in states.items()]
        frame = self.spark.createDataFrame(rows, _STATES_SCHEMA)
        try:
            with job_description(self.spark, f"spark_mlops: store {len(rows)} states of {source}@v{version}"):
                frame.write.format("delta").mode("append").save(self.states_table)
        except Exception as exc:  # noqa: BLE001
            raise RepositoryError(f"state repository '{self.root}': saving states failed: {exc}") from None


def _log_dir(spark: SparkSession, table: str) -> str:
    if sql_identifier(table).startswith("delta.`"):
        return f"{table}/_delta_log"
    location = spark.sql(f"DESCRIBE DETAIL {sql_identifier(table)}").select("location").first()
    assert location is not None
    return f"{location[0]}/_delta_log"


def _read_commit(spark: SparkSession, log_dir: str, version: int) -> list[dict[str, Any]] | None:
    path = f"{log_dir}/{version:020d}.json"
    local = path[len("file:") :] if path.startswith("file:") else path
    if "://" not in local:
        try:
            with open(local, encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except OSError:
            return None
    try:
        return [json.loads(r[0]) for r in spark.read.text(path).collect()]
    except Exception:  # noqa: BLE001 - a cleaned-up commit forces a full scan
        return None


def appended_files(
    spark: SparkSession, table: str, after_version: int, to_version: int
) -> tuple[list[str] | None, str]:
    """The data files added by commits ``after_version+1 … to_version`` if they only append.

    Returns:
        ``(paths, reason)``: the absolute file paths, or None (with the reason) when a commit is not a
        plain append.
    """
    log_dir = _log_dir(spark, table)
    root = log_dir[: -len("/_delta_log")]
    paths: list[str] = []
    for version in range(after_version + 1, to_version + 1):
        actions = _read_commit(spark, log_dir, version)
        if actions is None:
            return None, f"commit {version} is no longer in the Delta log"
        operation = next((a["commitInfo"].get("operation") for a in actions if "commitInfo" in a), "?")
        for action in actions:
            if "metaData" in action or "protocol" in action:
                return None, f"version {version} ({operation}) changes the table's metadata"
            if "remove" in action and action["remove"].get("dataChange", True):
                return None, f"version {version} is a {operation}: it removes data, not append-only"
            add = action.get("add")
            if add is None or not add.get("dataChange", True):
                continue
            if add.get("partitionValues") or add.get("deletionVector"):
                return None, f"version {version} adds partitioned or deletion-vector files"
            rel = urllib.parse.unquote(add["path"])
            paths.append(rel if "://" in rel or rel.startswith("/") else f"{root}/{rel}")
    return paths, f"versions {after_version + 1}..{to_version} only append"


def _store_frequencies(
    spark: SparkSession, path: str, table: DataFrame, columns: int, *, merge: bool
) -> FrequencyState:
    keys = [key_name(i) for i in range(columns)]
    if merge:
        # SQL MERGE rather than delta.tables.DeltaTable: the Python DeltaTable API needs the Delta
        # Connect plugin on a Spark Connect server, SQL works on classic and Connect sessions alike.
        view = f"_spark_mlops_freq_{uuid.uuid4().hex}"
        table.createOrReplaceTempView(view)
        on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
        try:
            spark.sql(
                f"MERGE INTO {sql_identifier(path)} t USING {view} s ON {on} "
                f"WHEN MATCHED THEN UPDATE SET t.`{COUNT}` = t.`{COUNT}` + s.`{COUNT}` "
                "WHEN NOT MATCHED THEN INSERT *"
            )
        finally:
            spark.catalog.dropTempView(view)
    else:
        table.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(path)
    return FrequencyState(tuple(keys), spark.read.format("delta").load(path))


def incremental_metrics(
    spark: SparkSession,
    source: TableVersion,
    analyzers: Sequence[Analyzer],
    repository: DeltaStateRepository,
) -> tuple[dict[Analyzer, Metric], IncrementalInfo]:
    """Metrics of ``analyzers`` on ``source``, scanning only appended files when possible.

    The states of ``source.version`` are stored afterwards, so the next run can continue from them.
    """
    unique = list(dict.fromkeys(analyzers))
    specs = {analyzer_spec_json(a): a for a in unique}
    stored = repository.latest(source.table, list(specs))
    previous = None if stored is None else stored[0]
    files: list[str] | None = None
    if stored is None:
        reason = "no stored states for these analyzers"
    elif previous is not None and previous > source.version:
        reason, stored = f"stored states are of a newer version ({previous})", None
    else:
        assert previous is not None
        files, reason = appended_files(spark, source.table, previous, source.version)
    if stored is None or files is None:
        log.info("incremental verification of %s: full scan (%s)", source, reason)
        data = read_delta(spark, source.table, version=source.version)
        metrics = _compute_and_store(spark, source, data, unique, specs, repository, None)
        return metrics, IncrementalInfo("full", reason, None, source.version)
    assert stored is not None
    if previous == source.version:
        log.info("incremental verification of %s: unchanged since the stored states, no scan", source)
        metrics = _from_stored(spark, specs, stored[1])
        return metrics, IncrementalInfo(
            "unchanged", "no commit since the stored states", previous, source.version
        )
    log.info(
        "incremental verification of %s: v%s + %d appended files (%s)", source, previous, len(files), reason
    )
    schema = read_delta(spark, source.table, version=source.version).schema
    appended = spark.read.schema(schema).parquet(*files) if files else spark.createDataFrame([], schema)
    metrics = _compute_and_store(spark, source, appended, unique, specs, repository, stored[1])
    return metrics, IncrementalInfo("incremental", reason, previous, source.version, len(files))


def _from_stored(
    spark: SparkSession, specs: dict[str, Analyzer], stored: dict[str, dict[str, Any]]
) -> dict[Analyzer, Metric]:
    metrics: dict[Analyzer, Metric] = {}
    for spec, analyzer in specs.items():
        data = stored[spec]
        if isinstance(analyzer, GroupingAnalyzer):
            table = spark.read.format("delta").load(data["path"])
            state: State = FrequencyState(analyzer.grouping_columns, table)
        else:
            state = State.from_json(data)
        metrics[analyzer] = analyzer.compute_metric_from(state)
    return metrics


def _compute_and_store(
    spark: SparkSession,
    source: TableVersion,
    data: DataFrame,
    analyzers: list[Analyzer],
    specs: dict[str, Analyzer],
    repository: DeltaStateRepository,
    previous: dict[str, dict[str, Any]] | None,
) -> dict[Analyzer, Metric]:
    with job_description(spark, f"spark_mlops: incremental states of {source}"):
        new_states = compute_states(data, analyzers)
    metrics: dict[Analyzer, Metric] = {}
    to_store: dict[str, dict[str, Any]] = {}
    merged_groups: dict[str, FrequencyState] = {}
    for spec, analyzer in specs.items():
        state = new_states[analyzer]
        if isinstance(state, Metric):  # a failure (missing column, wrong type): nothing to keep
            metrics[analyzer] = state  # the next run scans fully, as this analyzer has no state
            continue
        if isinstance(analyzer, GroupingAnalyzer):
            path = repository.frequency_table(source.table, analyzer)
            if path not in merged_groups:
                assert isinstance(state, FrequencyState)
                with job_description(spark, f"spark_mlops: frequencies of {analyzer.instance} for {source}"):
                    merged_groups[path] = _store_frequencies(
                        spark,
                        path,
                        state.frequencies,
                        len(analyzer.grouping_columns),
                        merge=previous is not None,
                    )
            merged: State = FrequencyState(analyzer.grouping_columns, merged_groups[path].frequencies)
            to_store[spec] = {"type": "DeltaFrequencies", "path": path}
        else:
            merged = state if previous is None else State.from_json(previous[spec]) + state
            to_store[spec] = merged.to_json()
        metrics[analyzer] = analyzer.compute_metric_from(merged)
    if to_store:
        repository.save(source.table, source.version, to_store)
    return metrics
