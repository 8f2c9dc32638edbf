"""Workloads (c)-(f) of the side-by-side benchmark (issue 11), each with its floor and Spark jobs.

* (c) profiling a 200-column table with :class:`~spark_mlops.quality.ColumnProfilerRunner`; floor: one
  bare scan of all 200 columns. Deequ's profiler runs on the same files when ``--peers`` has deequ.
* (d) constraint suggestion (:class:`~spark_mlops.quality.ConstraintSuggestionRunner`, Deequ's default
  rules) on the cached reviews columns; floor: the bare scan of those columns.
* (e) baseline + drift: ``DataBaseline.from_dataframe(reference)``, ``compute_drift(baseline, current)``
  and ``check_violations`` on the tables of :mod:`bench.drift`; floor: one bare scan of each table.
* (f) incremental verification after a 1 % append (:mod:`bench.incremental`'s table and suite); its
  floor is the full verification of an identical copy of the table right after the same append (target:
  incremental ≤ 10 % of it).

Every table is written once to Delta under the data folder, read back and cached before timing, except
(f), whose point is reading only the appended files of a Delta table.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from bench.drift import generate as generate_drift_table
from bench.incremental import _make as make_incremental_rows
from bench.incremental import _suite as incremental_suite
from bench.timing import count_jobs
from spark_mlops.monitoring import DataBaseline, check_violations, compute_drift
from spark_mlops.quality import ColumnProfilerRunner, ConstraintSuggestionRunner
from spark_mlops.quality.incremental import DeltaStateRepository

__all__ = [
    "APPEND_SHARE",
    "DRIFT_CATEGORICAL",
    "DRIFT_NUMERIC",
    "DRIFT_SHIFT",
    "WIDE_NUMERIC",
    "WIDE_STRINGS",
    "bare_scan_all",
    "baseline_and_drift",
    "cached_delta",
    "drift_tables",
    "incremental_runs",
    "profile_wide",
    "suggest",
    "unpersist",
    "wide_table",
]

log = logging.getLogger("bench")

WIDE_NUMERIC = 150
WIDE_STRINGS = 50
DRIFT_NUMERIC = 20
DRIFT_CATEGORICAL = 5
#: Mean shift of every odd numeric column of the current drift table (bench.drift's convention).
DRIFT_SHIFT = 0.3
APPEND_SHARE = 0.01


def wide_table(spark: SparkSession, rows: int, partitions: int) -> DataFrame:
    """200 columns: 150 numeric (every third integral, every tenth with ~1 % NULLs, the rest normal
    doubles) and 50 strings (even: 8 categories, odd: ~1 k distinct numbers-as-text).

    Written as SQL text, one ``selectExpr``: built with ``pyspark.sql.functions`` the ~1,000 calls cost
    seconds of Py4J round trips (each records its call site) before Spark runs anything."""
    cols = []
    for i in range(WIDE_NUMERIC):
        value = f"CAST(floor(rand({100 + i}) * 100) AS BIGINT)" if i % 3 == 0 else f"randn({100 + i})"
        if i % 10 == 0:
            value = f"CASE WHEN abs(hash(id, {i})) % 100 = 0 THEN NULL ELSE {value} END"
        cols.append(f"'n{i}', {value}")
    for j in range(WIDE_STRINGS):
        bucket = f"abs(hash(id, {1000 + j}))"
        text = (
            f"concat('c', CAST({bucket} % 8 AS STRING))" if j % 2 == 0 else f"CAST({bucket} % 1000 AS STRING)"
        )
        cols.append(f"'s{j}', {text}")
    # One struct expanded by name: one Py4J call for the 200 expressions (a list would cost one each).
    wide = spark.range(0, rows, numPartitions=partitions).selectExpr(f"named_struct({', '.join(cols)}) AS w")
    return wide.select("w.*")


def cached_delta(spark: SparkSession, path: Path, build: Any) -> DataFrame:
    """The Delta table at ``path`` (written from ``build()`` once), read back, cached and materialized."""
    if not (path / "_delta_log").is_dir():
        log.info("writing %s", path)
        build().write.format("delta").mode("overwrite").save(str(path))
    df = spark.read.format("delta").load(str(path)).cache()
    df.count()
    return df


def bare_scan_all(*frames: DataFrame) -> list[Any]:
    """The floor of a one-pass profile: one aggregation of ``count`` of every column of each frame (as SQL
    text in one ``named_struct``, so building it costs no Py4J round trip per column)."""
    out = []
    for df in frames:
        counts = ", ".join(f"'c{i}', count(`{c.replace('`', '``')}`)" for i, c in enumerate(df.columns))
        out.append(df.selectExpr(f"named_struct('n', count(1), {counts}) AS counts").collect())
    return out


def profile_wide(spark: SparkSession, wide: DataFrame) -> Any:
    """(c) Profile every column of the wide table."""
    return ColumnProfilerRunner(spark).on_data(wide).run()


def suggest(spark: SparkSession, df: DataFrame) -> Any:
    """(d) Constraint suggestions with Deequ's default rules."""
    return ConstraintSuggestionRunner(spark).on_data(df).run()


