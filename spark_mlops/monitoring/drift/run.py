"""One scheduled monitoring run: drift + violations of a Delta table version against a baseline.

The current data is profiled once (≤ 2 Spark scans) and that profile serves the drift statistics, the
violation checks and the profile table. Results go to Delta tables (``<output>_profile`` and
``<output>_drift``, see :mod:`spark_mlops.monitoring.monitor_tables`) and to an MLflow run (metrics,
``constraint_violations.json``, ``drift.json``), each tagged with the table version read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from spark_mlops.delta import TableVersion, read_delta_versioned
from spark_mlops.monitoring.baseline import STATISTICS_FILE, DataBaseline
from spark_mlops.monitoring.drift.compute import DriftResult, compute_drift
from spark_mlops.monitoring.monitor_tables import append_drift, append_profile
from spark_mlops.monitoring.violations import check_violations, violations_json

__all__ = ["DriftRun", "load_baseline", "output_tables", "run_drift_monitor"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DriftRun:
    """Outcome of :func:`run_drift_monitor`."""

    drift: DriftResult
    violations: list[dict[str, str]]
    source: TableVersion
    tables: dict[str, TableVersion] = field(default_factory=dict)
    mlflow_run_id: str | None = None


def load_baseline(spark: SparkSession, location: str) -> DataBaseline:
    """A baseline from a folder holding ``statistics.json``, else from a Delta table of baselines."""
    if (Path(location) / STATISTICS_FILE).is_file():
        return DataBaseline.load(location)
    return DataBaseline.load_from_delta(spark, location)


def output_tables(output_table: str) -> dict[str, str]:
    """Names of the profile and drift tables derived from ``--output-table``."""
    return {"profile": f"{output_table}_profile", "drift": f"{output_table}_drift"}


def _metric_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", text)


def run_drift_monitor(
    spark: SparkSession,
    baseline: DataBaseline,
    table: str,
    version: int | None = None,
    *,
    output_table: str | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    methods: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    log_to_mlflow: bool = True,
    experiment: str | None = None,
) -> DriftRun:
    """Compare ``table`` at ``version`` with ``baseline``; store and log the results.

    Args:
        spark: The session.
        baseline: The reference baseline.
        table: Delta table (path or name) to monitor.
        version: Its version (default newest); recorded either way.
        output_table: Base name/path of the profile and drift Delta tables (none written when None).
        window_start: Start of the monitored window (default: now).
        window_end: End of the window (default: ``window_start``).
        methods: Drift methods (default per-column defaults).
        log_to_mlflow: Log metrics and the violation file to MLflow.
        experiment: MLflow experiment name (default: the active one).
    """
    df, source = read_delta_versioned(spark, table, version=version)
    drift = compute_drift(baseline, df, methods=methods)
    violations = check_violations(df, baseline, current=drift.current)
    start = window_start or datetime.now(timezone.utc)
    end = window_end or start
    tables: dict[str, TableVersion] = {}
    if output_table is not None and drift.current is not None:
        names = output_tables(output_table)
        tables["profile"] = append_profile(spark, names["profile"], drift.current, start, end, source=source)
        tables["drift"] = append_drift(spark, names["drift"], drift, start, end, source=source)
    run_id = _log(drift, violations, source, experiment) if log_to_mlflow else None
    log.info(
        "drift run on %s: %d of %d columns drifted, %d violations",
        source,
        len(drift.drifted_columns),
        len({r.column for r in drift.rows}),
        len(violations),
    )
    return DriftRun(drift, violations, source, tables, run_id)


def _log(
    drift: DriftResult, violations: list[dict[str, str]], source: TableVersion, experiment: str | None
) -> str:
    import mlflow

    if experiment is not None:
        mlflow.set_experiment(experiment)
    metrics: dict[str, Any] = {
        "drift.share_drifted": drift.share_drifted,
        "drift.dataset_drift": float(drift.dataset_drift),
        "violations.count": float(len(violations)),
    }
    for r in drift.rows:
        if r.statistic == r.statistic:  # not NaN
            metrics[_metric_name(f"drift.{r.column}.{r.method}")] = r.statistic
    with mlflow.start_run(run_name=f"drift {source}") as run:
        mlflow.set_tags({"source_table": source.table, "source_version": str(source.version)})
        mlflow.log_metrics(metrics)
        mlflow.log_dict(violations_json(violations), "constraint_violations.json")
        mlflow.log_dict({"rows": drift.to_dicts(), "skipped": drift.skipped}, "drift.json")
        return str(run.info.run_id)
