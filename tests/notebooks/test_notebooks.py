"""The notebooks run top to bottom on local Spark (each in its own kernel, as on a cluster).

Every notebook asserts its own results in its last cells (e.g. the day that more than doubled is
flagged, the drifted day's marketplace drift is found and the clean day's is not), so a notebook that
runs but computes the wrong thing fails here.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_assertions_hold(path, tmp_path, monkeypatch):
    monkeypatch.setenv("LAKE", str(tmp_path / "lake"))
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # the kernel inherits os.environ (LAKE, MLFLOW_TRACKING_URI)
    errors = [
        o
        for c in book.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors


def test_there_are_three_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_data_quality_with_history.ipynb",
        "02_model_monitoring.ipynb",
        "03_lineage.ipynb",
    ]
