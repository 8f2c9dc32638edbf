"""Side-by-side benchmark (issue 11): spark_mlops vs Great Expectations vs Deequ, and the physical floor.

    .venv/bin/python -m bench.run --rows 1000000 --repeat 3 --workloads a,b,u,c,d,e,f --peers ge,deequ

For every row count, the generated reviews table (spark_mlops.datasets, with a few defects so that some
constraints fail) is written once to Delta under ``bench/data/`` and, before any timing, read back,
narrowed to the columns the suite reads and cached. Each case runs once inside a job group to count its
Spark jobs (the warm-up), then ``--repeat`` times for min/median seconds; a case whose first run takes
more than ``--budget`` seconds is not repeated (its one cold run is reported, and marked).

* floors: a bare scan touching the same columns (``agg(count(c) ...)``) and a bare
  ``groupBy(review_id).count()``;
* (a) the seed suite without uniqueness, (b) with uniqueness — ours, GE and Deequ, with the same
  constraints, verdicts compared per constraint; (u) the exact uniqueness constraint alone in each
  engine (where (b)'s time goes: (b) ≈ (a) + (u));
* (c) profiling a 200-column table (``--wide-rows``, default a tenth of ``--rows``) — ours and Deequ's
  profiler, completeness of every column compared; (d) constraint suggestion on the reviews columns —
  ours and Deequ's; (e) baseline + drift and (f) incremental verification after a 1 % append — ours
  against their floors (see :mod:`bench.workloads`).

Deequ does not run on our Spark (its newest Maven build is for Spark 3.5 / Scala 2.12), so it runs in a
separate process with its own Spark 3.5 (bench-only virtualenv, see :mod:`bench.peers.deequ`) on the
same files, and its ratios are to its own bare scan.

Writes ``<out>/README.md`` (Markdown table with date and machine) and ``<out>/bench.png``.
"""

from __future__ import annotations

import argparse
import logging
import os
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from bench import workloads as wl
from bench.report import machine, report_markdown, verdict_disagreements, write_report
from bench.timing import Timing, count_jobs, timed, timed_rounds
from spark_mlops.datasets import MARKETPLACES, ReviewDefects, generate_reviews
from spark_mlops.quality import Check, CheckLevel, VerificationSuite

__all__ = [
    "COLUMNS",
    "CONSTRAINTS",
    "LABELS",
    "Timing",
    "count_jobs",
    "load_reviews",
    "machine",
    "main",
    "report_markdown",
    "run_bench",
    "timed",
    "verdict_disagreements",
    "write_report",
]

log = logging.getLogger("bench")

HERE = Path(__file__).resolve().parent
COLUMNS = ("star_rating", "review_id", "marketplace", "total_votes", "year")
DEFECTS = ReviewDefects(duplicate_id_rate=0.001, negative_year_rate=0.001, null_rates={"marketplace": 0.001})
SEED = 1

#: Workload labels in the report.
LABELS = {
    "a": "(a) seed suite without uniqueness",
    "b": "(b) seed suite with uniqueness",
    "c": "(c) profile 200 columns",
    "u": "(u) exact uniqueness alone",
    "d": "(d) constraint suggestion",
    "e": "(e) baseline + drift",
    "f": "(f) incremental after 1 % append",
}
FLOOR_WIDE = "bare scan, 200 columns"
FLOOR_DRIFT = "bare scans, drift reference + current"
FLOOR_FULL = "(f) full verification after the same append"


#: The seed suite, one row per constraint: key, and whether it belongs to the uniqueness workload only.
#: The same constraints are built for each engine below; verdicts are paired by key.
CONSTRAINTS: tuple[tuple[str, bool], ...] = (
    ("size >= rows", False),
    ("min(star_rating) == 1", False),
    ("max(star_rating) == 5", False),
    ("complete(review_id)", False),
    ("unique(review_id)", True),
    ("complete(marketplace)", False),
    ("marketplace in MARKETPLACES", False),
    ("total_votes in [30, 300]", False),
    ("year >= 0", False),
)


