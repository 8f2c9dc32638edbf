"""Benchmark: the seed's review check (DESIGN.md) against a bare scan of the same columns, in one process
on the same cached data.

    .venv/bin/python bench/quality_suite.py --rows 10000000 --runs 5

Generates ``--rows`` reviews (spark_mlops.datasets, with a few defects), caches and materializes them,
then times ``--runs`` runs (after one warm-up) of:

* bare scan: ``agg(count(c) ...)`` over the columns the suite reads — the floor for any one-pass check;
* the seed suite without ``is_unique`` (all scan-shareable: one Spark job);
* the seed suite with ``is_unique("review_id")`` (one more job for the hashed grouping);
* a plain ``groupBy(review_id).count()`` uniqueness, and the engine's exact Uniqueness alone.

Prints a Markdown table (min / median seconds, Spark jobs per run, ratio to the bare scan) and writes it
to ``bench/results/quality_suite.md``. Target: the suite without uniqueness <= 1.3x the bare scan.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops import get_spark
from spark_mlops.datasets import MARKETPLACES, ReviewDefects, generate_reviews
from spark_mlops.quality import Check, CheckLevel, VerificationSuite
from spark_mlops.quality.analyzers import Uniqueness
from spark_mlops.quality.engine import compute_metrics

COLUMNS = ("star_rating", "review_id", "marketplace", "total_votes", "year")


def seed_check(rows: int, with_uniqueness: bool) -> Check:
    """The seed's review check, size threshold scaled to the generated rows."""
    check = (
        Check(CheckLevel.ERROR, "review check")
        .has_size(lambda n: n >= rows)
        .has_min("star_rating", lambda v: v == 1.0)
        .has_max("star_rating", lambda v: v == 5.0)
        .is_complete("review_id")
    )
    if with_uniqueness:
        check = check.is_unique("review_id")
    return (
        check.is_complete("marketplace")
        .is_contained_in("marketplace", list(MARKETPLACES))
        .is_contained_in("total_votes", lower=30, upper=300)
        .is_non_negative("year")
    )


def bare_scan(df: DataFrame) -> Any:
    """One aggregate pass over the same columns: the cost of reading them."""
    return df.agg(F.count(F.lit(1)), *[F.count(c) for c in COLUMNS]).collect()


def plain_uniqueness(df: DataFrame) -> Any:
    """Deequ's way: group on the value, count the groups seen once."""
    return (
        df.where(F.col("review_id").isNotNull())
        .groupBy("review_id")
        .count()
        .agg(F.sum(F.when(F.col("count") == 1, 1).otherwise(0)), F.sum("count"))
        .collect()
    )


def timed(spark: SparkSession, fn: Callable[[], Any], runs: int) -> tuple[list[float], int]:
    """Seconds of each run and the Spark jobs of one run (after a warm-up)."""
    sc = spark.sparkContext
    fn()
    group = f"bench-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "bench", interruptOnCancel=False)
    fn()
    jobs = len(sc.statusTracker().getJobIdsForGroup(group))
    sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds, jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "quality_suite.md"))
    args = parser.parse_args()

    spark = get_spark(app_name="bench-quality-suite", conf={"spark.driver.memory": "6g"})
    spark.sparkContext.setLogLevel("ERROR")
    defects = ReviewDefects(
        duplicate_id_rate=0.001, negative_year_rate=0.001, null_rates={"marketplace": 0.001}
    )
    df = generate_reviews(spark, args.rows, seed=1, defects=defects, num_partitions=args.partitions)
    df = df.select(*COLUMNS).cache()  # only the columns the suite reads, like a columnar table scan
    df.count()

    suite = VerificationSuite(spark).on_data(df)
    without = suite.add_check(seed_check(args.rows, with_uniqueness=False))
    with_unique = suite.add_check(seed_check(args.rows, with_uniqueness=True))
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("bare scan (agg count of the 5 columns)", lambda: bare_scan(df)),
        ("seed suite without uniqueness (8 constraints)", without.run),
        ("seed suite with uniqueness (9 constraints)", with_unique.run),
        ("plain groupBy(review_id).count() uniqueness", lambda: plain_uniqueness(df)),
        (
            "spark_mlops exact Uniqueness(review_id) alone",
            lambda: compute_metrics(df, [Uniqueness("review_id")]),
        ),
    ]
    results = [(name, *timed(spark, fn, args.runs)) for name, fn in cases]
    base = min(results[0][1])
    lines = [
        f"Seed suite vs bare scan: {args.rows:,} cached rows, {args.partitions} partitions, "
        f"{spark.sparkContext.master}, {args.runs} runs after a warm-up.",
        "",
        "| step | Spark jobs | min s | median s | min / bare scan |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, seconds, jobs in results:
        lines.append(
            f"| {name} | {jobs} | {min(seconds):.3f} | {statistics.median(seconds):.3f} | "
            f"{min(seconds) / base:.2f}x |"
        )
    group_by = min(results[3][1])
    ours = min(results[4][1])
    lines += [
        "",
        f"Exact uniqueness: groupBy {group_by:.3f} s vs ours {ours:.3f} s = {group_by / ours:.2f}x.",
    ]
    report = "\n".join(lines)
    print(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n", encoding="utf-8")
    df.unpersist()


if __name__ == "__main__":
    main()
