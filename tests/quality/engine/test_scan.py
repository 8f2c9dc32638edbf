"""The fused scan: all scan-shareable analyzers of a run in one job, built with a few Py4J calls."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from spark_mlops.quality.analyzers import (
    Completeness,
    Compliance,
    DataType,
    Maximum,
    Mean,
    Minimum,
    PatternMatch,
    Size,
    StandardDeviation,
)
from spark_mlops.quality.engine import compute_metrics

COLUMNS = ("a", "b", "c", "d")


@pytest.fixture(scope="module")
def frame(spark):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    p = pd.DataFrame({c: rng.normal(size=300) for c in COLUMNS})
    p.loc[::7, "b"] = None
    return spark.createDataFrame(p).cache(), p


def _analyzers(columns: tuple[str, ...]) -> list[Any]:
    out: list[Any] = [Size()]
    for c in columns:
        out += [
            Completeness(c),
            Mean(c),
            Minimum(c, where="a > 0"),
            Maximum(c),
            StandardDeviation(c),
            Compliance(f"{c} positive", f"`{c}` > 0", columns=[c]),
        ]
    return out


def test_py4j_calls_do_not_grow_with_the_aggregates(spark, py4j_calls, frame, count_jobs) -> None:  # type: ignore[no-untyped-def]
    df, p = frame
    df.count()
    few, many = _analyzers(COLUMNS[:1]), _analyzers(COLUMNS)
    compute_metrics(df, few)  # warm-up: first-use lookups on the JVM side
    with py4j_calls() as small:
        compute_metrics(df, few)
    with count_jobs() as jobs:
        metrics = compute_metrics(df, many)
    assert jobs.count == 1
    with py4j_calls() as large:
        compute_metrics(df, many)
    # 25 analyzers with 45 aggregates cost the same handful of calls as 7 analyzers: the aggregates
    # travel as one SQL text. (Built with pyspark.sql.functions they cost ~4 calls per function.)
    assert large[0] <= small[0] + 2, (small[0], large[0])
    assert large[0] < 40, large[0]
    for c in COLUMNS:
        values = p[c].dropna()
        assert metrics[Mean(c)].value == pytest.approx(values.mean())
        assert metrics[StandardDeviation(c)].value == pytest.approx(values.std(ddof=0))
        assert metrics[Minimum(c, where="a > 0")].value == pytest.approx(p.loc[p["a"] > 0, c].min())
        assert metrics[Completeness(c)].value == pytest.approx(p[c].notna().mean())
        assert metrics[Compliance(f"{c} positive", f"`{c}` > 0", columns=[c])].value == pytest.approx(
            (p[c] > 0).mean()
        )


def test_sql_text_is_safe_for_comments_quotes_and_backslashes(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([("a'b\\c",), ("x",), ("1.5",), (None,)], "`odd col` string")
    pattern = PatternMatch("odd col", r"'b\\c$")  # a quote and a literal backslash in the regex
    size = Size(where="`odd col` = 'x' -- a trailing comment ends at the filter's own line")
    rule = Compliance("not x", "`odd col` <> 'x' -- also here", columns=["odd col"])
    types = DataType("odd col")
    metrics = compute_metrics(df, [pattern, size, rule, types])
    assert metrics[pattern].value == pytest.approx(1 / 4)  # one of four rows; NULL is a non-match
    assert metrics[size].value == 1.0
    assert metrics[rule].value == pytest.approx(2 / 4)  # NULL predicate: a non-match, kept in the count
    counts = metrics[types].value
    assert counts["Fractional"] == 1 and counts["Unknown"] == 1 and counts["String"] == 2