UNIQUE_KEY = "unique(review_id)"


def keys(workload: str) -> list[str]:
    """Constraint keys of workload ``a`` (without uniqueness), ``b`` (with) or ``u`` (uniqueness alone)."""
    if workload == "u":
        return [UNIQUE_KEY]
    return [k for k, only_b in CONSTRAINTS if workload == "b" or not only_b]


# -- data -------------------------------------------------------------------------------------------
def load_reviews(spark: SparkSession, rows: int, data_dir: Path, partitions: int) -> tuple[DataFrame, str]:
    """The reviews table at ``rows`` rows as Delta in ``data_dir`` (written once), cached on the suite's
    columns and materialized. Returns the cached DataFrame and the Delta path."""
    path = data_dir / f"reviews_{rows}"
    if not (path / "_delta_log").is_dir():
        log.info("writing %s rows to %s", f"{rows:,}", path)
        df = generate_reviews(spark, rows, seed=SEED, defects=DEFECTS, num_partitions=partitions)
        df.write.format("delta").mode("overwrite").save(str(path))
    df = spark.read.format("delta").load(str(path)).select(*COLUMNS).cache()
    df.count()
    return df, str(path)


def bare_scan(df: DataFrame) -> Any:
    """The floor of any one-pass check: one aggregate reading the same columns."""
    return df.agg(F.count(F.lit(1)), *[F.count(c) for c in COLUMNS]).collect()


def bare_group_by(df: DataFrame) -> Any:
    """The floor of an exact uniqueness: group on the id, count the groups seen once."""
    return (
        df.groupBy("review_id")
        .count()
        .agg(F.sum(F.when(F.col("count") == 1, 1).otherwise(0)), F.sum("count"))
        .collect()
    )


# -- our engine -------------------------------------------------------------------------------------
def our_check(rows: int, workload: str) -> Check:
    """The seed suite of ``workload`` in spark_mlops, in :data:`CONSTRAINTS` order."""
    build: dict[str, Callable[[Check], Check]] = {
        "size >= rows": lambda c: c.has_size(lambda n: n >= rows),
        "min(star_rating) == 1": lambda c: c.has_min("star_rating", lambda v: v == 1.0),
        "max(star_rating) == 5": lambda c: c.has_max("star_rating", lambda v: v == 5.0),
        "complete(review_id)": lambda c: c.is_complete("review_id"),
        UNIQUE_KEY: lambda c: c.is_unique("review_id"),
        "complete(marketplace)": lambda c: c.is_complete("marketplace"),
        "marketplace in MARKETPLACES": lambda c: c.is_contained_in("marketplace", list(MARKETPLACES)),
        "total_votes in [30, 300]": lambda c: c.is_contained_in("total_votes", lower=30, upper=300),
        "year >= 0": lambda c: c.is_non_negative("year"),
    }
    check = Check(CheckLevel.ERROR, "review check")
    for key in keys(workload):
        check = build[key](check)
    return check


def run_ours(spark: SparkSession, df: DataFrame, rows: int, workload: str) -> dict[str, bool]:
    """Run the suite of ``workload``; verdict per constraint key."""
    result = VerificationSuite(spark).on_data(df).add_check(our_check(rows, workload)).run()
    statuses = [r.status.value == "Success" for _, r in result.constraint_results()]
    return dict(zip(keys(workload), statuses, strict=True))


