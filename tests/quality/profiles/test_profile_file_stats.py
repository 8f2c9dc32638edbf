"""Count, min and max from a Delta snapshot's file statistics: equal to pandas where Delta's statistics
are exact, nothing where they are not (NaN, unindexed column, deletion vectors, a filtered plan), and
the profile's moments the same either way."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from spark_mlops.quality.profiles.distributions import NumericDistribution
from spark_mlops.quality.profiles.file_stats import delta_file_statistics
from spark_mlops.quality.profiles.profile import profile_columns

N = 300
NAMES = ["a", "b", "c", "d", "e"]


@pytest.fixture(scope="module")
def table(spark, tmp_path_factory):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    pdf = pd.DataFrame(
        {
            "a": rng.normal(0.0, 1.0, N),  # one +inf: a number, not NaN
            "b": rng.normal(0.0, 1.0, N),  # one NaN: Delta's maxValues is "NaN", no statistics then
            "c": pd.array(rng.integers(-50, 50, N), dtype="Int64"),  # integral with NULLs
            "d": [None] * N,  # all NULL
            "e": rng.normal(3.0, 1.0, N),  # past the indexed columns: no statistics
        }
    )
    pdf.loc[7, "a"] = math.inf
    pdf.loc[11, "b"] = math.nan
    pdf.loc[::13, "c"] = pd.NA
    path = str(tmp_path_factory.mktemp("file_stats") / "t")
    spark.sql(
        f"CREATE TABLE delta.`{path}` (a DOUBLE, b DOUBLE, c BIGINT, d DOUBLE, e DOUBLE) USING delta "
        "TBLPROPERTIES ('delta.dataSkippingNumIndexedCols' = '4')"
    )
    rows = [
        (float(a), float(b), None if c is pd.NA else int(c), None, float(e))
        for a, b, c, _, e in pdf.itertuples(index=False)
    ]
    spark.createDataFrame(rows, "a double, b double, c bigint, d double, e double").repartition(
        3
    ).write.format("delta").mode("append").save(path)
    return pdf, path


def test_exact_statistics_only_where_delta_has_them(spark, table) -> None:  # type: ignore[no-untyped-def]
    pdf, path = table
    df = spark.read.format("delta").load(path)
    got = delta_file_statistics(df, dict(enumerate(NAMES)), "test")
    assert set(got) == {0, 2, 3}  # b holds a NaN, e has no statistics
    for i in (0, 2):
        values = pdf[NAMES[i]].dropna()
        assert got[i] == (len(values), float(values.min()), float(values.max()))
    assert got[0][2] == math.inf
    assert got[3] == (0, None, None)
    # Anything that changes rows or values does not qualify (decided from the plan: no Spark job).
    assert delta_file_statistics(df.where("a > 0"), {0: "a"}, "test") == {}
    assert delta_file_statistics(df.selectExpr("a + 1 AS a"), {0: "a"}, "test") == {}
    assert delta_file_statistics(spark.createDataFrame([(1.0,)], "a double"), {0: "a"}, "test") == {}
    cached = spark.read.format("delta").load(path).cache()
    try:
        assert delta_file_statistics(cached, {0: "a"}, "test") == {}  # the cache is read, not the files
    finally:
        cached.unpersist()


def test_profile_moments_are_the_same_from_the_log(spark, table) -> None:  # type: ignore[no-untyped-def]
    pdf, path = table
    df = spark.read.format("delta").load(path)
    logged = profile_columns(df, NAMES, exact_max_rows=0, sample_size=100)
    scanned = profile_columns(df.where("true"), NAMES, exact_max_rows=0, sample_size=100)
    for name in NAMES:
        a, b = logged.columns[name], scanned.columns[name]
        assert isinstance(a, NumericDistribution) and isinstance(b, NumericDistribution)
        assert (a.count, a.missing, a.total) == (b.count, b.missing, b.total)
        assert (a.minimum, a.maximum, a.std) == pytest.approx((b.minimum, b.maximum, b.std), nan_ok=True)
        values = pdf[name].astype(float).replace(math.inf, np.nan).dropna() if name != "a" else pdf["a"]
        values = values.dropna()
        assert a.count == len(values) and a.missing == N - len(values)
        if len(values) and name != "a":
            assert (a.minimum, a.maximum) == (values.min(), values.max())
            assert a.mean == pytest.approx(values.mean(), rel=1e-12)


def test_deletion_vectors_turn_the_statistics_off(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "dv")
    spark.sql(
        f"CREATE TABLE delta.`{path}` (x DOUBLE) USING delta "
        "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')"
    )
    spark.createDataFrame([(float(v),) for v in range(100)], "x double").coalesce(1).write.format(
        "delta"
    ).mode("append").save(path)
    df = spark.read.format("delta").load(path)
    assert delta_file_statistics(df, {0: "x"}, "test") == {0: (100, 0.0, 99.0)}
    spark.sql(f"DELETE FROM delta.`{path}` WHERE x = 99.0")  # a deletion vector: maxValues is no longer tight
    after = spark.read.format("delta").load(path)
    assert delta_file_statistics(after, {0: "x"}, "test") == {}
