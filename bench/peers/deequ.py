"""Deequ as a peer: its own Python process and Spark (bench-only virtualenv), results as :class:`Timing`."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

from bench.peers.deequ_jars import DEEQU_COORDINATE, ensure_deequ_venv, fetch_deequ_jars

__all__ = ["run_deequ"]

log = logging.getLogger(__name__)

CHILD = Path(__file__).with_name("deequ_child.py")


def run_deequ(path: str, rows: int, repeat: int, workloads: list[str], warmup: bool = True) -> list:  # type: ignore[type-arg]
    """Floors and the seed suite (workloads ``a``/``b``) in Deequ over the Delta table's files at ``path``.

    Returns ``bench.run.Timing`` rows: engine ``deequ floor`` for Deequ's own Spark floors and ``deequ``
    for the suites; a failure to start Deequ becomes a logged error and no rows.
    """
    from bench.run import CONSTRAINTS, Timing, keys

    labels = {
        "a": "(a) seed suite without uniqueness",
        "b": "(b) seed suite with uniqueness",
    }
    python = ensure_deequ_venv()
    jars = ",".join(str(p) for p in fetch_deequ_jars())
    args = {
        "jars": jars,
        "path": path,
        "rows": rows,
        "repeat": repeat,
        "warmup": warmup,
        "workloads": workloads,
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
        unique = t["workload"] == "b"
        verdicts = dict(zip(keys(unique), t["verdicts"], strict=True))
        out.append(Timing("deequ", labels[t["workload"]], rows, t["seconds"], t["jobs"], verdicts, note))
    assert all(k in dict(CONSTRAINTS) for t in out for k in t.verdicts)
    return out
