"""``spark-mlops run PIPELINE.yaml --param k=v`` and ``spark-mlops callback TOKEN --success``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

from spark_mlops.errors import ConfigError

__all__ = ["register"]

log = logging.getLogger(__name__)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{option}: expected KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def _run(args: argparse.Namespace) -> int:
    from spark_mlops.pipeline import ExecutionStatus, Pipeline

    options: dict[str, Any] = {}
    if args.home:
        options["home"] = args.home
    if args.max_parallel_steps:
        options["max_parallel_steps"] = args.max_parallel_steps
    pipeline = Pipeline.from_yaml(args.pipeline, **options)
    declared = {p.name: p for p in pipeline.parameters}
    overrides: dict[str, Any] = {}
    for key, text in _pairs(args.param, "--param").items():
        if key not in declared:
            raise ConfigError(
                f"--param: pipeline '{pipeline.name}' declares no parameter '{key}'; "
                f"it has {sorted(declared)}"
            )
        overrides[key] = declared[key].parse(text)
    if args.resume:
        execution = pipeline.resume(args.resume)
    else:
        logical = dt.date.fromisoformat(args.logical_date) if args.logical_date else None
        execution = pipeline.start(overrides, logical_date=logical)
    summary = {
        "execution_id": execution.execution_id,
        "status": execution.status.value,
        "failure_reason": execution.failure_reason,
        "steps": {n: r.status.value for n, r in execution.steps.items()},
    }
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0 if execution.status in (ExecutionStatus.SUCCEEDED, ExecutionStatus.WAITING) else 1


def _callback(args: argparse.Namespace) -> int:
    from spark_mlops.pipeline import report_callback
    from spark_mlops.pipeline.pipeline import default_home
    from spark_mlops.spark import get_spark

    outputs = _pairs(args.output, "--output")
    state = report_callback(
        get_spark(),
        Path(args.home) if args.home else default_home(),
        args.token,
        args.success,
        outputs,
        args.reason,
    )
    sys.stdout.write(
        json.dumps({"token": state.token, "step": state.step_name, "status": state.status}) + "\n"
    )
    return 0


def register(subparsers: Any) -> None:
    """Add the ``run`` and ``callback`` sub-commands."""
    run = subparsers.add_parser("run", help="run a pipeline defined in YAML (conf/pipelines/NAME.yaml)")
    run.add_argument("pipeline", help="path of the pipeline YAML")
    run.add_argument(
        "--param", action="append", metavar="KEY=VALUE", help="override a parameter (repeatable)"
    )
    run.add_argument("--logical-date", help="scheduling day YYYY-MM-DD (default: today, UTC)")
    run.add_argument("--resume", metavar="EXECUTION_ID", help="resume an execution instead of starting one")
    run.add_argument(
        "--home", help="pipeline home folder (state tables); default $SPARK_MLOPS_HOME/pipelines"
    )
    run.add_argument("--max-parallel-steps", type=int, help="run up to N independent steps at once")
    run.set_defaults(handler=_run)

    cb = subparsers.add_parser("callback", help="report the outcome of a waiting CallbackStep token")
    cb.add_argument("token")
    status = cb.add_mutually_exclusive_group(required=True)
    status.add_argument("--success", dest="success", action="store_true", help="report success")
    status.add_argument("--failure", dest="success", action="store_false", help="report failure")
    cb.add_argument("--output", action="append", metavar="KEY=VALUE", help="an output for later steps")
    cb.add_argument("--reason", help="failure reason")
    cb.add_argument("--home", help="pipeline home folder; default $SPARK_MLOPS_HOME/pipelines")
    cb.set_defaults(handler=_callback)
