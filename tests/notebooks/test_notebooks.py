"""The notebooks run top to bottom on local Spark, cell by cell, as a user runs them.

Every notebook asserts its own results in its last cells (e.g. the day that more than doubled is
flagged, the drifted day's marketplace drift is found and the clean day's is not), so a notebook that
runs but computes the wrong thing fails here.

The cells run in this test process, in one namespace per notebook, with the test run's SparkSession:
each notebook starts with ``get_spark()``, which returns the active session untouched (as on a
Databricks/EMR cluster, where the notebook attaches to a running session). A Jupyter kernel would start
a JVM of its own and warm it up from cold for three small notebooks: ~320 s of worker time in the
suite against ~100 s here (measured 2026-11-26, load 5-7). The notebooks use no IPython magics or shell
escapes (checked below), so plain Python runs exactly the code a kernel would run; nbformat validates
each file against the notebook schema first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from spark_mlops.lineage import get_default_store, set_default_store

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """LAKE for the notebook; the lineage default store a notebook sets is put back afterwards (this
    process runs other test modules next)."""
    monkeypatch.setenv("LAKE", str(tmp_path / "lake"))
    before = get_default_store()
    try:
        yield tmp_path / "lake"
    finally:
        set_default_store(before)


def _run_cells(book: nbformat.NotebookNode, name: str) -> int:
    """Run every code cell in order in one namespace (a cell's last expression is evaluated too, as
    in a kernel); returns the number of cells run. A failing cell raises with its index in the name."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    ran = 0
    for index, cell in enumerate(book.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        magics = [line for line in lines if line.lstrip().startswith(("%", "!"))]
        assert not magics, f"{name} cell {index}: IPython-only syntax {magics}; the test runs plain Python"
        exec(compile(cell.source, f"<{name} cell {index}>", "exec"), namespace)
        ran += 1
    return ran


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_assertions_hold(spark, path: Path, lake: Path) -> None:  # type: ignore[no-untyped-def]
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    code_cells = sum(1 for c in book.cells if c.cell_type == "code")
    assert _run_cells(book, path.stem) == code_cells >= 3
    # The notebook wrote its tables under LAKE (not into a temp folder of its own).
    assert lake.is_dir() and any(lake.iterdir())


def test_there_are_three_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_data_quality_with_history.ipynb",
        "02_model_monitoring.ipynb",
        "03_lineage.ipynb",
    ]
