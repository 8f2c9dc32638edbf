"""Job: monitor a day of data and the model's predictions on it — data drift and baseline violations
against the training data, model quality once labels arrive, bias across a facet — in one HTML report
logged to MLflow.

    spark-submit --jars "$(python -m spark_mlops.jars path)" jobs/monitor.py \
        --reference /lake/reviews_train --current /lake/reviews_day2 --predictions /lake/predictions \
        --labels /lake/labels_day2 --report report.html --fail-on-drift

Exit codes: 0 ok, 1 bad arguments, 2 dataset drift found with ``--fail-on-drift``. In a pipeline: inputs
``reference``, ``current``, ``predictions`` and ``labels``, property file ``monitoring``, arguments
``columns``, ``facet``, ``facet_value``, ``key``, ``bootstrap_replicates``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_mlops.delta import TableVersion, read_delta_versioned
from spark_mlops.entrypoints import run_job
from spark_mlops.monitoring import (
    DataBaseline,
    bias_metrics,
    check_violations,
    compute_drift,
    merge_ground_truth,
    model_quality,
)
from spark_mlops.monitoring.report import build_report, log_report_to_mlflow

DEFAULT_COLUMNS = (
    "marketplace",
    "product_category",
    "star_rating",
    "total_votes",
    "verified_purchase",
    "vine",
)


def monitor(
    reference: DataFrame,
    current: DataFrame,
    predictions: DataFrame | None,
    labels: DataFrame | None,
    columns: list[str],
    facet: str = "marketplace",
    facet_value: Any = "US",
    key: str = "review_id",
    metadata: dict[str, Any] | None = None,
    bootstrap_replicates: int = 20,
) -> tuple[dict[str, Any], str]:
    """Compute drift, violations, model quality (standard deviations from ``bootstrap_replicates`` Poisson
    bootstrap replicates) and bias; return (summary, HTML report)."""
    baseline = DataBaseline.from_dataframe(reference.select(*columns))
    drift = compute_drift(baseline, current.select(*columns))
    violations = check_violations(current.select(*columns), baseline, current=drift.current)
    summary: dict[str, Any] = {
        "drift": {
            "share_drifted": drift.share_drifted,
            "dataset_drift": drift.dataset_drift,
            "drifted_columns": drift.drifted_columns,
        },
        "violations": violations,
    }
    quality = bias = None
    if predictions is not None and labels is not None:
        merged = merge_ground_truth(predictions.drop("label"), labels, on=key)
        quality = model_quality(
            merged, "binary_classification", "label", "prediction", probability="score",
            bootstrap_replicates=bootstrap_replicates,
        )  # fmt: skip
        bias = bias_metrics(
            merged, label="label", facet=facet, facet_value=facet_value, predicted_label="prediction",
            positive_label_values=(1.0,),
        )  # fmt: skip
        summary["model_quality"] = quality.to_json()
        summary["bias"] = {k: (v if math.isfinite(v) else None) for k, v in bias.items()}
    html = build_report(
        "Reviews monitoring",
        violations=violations,
        drift=drift.to_dataframe(current.sparkSession).toPandas(),
        model_quality=quality,
        bias=bias,
        metadata=metadata,
    )
    return summary, html


def scored_from(predictions: DataFrame, source: TableVersion) -> DataFrame:
    """The prediction rows scored from ``source`` (the predictions table keeps every day)."""
    return predictions.where(
        (F.col("input_table") == F.lit(source.table)) & (F.col("input_version") == F.lit(source.version))
    )


def _metrics(summary: dict[str, Any]) -> dict[str, float]:
    out = {
        "drift_share": float(summary["drift"]["share_drifted"]),
        "dataset_drift": float(summary["drift"]["dataset_drift"]),
        "violations": float(len(summary["violations"])),
    }
    body = summary.get("model_quality", {}).get("binary_classification_metrics", {})
    for name in ("auc", "accuracy", "f1"):
        value = body.get(name, {}).get("value")
        if isinstance(value, (int, float)) and math.isfinite(value):
            out[f"model_{name}"] = float(value)
    return out


def main(ctx):  # type: ignore[no-untyped-def]
    """Pipeline entry point."""
    columns = list(ctx.args.get("columns") or DEFAULT_COLUMNS)
    has_labels = "labels" in ctx.input_versions and "predictions" in ctx.input_versions
    predictions = None
    if has_labels:
        # The predictions table keeps every day: monitor only the rows scored from this input version.
        current = ctx.input_versions["current"]
        predictions = ctx.input("predictions").where(
            (F.col("input_table") == F.lit(current.table))
            & (F.col("input_version") == F.lit(current.version))
        )
    summary, html = monitor(
        ctx.input("reference"),
        ctx.input("current"),
        predictions,
        ctx.input("labels") if has_labels else None,
        columns,
        facet=str(ctx.args.get("facet", "marketplace")),
        facet_value=ctx.args.get("facet_value", "US"),
        key=str(ctx.args.get("key", "review_id")),
        metadata={name: str(tv) for name, tv in ctx.input_versions.items()},
        bootstrap_replicates=int(ctx.args.get("bootstrap_replicates", 20)),
    )
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    report = ctx.work_dir / "monitoring_report.html"
    report.write_text(html, encoding="utf-8")
    ctx.log_artifact(report)
    summary["report"] = str(report)
    ctx.write_property_file("monitoring", summary)
    return _metrics(summary)


def _run(spark, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    reference, ref_v = read_delta_versioned(spark, args.reference)
    current, cur_v = read_delta_versioned(spark, args.current)
    predictions = labels = None
    if args.predictions and args.labels:
        predictions = scored_from(read_delta_versioned(spark, args.predictions)[0], cur_v)
        labels = read_delta_versioned(spark, args.labels)[0]
    summary, html = monitor(
        reference, current, predictions, labels, args.columns.split(","), key=args.key,
        metadata={"reference": str(ref_v), "current": str(cur_v)},
        bootstrap_replicates=args.bootstrap_replicates,
    )  # fmt: skip
    Path(args.report).write_text(html, encoding="utf-8")
    log_report_to_mlflow(html, _metrics(summary))
    print(json.dumps(summary["drift"], indent=2))
    return 2 if args.fail_on_drift and summary["drift"]["dataset_drift"] else 0


def parser() -> argparse.ArgumentParser:
    """Command-line arguments of the job."""
    p = argparse.ArgumentParser(prog="monitor.py", description=__doc__.splitlines()[0])
    p.add_argument("--reference", required=True)
    p.add_argument("--current", required=True)
    p.add_argument("--predictions", default=None)
    p.add_argument("--labels", default=None)
    p.add_argument("--columns", default=",".join(DEFAULT_COLUMNS))
    p.add_argument("--key", default="review_id")
    p.add_argument("--report", default="monitoring_report.html")
    p.add_argument("--fail-on-drift", action="store_true")
    p.add_argument("--bootstrap-replicates", type=int, default=20, help="bootstrap replicates (0: none)")
    return p


if __name__ == "__main__":
    sys.exit(run_job("monitor", parser(), _run))
