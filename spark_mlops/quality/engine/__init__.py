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

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers.base import Analyzer, ScanShareableAnalyzer, State
from spark_mlops.quality.analyzers.basic import Size
from spark_mlops.quality.analyzers.frequency import GroupingAnalyzer
from spark_mlops.quality.analyzers.grouping import FrequencyState, frequencies
from spark_mlops.quality.analyzers.states import NumMatches
from spark_mlops.quality.engine.grouping import compute_grouping_metrics
from spark_mlops.quality.engine.scan import compute_scan_states
from spark_mlops.quality.metrics import Metric

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


def compute_metrics(df: DataFrame, analyzers: Iterable[Analyzer]) -> dict[Analyzer, Metric]:
    """Metrics of ``analyzers`` on ``df``: one job for all scan-shareable analyzers plus one job per
    distinct grouping.

    Raises:
        InvalidArgumentError: ``df`` is not a DataFrame or an item is not an analyzer.
    """
    scan, grouping = _split(df, analyzers)
    results: dict[Analyzer, Metric] = {}
    # The scan job counts the rows for free; a grouping on a nearly unique key uses the count to decide
    # whether its keys fit on the driver (engine.unique_keys), which would otherwise cost a count job.
    # Only when a scan job runs anyway: never a job for the count alone.
    schema = df.schema
    size = Size()
    hidden = (
        size not in scan
        and any(not a.preconditions(schema) for a in grouping)
        and any(not a.preconditions(schema) for a in scan)
    )
    row_bound: int | None = None
    for analyzer, state in compute_scan_states(df, [*scan, size] if hidden else scan).items():
        if analyzer == size and isinstance(state, NumMatches):
            row_bound = state.num_matches
        if analyzer is size and hidden:
            continue
        results[analyzer] = state if isinstance(state, Metric) else analyzer.compute_metric_from(state)
    for grouping_analyzer, metric in compute_grouping_metrics(df, grouping, row_bound).items():
        results[grouping_analyzer] = metric
    return results
