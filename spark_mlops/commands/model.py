"""``spark-mlops model-quality`` and ``spark-mlops bias``: monitor a scored Delta table, log to MLflow.

Both read a Delta table (recording its version), compute the metrics distributed, write
``<output>/{statistics,violations}.json`` and ``report.html``, log metrics, JSON and the report to an
MLflow run, and exit with :data:`EXIT_VIOLATIONS` when ``--fail-on-violation`` is set and a constraint
is violated (0 otherwise, 1 on a usage error). ``jobs/model_quality.py`` and ``jobs/bias.py`` are the
spark-submit entry points over the same functions.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from spark_mlops.entrypoints import run_command
from spark_mlops.errors import InvalidArgumentError

__all__ = [
    "EXIT_VIOLATIONS",
    "add_bias_arguments",
    "add_model_quality_arguments",
    "main",
    "register",
    "run_bias",
    "run_model_quality",
]

log = logging.getLogger(__name__)

#: Exit code when violations are found and ``--fail-on-violation`` is given.
EXIT_VIOLATIONS = 3


def _value(text: str) -> Any:
    """A CLI label value: int, then float, else the string itself."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, help="Delta table (path or catalog name) with the rows")
    parser.add_argument("--version", type=int, default=None, help="Delta version to read (default: latest)")
    parser.add_argument("--label", required=True, help="observed label column")
    parser.add_argument(
        "--output", default=None, help="folder for statistics/violations JSON and report.html"
    )
    parser.add_argument("--experiment", default=None, help="MLflow experiment name (default: MLflow's)")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log to MLflow")
    parser.add_argument(
        "--fail-on-violation", action="store_true", help=f"exit {EXIT_VIOLATIONS} on violations"
    )


def add_model_quality_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the model-quality command/job."""
    _common(parser)
    parser.add_argument(
        "--problem-type",
        required=True,
        choices=["binary_classification", "multiclass_classification", "regression"],
    )
    parser.add_argument("--prediction", required=True, help="predicted label/value column")
    parser.add_argument("--probability", default=None, help="positive-class score column (binary)")
    parser.add_argument("--positive-label", default="1", help="positive label value (binary)")
    parser.add_argument("--ground-truth", default=None, help="Delta table of labels joined on --on")
    parser.add_argument("--on", default="inference_id", help="join key of --ground-truth")
    parser.add_argument("--constraints", default=None, help="constraints JSON to check (Model Monitor shape)")
    parser.add_argument("--suggest-constraints", default=None, help="write suggested constraints JSON here")
    parser.add_argument("--bootstrap-replicates", type=int, default=20)


def add_bias_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the bias command/job."""
    _common(parser)
    parser.add_argument("--facet", required=True, help="sensitive attribute column")
    parser.add_argument("--facet-value", action="append", default=None, help="value(s) forming facet d")
    parser.add_argument("--facet-threshold", type=float, default=None, help="facet d = facet > threshold")
    parser.add_argument("--predicted-label", default=None, help="predicted label column (post-training)")
    parser.add_argument("--positive-label", action="append", default=None, help="positive label value(s)")
    parser.add_argument("--group-variable", default=None, help="subgroup column for CDDL/CDDPL")
    parser.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="METRIC=T",
        help="violation when |METRIC| > T (for DI: |DI − 1| > T); repeatable",
    )


def _write(output: str | None, files: dict[str, str]) -> None:
    if not output:
        return
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    log.info("wrote %s to %s", sorted(files), folder)


def _log_mlflow(
    args: argparse.Namespace, run_name: str, tags: dict[str, str], log_body: Callable[[], None]
) -> None:
    if args.no_mlflow:
        return
    import mlflow

    from spark_mlops.config import settings

    mlflow.set_tracking_uri(settings().mlflow_tracking_uri)
    if args.experiment:
        mlflow.set_experiment(args.experiment)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.set_tags(tags)
        log_body()
        log.info("logged to MLflow run %s", run.info.run_id)


