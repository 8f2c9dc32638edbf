"""Benchmark: incremental vs full verification of a Delta table after a 1 % append, in one run.

    .venv/bin/python bench/incremental.py --rows 10000000 --append-share 0.01

Builds a table of ``--rows`` rows (review-like columns), verifies it once incrementally (full scan,
states stored), appends ``--append-share`` of the rows, then times (a) a full verification of the new
version and (b) the incremental verification (states of the appended files merged with the stored ones),
checks that both give the same metrics and prints the ratio. Target: incremental <= 10 % of full.
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import time
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_mlops import get_spark
from spark_mlops.quality import Check, CheckLevel, VerificationSuite
from spark_mlops.quality.incremental import DeltaStateRepository


def _make(spark: SparkSession, start: int, rows: int):  # type: ignore[no-untyped-def]
    ids = F.col("id")
    return spark.range(start, start + rows).select(
        ids.alias("review_id"),
        (F.abs(F.hash(ids)) % 5 + 1).cast("double").alias("star_rating"),
        F.when(F.abs(F.hash(ids, F.lit(7))) % 50 == 0, None)
        .otherwise(F.abs(F.hash(ids, F.lit(3))) % 300)
        .alias("total_votes"),
        F.element_at(
            F.array(*[F.lit(m) for m in ("US", "UK", "DE", "JP", "FR")]),
            (F.abs(F.hash(ids)) % 5 + 1).cast("int"),
        ).alias("marketplace"),
    )


def _suite(spark: SparkSession, path: str) -> VerificationSuite:
    check = (
        Check(CheckLevel.ERROR, "review check")
        .has_size(lambda n: n > 0)
        .is_complete("review_id")
        .is_unique("review_id")
        .has_min("star_rating", lambda v: v == 1.0)
        .has_max("star_rating", lambda v: v == 5.0)
        .has_mean("total_votes", lambda v: v > 0)
        .has_completeness("total_votes", lambda r: r > 0.9)
        .is_contained_in("marketplace", ["US", "UK", "DE", "JP", "FR"])
        .is_non_negative("total_votes")
    )
    return VerificationSuite(spark).on_delta(path).add_check(check)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--append-share", type=float, default=0.01)
    parser.add_argument("--files", type=int, default=8, help="files of the initial table")
    args = parser.parse_args()

    spark = get_spark("bench-incremental", conf={"spark.sql.shuffle.partitions": "8"})
    spark.sparkContext.setLogLevel("ERROR")
    work = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    path, states = str(work / "reviews"), DeltaStateRepository(spark, work / "states")
    try:
        t0 = time.perf_counter()
        _make(spark, 0, args.rows).repartition(args.files).write.format("delta").save(path)
        print(f"table: {args.rows:,} rows written in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        _suite(spark, path).incremental(states).run()
        print(f"first incremental run (full scan, states stored): {time.perf_counter() - t0:.1f}s")

        appended = max(1, int(args.rows * args.append_share))
        _make(spark, args.rows, appended).coalesce(1).write.format("delta").mode("append").save(path)

        t0 = time.perf_counter()
        full = _suite(spark, path).run()
        full_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        inc = _suite(spark, path).incremental(states).run()
        inc_s = time.perf_counter() - t0

        assert inc.incremental is not None and inc.incremental.mode == "incremental", inc.incremental  # type: ignore[attr-defined]
        for analyzer, metric in full.metrics.items():
            other = inc.metrics[analyzer].value
            if isinstance(metric.value, float):
                assert math.isclose(metric.value, other, rel_tol=1e-9), (analyzer, metric.value, other)  # type: ignore[arg-type]
        print(f"append: {appended:,} rows ({args.append_share:.1%})")
        print(f"full verification:        {full_s:8.2f}s  status={full.status.value}")
        print(f"incremental verification: {inc_s:8.2f}s  status={inc.status.value}")
        print(f"incremental / full = {inc_s / full_s:.1%} (target <= 10%)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