# -- Great Expectations ---------------------------------------------------------------------------
def ge_runner(df: DataFrame, rows: int, workload: str) -> Callable[[], dict[str, bool]]:
    """A GE 1.x validation of the same suite on GE's Spark datasource (ephemeral context, dataframe
    asset, whole-dataframe batch). Context and suite are built once; the returned call validates.

    ``result_format`` BOOLEAN_ONLY is GE's cheapest mode (no unexpected-value lists) and its progress
    bars are off: GE's best case.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    E = gx.expectations
    cases = [
        E.ExpectTableRowCountToBeBetween(min_value=rows),
        E.ExpectColumnMinToBeBetween(column="star_rating", min_value=1, max_value=1),
        E.ExpectColumnMaxToBeBetween(column="star_rating", min_value=5, max_value=5),
        E.ExpectColumnValuesToNotBeNull(column="review_id"),
        E.ExpectColumnValuesToBeUnique(column="review_id"),
        E.ExpectColumnValuesToNotBeNull(column="marketplace"),
        # GE leaves NULLs out of "in set"/"between"; ours lets NULL pass: the same verdict either way.
        E.ExpectColumnValuesToBeInSet(column="marketplace", value_set=list(MARKETPLACES)),
        E.ExpectColumnValuesToBeBetween(column="total_votes", min_value=30, max_value=300),
        E.ExpectColumnValuesToBeBetween(column="year", min_value=0),
    ]
    wanted = keys(workload)
    chosen = [(k, c) for (k, _), c in zip(CONSTRAINTS, cases, strict=True) if k in wanted]
    for k, case in chosen:
        case.meta = {"key": k}
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    name = f"reviews_{uuid.uuid4().hex[:8]}"
    source = context.data_sources.add_spark(name=name)
    batch_def = source.add_dataframe_asset(name="reviews").add_batch_definition_whole_dataframe("all")
    suite = gx.ExpectationSuite(name=name, expectations=[c for _, c in chosen])

    def validate() -> dict[str, bool]:
        batch = batch_def.get_batch(batch_parameters={"dataframe": df})
        run = batch.validate(suite, result_format="BOOLEAN_ONLY")
        return {r.expectation_config.meta["key"]: bool(r.success) for r in run.results}

    return validate


# -- the run --------------------------------------------------------------------------------------
#: Runs one case: (label for the log, the call) → (seconds per run, Spark jobs of one run, last result).
Clock = Callable[[str, Callable[[], Any]], tuple[list[float], int, Any]]
Rounds = Callable[[Sequence[tuple[str, Callable[[], Any]]]], dict[str, tuple[list[float], int, Any]]]


def run_bench(
    spark: SparkSession,
    rows_list: Sequence[int],
    repeat: int,
    workloads: Sequence[str],
    peers: Sequence[str],
    data_dir: Path,
    partitions: int = 8,
    warmup: bool = True,
    wide_rows: int | None = None,
    budget: float | None = None,
) -> list[Timing]:
    """Time floors, our engine and the in-process peers on every size; Deequ in its own process.

    ``wide_rows`` is the size of the 200-column table of workload (c) (default: a tenth of the size);
    a case whose first run takes more than ``budget`` seconds is not repeated (see :func:`timed`).
    """

    def clock(label: str, fn: Callable[[], Any]) -> tuple[list[float], int, Any]:
        log.info("%s: start", label)
        seconds, jobs, result = timed(spark, fn, repeat, warmup, budget)
        log.info("%s: min %.3f s over %d run(s), %d job(s)", label, min(seconds), len(seconds), jobs)
        return seconds, jobs, result

    def rounds(cases: Sequence[tuple[str, Callable[[], Any]]]) -> dict[str, tuple[list[float], int, Any]]:
        log.info("interleaved rounds of %d cases: start", len(cases))
        out = timed_rounds(spark, cases, repeat, warmup, budget)
        for label, (seconds, jobs, _) in out.items():
            log.info("%s: min %.3f s over %d run(s), %d job(s)", label, min(seconds), len(seconds), jobs)
        return out

    timings: list[Timing] = []
    for rows in rows_list:
        n_wide = wide_rows or max(1, rows // 10)
        df, path = load_reviews(spark, rows, data_dir, partitions)
        timings.extend(_in_process(spark, df, rows, rounds, workloads, peers))
        wide_path = data_dir / f"wide_{n_wide}"
        if "c" in workloads:
            wide = wl.cached_delta(spark, wide_path, partial(wl.wide_table, spark, n_wide, partitions))
            timings.extend(_profile(spark, wide, rows, n_wide, clock))
            wide.unpersist()
        if "d" in workloads:
            timings.append(_suggest(spark, df, rows, clock))
        df.unpersist()
        if "e" in workloads:
            timings.extend(_drift(spark, rows, data_dir, clock))
        if "f" in workloads:
            log.info("%s rows, (f): start", f"{rows:,}")
            timings.extend(_incremental(spark, rows, data_dir, repeat, partitions, warmup))
        if "deequ" in peers:
            from bench.peers.deequ import run_deequ

            chosen = [w for w in workloads if w in "abucd"]
            log.info("%s rows, Deequ %s: start", f"{rows:,}", ",".join(chosen))
            timings.extend(run_deequ(path, rows, repeat, chosen, warmup, str(wide_path), n_wide, budget))
    return timings


def _in_process(
    spark: SparkSession,
    df: DataFrame,
    rows: int,
    rounds: Rounds,
    workloads: Sequence[str],
    peers: Sequence[str],
) -> list[Timing]:
    """Floors, our engine and GE on one cached table, timed in interleaved rounds (they are compared
    with each other: :func:`~bench.timing.timed_rounds`)."""
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("bare scan", lambda: bare_scan(df)),
        ("bare group-by", lambda: bare_group_by(df)),
    ]
    engines: dict[str, tuple[str, str]] = {"bare scan": ("floor", ""), "bare group-by": ("floor", "")}
    for workload in ("a", "b", "u"):
        if workload not in workloads:
            continue
        ours = f"{LABELS[workload]}, spark_mlops"
        cases.append((ours, lambda w=workload: run_ours(spark, df, rows, w)))
        engines[ours] = ("spark_mlops", workload)
        if "ge" in peers:
            theirs = f"{LABELS[workload]}, great_expectations"
            cases.append((theirs, ge_runner(df, rows, workload)))
            engines[theirs] = ("great_expectations", workload)
    log.info("%s rows: floors, ours and GE in interleaved rounds", f"{rows:,}")
    timings = []
    for label, (seconds, jobs, result) in rounds(cases).items():
        engine, workload = engines[label]
        if engine == "floor":
            timings.append(Timing("floor", label, rows, seconds, jobs))
            continue
        floor = "bare group-by" if workload == "u" else "bare scan"
        timings.append(Timing(engine, LABELS[workload], rows, seconds, jobs, result, floor=floor))
    return timings


def completeness_values(profiles: Any) -> dict[str, float]:
    """``completeness(column)`` of every profiled column (compared with Deequ's profiler)."""
    return {f"completeness({c})": float(p.completeness) for c, p in profiles.profiles.items()}


def _profile(spark: SparkSession, wide: DataFrame, rows: int, n_wide: int, clock: Clock) -> list[Timing]:
    seconds, jobs, _ = clock(f"{rows:,} rows, {FLOOR_WIDE}", lambda: wl.bare_scan_all(wide))
    floor = Timing("floor", FLOOR_WIDE, rows, seconds, jobs, note=f"{n_wide:,} rows x 200 columns")
    seconds, jobs, profiles = clock(f"{rows:,} rows, {LABELS['c']}", lambda: wl.profile_wide(spark, wide))
    ours = Timing(
        "spark_mlops",
        LABELS["c"],
        rows,
        seconds,
        jobs,
        floor=FLOOR_WIDE,
        values=completeness_values(profiles),
        output=profiles,
        note=f"{n_wide:,} rows x {len(profiles.profiles)} columns profiled",
    )
    return [floor, ours]


def _suggest(spark: SparkSession, df: DataFrame, rows: int, clock: Clock) -> Timing:
    seconds, jobs, result = clock(f"{rows:,} rows, {LABELS['d']}", lambda: wl.suggest(spark, df))
    rules = sorted({s.rule for s in result.suggestions})
    note = f"{len(result.suggestions)} suggestions on {len(df.columns)} columns ({', '.join(rules)})"
    return Timing("spark_mlops", LABELS["d"], rows, seconds, jobs, output=result, note=note)


def _drift(spark: SparkSession, rows: int, data_dir: Path, clock: Clock) -> list[Timing]:
    reference, current = wl.drift_tables(spark, rows, data_dir)
    seconds, jobs, _ = clock(f"{rows:,} rows, {FLOOR_DRIFT}", lambda: wl.bare_scan_all(reference, current))
    floor = Timing("floor", FLOOR_DRIFT, rows, seconds, jobs)
    seconds, jobs, out = clock(
        f"{rows:,} rows, {LABELS['e']}", lambda: wl.baseline_and_drift(reference, current)
    )
    drift = out["drift"]
    note = (
        f"{wl.DRIFT_NUMERIC} numeric + {wl.DRIFT_CATEGORICAL} categorical columns; drifted: "
        f"{len(drift.drifted_columns)} ({', '.join(drift.drifted_columns)}); "
        f"violations: {len(out['violations'])}"
    )
    ours = Timing("spark_mlops", LABELS["e"], rows, seconds, jobs, floor=FLOOR_DRIFT, output=out, note=note)
    wl.unpersist([reference, current])
    return [floor, ours]


def _incremental(
    spark: SparkSession, rows: int, data_dir: Path, repeat: int, partitions: int, warmup: bool
) -> list[Timing]:
    out = wl.incremental_runs(spark, rows, data_dir, repeat, partitions, warmup)
    info = out["incremental"].incremental
    note = (
        f"{out['appended']:,} rows appended per run ({wl.APPEND_SHARE:.0%}); last run mode "
        f"{info.mode}, {info.appended_files} file(s) read, table at {out['rows']:,} rows"
    )
    full = Timing("floor", FLOOR_FULL, rows, out["full_seconds"], out["full_jobs"], output=out["full"])
    inc = Timing(
        "spark_mlops",
        LABELS["f"],
        rows,
        out["incremental_seconds"],
        out["incremental_jobs"],
        floor=FLOOR_FULL,
        output=out["incremental"],
        note=note,
    )
    return [full, inc]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.run [--rows 1000000] [--repeat 3] [--workloads a,b,c,d,e,f] [--peers ge,deequ]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", default="1000000", help="comma-separated sizes (10000000 optional)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workloads", default="a,b,u,c,d,e,f", help="comma-separated, from a,b,u,c,d,e,f")
    parser.add_argument("--wide-rows", type=int, default=None, help="rows of the 200-column table (c)")
    parser.add_argument("--peers", default="ge,deequ")
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--data-dir", default=str(HERE / "data"))
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds: a case whose first run is slower is not repeated",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    load_at_start = os.getloadavg()

    from spark_mlops import get_spark

    spark = get_spark(
        "bench",
        master="local[2]",
        conf={
            "spark.driver.memory": "6g",
            "spark.sql.adaptive.enabled": "false",
            "spark.ui.enabled": "false",
        },
    )
    spark.sparkContext.setLogLevel("ERROR")
    timings = run_bench(
        spark,
        [int(r) for r in args.rows.split(",") if r],
        args.repeat,
        [w.strip() for w in args.workloads.split(",") if w.strip()],
        [p.strip() for p in args.peers.split(",") if p.strip()],
        Path(args.data_dir),
        args.partitions,
        wide_rows=args.wide_rows,
        budget=args.budget,
    )
    md = write_report(timings, spark, Path(args.out), args.repeat, load_at_start)
    log.info("wrote %s", md)
    bad = verdict_disagreements(timings)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
