"""Side-by-side benchmark (issue 11): spark_mlops vs Great Expectations vs Deequ, and the physical floor.

    .venv/bin/python -m bench.run --rows 1000000 --repeat 3 --workloads a,b --peers ge,deequ

For every row count, the generated reviews table (spark_mlops.datasets, with a few defects so that some
constraints fail) is written once to Delta under ``bench/data/`` and, before any timing, read back,
narrowed to the columns the suite reads and cached. Each case is run once as a warm-up, once inside a job
group to count its Spark jobs, then ``--repeat`` times for min/median seconds.

* floors: a bare scan touching the same columns (``agg(count(c) ...)``) and a bare
  ``groupBy(review_id).count()``;
* (a) the seed suite without uniqueness, (b) with uniqueness — ours, GE and Deequ, with the same
  constraints, verdicts compared per constraint;
* (c)-(f) are not wired into this harness yet: bench/drift.py and bench/incremental.py time (e) and
  (f) on their own.

Deequ does not run on our Spark (its newest Maven build is for Spark 3.5 / Scala 2.12), so it runs in a
separate process with its own Spark 3.5 (bench-only virtualenv, see :mod:`bench.peers.deequ`) on the
same files, and its ratios are to its own bare scan.

Writes ``<out>/README.md`` (Markdown table with date and machine) and ``<out>/bench.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops.datasets import MARKETPLACES, ReviewDefects, generate_reviews
from spark_mlops.quality import Check, CheckLevel, VerificationSuite

__all__ = [
    "COLUMNS",
    "CONSTRAINTS",
    "Timing",
    "load_reviews",
    "main",
    "run_bench",
    "timed",
    "write_report",
]

log = logging.getLogger("bench")

HERE = Path(__file__).resolve().parent
COLUMNS = ("star_rating", "review_id", "marketplace", "total_votes", "year")
DEFECTS = ReviewDefects(duplicate_id_rate=0.001, negative_year_rate=0.001, null_rates={"marketplace": 0.001})
SEED = 1

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


@dataclass
class Timing:
    """One engine on one workload at one size: seconds of each repeat, Spark jobs, verdicts by key."""

    engine: str
    workload: str
    rows: int
    seconds: list[float]
    jobs: int | None
    verdicts: dict[str, bool] = field(default_factory=dict)
    note: str = ""

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def keys(unique: bool) -> list[str]:
    """Constraint keys of workload (a) (``unique=False``) or (b)."""
    return [k for k, only_b in CONSTRAINTS if unique or not only_b]


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


# -- timing -----------------------------------------------------------------------------------------
def timed(
    spark: SparkSession, fn: Callable[[], Any], repeat: int, warmup: bool = True
) -> tuple[list[float], int, Any]:
    """Seconds of each of ``repeat`` runs, Spark jobs of one run and the last result (after a warm-up
    unless ``warmup`` is False).

    Bench code, not library code: it may set a job group to count jobs with the status tracker.
    """
    sc = spark.sparkContext
    if warmup:
        fn()
    group = f"bench-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "bench", interruptOnCancel=False)
    try:
        result = fn()
    finally:
        jobs = len(sc.statusTracker().getJobIdsForGroup(group))
        for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
            sc.setLocalProperty(key, None)  # type: ignore[arg-type]
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, jobs, result


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
def our_check(rows: int, unique: bool) -> Check:
    """The seed suite in spark_mlops, in :data:`CONSTRAINTS` order."""
    check = (
        Check(CheckLevel.ERROR, "review check")
        .has_size(lambda n: n >= rows)
        .has_min("star_rating", lambda v: v == 1.0)
        .has_max("star_rating", lambda v: v == 5.0)
        .is_complete("review_id")
    )
    if unique:
        check = check.is_unique("review_id")
    return (
        check.is_complete("marketplace")
        .is_contained_in("marketplace", list(MARKETPLACES))
        .is_contained_in("total_votes", lower=30, upper=300)
        .is_non_negative("year")
    )


def run_ours(spark: SparkSession, df: DataFrame, rows: int, unique: bool) -> dict[str, bool]:
    """Run the suite; verdict per constraint key."""
    result = VerificationSuite(spark).on_data(df).add_check(our_check(rows, unique)).run()
    statuses = [r.status.value == "Success" for _, r in result.constraint_results()]
    return dict(zip(keys(unique), statuses, strict=True))


# -- Great Expectations ---------------------------------------------------------------------------
def ge_runner(df: DataFrame, rows: int, unique: bool) -> Callable[[], dict[str, bool]]:
    """A GE 1.x validation of the same suite on GE's Spark datasource (ephemeral context, dataframe
    asset, whole-dataframe batch). Context and suite are built once; the returned call validates.

    ``result_format`` BOOLEAN_ONLY is GE's cheapest mode (no unexpected-value lists): GE's best case.
    """
    import great_expectations as gx

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
    wanted = keys(unique)
    chosen = [(k, c) for (k, _), c in zip(CONSTRAINTS, cases, strict=True) if k in wanted]
    for k, case in chosen:
        case.meta = {"key": k}
    context = gx.get_context(mode="ephemeral")
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
def run_bench(
    spark: SparkSession,
    rows_list: Sequence[int],
    repeat: int,
    workloads: Sequence[str],
    peers: Sequence[str],
    data_dir: Path,
    partitions: int = 8,
    warmup: bool = True,
) -> list[Timing]:
    """Time floors, our engine and the in-process peers on every size; Deequ in its own process."""
    timings: list[Timing] = []
    for rows in rows_list:
        df, path = load_reviews(spark, rows, data_dir, partitions)
        timings.extend(_in_process(spark, df, rows, repeat, workloads, peers, warmup))
        df.unpersist()
        if "deequ" in peers:
            from bench.peers.deequ import run_deequ

            timings.extend(run_deequ(path, rows, repeat, [w for w in workloads if w in "ab"], warmup))
    return timings


def _in_process(
    spark: SparkSession,
    df: DataFrame,
    rows: int,
    repeat: int,
    workloads: Sequence[str],
    peers: Sequence[str],
    warmup: bool,
) -> list[Timing]:
    """Floors, our engine and GE on one cached table."""
    timings = []
    for name, fn in (("bare scan", lambda: bare_scan(df)), ("bare group-by", lambda: bare_group_by(df))):
        seconds, jobs, _ = timed(spark, fn, repeat, warmup)
        timings.append(Timing("floor", name, rows, seconds, jobs))
    for workload, unique in (("a", False), ("b", True)):
        if workload not in workloads:
            continue
        label = f"({workload}) seed suite {'with' if unique else 'without'} uniqueness"
        seconds, jobs, verdicts = timed(spark, lambda u=unique: run_ours(spark, df, rows, u), repeat, warmup)
        timings.append(Timing("spark_mlops", label, rows, seconds, jobs, verdicts))
        if "ge" in peers:
            seconds, jobs, verdicts = timed(spark, ge_runner(df, rows, unique), repeat, warmup)
            timings.append(Timing("great_expectations", label, rows, seconds, jobs, verdicts))
    return timings


# -- report ---------------------------------------------------------------------------------------
def _java_version() -> str:
    try:
        proc = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
        return (proc.stderr or proc.stdout).splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def _ram_gib() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kib = int(fh.readline().split()[1])
        return f"{kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def machine(spark: SparkSession) -> str:
    """One line: cores, RAM, OS, Java, Python, Spark and peer versions."""
    from importlib import metadata

    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "not installed"

    return (
        f"{os.cpu_count()} cores, {_ram_gib()} RAM, {platform.system()} {platform.release()}, "
        f"{_java_version()}, Python {platform.python_version()}, Spark {spark.version} "
        f"({spark.sparkContext.master}), delta-spark {version('delta-spark')}, "
        f"great-expectations {version('great-expectations')}"
    )


def _floor(timings: Sequence[Timing], t: Timing, name: str = "bare scan") -> Timing | None:
    engine = "deequ floor" if t.engine == "deequ" else "floor"
    return next((f for f in timings if f.engine == engine and f.workload == name and f.rows == t.rows), None)


def verdict_disagreements(timings: Sequence[Timing]) -> list[str]:
    """Every (size, workload, constraint) where an engine's verdict differs from ours, or is missing."""
    out = []
    for ours in (t for t in timings if t.engine == "spark_mlops"):
        for peer in timings:
            if peer.engine in ("spark_mlops", "floor", "deequ floor") or peer.workload != ours.workload:
                continue
            if peer.rows != ours.rows:
                continue
            for key, verdict in ours.verdicts.items():
                if peer.verdicts.get(key) != verdict:
                    out.append(
                        f"{ours.rows:,} rows, {ours.workload}, `{key}`: spark_mlops "
                        f"{'pass' if verdict else 'fail'}, {peer.engine} {peer.verdicts.get(key)}"
                    )
    return out


