"""Benchmark: data baseline and drift vs a bare scan, over one Delta table, in one run.

    .venv/bin/python bench/drift.py --rows 10000000 --numeric 50 --categorical 10

Writes a reference and a (shifted) current Delta table, then times on each:
* a bare scan (every column read once, ``noop`` sink),
* ``DataBaseline.from_dataframe(reference)`` (target: ≤ 2.5 × bare scan),
* ``compute_drift(baseline, current)`` + ``check_violations`` on the same profile (target: ≤ 2 scans),
and prints Spark job counts and ratios as JSON.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops import get_spark
from spark_mlops.delta import read_delta, write_delta
from spark_mlops.monitoring import DataBaseline, check_violations, compute_drift


def generate(
    spark: SparkSession, rows: int, numeric: int, categorical: int, shift: float, seed: int
) -> DataFrame:
    """Synthetic table: normal numeric columns (mean shifted by ``shift``) and 8-level categoricals."""
    cols = [(F.randn(seed + i) + F.lit(shift * (i % 2))).alias(f"n{i}") for i in range(numeric)]
    cols += [
        F.concat(F.lit("c"), (F.abs(F.hash(F.col("id"), F.lit(seed + j))) % 8).cast("string")).alias(f"s{j}")
        for j in range(categorical)
    ]
    return spark.range(rows).select(*cols)


def timed(spark: SparkSession, fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """Result, seconds and Spark jobs of ``fn`` (job group counting; bench code, not library code)."""
    sc, group = spark.sparkContext, f"bench-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "bench", interruptOnCancel=False)
    start = time.perf_counter()
    try:
        out = fn()
    finally:
        elapsed = time.perf_counter() - start
        jobs = len(sc.statusTracker().getJobIdsForGroup(group))
        sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
    return out, elapsed, jobs


def main() -> None:
    """Run the benchmark and print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--numeric", type=int, default=50)
    parser.add_argument("--categorical", type=int, default=10)
    parser.add_argument("--folder", default=None)
    args = parser.parse_args()
    spark = get_spark(app_name="bench-drift")
    spark.sparkContext.setLogLevel("ERROR")
    folder = args.folder or tempfile.mkdtemp(prefix="bench-drift-")
    ref_path, cur_path = f"{folder}/reference", f"{folder}/current"
    write_delta(
        generate(spark, args.rows, args.numeric, args.categorical, 0.0, 1), ref_path, mode="overwrite"
    )
    write_delta(
        generate(spark, args.rows, args.numeric, args.categorical, 0.3, 2), cur_path, mode="overwrite"
    )
    ref, cur = read_delta(spark, ref_path), read_delta(spark, cur_path)

    def bare(df: DataFrame) -> None:
        df.write.format("noop").mode("overwrite").save()

    _, bare_ref, _ = timed(spark, lambda: bare(ref))
    _, bare_ref, bare_jobs = timed(spark, lambda: bare(ref))  # second run: warm caches, as the others
    baseline, t_base, jobs_base = timed(spark, lambda: DataBaseline.from_dataframe(ref))
    _, bare_cur, _ = timed(spark, lambda: bare(cur))
    drift, t_drift, jobs_drift = timed(spark, lambda: compute_drift(baseline, cur))
    violations, t_viol, jobs_viol = timed(
        spark, lambda: check_violations(cur, baseline, current=drift.current)
    )
    summary = {
        "rows": args.rows,
        "numeric": args.numeric,
        "categorical": args.categorical,
        "bare_scan_s": round(bare_ref, 2),
        "bare_scan_jobs": bare_jobs,
        "baseline_s": round(t_base, 2),
        "baseline_jobs": jobs_base,
        "baseline_vs_bare": round(t_base / bare_ref, 2),
        "drift_s": round(t_drift, 2),
        "drift_jobs": jobs_drift,
        "drift_vs_bare": round(t_drift / bare_cur, 2),
        "violations_extra_jobs": jobs_viol,
        "violations_s": round(t_viol, 3),
        "drifted_columns": len(drift.drifted_columns),
        "share_drifted": round(drift.share_drifted, 3),
        "violations": len(violations),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
