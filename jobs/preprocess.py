"""Job: clean, label and split the reviews table; fit the feature PipelineModel on the training part.

    spark-submit --jars "$(python -m spark_mlops.jars path)" jobs/preprocess.py \
        --input /lake/reviews --train-output /lake/reviews_train --test-output /lake/reviews_test \
        --model-output /lake/models/preprocessor

In a pipeline (``ProcessingStep`` with ``code: jobs/preprocess.py``): input ``raw``, outputs ``train`` and
``test``, arguments ``train_fraction`` and ``seed``; the fitted preprocessor is saved in the step's folder.
"""

from __future__ import annotations

import argparse
import sys

from spark_mlops.delta import read_delta_versioned, rows_in_commit, write_delta
from spark_mlops.entrypoints import run_job
from spark_mlops.models.reviews import prepare_reviews


def main(ctx):  # type: ignore[no-untyped-def]
    """Pipeline entry point."""
    prepared = prepare_reviews(
        ctx.input("raw"), float(ctx.args.get("train_fraction", 0.8)), int(ctx.args.get("seed", 42))
    )
    train = ctx.write_output("train", prepared.train, mode="overwrite")
    test = ctx.write_output("test", prepared.test, mode="overwrite")
    prepared.preprocessor.write().overwrite().save(str(ctx.work_dir / "preprocessor"))
    return {
        "train_rows": float(rows_in_commit(ctx.spark, train) or 0),
        "test_rows": float(rows_in_commit(ctx.spark, test) or 0),
    }


def _run(spark, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    df, source = read_delta_versioned(spark, args.input, version=args.version)
    prepared = prepare_reviews(df, args.train_fraction, args.seed)
    note = f"preprocess of {source}"
    train = write_delta(prepared.train, args.train_output, mode="overwrite", user_metadata=note)
    test = write_delta(prepared.test, args.test_output, mode="overwrite", user_metadata=note)
    prepared.preprocessor.write().overwrite().save(args.model_output)
    rows = rows_in_commit(spark, train)
    print(f"train: {train} ({rows} rows), test: {test}, preprocessor: {args.model_output}")
    return 0


def parser() -> argparse.ArgumentParser:
    """Command-line arguments of the job."""
    p = argparse.ArgumentParser(prog="preprocess.py", description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="reviews Delta table")
    p.add_argument("--version", type=int, default=None, help="input version (default newest)")
    p.add_argument("--train-output", required=True)
    p.add_argument("--test-output", required=True)
    p.add_argument("--model-output", required=True, help="folder for the fitted feature PipelineModel")
    p.add_argument("--train-fraction", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=42)
    return p


if __name__ == "__main__":
    sys.exit(run_job("preprocess", parser(), _run))
