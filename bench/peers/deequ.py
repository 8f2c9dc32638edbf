"""Deequ as a peer: its own Python process and Spark (bench-only virtualenv), results as :class:`Timing`."""

from __future__ import annotations

import json
import logging
import subprocess
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
) -> list[Any]:
    """Floors and workloads in Deequ over the Delta tables' files: the seed suite (``a``/``b``) and
    suggestion (``d``) on the reviews table at ``path``, the profiler (``c``) on the wide table at
    ``wide_path``.

    Returns ``bench.run.Timing`` rows: engine ``deequ floor`` for Deequ's own Spark floors and ``deequ``
    for the workloads; a failure to start Deequ becomes a logged error and no rows.
    """
    from bench.run import CONSTRAINTS, FLOOR_WIDE, LABELS, Timing, keys

    labels = LABELS
    python = ensure_deequ_venv()
    jars = ",".join(str(p) for p in fetch_deequ_jars())
    args = {
        "jars": jars,
        "path": path,
        "rows": rows,
        "repeat": repeat,
        "warmup": warmup,
        "workloads": workloads,
        "wide_path": wide_path,
    }
    proc = subprocess.run(
        [str(python), str(CHILD), json.dumps(args)], capture_output=True, text=True, check=False
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-JSON ")), None)
    if proc.returncode != 0 or line is None:
        log.error("Deequ run failed (exit %s): %s", proc.returncode, proc.stderr[-3000:])
        return []
    payload = json.loads(line.removeprefix("BENCH-JSON "))
    note = f"{DEEQU_COORDINATE} on Spark {payload['spark']} (own process, Parquet files of the Delta table)"
    out = []
    for t in payload["timings"]:
        if t["engine"] == "deequ floor":
            out.append(Timing("deequ floor", t["workload"], rows, t["seconds"], t["jobs"]))
            continue
        workload = t["workload"]
        if workload == "c":
            values = {f"completeness({c})": v for c, v in t["completeness"].items()}
            text = f"{note}; {wide_rows:,} rows x {len(values)} columns profiled"
            out.append(
                Timing("deequ", labels[workload], rows, t["seconds"], t["jobs"], {}, text, FLOOR_WIDE, values)
            )
            continue
        if workload == "d":
            text = f"{note}; {t['suggestions']} suggestions (Deequ's Rules.DEFAULT)"
            out.append(Timing("deequ", labels[workload], rows, t["seconds"], t["jobs"], note=text))
            continue
        verdicts = dict(zip(keys(workload == "b"), t["verdicts"], strict=True))
        out.append(Timing("deequ", labels[workload], rows, t["seconds"], t["jobs"], verdicts, note))
    assert all(k in dict(CONSTRAINTS) for t in out for k in t.verdicts)
    return out
