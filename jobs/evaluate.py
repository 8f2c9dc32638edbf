"""Job: model quality of a model on a held-out Delta table, written as the evaluation report (JSON).

    spark-submit --jars "$(python -m spark_mlops.jars path)" jobs/evaluate.py \
        --model-uri models:/reviews-helpful/1 --input /lake/reviews_test --output evaluation.json \
        --problem-type binary_classification --label label

The report has SageMaker Model Monitor's shape (``binary_classification_metrics.auc.value``,
``regression_metrics.mse.value``, ...) so a pipeline condition reads it with ``JsonGet``. In a pipeline:
input ``test``, property file ``evaluation``, arguments ``model_uri``, ``problem_type``, ``label``,
``bootstrap_replicates``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from spark_mlops.delta import read_delta_versioned
from spark_mlops.entrypoints import run_job
from spark_mlops.models.batch_inference import load_spark_model
from spark_mlops.monitoring.model_quality import model_quality


def evaluation_report(  # type: ignore[no-untyped-def]
    df, model_uri: str, problem_type: str, label: str, bootstrap_replicates: int = 20
) -> dict:
    """Score ``df`` with the model and return the Model Monitor shaped report (standard deviations from
    ``bootstrap_replicates`` Poisson bootstrap replicates; 0 leaves them out)."""
    scored = load_spark_model(model_uri).transform(df)
    probability = "probability" if problem_type == "binary_classification" else None
    metrics = model_quality(
        scored, problem_type, label=label, prediction="prediction", probability=probability,
        bootstrap_replicates=bootstrap_replicates,
    )  # fmt: skip
    return metrics.to_json()


def main(ctx):  # type: ignore[no-untyped-def]
    """Pipeline entry point."""
    problem_type = str(ctx.args.get("problem_type", "binary_classification"))
    report = evaluation_report(
        ctx.input("test"),
        str(ctx.args["model_uri"]),
        problem_type,
        str(ctx.args.get("label", "label")),
        int(ctx.args.get("bootstrap_replicates", 20)),
    )
    ctx.write_property_file("evaluation", report)
    section = next(iter(v for k, v in report.items() if k.endswith("_metrics")), {})
    return {
        k: float(v["value"]) for k, v in section.items() if isinstance(v, dict) and _number(v.get("value"))
    }


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _run(spark, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    df, source = read_delta_versioned(spark, args.input, version=args.version)
    report = evaluation_report(df, args.model_uri, args.problem_type, args.label, args.bootstrap_replicates)
    report["source"] = source.to_dict()
    Path(args.output).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(f"evaluation of {args.model_uri} on {source} -> {args.output}")
    return 0


def parser() -> argparse.ArgumentParser:
    """Command-line arguments of the job."""
    p = argparse.ArgumentParser(prog="evaluate.py", description=__doc__.splitlines()[0])
    p.add_argument("--model-uri", required=True)
    p.add_argument("--input", required=True, help="held-out Delta table")
    p.add_argument("--version", type=int, default=None)
    p.add_argument("--output", required=True, help="path of the JSON report")
    p.add_argument(
        "--problem-type",
        default="binary_classification",
        choices=["binary_classification", "multiclass_classification", "regression"],
    )
    p.add_argument("--label", default="label")
    p.add_argument("--bootstrap-replicates", type=int, default=20, help="bootstrap replicates (0: none)")
    return p


if __name__ == "__main__":
    sys.exit(run_job("evaluate", parser(), _run))
