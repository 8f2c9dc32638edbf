"""Run several job scripts as ``__main__`` in one spark-submit driver (one JVM start for many checks).

Usage: spark-submit run_scripts.py OUT_JSON SCRIPT [ARG ...] --next SCRIPT [ARG ...] ...

Each script runs with its own ``sys.argv`` exactly as ``spark-submit SCRIPT ARG ...`` would run it (its
``get_spark()`` finds no session the first time and builds it; later scripts reuse it). Its exit code and
what it printed go to OUT_JSON as ``[{"script", "exit_code", "stdout"}, ...]``; stderr stays the process's.
"""

import contextlib
import io
import json
import runpy
import sys


def _groups(argv: list[str]) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for arg in argv:
        if arg == "--next":
            groups.append([])
        else:
            groups[-1].append(arg)
    return [g for g in groups if g]


if __name__ == "__main__":
    out, runs = sys.argv[1], []
    for script, *args in _groups(sys.argv[2:]):
        sys.argv = [script, *args]
        printed = io.StringIO()
        code: object = 0
        with contextlib.redirect_stdout(printed):
            try:
                runpy.run_path(script, run_name="__main__")
            except SystemExit as done:
                code = done.code
        exit_code = code if isinstance(code, int) else (0 if code is None else 1)  # sys.exit("text") is 1
        runs.append({"script": script, "exit_code": exit_code, "stdout": printed.getvalue()})
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(runs, fh)
