"""The engine: compiles analyzers into the fewest Spark jobs and returns their states or metrics.

* All scan-shareable analyzers of a run → ONE Spark job (one ``df.agg``; each ``where`` inside the
  aggregates; duplicated analyzers computed once).
* Grouping analyzers → one job per distinct (grouping columns, where), shared by every analyzer of
  that grouping (exact uniqueness on hashes, see :mod:`spark_mlops.quality.engine.grouping`).
* The engine never raises for data problems: a missing column, a wrong type, a bad ``where`` or
  predicate become failure metrics carrying the reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import DataFrame
from pyspark.sql.types import StructType

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers.base import Analyzer, ScanShareableAnalyzer, State
from spark_mlops.quality.analyzers.basic import Completeness, Size
from spark_mlops.quality.analyzers.frequency import GroupingAnalyzer
from spark_mlops.quality.analyzers.grouping import FrequencyState, GroupSummary, frequencies
from spark_mlops.quality.analyzers.states import NumMatches, NumMatchesAndCount
from spark_mlops.quality.engine import driver_values, unique_keys
from spark_mlops.quality.engine.grouping import compute_grouping_metrics
from spark_mlops.quality.engine.overlap import HEAD_START, Beside, when_keys_job_starts
from spark_mlops.quality.engine.row_bound import cached_row_bound
from spark_mlops.quality.engine.scan import compute_scan_states
from spark_mlops.quality.metrics import Metric
from spark_mlops.spark import plan_bytes

__all__ = ["compute_metrics", "compute_states"]


def _split(
    df: DataFrame, analyzers: Iterable[Analyzer]
) -> tuple[list[ScanShareableAnalyzer], list[GroupingAnalyzer]]:
    if not isinstance(df, DataFrame):
        raise InvalidArgumentError(f"df: expected a Spark DataFrame, got {type(df).__name__}")
    scan: list[ScanShareableAnalyzer] = []
    grouping: list[GroupingAnalyzer] = []
    for analyzer in dict.fromkeys(analyzers):
        if isinstance(analyzer, ScanShareableAnalyzer):
            scan.append(analyzer)
        elif isinstance(analyzer, GroupingAnalyzer):
            grouping.append(analyzer)
        else:
            raise InvalidArgumentError(f"analyzers: {analyzer!r} is not an analyzer")
    return scan, grouping


def compute_states(df: DataFrame, analyzers: Iterable[Analyzer]) -> dict[Analyzer, State | Metric]:
    """Mergeable states of ``analyzers`` on ``df`` (a failure metric where one cannot be computed).

    Scan-shareable states come from one Spark job. A grouping analyzer's state is a
    :class:`~spark_mlops.quality.analyzers.FrequencyState` whose frequency table is a lazy DataFrame
    (shared by the analyzers of one grouping; persist it, e.g. to Delta, to keep it).

    Raises:
        InvalidArgumentError: ``df`` is not a DataFrame or an item is not an analyzer.
    """
    scan, grouping = _split(df, analyzers)
    results: dict[Analyzer, State | Metric] = {}
    for scan_analyzer, state in compute_scan_states(df, scan).items():
        results[scan_analyzer] = state
    schema = df.schema
    shared: dict[tuple[tuple[str, ...], str | None], FrequencyState] = {}
    for analyzer in grouping:
        problem = analyzer.preconditions(schema)
        if problem:
            results[analyzer] = analyzer.failure(problem)
            continue
        key = (analyzer.grouping_columns, analyzer.where)
        if key not in shared:
            shared[key] = FrequencyState(key[0], frequencies(df, key[0], key[1]))
        results[analyzer] = shared[key]
    return results


def _counted_by_a_grouping(
    scan: list[ScanShareableAnalyzer], grouping: list[GroupingAnalyzer], schema: StructType
) -> list[Completeness]:
    """``Completeness(c)`` analyzers (no ``where``) of a run that also groups on ``c`` alone (no ``where``).

    Why: the grouping counts the rows where ``c`` is present anyway (its summary's ``num_rows``), so the
    scan job need not decode ``c`` for them: ``is_complete(id)`` + ``is_unique(id)``, a primary-key check,
    reads the id column once instead of twice (10 M cached reviews: the bare scan of the suite's 5 columns
    takes 1.10 CPU-s, of the 4 others 0.89).
    """
    grouped = {g.grouping_columns for g in grouping if g.where is None and not g.preconditions(schema)}
    twins = [a for a in scan if type(a) is Completeness and a.where is None and (a.column,) in grouped]
    return [a for a in twins if not a.preconditions(schema)]


def compute_metrics(df: DataFrame, analyzers: Iterable[Analyzer]) -> dict[Analyzer, Metric]:
    """Metrics of ``analyzers`` on ``df``: one job for all scan-shareable analyzers plus one job per
    distinct grouping.

    Raises:
        InvalidArgumentError: ``df`` is not a DataFrame or an item is not an analyzer.
    """
    asked, grouping = _split(df, analyzers)
    schema = df.schema
    twins = _counted_by_a_grouping(asked, grouping, schema)
    size = Size()
    scan = [a for a in asked if a not in twins]
    grouped = any(not a.preconditions(schema) for a in grouping)
    scanned = any(not a.preconditions(schema) for a in scan) or bool(twins)
    # The scan job counts the rows for free: the groupings' bound (else they would run a count job) and
    # the twins' denominator. Only added when a scan job runs anyway: never a job for the count alone.
    hidden = size not in scan and grouped and scanned
    scan_states: dict[ScanShareableAnalyzer, State | Metric]
    summaries: dict[tuple[tuple[str, ...], str | None], GroupSummary] = {}
    # A grouping on a nearly unique key needs an upper bound on the rows to decide whether its keys fit
    # on the driver (engine.unique_keys, engine.driver_values). A materialized cache knows it (no job):
    # then the scan job runs in a second thread beside the groupings. Their jobs share the executors, and
    # the scan's tasks fill the time the grouping spends on the driver (Arrow transfer, sorting the
    # hashes, planning): the seed suite with uniqueness at 10 M cached rows, min of 5 side by side: 3.35 s
    # without, 3.01 s with the scan started after the keys job (bench/results/10m/after_overlap.md).
    row_bound = cached_row_bound(df) if grouped else None
    large = row_bound is not None and (
        row_bound >= driver_values.MIN_ROWS
        or (plan_bytes(df, sized_only=False) or 0) >= unique_keys.MIN_PLAN_BYTES
    )
    to_scan = [*scan, size] if hidden else scan
    if row_bound is not None and scanned and large:
        # Submitted just after the keys job (see engine.overlap), or after the groupings if none runs.
        scan_job = Beside(lambda: compute_scan_states(df, to_scan))
        with when_keys_job_starts(lambda: scan_job.start(HEAD_START)):
            try:
                grouping_metrics = compute_grouping_metrics(df, grouping, row_bound, summaries)
            finally:
                scan_states = scan_job.result()
    else:
        scan_states = compute_scan_states(df, to_scan)
        counted = scan_states.get(size)
        if isinstance(counted, NumMatches):
            row_bound = counted.num_matches
        grouping_metrics = compute_grouping_metrics(df, grouping, row_bound, summaries)
    rows = scan_states.get(size)
    for twin in twins:
        summary = summaries.get(((twin.column,), None))
        if summary is None or not isinstance(rows, NumMatches):
            # The grouping (or the row count) failed: the twin gets its own scan, and its own reason.
            scan_states.update(compute_scan_states(df, [twin]))
        else:
            scan_states[twin] = NumMatchesAndCount(summary.num_rows, rows.num_matches)
    results: dict[Analyzer, Metric] = {}
    for analyzer in asked:  # the order they were asked in, scan metrics first as always
        state = scan_states[analyzer]
        results[analyzer] = state if isinstance(state, Metric) else analyzer.compute_metric_from(state)
    for grouping_analyzer, metric in grouping_metrics.items():
        results[grouping_analyzer] = metric
    return results
