"""Job: split a Delta table into train and test tables by a hash of each row (stable across runs and
partitionings; a row never moves between the two when the table is re-read).

    spark-submit --jars "$(python -m spark_mlops.jars path)" jobs/split.py \
        --input /lake/abalone --train-output /lake/abalone_train --test-output /lake/abalone_test

In a pipeline: input ``data``, outputs ``train`` and ``test``, arguments ``train_fraction`` and ``seed``.
"""

from __future__ import annotations

import argparse
import sys

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_mlops.delta import read_delta_versioned, write_delta
from spark_mlops.entrypoints import run_job


def split(df: DataFrame, train_fraction: float = 0.8, seed: int = 42) -> tuple[DataFrame, DataFrame]:
    """Train/test split by ``xxhash64(seed, row)`` — deterministic, unlike ``randomSplit`` on re-reads."""
    bucket = F.pmod(F.xxhash64(F.lit(seed), *[F.col(f"`{c}`") for c in df.columns]), F.lit(10_000)) / 10_000.0
    tagged = df.withColumn("_bucket", bucket)
    return (
        tagged.where(F.col("_bucket") < train_fraction).drop("_bucket"),
        tagged.where(F.col("_bucket") >= train_fraction).drop("_bucket"),
    )


def main(ctx):  # type: ignore[no-untyped-def]
    """Pipeline entry point."""
    train, test = split(
        ctx.input("data"), float(ctx.args.get("train_fraction", 0.8)), int(ctx.args.get("seed", 42))
    )
    ctx.write_output("train", train, mode="overwrite")
    ctx.write_output("test", test, mode="overwrite")


def _run(spark, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    df, source = read_delta_versioned(spark, args.input, version=args.version)
    train, test = split(df, args.train_fraction, args.seed)
    print(write_delta(train, args.train_output, mode="overwrite", user_metadata=f"train split of {source}"))
    print(write_delta(test, args.test_output, mode="overwrite", user_metadata=f"test split of {source}"))
    return 0


def parser() -> argparse.ArgumentParser:
    """Command-line arguments of the job."""
    p = argparse.ArgumentParser(prog="split.py", description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True)
    p.add_argument("--version", type=int, default=None)
    p.add_argument("--train-output", required=True)
    p.add_argument("--test-output", required=True)
    p.add_argument("--train-fraction", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=42)
    return p


if __name__ == "__main__":
    sys.exit(run_job("split", parser(), _run))
