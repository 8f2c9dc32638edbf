"""The notebooks run top to bottom on local Spark through nbclient, as a user runs them.

Every notebook asserts its own results in its last cells (e.g. the day that more than doubled is
flagged, the drifted day's marketplace drift is found and the clean day's is not), so a notebook that
runs but computes the wrong thing fails here.

The three notebooks share one kernel (as on a cluster, where notebooks attach to one running session):
each starts with ``get_spark()``, which reuses the kernel's session, so the suite pays for one kernel and
one JVM instead of three. They write to different tables under the same ``LAKE`` folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KernelManager, Path]]:
    """One Python kernel for every notebook of the module; LAKE points to a temporary folder."""
    work = tmp_path_factory.mktemp("notebooks")
    manager = KernelManager(kernel_name="python3")
    # The kernel inherits os.environ (MLFLOW_TRACKING_URI of the test run) plus LAKE.
    manager.start_kernel(env={**os.environ, "LAKE": str(work / "lake")}, cwd=str(work))
    try:
        yield manager, work
    finally:
        manager.shutdown_kernel(now=True)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_assertions_hold(path: Path, kernel: tuple[KernelManager, Path]) -> None:
    manager, work = kernel
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=900, km=manager, resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError (with the cell and its traceback) on a failing cell
    errors = [
        o
        for c in book.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors
    # Every code cell ran (a kernel that died half-way would leave cells without an execution count).
    assert all(c.get("execution_count") for c in book.cells if c.cell_type == "code")


def test_there_are_three_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_data_quality_with_history.ipynb",
        "02_model_monitoring.ipynb",
        "03_lineage.ipynb",
    ]