def report_markdown(timings: Sequence[Timing], header: str, repeat: int) -> str:
    """The results table, the verdict table and the agreement line."""
    lines = [
        "# Benchmark results (issue 11)",
        "",
        header,
        "",
        f"Each case: one warm-up, one run in a job group to count Spark jobs, then {repeat} timed runs "
        "(min / median seconds). Data: `generate_reviews` (seed 1; 0.1 % duplicate ids, 0.1 % negative "
        "years, 0.1 % NULL marketplaces) written to Delta, read back and cached on the 5 columns the "
        "suite reads before timing. `× floor` is min seconds over the engine's own bare scan (Deequ: the "
        "bare scan in its own Spark process). `peer / ours` is the peer's median over ours (> 1: we are "
        "faster).",
        "",
        "| rows | workload | engine | min s | median s | Spark jobs | × floor | peer / ours |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    ours = {(t.rows, t.workload): t for t in timings if t.engine == "spark_mlops"}
    for t in timings:
        floor = _floor(timings, t)
        ratio = f"{t.min / floor.min:.2f}×" if floor and t.engine not in ("floor", "deequ floor") else ""
        mine = ours.get((t.rows, t.workload))
        vs = f"{t.median / mine.median:.2f}×" if mine and t.engine not in ("spark_mlops",) else ""
        jobs = "" if t.jobs is None else str(t.jobs)
        lines.append(
            f"| {t.rows:,} | {t.workload} | {t.engine} | {t.min:.3f} | {t.median:.3f} | {jobs} | "
            f"{ratio} | {vs} |"
        )
    lines += ["", "## Verdicts per constraint", ""]
    engines = [
        e for e in ("spark_mlops", "great_expectations", "deequ") if any(t.engine == e for t in timings)
    ]
    lines += ["| rows | workload | constraint | " + " | ".join(engines) + " |"]
    lines += ["|---:|---|---|" + "---|" * len(engines)]
    by_key = {(t.engine, t.rows, t.workload): t for t in timings}
    for (rows, workload), mine in ours.items():
        for key in mine.verdicts:
            cells = []
            for e in engines:
                peer = by_key.get((e, rows, workload))
                v = None if peer is None else peer.verdicts.get(key)
                cells.append("-" if v is None else ("pass" if v else "fail"))
            lines.append(f"| {rows:,} | {workload} | `{key}` | " + " | ".join(cells) + " |")
    bad = verdict_disagreements(timings)
    lines += ["", "All engines agree on every verdict." if not bad else "Verdicts differ:"]
    lines += [f"* {b}" for b in bad]
    notes = [f"* {t.engine}, {t.workload}: {t.note}" for t in timings if t.note]
    if notes:
        lines += ["", "## Notes", "", *notes]
    return "\n".join(lines) + "\n"


def plot(timings: Sequence[Timing], png: Path) -> None:
    """Grouped bars: median seconds per workload and engine, one panel per size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({t.rows for t in timings})
    fig, axes = plt.subplots(1, len(sizes), figsize=(7 * len(sizes), 4.5), squeeze=False)
    for ax, rows in zip(axes[0], sizes, strict=True):
        here = [t for t in timings if t.rows == rows]
        workloads = list(dict.fromkeys(t.workload for t in here))
        engines = list(dict.fromkeys(t.engine for t in here))
        width = 0.8 / max(1, len(engines))
        for i, engine in enumerate(engines):
            xs, ys = [], []
            for j, w in enumerate(workloads):
                t = next((t for t in here if t.engine == engine and t.workload == w), None)
                if t is not None:
                    xs.append(j + i * width)
                    ys.append(t.median)
            ax.bar(xs, ys, width, label=engine)
        ax.set_xticks([j + width * (len(engines) - 1) / 2 for j in range(len(workloads))])
        ax.set_xticklabels([w.replace(" seed suite", "\nseed suite") for w in workloads], fontsize=7)
        ax.set_ylabel("median seconds")
        ax.set_title(f"{rows:,} rows")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def write_report(timings: Sequence[Timing], spark: SparkSession, out: Path, repeat: int) -> Path:
    """Write ``README.md`` and ``bench.png`` into ``out``; returns the Markdown path."""
    out.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = f"Run {now} on {machine(spark)}."
    md = out / "README.md"
    md.write_text(report_markdown(timings, header, repeat) + "\n![bench](bench.png)\n", encoding="utf-8")
    plot(timings, out / "bench.png")
    return md


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.run [--rows 1000000,10000000] [--repeat 3] [--workloads a,b] [--peers ge,deequ]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", default="1000000", help="comma-separated sizes (10000000 optional)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workloads", default="a,b")
    parser.add_argument("--peers", default="ge,deequ")
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--data-dir", default=str(HERE / "data"))
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

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
    )
    md = write_report(timings, spark, Path(args.out), args.repeat)
    log.info("wrote %s", md)
    bad = verdict_disagreements(timings)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
