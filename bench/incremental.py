"""Benchmark: incremental vs full verification of a Delta table after a 1 % append, side by side.

    flock /tmp/spark_mlops_bench.lock .venv/bin/python -m bench.incremental --rows 1000000 --repeat 3

Builds a table of ``--rows`` review-like rows and verifies it once incrementally (full scan, states
stored). Then, ``--repeat`` times per key mode: append ``--append-share`` of the rows, time (a) a plain
full verification of the new version and (b) the incremental verification of it (only the appended
files scanned, stored states merged), check both give the same metrics. Key modes: ``increasing``
review ids (the appended files' Delta statistics prove every appended id new: the range shortcut) and
``random`` ids over the whole id space (the probe path: stored counts joined with the appended keys);
increasing rounds run first, as a random append widens the stored id range for good. Reports min/median
seconds of each, the ratio of the minimums (target: incremental <= 10 % of full), the Spark jobs of
each (and the jobs of the last incremental run with their durations), the session's AQE setting and
the load average, and writes them as Markdown to ``--out``.
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


_LAST_JOBS: list[str] = []


def _timed(spark: SparkSession, fn: Callable[[], Any]) -> tuple[float, int, Any]:
    """Seconds and Spark jobs of one call (a job group set by the bench, never by the library); the
    jobs' descriptions and durations are kept in ``_LAST_JOBS``."""
    sc = spark.sparkContext
    group = f"bench-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "bench timing")
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    ids = sorted(sc.statusTracker().getJobIdsForGroup(group))
    for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
        sc.setLocalProperty(key, None)  # type: ignore[arg-type]
    _LAST_JOBS.clear()
    store = sc._jsc.sc().statusStore()
    for job_id in ids:
        data = store.job(job_id)
        start = data.submissionTime().get().getTime()
        end = data.completionTime().get().getTime() if data.completionTime().isDefined() else start
        what = data.description().get() if data.description().isDefined() else "bench timing"
        if what == "bench timing":  # no library label: name the call site (e.g. the version lookup)
            what = data.name().rsplit("/", 1)[-1]
        _LAST_JOBS.append(f"{what.split(' at ')[0][:70]} ({end - start} ms)")
    return seconds, len(ids), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--append-share", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=int, default=8, help="files of the initial table")
    parser.add_argument("--keys", choices=("increasing", "random", "both"), default="both")
    parser.add_argument("--out", default="bench/results/incremental.md")
    args = parser.parse_args()

    spark = get_spark("bench-incremental", conf={"spark.sql.shuffle.partitions": "8"})
    spark.sparkContext.setLogLevel("ERROR")
    work = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    path, states = str(work / "reviews"), DeltaStateRepository(spark, work / "states")
    load_before = os.getloadavg()
    modes = ["increasing", "random"] if args.keys == "both" else [args.keys]
    results: dict[str, dict[str, Any]] = {}
    appended = max(1, int(args.rows * args.append_share))
    try:
        t0 = time.perf_counter()
        _make(spark, 0, args.rows).repartition(args.files).write.format("delta").save(path)
        print(f"table: {args.rows:,} rows written in {time.perf_counter() - t0:.1f}s", flush=True)
        seconds, _, _ = _timed(spark, lambda: _suite(spark, path).incremental(states).run())
        print(f"first incremental run (full scan, states stored): {seconds:.1f}s", flush=True)
        total = args.rows
        for mode in modes:
            full_s: list[float] = []
            inc_s: list[float] = []
            jobs: dict[str, int] = {}
            for r in range(args.repeat):
                batch = _make(spark, total, appended)
                if mode == "random":  # ids anywhere in the id space: many appended ids already exist
                    batch = batch.withColumn("review_id", F.abs(F.xxhash64("review_id", F.lit(r))) % total)
                batch.coalesce(1).write.format("delta").mode("append").save(path)
                total += appended
                f_s, jobs["full"], full = _timed(spark, lambda: _suite(spark, path).run())
                i_s, jobs["incremental"], inc = _timed(
                    spark, lambda: _suite(spark, path).incremental(states).run()
                )
                assert inc.incremental.mode == "incremental", inc.incremental
                for analyzer, metric in full.metrics.items():
                    other = inc.metrics[analyzer].value
                    if isinstance(metric.value, float):
                        assert math.isclose(metric.value, other, rel_tol=1e-9), (
                            analyzer,
                            metric.value,
                            other,
                        )
                full_s.append(f_s)
                inc_s.append(i_s)
                print(f"{mode} round {r + 1}: full {f_s:7.2f}s  incremental {i_s:7.2f}s  ({i_s / f_s:.1%})")
            results[mode] = {"full": full_s, "inc": inc_s, "jobs": jobs, "last": list(_LAST_JOBS)}
            print(f"{mode}: incremental / full (min of {args.repeat}) = {min(inc_s) / min(full_s):.1%}")
            print("  jobs of the last incremental run: " + "; ".join(_LAST_JOBS), flush=True)
        aqe = spark.conf.get("spark.sql.adaptive.enabled")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _write(args, appended, results, aqe, load_before, os.getloadavg())


def _write(
    args: argparse.Namespace,
    appended: int,
    results: dict[str, dict[str, Any]],
    aqe: str | None,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True, check=False).stdout.strip() or "?"
    before, after = ("/".join(f"{x:.1f}" for x in load) for load in (load_before, load_after))
    share = f"{args.append_share:.0%}"
    lines = [
        f"# Incremental vs full verification ({args.rows:,} rows + {appended:,}-row appends)",
        "",
        f"Run {now} by `bench/incremental.py` at commit {commit} on {os.cpu_count()} cores; "
        f"load average (1/5/15 min) {before} before, {after} after. Session: local, "
        f"spark.sql.adaptive.enabled={aqe}, 8 shuffle partitions.",
        "Seed review suite (size, completeness, uniqueness of review_id, min/max/mean, containment, "
        f"non-negative); {args.repeat} rounds per key mode, each appends {share} and times both on the new "
        "version (the suite is built inside the timing: `on_delta` resolves the version).",
        "",
        "| appended ids | verification | min s | median s | Spark jobs |",
        "|---|---|---:|---:|---:|",
    ]
    for mode, res in results.items():
        for kind, label in (("full", "full"), ("inc", "incremental")):
            times = res[kind]
            jobs = res["jobs"]["full" if kind == "full" else "incremental"]
            lines.append(f"| {mode} | {label} | {min(times):.2f} | {statistics.median(times):.2f} | {jobs} |")
    lines.append("")
    for mode, res in results.items():
        ratio = min(res["inc"]) / min(res["full"])
        per_round = ", ".join(f"{i / f:.1%}" for f, i in zip(res["full"], res["inc"], strict=True))
        lines.append(
            f"**{mode} ids: incremental / full = {ratio:.1%}** (ratio of the minimums; target <= 10 %). "
            f"Per round: {per_round}. Jobs of the last incremental run: {'; '.join(res['last'])}."
        )
        lines.append("")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
