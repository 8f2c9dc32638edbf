"""Scan-shareable analyzers: every analyzer of a run compiled into ONE aggregation (one Spark job).

Each analyzer's ``where`` lives inside its aggregate expressions (``count_if``, ``CASE WHEN``), so
different filters share the scan. The analyzers write their aggregates as SQL text and the engine
hands Spark all of them as one ``named_struct`` expression: a few Py4J calls per run instead of
several per aggregate function (see :func:`spark_mlops.quality.analyzers.base.sql_column`).

A bad expression must not sink the others: on failure the analyzers are checked
one by one (analysis only, no job), the bad ones become failure metrics, and the rest run again fused;
only if that still fails at run time (e.g. an ANSI cast error in a predicate) does each run alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pyspark.sql import DataFrame

from spark_mlops.quality.analyzers.base import ScanShareableAnalyzer, State
from spark_mlops.quality.engine.errors import failure_message
from spark_mlops.quality.metrics import Metric
from spark_mlops.spark import job_description

__all__ = ["compute_scan_states"]

log = logging.getLogger(__name__)

_Plan = list[tuple[ScanShareableAnalyzer, list[str]]]


def _aggregate(df: DataFrame, expressions: Sequence[str]) -> DataFrame:
    """One global aggregation of ``expressions`` (SQL text) as a one-row, one-struct DataFrame."""
    fields = ", ".join(f"'_m{i}', {e}" for i, e in enumerate(expressions))
    return df.selectExpr(f"named_struct({fields}) AS _metrics")


def _fused(df: DataFrame, plans: _Plan) -> dict[ScanShareableAnalyzer, State]:
    expressions = [e for _, exprs in plans for e in exprs]
    with job_description(df.sparkSession, f"spark_mlops: {len(plans)} analyzers in one scan"):
        row = _aggregate(df, expressions).collect()[0]
    values: Sequence[Any] = tuple(row[0])
    states: dict[ScanShareableAnalyzer, State] = {}
    offset = 0
    for analyzer, cols in plans:
        states[analyzer] = analyzer.state_from_row(values[offset : offset + len(cols)])
        offset += len(cols)
    return states


def compute_scan_states(
    df: DataFrame, analyzers: Sequence[ScanShareableAnalyzer]
) -> dict[ScanShareableAnalyzer, State | Metric]:
    """States of scan-shareable analyzers in one Spark job (failures as failure metrics)."""
    results: dict[ScanShareableAnalyzer, State | Metric] = {}
    schema = df.schema
    plans: _Plan = []
    for analyzer in dict.fromkeys(analyzers):
        problem = analyzer.preconditions(schema)
        if problem:
            results[analyzer] = analyzer.failure(problem)
            continue
        try:
            plans.append((analyzer, analyzer.aggregations(schema)))
        except Exception as exc:  # noqa: BLE001 - a bad expression is a failed metric, not a crash
            results[analyzer] = analyzer.failure(failure_message(exc))
    if not plans:
        return results
    try:
        results.update(_fused(df, plans))
        return results
    except Exception as exc:  # noqa: BLE001
        log.info("fused scan failed (%s); isolating the failing analyzers", failure_message(exc))
    valid: _Plan = []
    for analyzer, cols in plans:
        try:
            _aggregate(df, cols).schema  # noqa: B018 - analysis only, no job
            valid.append((analyzer, cols))
        except Exception as exc:  # noqa: BLE001
            results[analyzer] = analyzer.failure(failure_message(exc))
    if not valid:
        return results
    try:
        results.update(_fused(df, valid))
        return results
    except Exception:  # noqa: BLE001 - a run-time error: find which analyzer raises it
        pass
    for analyzer, cols in valid:
        try:
            results.update(_fused(df, [(analyzer, cols)]))
        except Exception as exc:  # noqa: BLE001
            results[analyzer] = analyzer.failure(failure_message(exc))
    return results
