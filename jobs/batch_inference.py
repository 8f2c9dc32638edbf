"""Job: score a Delta table with a (registered) MLflow model into a predictions Delta table.

    spark-submit --jars "$(python -m spark_mlops.jars path)" jobs/batch_inference.py \
        --model-uri models:/reviews-helpful/1 --input /lake/reviews_day2 --output /lake/predictions

Each row gets ``inference_id``, ``model_uri``, ``model_version``, ``input_table`` and ``input_version``;
re-running the same model on the same input version writes nothing twice. In a pipeline use
``TransformStep`` (the same library call) or this script with input ``data``, output ``predictions`` and
argument ``model_uri``.
"""

from __future__ import annotations

import argparse
import sys

from spark_mlops.entrypoints import run_job
from spark_mlops.models.batch_inference import add_inference_columns, batch_inference, load_spark_model


def main(ctx):  # type: ignore[no-untyped-def]
    """Pipeline entry point."""
    model_uri = str(ctx.args["model_uri"])
    df = ctx.input("data")
    scored = add_inference_columns(
        load_spark_model(model_uri).transform(df), df.columns, model_uri, None, ctx.input_versions["data"]
    )
    written = ctx.write_output("predictions", scored)
    return {"output_version": float(written.version)}


def _run(spark, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    result = batch_inference(spark, args.model_uri, args.input, args.output, version=args.version)
    print(f"scored {result.input} with {result.model_uri} -> {result.output} ({result.rows_written} rows)")
    return 0


def parser() -> argparse.ArgumentParser:
    """Command-line arguments of the job."""
    p = argparse.ArgumentParser(prog="batch_inference.py", description=__doc__.splitlines()[0])
    p.add_argument("--model-uri", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--version", type=int, default=None)
    p.add_argument("--output", required=True)
    return p


if __name__ == "__main__":
    sys.exit(run_job("batch_inference", parser(), _run))
