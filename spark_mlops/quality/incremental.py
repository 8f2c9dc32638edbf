"""Incremental verification of a Delta table: scan only what was appended since the last stored version.

States, not numbers: every analyzer's state of version ``v`` is stored in a :class:`DeltaStateRepository`.
When the table's commits after ``v`` only *add* files (blind appends: no ``remove`` with data change, no
metadata change), only the added files are read:

* scan analyzers (Size, Mean, sketches, ...) compute their states on the appended rows and merge them
  with the stored ones (``State.__add__``);
* each grouping (columns, where) of the grouping analyzers writes the appended rows' group counts next
  to its stored counts (Parquet files listed by the state) and corrects its stored running summary
  from the touched groups only (:mod:`spark_mlops.quality.incremental_groups`), one summary shared by
  all analyzers of the grouping.

With a hashed grouping, one Spark job does both (the scan aggregates are observed in the counts'
write), plus one correction job unless the appended keys are provably new. So the metrics equal a full
recompute while the work follows the size of the append. Anything else (update, delete, merge,
overwrite, schema change, a partitioned or column-mapped table, a commit file already cleaned up, a
listed counts file gone) falls back to a full scan, and the result and the log say why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.delta import TableVersion, sql_identifier
from spark_mlops.quality.analyzers.base import Analyzer, ScanShareableAnalyzer, State
from spark_mlops.quality.analyzers.frequency import GroupingAnalyzer
from spark_mlops.quality.analyzers.grouping import GroupSummary
from spark_mlops.quality.engine import compute_states
from spark_mlops.quality.engine.errors import failure_message
from spark_mlops.quality.incremental_files import missing_files
from spark_mlops.quality.incremental_groups import (
    GroupingPlan,
    StoredGrouping,
    append_valued,
    build_valued,
    range_column,
    stored_summary,
)
from spark_mlops.quality.incremental_hashed import Appended, append_hashed, build_hashed
from spark_mlops.quality.incremental_log import Appends, ValueRange, appended_files, read_appends
from spark_mlops.quality.incremental_state import DeltaStateRepository
from spark_mlops.quality.metrics import Metric
from spark_mlops.quality.repository.records import analyzer_spec_json
from spark_mlops.quality.verification_result import VerificationResult
from spark_mlops.spark import job_description, session_conf

__all__ = [
    "DeltaStateRepository",
    "IncrementalInfo",
    "IncrementalVerificationResult",
    "appended_files",
    "incremental_metrics",
]

log = logging.getLogger(__name__)

_GroupKey = tuple[tuple[str, ...], str | None]


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


@dataclass
class _Run:
    """The analyzers of one run, split into scan analyzers and groupings, with their stored specs."""

    specs: dict[str, Analyzer]
    scan: list[Analyzer]
    groups: dict[_GroupKey, list[GroupingAnalyzer]]
    failed: dict[Analyzer, Metric]

    @property
    def stateful_specs(self) -> list[str]:
        return [spec for spec, analyzer in self.specs.items() if analyzer not in self.failed]


def _split(analyzers: Sequence[Analyzer], data: DataFrame) -> _Run:
    schema = data.schema
    unique = list(dict.fromkeys(analyzers))
    run = _Run({analyzer_spec_json(a): a for a in unique}, [], {}, {})
    for analyzer in unique:
        if not isinstance(analyzer, GroupingAnalyzer):
            run.scan.append(analyzer)
            continue
        problem = analyzer.preconditions(schema)
        if problem:
            run.failed[analyzer] = analyzer.failure(problem)
        else:
            run.groups.setdefault((analyzer.grouping_columns, analyzer.where), []).append(analyzer)
    return run


def _stored(states: dict[str, dict[str, Any]], analyzer: Analyzer) -> StoredGrouping | None:
    return StoredGrouping.from_json(states[analyzer_spec_json(analyzer)])


def _stale_reason(run: _Run, states: dict[str, dict[str, Any]]) -> str | None:
    """Why the stored frequency counts cannot be continued (None when they can)."""
    for members in run.groups.values():
        plan = GroupingPlan.of(members)
        for analyzer in members:
            stored = _stored(states, analyzer)
            if stored is None:
                return "stored grouping states have an older layout"
            if plan.hashed and stored.summary is None:
                return f"frequency counts in {stored.path} have no stored summary"
            if missing := missing_files(stored.path, stored.files):
                return f"frequency counts in {stored.path} are missing ({missing[0]})"
    return None


def _read_version(spark: SparkSession, source: TableVersion) -> DataFrame:
    # The suite resolved the version already: read it directly (read_delta would look it up again).
    reader = spark.read.format("delta").option("versionAsOf", source.version)
    is_path = sql_identifier(source.table).startswith("delta.`")
    return reader.load(source.table) if is_path else reader.table(source.table)


def incremental_metrics(
    spark: SparkSession,
    source: TableVersion,
    analyzers: Sequence[Analyzer],
    repository: DeltaStateRepository,
    data: DataFrame | None = None,
) -> tuple[dict[Analyzer, Metric], IncrementalInfo]:
    """Metrics of ``analyzers`` on ``source``, scanning only appended files when possible.

    The states of ``source.version`` are stored afterwards, so the next run can continue from them.

    Args:
        spark: The session.
        source: The table and the version to verify.
        analyzers: The analyzers.
        repository: Where the states are stored.
        data: ``source`` already read (e.g. by ``VerificationSuite.on_delta``), so it is not resolved
            again; default: read it here.
    """
    if data is None:
        data = _read_version(spark, source)
    run = _split(analyzers, data)
    stored = repository.latest(source.table, run.stateful_specs)
    previous = None if stored is None else stored[0]
    appends: Appends | None = None
    reason = "no stored states for these analyzers"
    if stored is not None and previous is not None:
        if previous > source.version:
            reason = f"stored states are of a newer version ({previous})"
        elif any("delta.columnMapping.physicalName" in f.metadata for f in data.schema.fields):
            reason = "the table uses column mapping: its files cannot be read by column name"
        else:
            stale = _stale_reason(run, stored[1])
            if stale is not None:
                reason = stale
            else:
                columns = [
                    c for m in run.groups.values() if (c := range_column(GroupingPlan.of(m), data.schema))
                ]
                appends = read_appends(spark, source.table, previous, source.version, columns)
                reason = appends.reason
    if stored is None or previous is None or appends is None or appends.files is None:
        return _full(spark, source, data, run, repository, reason)
    files = appends.files
    if previous == source.version:
        log.info("incremental verification of %s: unchanged since the stored states, no scan", source)
        metrics = _from_stored(spark, run, stored[1])
        return metrics, IncrementalInfo("unchanged", "no commit since the stored states", previous, previous)
    log.info(
        "incremental verification of %s: v%s + %d appended files (%s)", source, previous, len(files), reason
    )
    if not files:  # e.g. OPTIMIZE: files rewritten, no row changed; the stored states hold as they are
        metrics = _from_stored(spark, run, stored[1])
        repository.save(source.table, source.version, stored[1])
        return metrics, IncrementalInfo("incremental", reason, previous, source.version, 0)
    with session_conf(spark, {_LISTING: str(max(32, len(files) + 1))}):  # list in the driver
        appended = spark.read.schema(data.schema).parquet(*files)
    # Small appended data: AQE would only split each query into one job per stage.
    with session_conf(spark, {"spark.sql.adaptive.enabled": "false"}):
        metrics = _compute_and_store(
            spark, source, appended, run, repository, stored[1], appends.ranges, appends.rows
        )
    return metrics, IncrementalInfo("incremental", reason, previous, source.version, len(files))


def _full(
    spark: SparkSession,
    source: TableVersion,
    data: DataFrame,
    run: _Run,
    repository: DeltaStateRepository,
    reason: str,
) -> tuple[dict[Analyzer, Metric], IncrementalInfo]:
    log.info("incremental verification of %s: full scan (%s)", source, reason)
    metrics = _compute_and_store(spark, source, data, run, repository, None)
    return metrics, IncrementalInfo("full", reason, None, source.version)


def _from_stored(spark: SparkSession, run: _Run, stored: dict[str, dict[str, Any]]) -> dict[Analyzer, Metric]:
    metrics: dict[Analyzer, Metric] = dict(run.failed)
    for analyzer in run.scan:
        metrics[analyzer] = analyzer.compute_metric_from(
            State.from_json(stored[analyzer_spec_json(analyzer)])
        )
    for members in run.groups.values():
        grouping = StoredGrouping.from_json(stored[analyzer_spec_json(members[0])])
        assert grouping is not None
        summary = stored_summary(spark, GroupingPlan.of(members), grouping)
        for analyzer in members:
            metrics[analyzer] = analyzer.metric_from_summary(summary)
    return metrics


def _compute_and_store(
    spark: SparkSession,
    source: TableVersion,
    data: DataFrame,
    run: _Run,
    repository: DeltaStateRepository,
    previous: dict[str, dict[str, Any]] | None,
    ranges: dict[str, ValueRange | None] | None = None,
    rows: int | None = None,
) -> dict[Analyzer, Metric]:
    """Metrics of ``data`` (the whole table, or the appended rows merged with ``previous``, with
    ``ranges`` their integer value ranges and ``rows`` their number from the Delta statistics); stores
    the new states.

    On an append the scan analyzers' aggregates ride along in the job that writes the appended group
    counts (one job for both) when the observed row count equals ``rows``; otherwise (no hashed
    grouping, no statistics, a retried stage, a failing expression) they get their own scan."""
    metrics: dict[Analyzer, Metric] = dict(run.failed)
    to_store: dict[str, dict[str, Any]] = {}
    scan = [a for a in run.scan if isinstance(a, ScanShareableAnalyzer)]
    plans, extra = _scan_plans(scan, data) if previous is not None and rows is not None else ([], [])
    grouped, stored, observed = _groupings(
        spark, source, data, run, repository, previous, ranges or {}, extra, rows
    )
    metrics.update(grouped)
    to_store.update(stored)
    new_states: dict[Analyzer, State | Metric] = {}
    if observed is not None and observed[-1] == rows:
        offset = 0
        for shareable, cols in plans:
            new_states[shareable] = shareable.state_from_row(observed[offset : offset + len(cols)])
            offset += len(cols)
    elif extra:
        log.info("incremental states of %s: scanning the appended rows again (observed %s rows, expected %s)",
                 source, None if observed is None else observed[-1], rows)  # fmt: skip
    rest = [a for a in run.scan if a not in new_states]
    if rest:
        with job_description(spark, f"spark_mlops: incremental states of {source}"):
            new_states.update(compute_states(data, rest))
    for analyzer in run.scan:
        state = new_states[analyzer]
        if isinstance(state, Metric):  # a failure (missing column, bad where): nothing to keep
            metrics[analyzer] = state  # so the next run scans fully, as this analyzer has no state
            continue
        spec = analyzer_spec_json(analyzer)
        merged = state if previous is None else State.from_json(previous[spec]) + state
        to_store[spec] = merged.to_json()
        metrics[analyzer] = analyzer.compute_metric_from(merged)
    if to_store:
        repository.save(source.table, source.version, to_store)
    return metrics


def _scan_plans(
    scan: Sequence[ScanShareableAnalyzer], data: DataFrame
) -> tuple[list[tuple[ScanShareableAnalyzer, list[str]]], list[str]]:
    """The aggregates (SQL text) of the scan analyzers that pass their preconditions, and all of them
    plus a row count (the last); analyzers left out are scanned by the engine, which reports their
    failures (so does an aggregate that fails the observation: the counts are taken without them)."""
    schema = data.schema
    plans: list[tuple[ScanShareableAnalyzer, list[str]]] = []
    for analyzer in scan:
        if analyzer.preconditions(schema):
            continue
        try:
            plans.append((analyzer, analyzer.aggregations(schema)))
        except Exception:  # noqa: BLE001 - left to the engine's scan, which makes it a failure metric
            continue
    if not plans:
        return [], []
    return plans, [c for _, cols in plans for c in cols] + ["count(1)"]


_LISTING = "spark.sql.sources.parallelPartitionDiscovery.threshold"


def _hashed_counts(
    spark: SparkSession,
    source: TableVersion,
    data: DataFrame,
    repository: DeltaStateRepository,
    previous: dict[str, dict[str, Any]] | None,
    hashed: Sequence[tuple[GroupingPlan, Sequence[GroupingAnalyzer]]],
    ranges: dict[str, ValueRange | None],
    extra: Sequence[str],
    rows: int | None,
) -> Appended:
    """The hashed groupings' counts: built over the whole table, or the stored ones plus the append."""
    plans = [plan for plan, _ in hashed]
    if previous is None:
        folder = repository.frequency_table(source.table, plans)
        files, summaries, spans = build_hashed(spark, folder, plans, data)
        return folder, files, summaries, spans, 0, None
    before = {plan.group_id: _stored(previous, members[0]) for plan, members in hashed}
    return append_hashed(spark, data, plans, before, ranges, extra, rows)


