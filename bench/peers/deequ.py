"""Deequ as a peer: its own Python process and Spark (bench-only virtualenv), results as :class:`Timing`."""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.peers.deequ_jars import DEEQU_COORDINATE, ensure_deequ_venv, fetch_deequ_jars

__all__ = ["run_deequ"]

log = logging.getLogger(__name__)

CHILD = Path(__file__).with_name("deequ_child.py")


def run_deequ(
    path: str,
    rows: int,
    repeat: int,
    workloads: list[str],
    warmup: bool = True,
    wide_path: str | None = None,
    wide_rows: int = 0,
    budget: float | None = None,
) -> list[Any]:
    """Floors and workloads in Deequ over the Delta tables' files: the seed suite (``a``/``b``/``u``) and
    suggestion (``d``) on the reviews table at ``path``, the profiler (``c``) on the wide table at
    ``wide_path``; a case whose first run takes more than ``budget`` seconds is not repeated.

    Returns ``bench.run.Timing`` rows: engine ``deequ floor`` for Deequ's own Spark floors and ``deequ``
    for the workloads. The child reports each case when done, so a failure half-way is logged and the
    finished cases are kept; a failure to start Deequ becomes a logged error and no rows.
    """
    from bench.run import FLOOR_WIDE, LABELS, Timing, keys

    python = ensure_deequ_venv()
    jars = ",".join(str(p) for p in fetch_deequ_jars())
    args = {
        "jars": jars,
        "path": path,
        "rows": rows,
        "repeat": repeat,
        "warmup": warmup,
        "budget": budget,
        "workloads": workloads,
        "wide_path": wide_path,
        "keys": {w: keys(w) for w in "abu"},
    }
    rows_out: list[dict[str, Any]] = []
    spark_version, done = "3.5", False
    # stderr to a file, not a pipe: Spark's start-up warnings must not fill a pipe nobody reads yet.
    with (
        tempfile.TemporaryFile("w+") as err,
        subprocess.Popen(
            [str(python), str(CHILD), json.dumps(args)], stdout=subprocess.PIPE, stderr=err, text=True
        ) as proc,
    ):
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("BENCH-ROW "):
                rows_out.append(json.loads(line.removeprefix("BENCH-ROW ")))
                log.info("deequ %s %s: done", rows_out[-1]["engine"], rows_out[-1]["workload"])
            elif line.startswith("BENCH-SPARK "):
                spark_version = line.removeprefix("BENCH-SPARK ").strip()
            elif line.startswith("BENCH-DONE"):
                done = True
        proc.wait()
        err.seek(0)
        stderr = err.read()
    if proc.returncode != 0 or not done:
        log.error("Deequ run failed (exit %s): %s", proc.returncode, stderr[-3000:])
    note = f"{DEEQU_COORDINATE} on Spark {spark_version} (own process, Parquet files of the Delta table)"
    out = []
    for t in rows_out:
        if t["engine"] == "deequ floor":
            out.append(Timing("deequ floor", t["workload"], rows, t["seconds"], t["jobs"]))
            continue
        workload = t["workload"]
        if workload == "c":
            values = {f"completeness({c})": v for c, v in t["completeness"].items()}
            text = f"{note}; {wide_rows:,} rows x {len(values)} columns profiled"
            out.append(
                Timing("deequ", LABELS[workload], rows, t["seconds"], t["jobs"], {}, text, FLOOR_WIDE, values)
            )
            continue
        if workload == "d":
            text = f"{note}; {t['suggestions']} suggestions (Deequ's Rules.DEFAULT)"
            out.append(Timing("deequ", LABELS[workload], rows, t["seconds"], t["jobs"], note=text))
            continue
        verdicts = dict(zip(keys(workload), t["verdicts"], strict=True))
        floor = "bare group-by" if workload == "u" else "bare scan"
        out.append(Timing("deequ", LABELS[workload], rows, t["seconds"], t["jobs"], verdicts, note, floor))
    return out