def run_model_quality(args: argparse.Namespace) -> int:
    """Handler of ``model-quality``; returns the exit code."""
    import mlflow

    from spark_mlops.delta import read_delta_versioned
    from spark_mlops.monitoring.model_quality import merge_ground_truth, model_quality
    from spark_mlops.monitoring.model_quality_constraints import (
        check_model_quality,
        suggest_model_quality_constraints,
    )
    from spark_mlops.monitoring.report import build_report, log_report_to_mlflow
    from spark_mlops.spark import get_spark

    spark = get_spark(app_name="spark_mlops-model-quality")
    df, source = read_delta_versioned(spark, args.input, args.version)
    tags = {"monitor": "model_quality", "input": source.table, "input_version": str(source.version)}
    if args.ground_truth:
        labels, truth = read_delta_versioned(spark, args.ground_truth)
        df = merge_ground_truth(df, labels, on=args.on)
        tags.update(ground_truth=truth.table, ground_truth_version=str(truth.version))
    metrics = model_quality(
        df,
        args.problem_type,
        args.label,
        args.prediction,
        args.probability,
        positive_label=_value(args.positive_label),
        bootstrap_replicates=args.bootstrap_replicates,
    )
    violations: list[dict[str, Any]] = []
    if args.constraints:
        violations = check_model_quality(
            metrics, json.loads(Path(args.constraints).read_text(encoding="utf-8"))
        )
    statistics = json.dumps(metrics.to_json(), indent=2, default=str)
    report = build_report(
        f"Model quality of {source}", metadata=tags, violations=violations, model_quality=metrics
    )
    files = {
        "statistics.json": statistics,
        "violations.json": json.dumps({"violations": violations}, indent=2),
    }
    _write(args.output, {**files, "report.html": report})
    if args.suggest_constraints:
        suggested = suggest_model_quality_constraints(metrics)
        Path(args.suggest_constraints).write_text(json.dumps(suggested, indent=2), encoding="utf-8")

    def body() -> None:
        for name, text in files.items():
            mlflow.log_text(text, name)
        log_report_to_mlflow(report, metrics.scalars())
        mlflow.log_metric("violations", len(violations))

    _log_mlflow(args, "model-quality", tags, body)
    sys.stdout.write(json.dumps({"source": str(source), "violations": len(violations)}) + "\n")
    for v in violations:
        log.warning("violation: %s", v["description"])
    return EXIT_VIOLATIONS if violations and args.fail_on_violation else 0


def _thresholds(pairs: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise InvalidArgumentError(f"--threshold: expected METRIC=NUMBER, got {item!r}")
    return out


def run_bias(args: argparse.Namespace) -> int:
    """Handler of ``bias``; returns the exit code."""
    import mlflow

    from spark_mlops.delta import read_delta_versioned
    from spark_mlops.monitoring.bias import bias_metrics
    from spark_mlops.monitoring.report import build_report, log_report_to_mlflow
    from spark_mlops.spark import get_spark

    limits = _thresholds(args.threshold)
    spark = get_spark(app_name="spark_mlops-bias")
    df, source = read_delta_versioned(spark, args.input, args.version)
    facet_values = [_value(v) for v in args.facet_value] if args.facet_value else None
    metrics = bias_metrics(
        df,
        label=args.label,
        facet=args.facet,
        facet_value=facet_values,
        facet_threshold=args.facet_threshold,
        predicted_label=args.predicted_label,
        positive_label_values=[_value(v) for v in (args.positive_label or ["1"])],
        group_variable=args.group_variable,
    )
    violations = []
    for name, limit in limits.items():
        value = metrics.get(name, math.nan)
        distance = abs(value - 1.0) if name == "DI" else abs(value)
        if math.isnan(distance) or distance > limit:
            violations.append(
                {
                    "metric_name": name,
                    "constraint_check_type": "bias_drift_check",
                    "value": value,
                    "threshold": limit,
                    "description": f"Metric {name} with {value} exceeds the allowed deviation {limit}",
                }
            )
    tags = {
        "monitor": "bias",
        "input": source.table,
        "input_version": str(source.version),
        "facet": args.facet,
    }
    statistics = json.dumps({"bias_metrics": dict(metrics), "reasons": metrics.reasons}, indent=2)
    report = build_report(f"Bias of {source}", metadata=tags, violations=violations, bias=metrics)
    files = {
        "statistics.json": statistics,
        "violations.json": json.dumps({"violations": violations}, indent=2),
    }
    _write(args.output, {**files, "report.html": report})

    def body() -> None:
        for name, text in files.items():
            mlflow.log_text(text, name)
        log_report_to_mlflow(report, dict(metrics), prefix="bias.")
        mlflow.log_metric("violations", len(violations))

    _log_mlflow(args, "bias", tags, body)
    sys.stdout.write(json.dumps({"source": str(source), "violations": len(violations)}) + "\n")
    return EXIT_VIOLATIONS if violations and args.fail_on_violation else 0


def register(subparsers: Any) -> None:
    """Add ``model-quality`` and ``bias`` to the ``spark-mlops`` command line."""
    quality = subparsers.add_parser("model-quality", help="model quality of a scored Delta table")
    add_model_quality_arguments(quality)
    quality.set_defaults(handler=run_model_quality)
    bias = subparsers.add_parser("bias", help="Clarify bias metrics of a Delta table")
    add_bias_arguments(bias)
    bias.set_defaults(handler=run_bias)


def main(command: str, argv: Sequence[str] | None = None) -> int:
    """Entry point of the spark-submit jobs: parse ``argv`` for ``command`` and run it."""
    return run_command(
        "spark-mlops",
        command,
        {
            "model-quality": (add_model_quality_arguments, run_model_quality),
            "bias": (add_bias_arguments, run_bias),
        },
        argv,
    )
