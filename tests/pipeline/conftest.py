"""Fixtures of the pipeline tests: small generated Delta data and a fresh pipeline home."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def raw_data() -> pd.DataFrame:
    """200 rows of y = 2x + N(0, 2^2) noise, 10 of them unlabelled."""
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 10, 200)
    y = 2.0 * x + rng.normal(0, 2.0, 200)
    frame = pd.DataFrame({"id": np.arange(200), "x": x, "y": y})
    frame.loc[frame.index[:10], "y"] = np.nan
    return frame


@pytest.fixture
def raw_table(spark, raw_data: pd.DataFrame, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """``raw_data`` as a Delta table (version 0)."""
    path = str(tmp_path / "raw")
    rows = [(int(r.id), float(r.x), None if np.isnan(r.y) else float(r.y)) for r in raw_data.itertuples()]
    spark.createDataFrame(rows, "id LONG, x DOUBLE, y DOUBLE").write.format("delta").save(path)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A pipeline home folder of its own (state tables, step files)."""
    return tmp_path / "pipeline_home"
