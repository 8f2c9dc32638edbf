"""Benchmark: incremental vs full verification of a Delta table after a 1 % append, side by side.

    flock /tmp/spark_mlops_bench.lock .venv/bin/python -m bench.incremental --rows 1000000 --repeat 3

Builds a table of ``--rows`` review-like rows and verifies it once incrementally (full scan, states
stored). Then, ``--repeat`` times: append ``--append-share`` of the rows, time (a) a plain full
verification of the new version and (b) the incremental verification of it (only the appended files
scanned, stored states merged), check both give the same metrics. Reports min/median seconds of each,
the ratio of the minimums (target: incremental <= 10 % of full), the Spark job counts and the load
average, and writes them as Markdown to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops import get_spark
from spark_mlops.quality import Check, CheckLevel, VerificationSuite
from spark_mlops.quality.incremental import DeltaStateRepository


def _make(spark: SparkSession, start: int, rows: int) -> DataFrame:
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


def _timed(spark: SparkSession, fn: Callable[[], Any]) -> tuple[float, int, Any]:
    """Seconds and Spark jobs of one call (a job group set by the bench, never by the library)."""
    sc = spark.sparkContext
    group = f"bench-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "bench timing")
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    jobs = len(sc.statusTracker().getJobIdsForGroup(group))
    for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
        sc.setLocalProperty(key, None)  # type: ignore[arg-type]
    return seconds, jobs, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--append-share", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=int, default=8, help="files of the initial table")
    parser.add_argument("--out", default="bench/results/incremental.md")
    args = parser.parse_args()

    spark = get_spark("bench-incremental", conf={"spark.sql.shuffle.partitions": "8"})
    spark.sparkContext.setLogLevel("ERROR")
    work = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    path, states = str(work / "reviews"), DeltaStateRepository(spark, work / "states")
    load_before = os.getloadavg()
    full_s: list[float] = []
    inc_s: list[float] = []
    jobs: dict[str, int] = {}
    try:
        t0 = time.perf_counter()
        _make(spark, 0, args.rows).repartition(args.files).write.format("delta").save(path)
        print(f"table: {args.rows:,} rows written in {time.perf_counter() - t0:.1f}s", flush=True)
        seconds, jobs["first incremental run (full scan + states)"], _ = _timed(
            spark, lambda: _suite(spark, path).incremental(states).run()
        )
        print(f"first incremental run (full scan, states stored): {seconds:.1f}s", flush=True)
        appended = max(1, int(args.rows * args.append_share))
        for r in range(args.repeat):
            start = args.rows + r * appended
            _make(spark, start, appended).coalesce(1).write.format("delta").mode("append").save(path)
            f_s, jobs["full verification"], full = _timed(spark, lambda: _suite(spark, path).run())
            i_s, jobs["incremental verification"], inc = _timed(
                spark, lambda: _suite(spark, path).incremental(states).run()
            )
            assert inc.incremental.mode == "incremental", inc.incremental
            for analyzer, metric in full.metrics.items():
                other = inc.metrics[analyzer].value
                if isinstance(metric.value, float):
                    assert math.isclose(metric.value, other, rel_tol=1e-9), (analyzer, metric.value, other)
            full_s.append(f_s)
            inc_s.append(i_s)
            print(f"round {r + 1}: full {f_s:7.2f}s  incremental {i_s:7.2f}s  ({i_s / f_s:.1%})", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    ratio = min(inc_s) / min(full_s)
    print(f"incremental / full (min of {args.repeat}) = {ratio:.1%} (target <= 10%)")
    _write(args, appended, full_s, inc_s, jobs, load_before, load_after, ratio)


def _write(
    args: argparse.Namespace,
    appended: int,
    full_s: list[float],
    inc_s: list[float],
    jobs: dict[str, int],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    ratio: float,
) -> None:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True, check=False).stdout.strip() or "?"
    before, after = ("/".join(f"{x:.1f}" for x in load) for load in (load_before, load_after))
    share = f"{args.append_share:.0%}"
    full_jobs, inc_jobs = jobs["full verification"], jobs["incremental verification"]
    lines = [
        f"# Incremental vs full verification ({args.rows:,} rows + {appended:,}-row appends)",
        "",
        f"Run {now} by `bench/incremental.py` at commit {commit} on {os.cpu_count()} cores; "
        f"load average (1/5/15 min) {before} before, {after} after.",
        "Seed review suite (size, completeness, uniqueness of review_id, min/max/mean, containment, "
        f"non-negative); {args.repeat} rounds, each appends {share} and times both on the new version.",
        "",
        "| verification | min s | median s | Spark jobs |",
        "|---|---:|---:|---:|",
        f"| full | {min(full_s):.2f} | {statistics.median(full_s):.2f} | {full_jobs} |",
        f"| incremental | {min(inc_s):.2f} | {statistics.median(inc_s):.2f} | {inc_jobs} |",
        "",
        f"**incremental / full = {ratio:.1%}** (ratio of the minimums; target <= 10 %). Per round: "
        + ", ".join(f"{i / f:.1%}" for f, i in zip(full_s, inc_s, strict=True))
        + ".",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
