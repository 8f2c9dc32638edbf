"""Benchmark: exact uniqueness of a wide string id, plain ``groupBy(col).count()`` vs the engine's hashed
grouping (one job, exact), in one process on the same cached data.

    .venv/bin/python bench/quality_uniqueness.py --rows 10000000 --runs 5

Generates ``--rows`` rows with a ~70-character id (``review-<sha256 hex>``) of which ``--dup-share`` are
duplicated, caches and materializes them, then times each approach ``--runs`` times (after one warm-up
each) and prints a Markdown table with min and median seconds, the Spark jobs each approach used and the
speed-up. Both answers are checked to be equal. Target: ours >= 2x faster.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops import get_spark
from spark_mlops.quality.analyzers import Uniqueness
from spark_mlops.quality.engine import compute_metrics


def make_ids(spark: SparkSession, rows: int, dup_share: float, partitions: int) -> DataFrame:
    """Wide string ids; every 1/dup_share-th row repeats the id of the row before it."""
    period = max(2, round(1 / dup_share)) if dup_share > 0 else 0
    base = F.col("id")
    if period:
        base = F.when(F.col("id") % period == 1, F.col("id") - 1).otherwise(F.col("id"))
    return spark.range(0, rows, numPartitions=partitions).select(
        F.concat(F.lit("review-"), F.sha2(base.cast("string"), 256)).alias("review_id")
    )


def plain_uniqueness(df: DataFrame) -> float:
    """What Deequ does: group on the value, then count the groups seen once."""
    row = (
        df.where(F.col("review_id").isNotNull())
        .groupBy("review_id")
        .count()
        .agg(F.sum(F.when(F.col("count") == 1, 1).otherwise(0)).alias("u"), F.sum("count").alias("n"))
        .collect()[0]
    )
    return float(row["u"]) / float(row["n"])


def engine_uniqueness(df: DataFrame) -> float:
    """The engine's hashed exact path."""
    metric = compute_metrics(df, [Uniqueness("review_id")])[Uniqueness("review_id")]
    assert metric.is_success, metric.failure
    return float(metric.value)  # type: ignore[arg-type]


def timed(
    spark: SparkSession, fn: Callable[[DataFrame], float], df: DataFrame, runs: int
) -> tuple[list[float], float, int]:
    """Seconds of each run, the answer and the Spark jobs of one run (after a warm-up)."""
    sc = spark.sparkContext
    answer = fn(df)  # warm-up
    group = f"bench-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "bench", interruptOnCancel=False)
    fn(df)
    jobs = len(sc.statusTracker().getJobIdsForGroup(group))
    sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(df)
        seconds.append(time.perf_counter() - start)
    return seconds, answer, jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dup-share", type=float, default=0.001)
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()

    spark = get_spark("bench-quality-uniqueness", conf={"spark.driver.memory": "8g"})
    spark.sparkContext.setLogLevel("ERROR")
    df = make_ids(spark, args.rows, args.dup_share, args.partitions).cache()
    df.count()

    plain_s, plain_v, plain_jobs = timed(spark, plain_uniqueness, df, args.runs)
    ours_s, ours_v, ours_jobs = timed(spark, engine_uniqueness, df, args.runs)
    if abs(plain_v - ours_v) > 1e-12:
        raise SystemExit(f"answers differ: plain {plain_v} vs ours {ours_v}")

    print(
        f"Exact uniqueness of a ~70-char string id, {args.rows:,} rows, {args.runs} runs, "
        f"uniqueness {ours_v:.6f}\n"
    )
    print("| approach | min s | median s | Spark jobs |")
    print("|---|---:|---:|---:|")
    for name, secs, jobs in (
        ("groupBy(col).count()", plain_s, plain_jobs),
        ("spark_mlops hashed", ours_s, ours_jobs),
    ):
        print(f"| {name} | {min(secs):.2f} | {statistics.median(secs):.2f} | {jobs} |")
    speedup = statistics.median(plain_s) / statistics.median(ours_s)
    print(f"\nspeed-up (median): {speedup:.2f}x (target >= 2x)")
    df.unpersist()


if __name__ == "__main__":
    main()
