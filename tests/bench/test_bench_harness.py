"""The benchmark harness end to end at 2 k rows, GE as the only peer, one repeat: every engine's verdict
per constraint equals a pandas reference computed here from the same Delta table, and the results table
and chart are written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bench.run import CONSTRAINTS, run_bench, verdict_disagreements, write_report
from spark_mlops.datasets import MARKETPLACES

ROWS = 2000


def _reference(ref: pd.DataFrame) -> dict[str, bool]:
    stars, votes, year = ref["star_rating"], ref["total_votes"].dropna(), ref["year"].dropna()
    market = ref["marketplace"]
    return {
        "size >= rows": len(ref) >= ROWS,
        "min(star_rating) == 1": stars.min() == 1,
        "max(star_rating) == 5": stars.max() == 5,
        "complete(review_id)": bool(ref["review_id"].notna().all()),
        "unique(review_id)": not ref["review_id"].duplicated(keep=False).any(),
        "complete(marketplace)": bool(market.notna().all()),
        "marketplace in MARKETPLACES": bool(market.dropna().isin(MARKETPLACES).all()),
        "total_votes in [30, 300]": bool(votes.between(30, 300).all()),
        "year >= 0": bool((year >= 0).all()),
    }


def test_harness_verdicts_agree_with_pandas_and_report_is_written(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("great_expectations")
    timings = run_bench(spark, [ROWS], 1, ["a", "b"], ["ge"], tmp_path / "data", partitions=2, warmup=False)

    ref = spark.read.format("delta").load(str(tmp_path / "data" / f"reviews_{ROWS}")).toPandas()
    expected = _reference(ref)
    # The generated defects make three constraints fail: the comparison is not all-pass.
    failing = [k for k, v in expected.items() if not v]
    assert failing == ["unique(review_id)", "complete(marketplace)", "year >= 0"]

    engines = {(t.engine, t.workload[:3]) for t in timings}
    assert engines >= {("spark_mlops", "(a)"), ("spark_mlops", "(b)"), ("great_expectations", "(a)")}
    assert ("great_expectations", "(b)") in engines
    for t in timings:
        assert len(t.seconds) == 1 and t.seconds[0] > 0
        if t.engine == "floor":
            assert t.jobs == 1
            continue
        unique = t.workload.startswith("(b)")
        wanted = [k for k, only_b in CONSTRAINTS if unique or not only_b]
        assert t.verdicts == {k: expected[k] for k in wanted}, t.engine
    ours_a = next(t for t in timings if t.engine == "spark_mlops" and t.workload.startswith("(a)"))
    assert ours_a.jobs == 1  # the scan-shareable suite is one Spark job
    assert verdict_disagreements(timings) == []

    md = write_report(timings, spark, tmp_path / "results", repeat=1)
    text = md.read_text()
    assert "All engines agree on every verdict." in text
    assert "| 2,000 | (b) seed suite with uniqueness | great_expectations |" in text
    assert f"Spark {spark.version}" in text
    assert (tmp_path / "results" / "bench.png").stat().st_size > 1000
