"""Incremental verification: appended versions merge stored states and equal a full recompute."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from spark_mlops.delta import read_delta
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality import VerificationSuite
from spark_mlops.quality.analyzers import (
    ApproxCountDistinct,
    Completeness,
    Distinctness,
    Histogram,
    Maximum,
    Mean,
    Minimum,
    Size,
    StandardDeviation,
    Sum,
    Uniqueness,
)
from spark_mlops.quality.engine import compute_metrics
from spark_mlops.quality.incremental import DeltaStateRepository

EXACT = [
    Size(),
    Completeness("a"),
    Mean("a"),
    Sum("a"),
    Minimum("a"),
    Maximum("a"),
    StandardDeviation("a"),
    Uniqueness("id"),
    Distinctness("cat"),
    Histogram("cat"),
    Size(where="cat = 'x'"),
]
SKETCH = [ApproxCountDistinct("id")]


def _rows(start: int, n: int) -> list[tuple[int, float | None, str]]:
    # id repeats every 170 values, so later appends create duplicates (uniqueness must drop).
    return [(i % 170, None if i % 7 == 0 else float(i % 13), "xyz"[i % 3]) for i in range(start, start + n)]


def _append(spark, path: str, rows, mode: str = "append") -> None:  # type: ignore[no-untyped-def]
    spark.createDataFrame(rows, "id long, a double, cat string").write.format("delta").mode(mode).save(path)


def _run(spark, path: str, repo: DeltaStateRepository):  # type: ignore[no-untyped-def]
    return (
        VerificationSuite(spark).on_delta(path).add_required_analyzers(EXACT + SKETCH).incremental(repo).run()
    )


def _assert_equal_to_full(spark, path: str, result) -> None:  # type: ignore[no-untyped-def]
    full = compute_metrics(read_delta(spark, path), EXACT + SKETCH)
    for analyzer in EXACT:
        got, want = result.metrics[analyzer].value, full[analyzer].value
        if isinstance(want, float):
            assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12), analyzer
        else:
            assert got == want, analyzer
    # HLL++ sketches merge losslessly, within the sketch's error of the exact count either way.
    exact_distinct = read_delta(spark, path).select("id").distinct().count()
    approx = result.metrics[SKETCH[0]].value
    assert abs(approx - exact_distinct) <= 0.05 * exact_distinct


def test_appends_are_incremental_and_exact(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "table")
    repo = DeltaStateRepository(spark, tmp_path / "states")
    all_rows = _rows(0, 200)
    _append(spark, path, all_rows)
    first = _run(spark, path, repo)
    assert first.incremental.mode == "full" and "no stored states" in first.incremental.reason
    _assert_equal_to_full(spark, path, first)

    for start, n in ((200, 40), (240, 60)):
        new = _rows(start, n)
        _append(spark, path, new)
        all_rows += new
        result = _run(spark, path, repo)
        assert result.incremental.mode == "incremental", result.incremental
        assert result.incremental.appended_files >= 1
        _assert_equal_to_full(spark, path, result)

    # Independent reference with pandas on the rows written.
    frame = pd.DataFrame(all_rows, columns=["id", "a", "cat"])
    counts = frame["id"].value_counts()
    assert result.metrics[Size()].value == len(frame)
    assert math.isclose(result.metrics[Mean("a")].value, frame["a"].mean())
    assert math.isclose(result.metrics[StandardDeviation("a")].value, frame["a"].std(ddof=0))
    assert math.isclose(result.metrics[Uniqueness("id")].value, (counts == 1).sum() / len(frame))
    assert result.metrics[Histogram("cat")].value["x"].absolute == (frame["cat"] == "x").sum()

    again = _run(spark, path, repo)
    assert again.incremental.mode == "unchanged"
    _assert_equal_to_full(spark, path, again)


def test_update_forces_a_full_scan(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "table")
    repo = DeltaStateRepository(spark, tmp_path / "states")
    _append(spark, path, _rows(0, 100))
    _run(spark, path, repo)
    spark.sql(f"UPDATE delta.`{path}` SET a = a + 100 WHERE id < 10")
    result = _run(spark, path, repo)
    assert result.incremental.mode == "full"
    assert "UPDATE" in result.incremental.reason
    _assert_equal_to_full(spark, path, result)
    # After the full scan the states are stored again, so the next append is incremental.
    _append(spark, path, _rows(100, 20))
    nxt = _run(spark, path, repo)
    assert nxt.incremental.mode == "incremental"
    _assert_equal_to_full(spark, path, nxt)


def test_incremental_needs_a_delta_table(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = DeltaStateRepository(spark, tmp_path / "states")
    with pytest.raises(InvalidArgumentError, match="on_delta"):
        VerificationSuite(spark).on_data(spark.range(3)).add_required_analyzer(Size()).incremental(repo).run()
    with pytest.raises(InvalidArgumentError, match="state_repository"):
        VerificationSuite(spark).incremental("states")  # type: ignore[arg-type]