def _groupings(
    spark: SparkSession,
    source: TableVersion,
    data: DataFrame,
    run: _Run,
    repository: DeltaStateRepository,
    previous: dict[str, dict[str, Any]] | None,
    ranges: dict[str, ValueRange | None],
    extra: Sequence[str] = (),
    rows: int | None = None,
) -> tuple[dict[Analyzer, Metric], dict[str, dict[str, Any]], list[Any] | None]:
    """Metrics and states of the groupings, and the values of ``extra`` over ``data`` if they could be
    observed in the hashed groupings' counting job (``rows``: appended rows from the Delta statistics,
    None when unknown or on a build). All hashed groupings share one folder of counts (one write
    and at most one correction job per run); value-keyed ones have a folder each."""
    metrics: dict[Analyzer, Metric] = {}
    to_store: dict[str, dict[str, Any]] = {}
    hashed: list[tuple[GroupingPlan, list[GroupingAnalyzer]]] = []
    valued: list[tuple[GroupingPlan, list[GroupingAnalyzer]]] = []
    observed: list[Any] | None = None

    def fail(members: Sequence[GroupingAnalyzer], exc: Exception) -> None:
        for analyzer in members:
            metrics[analyzer] = analyzer.failure(failure_message(exc))

    def keep(members: Sequence[GroupingAnalyzer], stored: StoredGrouping, summary: GroupSummary) -> None:
        for analyzer in members:
            metrics[analyzer] = analyzer.metric_from_summary(summary)
            to_store[analyzer_spec_json(analyzer)] = stored.to_json()

    def analyzes(plan: GroupingPlan, members: Sequence[GroupingAnalyzer]) -> bool:
        try:
            plan.counts(data)  # analysis only: a bad where fails its own grouping, not the others
        except Exception as exc:  # noqa: BLE001 - a bad where is a failed metric, not a crash
            fail(members, exc)
            return False
        return True

    for members in run.groups.values():
        plan = GroupingPlan.of(members)
        # An append's hashed groupings are checked one by one only if their shared job fails: each
        # check is a SQL analysis, ~15 ms of a ~0.1 s append on the bench, for a where that
        # already analyzed on the stored build.
        if (plan.hashed and previous is not None) or analyzes(plan, members):
            (hashed if plan.hashed else valued).append((plan, members))
    if hashed:
        append: Appended | None = None
        try:
            append = _hashed_counts(spark, source, data, repository, previous, hashed, ranges, extra, rows)
        except Exception as exc:  # noqa: BLE001 - e.g. an ANSI error in a where at run time
            error = exc
            if previous is not None:  # check them one by one now: the bad ones fail alone
                kept = [(plan, members) for plan, members in hashed if analyzes(plan, members)]
                if kept and len(kept) < len(hashed):
                    try:
                        append = _hashed_counts(
                            spark, source, data, repository, previous, kept, ranges, extra, rows
                        )
                    except Exception as again:  # noqa: BLE001
                        error = again
                hashed = kept
            if append is None:
                for _, members in hashed:
                    fail(members, error)
        if append is not None:
            folder, files, summaries, spans, appends, observed = append
            for plan, members in hashed:
                summary = summaries[plan.group_id]
                stored = StoredGrouping(folder, appends, summary, files, spans.get(plan.group_id))
                keep(members, stored, summary)
    for plan, members in valued:
        try:
            if previous is None:
                folder = repository.frequency_table(source.table, [plan])
                grouping = build_valued(spark, plan, folder, data)
            else:
                old = _stored(previous, members[0])
                assert old is not None
                grouping = append_valued(spark, plan, old, data)
            summary = stored_summary(spark, plan, grouping)
        except Exception as exc:  # noqa: BLE001
            fail(members, exc)
            continue
        keep(members, grouping, summary)
    return metrics, to_store, observed
