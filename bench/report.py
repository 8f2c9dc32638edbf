"""The benchmark report: a Markdown table (date, machine, seconds, Spark jobs, ratios to each engine's
floor and to each peer, verdicts per constraint, disagreements) and a PNG bar chart."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import SparkSession

from bench.timing import Timing

__all__ = ["machine", "plot", "report_markdown", "verdict_disagreements", "write_report"]

#: Engines whose rows are floors, not engines under test.
FLOORS = ("floor", "deequ floor")


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


def _floor(timings: Sequence[Timing], t: Timing) -> Timing | None:
    engine = "deequ floor" if t.engine == "deequ" else "floor"
    return next(
        (f for f in timings if f.engine == engine and f.workload == t.floor and f.rows == t.rows), None
    )


def verdict_disagreements(timings: Sequence[Timing]) -> list[str]:
    """Every (size, workload, constraint) where an engine's verdict differs from ours, or is missing, and
    every compared number (e.g. a column's completeness) where a peer's value differs from ours."""
    out = []
    for ours in (t for t in timings if t.engine == "spark_mlops"):
        for peer in timings:
            if peer.engine in ("spark_mlops", *FLOORS) or peer.workload != ours.workload:
                continue
            if peer.rows != ours.rows:
                continue
            for key, verdict in ours.verdicts.items():
                if peer.verdicts.get(key) != verdict:
                    out.append(
                        f"{ours.rows:,} rows, {ours.workload}, `{key}`: spark_mlops "
                        f"{'pass' if verdict else 'fail'}, {peer.engine} {peer.verdicts.get(key)}"
                    )
            for key in ours.values.keys() & peer.values.keys():
                a, b = ours.values[key], peer.values[key]
                if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
                    out.append(
                        f"{ours.rows:,} rows, {ours.workload}, `{key}`: spark_mlops {a}, {peer.engine} {b}"
                    )
    return out


def report_markdown(timings: Sequence[Timing], header: str, repeat: int) -> str:
    """The results table, the verdict table and the agreement line."""
    lines = [
        "# Benchmark results (issue 11)",
        "",
        header,
        "",
        "Each case: one run in a job group to count Spark jobs (the warm-up), then "
        f"{repeat} timed runs (min / median seconds); `runs` below {repeat} marks a case whose first "
        "run exceeded the time budget: its one cold run is its time. The floors, (a), (b), (u) and GE "
        "are timed in interleaved rounds (each round runs every one of them once, in a rotated order), "
        "so a change of load moves them alike. Data: `generate_reviews` (seed 1; "
        "0.1 % duplicate ids, 0.1 % negative years, 0.1 % NULL marketplaces) written to Delta, read "
        "back and cached on the 5 columns the suite reads before timing. `× floor` is min seconds over "
        "the min of the workload's floor in the same engine's Spark (Deequ: its own process): the bare "
        "scan of the same columns for (a), (b), (d); the bare group-by on `review_id` for (u); a bare "
        "scan of all 200 columns of the wide table for (c); one bare scan of the reference and one of "
        "the current table for (e); for (f) the full verification of an identical copy of the table, "
        "right after the same append as the incremental run (target ≤ 0.10×). `peer / ours` is the "
        "peer's median over ours (> 1: we are faster).",
        "",
        "| rows | workload | engine | runs | min s | median s | Spark jobs | × floor | peer / ours |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    ours = {(t.rows, t.workload): t for t in timings if t.engine == "spark_mlops"}
    for t in timings:
        floor = _floor(timings, t)
        ratio = f"{t.min / floor.min:.2f}×" if floor and t.engine not in FLOORS else ""
        mine = ours.get((t.rows, t.workload))
        vs = f"{t.median / mine.median:.2f}×" if mine and t.engine not in ("spark_mlops",) else ""
        jobs = "" if t.jobs is None else str(t.jobs)
        lines.append(
            f"| {t.rows:,} | {t.workload} | {t.engine} | {len(t.seconds)} | {t.min:.3f} | "
            f"{t.median:.3f} | {jobs} | {ratio} | {vs} |"
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
    compared = sum(len(t.values) for t in timings if t.engine not in ("spark_mlops", *FLOORS))
    agree = "All engines agree on every verdict" + (
        f" and on every compared number ({compared})." if compared else "."
    )
    lines += ["", agree if not bad else "Verdicts differ:"]
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


def write_report(
    timings: Sequence[Timing],
    spark: SparkSession,
    out: Path,
    repeat: int,
    load_at_start: tuple[float, float, float] | None = None,
) -> Path:
    """Write ``README.md`` and ``bench.png`` into ``out``; returns the Markdown path.

    The header names the date, the machine and the load average (1/5/15 min) at the start of the run
    (``load_at_start``) and at the end: on a shared box the load says how far to trust the seconds.
    """
    out.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    start = "" if load_at_start is None else "/".join(f"{x:.1f}" for x in load_at_start) + " at start, "
    header = f"Run {now} on {machine(spark)}. Load average (1/5/15 min): {start}{load} at the end."
    md = out / "README.md"
    md.write_text(report_markdown(timings, header, repeat) + "\n![bench](bench.png)\n", encoding="utf-8")
    plot(timings, out / "bench.png")
    return md
