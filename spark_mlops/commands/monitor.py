"""``spark-mlops baseline`` and ``spark-mlops drift``: data baselines and scheduled drift checks.

* ``baseline --table T [--version V] --output DIR [--delta-output TABLE]`` writes ``statistics.json``
  and ``constraints.json`` (Model Monitor shapes) recording the table version read.
* ``drift --baseline DIR_OR_TABLE --table T [--version V] [--output-table BASE] [--fail-on-violation]``
  computes drift and violations (≤ 2 scans of the data), appends ``BASE_profile``/``BASE_drift`` Delta
  tables, logs metrics and ``constraint_violations.json`` to MLflow and exits
  :data:`EXIT_VIOLATIONS` when there are violations and ``--fail-on-violation`` is given.

``jobs/drift.py`` is the spark-submit entry point over the same functions.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from spark_mlops.entrypoints import run_command

__all__ = ["EXIT_VIOLATIONS", "add_baseline_arguments", "add_drift_arguments", "main", "register"]

log = logging.getLogger(__name__)

#: Exit code of ``drift --fail-on-violation`` when violations are found.
EXIT_VIOLATIONS = 2


def add_baseline_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the baseline command."""
    parser.add_argument("--table", required=True, help="Delta table (path or catalog name) to baseline")
    parser.add_argument("--version", type=int, default=None, help="Delta version (default: latest)")
    parser.add_argument("--output", required=True, help="folder for statistics.json and constraints.json")
    parser.add_argument("--delta-output", default=None, help="also append the baseline to this Delta table")


def add_drift_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the drift command/job."""
    parser.add_argument("--baseline", required=True, help="baseline folder, or Delta table of baselines")
    parser.add_argument("--table", required=True, help="Delta table (path or catalog name) to check")
    parser.add_argument("--version", type=int, default=None, help="Delta version (default: latest)")
    parser.add_argument("--output-table", default=None, help="base of the <base>_profile/_drift Delta tables")
    parser.add_argument("--window-start", default=None, help="ISO time of the window start (default: now)")
    parser.add_argument("--window-end", default=None, help="ISO time of the window end (default: start)")
    parser.add_argument("--method", action="append", default=None, help="drift method (repeatable)")
    parser.add_argument("--experiment", default=None, help="MLflow experiment name")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log to MLflow")
    parser.add_argument("--violations-file", default=None, help="also write constraint_violations.json here")
    parser.add_argument(
        "--fail-on-violation", action="store_true", help=f"exit {EXIT_VIOLATIONS} on violations"
    )


def run_baseline(args: argparse.Namespace) -> int:
    """Handler of ``spark-mlops baseline``."""
    from spark_mlops.monitoring.baseline import DataBaseline
    from spark_mlops.spark import get_spark

    spark = get_spark(app_name="spark_mlops-baseline")
    baseline = DataBaseline.from_delta(spark, args.table, version=args.version)
    baseline.save(args.output)
    if args.delta_output:
        baseline.save_to_delta(spark, args.delta_output)
    log.info("baseline of %s written to %s", baseline.source, args.output)
    return 0


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def run_drift(args: argparse.Namespace) -> int:
    """Handler of ``spark-mlops drift``: 0 ok, :data:`EXIT_VIOLATIONS` on violations when asked."""
    from spark_mlops.monitoring.drift.run import load_baseline, run_drift_monitor
    from spark_mlops.monitoring.violations import violations_json
    from spark_mlops.spark import get_spark

    spark = get_spark(app_name="spark_mlops-drift")
    baseline = load_baseline(spark, args.baseline)
    run = run_drift_monitor(
        spark,
        baseline,
        args.table,
        args.version,
        output_table=args.output_table,
        window_start=_time(args.window_start),
        window_end=_time(args.window_end),
        methods=args.method,
        log_to_mlflow=not args.no_mlflow,
        experiment=args.experiment,
    )
    if args.violations_file:
        with open(args.violations_file, "w", encoding="utf-8") as fh:
            json.dump(violations_json(run.violations), fh, indent=2)
    for v in run.violations:
        log.warning("violation %s on %s: %s", v["constraint_check_type"], v["feature_name"], v["description"])
    if run.violations and args.fail_on_violation:
        return EXIT_VIOLATIONS
    return 0


def register(subparsers: Any) -> None:
    """Add the ``baseline`` and ``drift`` sub-commands."""
    baseline = subparsers.add_parser("baseline", help="baseline statistics/constraints of a Delta table")
    add_baseline_arguments(baseline)
    baseline.set_defaults(handler=run_baseline)
    drift = subparsers.add_parser("drift", help="drift and violations of a Delta table against a baseline")
    add_drift_arguments(drift)
    drift.set_defaults(handler=run_drift)


def main(command: str, argv: Sequence[str] | None = None) -> int:
    """Run one command (``baseline`` or ``drift``) with its own parser; for spark-submit jobs."""
    return run_command(
        "spark-mlops",
        command,
        {"baseline": (add_baseline_arguments, run_baseline), "drift": (add_drift_arguments, run_drift)},
        argv,
    )
