"""Benchmark: data baseline and drift vs a bare scan over Delta tables, side by side in one run.

    flock /tmp/spark_mlops_bench.lock .venv/bin/python -m bench.drift --rows 100000 1000000 --repeat 2

For each size it writes three Delta tables — a reference, a drifted current (every other numeric column
shifted by 0.3 σ) and an *undrifted* sample of the same distribution (other seeds) — then times:

* a bare scan (every column read once into a ``noop`` sink) — the floor;
* ``DataBaseline.from_dataframe(reference)`` (target ≤ 2.5 × the bare scan);
* ``compute_drift(baseline, current)`` (target ≤ 2 scans of the current data), then ``check_violations``
  on the same profile (0 jobs);
* the no-false-alarm check: ``compute_drift`` + ``check_violations`` of the undrifted sample.

Each timing is the minimum of ``--repeat`` runs (wall seconds) together with the CPU seconds spent by the
JVM and this Python process in that run — CPU is what a loaded, shared machine does not distort. Every
Spark job is classified from Spark's status store: *Delta log* jobs (Delta's own file listing of the
snapshot, description ``Delta: …``), and the rest; a *data scan* is a stage that read the table's rows
(``inputRecords`` = rows). Results go to stdout as JSON and, with ``--out``, to a Markdown file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from py4j.protocol import Py4JJavaError
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


@dataclass
class Timing:
    """Best-of-repeats wall seconds, the CPU seconds of that run, and its Spark jobs."""

    wall: float
    cpu: float
    jobs: int
    delta_log_jobs: int
    data_scans: int
    input_bytes: int = 0
    result: Any = None


class Clock:
    """Runs a function in a job group and reads back its jobs, stages and CPU time (bench code only)."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self.sc = spark.sparkContext
        self.store = self.sc._jsc.sc().statusStore()  # type: ignore[union-attr]
        self.jvm_pid = int(self.sc._jvm.java.lang.ProcessHandle.current().pid())  # type: ignore[union-attr]
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _cpu(self) -> float:
        fields = Path(f"/proc/{self.jvm_pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.ticks + time.process_time()

    def _classify(self, job_ids: list[int], rows: int) -> tuple[int, int, int]:
        delta_log, scans, read = 0, 0, 0
        for job_id in job_ids:
            job = self.store.job(job_id)
            desc = job.description()
            # Delta labels its snapshot file-listing jobs "Delta: …" (or, with no job description set,
            # they carry its logging call site as the job name).
            described = desc.isDefined() and str(desc.get()).startswith("Delta:")
            if described or "recordDeltaOperation" in str(job.name()):
                delta_log += 1
            stages = job.stageIds()
            for k in range(stages.size()):
                try:
                    stage = self.store.lastStageAttempt(stages.apply(k))
                except Py4JJavaError:  # a skipped stage has no attempt
                    continue
                if rows and stage.inputRecords() >= rows:
                    scans += 1
                read += int(stage.inputBytes())
        return delta_log, scans, read

    def once(self, fn: Callable[[], Any], rows: int) -> Timing:
        """One run of ``fn``."""
        group = f"bench-{uuid.uuid4().hex}"
        self.sc.setJobGroup(group, "bench", interruptOnCancel=False)
        cpu0, start = self._cpu(), time.perf_counter()
        try:
            out = fn()
        finally:
            wall, cpu = time.perf_counter() - start, self._cpu() - cpu0
            ids = sorted(self.sc.statusTracker().getJobIdsForGroup(group))
            for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
                self.sc.setLocalProperty(key, None)  # type: ignore[arg-type]
        delta_log, scans, read = self._classify(ids, rows)
        return Timing(wall, cpu, len(ids), delta_log, scans, read, out)

    def best(self, fn: Callable[[], Any], rows: int, repeat: int) -> Timing:
        """Minimum wall time over ``repeat`` runs (jobs and CPU of that run)."""
        runs = [self.once(fn, rows) for _ in range(repeat)]
        return min(runs, key=lambda t: t.wall)


def run_size(
    spark: SparkSession,
    clock: Clock,
    rows: int,
    numeric: int,
    categorical: int,
    repeat: int,
    folder: str,
    reuse: bool = False,
) -> dict[str, Any]:
    """All measurements at one size (``reuse``: keep tables an earlier run wrote to ``folder``)."""
    paths = {name: f"{folder}/{name}_{rows}" for name in ("reference", "current", "undrifted")}
    for name, (shift, seed) in {
        "reference": (0.0, 1),
        "current": (0.3, 101),
        "undrifted": (0.0, 201),
    }.items():
        if reuse and Path(paths[name], "_delta_log").is_dir():
            continue  # same generator, same seeds: the table an earlier run wrote
        write_delta(generate(spark, rows, numeric, categorical, shift, seed), paths[name], mode="overwrite")
    ref, cur, same = (read_delta(spark, paths[n]) for n in ("reference", "current", "undrifted"))

    def bare(df: DataFrame) -> Callable[[], None]:
        return lambda: df.write.format("noop").mode("overwrite").save()

    clock.once(bare(ref), rows)  # warm-up: JIT, Delta snapshot of each table
    clock.once(bare(cur), rows)
    clock.once(bare(same), rows)
    floor = clock.best(bare(ref), rows, repeat)
    base = clock.best(lambda: DataBaseline.from_dataframe(ref), rows, repeat)
    baseline: DataBaseline = base.result
    floor_cur = clock.best(bare(cur), rows, repeat)
    drift = clock.best(lambda: compute_drift(baseline, cur), rows, repeat)
    viol = clock.once(lambda: check_violations(cur, baseline, current=drift.result.current), rows)
    undrifted = clock.once(lambda: compute_drift(baseline, same), rows)
    false_viol = check_violations(same, baseline, current=undrifted.result.current)
    stats = {r.method: 0.0 for r in undrifted.result.rows}
    for r in undrifted.result.rows:
        stats[r.method] = max(stats[r.method], r.statistic)

    def part(t: Timing, against: Timing) -> dict[str, Any]:
        return {
            "wall_s": round(t.wall, 2),
            "cpu_s": round(t.cpu, 2),
            "wall_ratio": round(t.wall / against.wall, 2),
            "cpu_ratio": round(t.cpu / against.cpu, 2),
            "jobs": t.jobs,
            "delta_log_jobs": t.delta_log_jobs,
            "data_scans": t.data_scans,
            "bytes_read_ratio": round(t.input_bytes / against.input_bytes, 2)
            if against.input_bytes
            else None,
        }

    return {
        "rows": rows,
        "columns": f"{numeric} numeric + {categorical} categorical",
        "bare_scan": {
            "wall_s": round(floor.wall, 2),
            "cpu_s": round(floor.cpu, 2),
            "jobs": floor.jobs,
            "delta_log_jobs": floor.delta_log_jobs,
            "data_scans": floor.data_scans,
            "input_mb": round(floor.input_bytes / 2**20, 1),
        },
        "baseline": part(base, floor),
        "drift": part(drift, floor_cur),
        "violations_on_drift_profile": {"jobs": viol.jobs, "wall_s": round(viol.wall, 3)},
        "drifted_columns": len(drift.result.drifted_columns),
        "expected_drifted_columns": numeric // 2,
        "violations": len(viol.result),
        "undrifted": {
            "drifted_columns": list(undrifted.result.drifted_columns),
            "violations": false_viol,
            "max_statistic_by_method": {k: round(v, 4) for k, v in stats.items()},
        },
    }


def markdown(results: list[dict[str, Any]], meta: dict[str, str]) -> str:
    """A Markdown table of the results."""
    lines = [
        "# Baseline and drift vs a bare scan (issue 6)",
        "",
        f"Run {meta['when']} on {meta['machine']}; load average before/after: {meta['load_before']} / "
        f"{meta['load_after']}. Spark session: {meta['spark']}. Command: `{meta['command']}`.",
        "",
        "Times are the minimum of the repeats (wall) and the CPU seconds (JVM + Python) of that run;",
        "ratios are against the bare scan of the same table measured in the same process. *Delta log*",
        "jobs are Delta's file listing of the snapshot (no data read); a *data scan* is a stage that read",
        "all rows of the table (maybe only some of its columns); *bytes read* is the input bytes of all",
        "stages over the bare scan's (1.00 = every column read once).",
        "",
        "| rows | workload | wall s | CPU s | × bare (wall) | × bare (CPU) | Spark jobs | Delta log jobs "
        "| data scans | bytes read |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        b = r["bare_scan"]
        lines.append(
            f"| {r['rows']:,} | bare scan | {b['wall_s']} | {b['cpu_s']} | 1.00 | 1.00 | {b['jobs']} | "
            f"{b['delta_log_jobs']} | {b['data_scans']} | 1.00 ({b['input_mb']} MB) |"
        )
        for name in ("baseline", "drift"):
            t = r[name]
            lines.append(
                f"| {r['rows']:,} | {name} | {t['wall_s']} | {t['cpu_s']} | {t['wall_ratio']} | "
                f"{t['cpu_ratio']} | {t['jobs']} | {t['delta_log_jobs']} | {t['data_scans']} | "
                f"{t['bytes_read_ratio']} |"
            )
    lines += ["", "No-false-alarm check (undrifted sample of the same distribution, defaults):", ""]
    for r in results:
        u = r["undrifted"]
        lines.append(
            f"* {r['rows']:,} rows: drifted columns {u['drifted_columns'] or 'none'}, violations "
            f"{len(u['violations'])}; largest statistic per method {u['max_statistic_by_method']}; "
            f"drifted table: {r['drifted_columns']} of {r['expected_drifted_columns']} shifted columns "
            f"found, {r['violations']} violations."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the benchmark and print a JSON summary."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--numeric", type=int, default=50)
    parser.add_argument("--categorical", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--folder", default=None)
    parser.add_argument("--out", default=None, help="Markdown file for the results")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the tables an earlier run wrote to --folder (same seeds)"
    )
    args = parser.parse_args()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    spark = get_spark(app_name="bench-drift")
    spark.sparkContext.setLogLevel("ERROR")
    clock = Clock(spark)
    folder = args.folder or tempfile.mkdtemp(prefix="bench-drift-")
    results = [
        run_size(spark, clock, rows, args.numeric, args.categorical, args.repeat, folder, args.reuse)
        for rows in args.rows
    ]
    conf = spark.conf
    aqe, partitions = conf.get("spark.sql.adaptive.enabled"), conf.get("spark.sql.shuffle.partitions")
    meta = {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform.platform()}",
        "load_before": load_before,
        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "spark": f"{spark.version}, {spark.sparkContext.master}, AQE {aqe}, shuffle partitions {partitions}",
        "command": "python -m bench.drift " + " ".join(sys.argv[1:]),
    }
    print(json.dumps({"meta": meta, "results": results}, indent=2))
    if args.out:
        Path(args.out).write_text(markdown(results, meta))


if __name__ == "__main__":
    main()
