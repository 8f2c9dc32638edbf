"""``spark-mlops demo``: the seed's whole story on generated data, end to end (what ``make demo`` runs).

1. Generate a day of reviews (a few hundred thousand rows), the next day's reviews and their labels
   (arriving later), and a third day with injected drift — all as Delta tables under ``--home``.
2. Run ``conf/pipelines/reviews.yaml`` on the clean next day: quality gate → preprocessing → training →
   evaluation → AUC condition → register + approve → batch inference → monitoring (drift, violations,
   model quality, bias, HTML report): no drift.
3. Run it again, on the drifted day: the quality gate, preprocessing, training and evaluation are cache
   hits (same training data, code and arguments) and the monitoring step reports the drift the clean
   day did not have. (A third run on the unchanged clean day would only repeat the cache hits.)
4. Print a summary: checks, model version, drift per day, the report, and the ``mlflow ui`` line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from spark_mlops.datasets import ReviewDrift, generate_reviews
from spark_mlops.delta import write_delta
from spark_mlops.models.reviews import add_review_label, clean_reviews

__all__ = ["DemoSummary", "register", "run_demo"]

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINE = REPO_ROOT / "conf" / "pipelines" / "reviews.yaml"


@dataclass
class DemoSummary:
    """What the demo did, for the printed summary and for tests."""

    home: str
    tables: dict[str, str]
    executions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain dict."""
        return {"home": self.home, "tables": self.tables, "executions": self.executions}


def _write_day(
    spark: SparkSession, home: Path, name: str, rows: int, seed: int, drift: ReviewDrift | None
) -> str:
    path = str(home / name)
    # txn id per (table, seed, size): running the demo twice does not append the same day twice.
    write_delta(
        generate_reviews(spark, rows, seed=seed, drift=drift),
        path,
        mode="append",
        user_metadata=f"demo data: {name}",
        txn_app_id=f"spark_mlops-demo:{name}:{rows}",
        txn_version=seed,
    )
    return path


def _write_labels(spark: SparkSession, home: Path, day_table: str, name: str, seed: int) -> str:
    from spark_mlops.delta import read_delta

    labels = add_review_label(clean_reviews(read_delta(spark, day_table))).select("review_id", "label")
    path = str(home / name)
    write_delta(labels, path, user_metadata="labels arriving after the predictions",
                txn_app_id=f"spark_mlops-demo:{name}", txn_version=seed)  # fmt: skip
    return path


def _execution_summary(execution: Any, day: str) -> dict[str, Any]:
    steps = {}
    for name, record in execution.steps.items():
        steps[name] = {"status": record.status.value, "cache_hit": bool(record.cache_hit)}
    out: dict[str, Any] = {
        "day": day,
        "execution_id": execution.execution_id,
        "status": execution.status.value,
        "failure_reason": execution.failure_reason,
        "steps": steps,
    }
    for name in ("quality_gate", "register", "monitor"):
        if name in execution.steps:
            out[name] = execution.steps[name].properties
    return out


def run_demo(spark: SparkSession, rows: int, home: str | os.PathLike[str]) -> DemoSummary:
    """Generate the data and run the reviews pipeline on a clean and a drifted day (module docstring)."""
    from spark_mlops.pipeline import Pipeline

    root = Path(home).resolve()
    root.mkdir(parents=True, exist_ok=True)
    raw = _write_day(spark, root, "reviews_day1", rows, seed=1, drift=None)
    day2 = _write_day(spark, root, "reviews_day2", max(rows // 4, 1000), seed=2, drift=None)
    drifted = ReviewDrift(
        marketplace_weights={"US": 0.2, "UK": 0.1, "DE": 0.1, "JP": 0.5, "FR": 0.1},
        star_weights=[0.3, 0.2, 0.2, 0.15, 0.15],
        votes_scale=2.5,
    )
    day3 = _write_day(spark, root, "reviews_day3", max(rows // 4, 1000), seed=3, drift=drifted)
    labels2 = _write_labels(spark, root, day2, "labels_day2", seed=2)
    labels3 = _write_labels(spark, root, day3, "labels_day3", seed=3)
    tables = {"day1": raw, "day2": day2, "day3": day3, "labels_day2": labels2, "labels_day3": labels3}
    summary = DemoSummary(str(root), tables)

    pipeline = Pipeline.from_yaml(PIPELINE, home=str(root / "pipelines"))
    common = {"raw_table": raw, "home": str(root)}
    for day, table, labels in (("day2", day2, labels2), ("day3 (drifted)", day3, labels3)):
        log.info("demo: running %s on %s", pipeline.name, day)
        execution = pipeline.start({**common, "next_day_table": table, "labels_table": labels})
        summary.executions.append(_execution_summary(execution, day))
    return summary


def _print_summary(summary: DemoSummary) -> None:
    out = sys.stdout
    out.write("\n=== spark_mlops demo ===\n")
    for ex in summary.executions:
        cached = [n for n, s in ex["steps"].items() if s["cache_hit"]]
        out.write(f"\n[{ex['day']}] execution {ex['execution_id']}: {ex['status']}\n")
        if ex.get("failure_reason"):
            out.write(f"  failure: {ex['failure_reason']}\n")
        out.write(f"  cache hits: {', '.join(cached) or 'none'}\n")
        reg = ex.get("register") or {}
        if reg:
            out.write(
                f"  model registered: {reg.get('registered_model_uri')} ({reg.get('approval_status')})\n"
            )
        mon = ex.get("monitor") or {}
        report = _monitoring_file(mon)
        if report:
            drift = report.get("drift", {})
            out.write(
                f"  drift: {'FOUND' if drift.get('dataset_drift') else 'none'} "
                f"(share of drifted columns {drift.get('share_drifted', 0):.2f}: "
                f"{', '.join(drift.get('drifted_columns', [])) or '-'})\n"
            )
            out.write(f"  violations: {len(report.get('violations', []))}; report: {report.get('report')}\n")
    out.write(f"\nDelta tables under {summary.home}\n")
    uri = os.environ.get("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    out.write(f"MLflow: mlflow ui --backend-store-uri {uri}\n")


def _monitoring_file(properties: dict[str, Any]) -> dict[str, Any]:
    files = properties.get("property_files") or {}
    path = files.get("monitoring") if isinstance(files, dict) else None
    if not path or not Path(str(path)).is_file():
        return {}
    data: dict[str, Any] = json.loads(Path(str(path)).read_text(encoding="utf-8"))
    return data


def _handler(args: argparse.Namespace) -> int:
    from spark_mlops.spark import get_spark

    spark = get_spark(app_name="spark_mlops-demo")
    spark.sparkContext.setLogLevel("WARN")
    summary = run_demo(spark, args.rows, args.home)
    _print_summary(summary)
    if args.summary_json:
        Path(args.summary_json).write_text(
            json.dumps(summary.to_json(), indent=2, default=str), encoding="utf-8"
        )
    return 0 if all(ex["status"] == "Succeeded" for ex in summary.executions) else 1


def register(subparsers: Any) -> None:
    """Add ``spark-mlops demo``."""
    p = subparsers.add_parser("demo", help="run the end-to-end demo on generated data")
    p.add_argument("--rows", type=int, default=200_000, help="rows of the first day (default 200000)")
    p.add_argument(
        "--home",
        default=os.environ.get("SPARK_MLOPS_HOME", "spark_mlops_data"),
        help="folder for Delta tables",
    )
    p.add_argument("--summary-json", default=None, help="also write the summary as JSON here")
    p.set_defaults(handler=_handler)