def baseline_and_drift(reference: DataFrame, current: DataFrame) -> dict[str, Any]:
    """(e) Baseline of the reference, drift of the current data against it, and baseline violations."""
    baseline = DataBaseline.from_dataframe(reference)
    drift = compute_drift(baseline, current)
    violations = check_violations(current, baseline, current=drift.current)
    return {"baseline": baseline, "drift": drift, "violations": violations}


def incremental_runs(
    spark: SparkSession, rows: int, data_dir: Path, repeat: int, partitions: int, warmup: bool
) -> dict[str, Any]:
    """(f) Two copies of a fresh Delta table of ``rows`` rows: one verified incrementally (states stored),
    one in full. Per run the same 1 % append lands in both (not timed), then each is verified right after
    its append: the incremental run on the first copy, the full run on the second. Both pay what a
    scheduled verification pays right after an append (the new version's log, files not read yet);
    timing the full run again and again on one version instead made it look ≈ 2× faster than any job
    after an append meets it (1 M rows: 1.1-1.2 s on the first run after an append, 0.6-0.8 s on the
    repeats). With a warm-up, neither the first run nor the job-counted one is timed; without, the
    job-counted run is the first timed one (as :func:`bench.timing.timed`).

    Returns seconds and jobs of both, and the last incremental and full results (same version).
    """
    work = data_dir / f"incremental_{rows}_{uuid.uuid4().hex[:8]}"
    inc_path, full_path = str(work / "incremental"), str(work / "full")
    states = DeltaStateRepository(spark, work / "states")
    for path in (inc_path, full_path):  # deterministic rows (bench.incremental._make): identical copies
        make_incremental_rows(spark, 0, rows).repartition(partitions).write.format("delta").save(path)
    incremental_suite(spark, inc_path).incremental(states).run()
    appended = max(1, int(rows * APPEND_SHARE))
    start = rows

    def append_then_verify(count: bool) -> tuple[float, float, int | None, int | None, Any, Any]:
        nonlocal start
        for path in (inc_path, full_path):
            make_incremental_rows(spark, start, appended).coalesce(1).write.format("delta").mode(
                "append"
            ).save(path)
        start += appended
        runs: list[tuple[float, int | None, Any]] = []
        for verify in (
            lambda: incremental_suite(spark, inc_path).incremental(states).run(),
            lambda: incremental_suite(spark, full_path).run(),
        ):
            t0 = time.perf_counter()
            jobs, result = count_jobs(spark, verify) if count else (None, verify())
            runs.append((time.perf_counter() - t0, jobs, result))
        (inc_s, inc_j, inc_r), (full_s, full_j, full_r) = runs
        return inc_s, full_s, inc_j, full_j, inc_r, full_r

    try:
        if warmup:
            append_then_verify(False)
        inc_s, full_s, inc_jobs, full_jobs, inc, full = append_then_verify(True)
        inc_seconds, full_seconds = ([], []) if warmup else ([inc_s], [full_s])
        while len(inc_seconds) < repeat:
            inc_s, full_s, _, _, inc, full = append_then_verify(False)
            inc_seconds.append(inc_s)
            full_seconds.append(full_s)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "incremental_seconds": inc_seconds,
        "incremental_jobs": inc_jobs,
        "incremental": inc,
        "full_seconds": full_seconds,
        "full_jobs": full_jobs,
        "full": full,
        "rows": start,
        "appended": appended,
    }


def drift_tables(spark: SparkSession, rows: int, data_dir: Path) -> tuple[DataFrame, DataFrame]:
    """The reference and (shifted) current tables of :mod:`bench.drift`, cached."""
    reference = cached_delta(
        spark,
        data_dir / f"drift_reference_{rows}",
        lambda: generate_drift_table(spark, rows, DRIFT_NUMERIC, DRIFT_CATEGORICAL, 0.0, 1),
    )
    current = cached_delta(
        spark,
        data_dir / f"drift_current_{rows}",
        lambda: generate_drift_table(spark, rows, DRIFT_NUMERIC, DRIFT_CATEGORICAL, DRIFT_SHIFT, 2),
    )
    return reference, current


def unpersist(frames: Sequence[DataFrame]) -> None:
    """Free the cached tables of a workload."""
    for df in frames:
        df.unpersist()
