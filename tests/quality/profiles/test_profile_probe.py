"""The categorical probe of a profile without a reference: which columns the first rows call "few values",
and that its guesses — right or wrong — give the same numbers as pandas and as the profile without it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.profiles import probe
from spark_mlops.quality.profiles.distributions import CategoricalDistribution, NumericDistribution
from spark_mlops.quality.profiles.probe import first_rows
from spark_mlops.quality.profiles.profile import profile_columns

N = 2000
CATS = ["DE", "FR", "UK", "US"]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    cat = rng.choice(CATS, N).astype(object)
    cat[::37] = None
    # Sorted-looking: two values in the first 1000 rows, then 600 distinct ones (the probe is fooled).
    late = np.array(["a", "b"] * 500 + [f"v{k % 600}" for k in range(N - 1000)], dtype=object)
    return pd.DataFrame(
        {
            "x": rng.normal(3.0, 2.0, N),
            "cat": cat,
            "flag": rng.random(N) < 0.3,
            "late": late,
            "id": [f"id{k}" for k in range(N)],  # unique: never guessed small
        }
    )


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    pdf = _frame()
    # One partition keeps "the first rows" the frame's first rows.
    df = spark.createDataFrame(pdf, "x double, cat string, flag boolean, late string, id string").coalesce(1)
    return pdf, df


def test_first_rows_tell_few_categorical_values_and_prove_numeric_columns_continuous(data) -> None:  # type: ignore[no-untyped-def]
    pdf, df = data
    names = ("cat", "flag", "late", "id")
    categorical = {j: f"CAST({c} AS STRING)" for j, c in enumerate(names, start=1)}
    numeric = {0: "x", 5: "CAST(flag AS DOUBLE)"}
    for rows, max_values in ((500, 10), (500, 1), (4, 10), (30, 1000), (3000, 1000)):
        head = pdf.head(rows)
        cap = min(max_values, len(head) // 2)  # "repeated": at most half as many values as rows
        few = {j for j, c in zip(categorical, names, strict=True) if head[c].nunique() <= cap}
        continuous = {0} if head["x"].nunique() > 20 else set()  # flag: 2 values, never continuous
        got = first_rows(df, categorical, numeric, rows, max_values, 20, "probe")
        assert got == (few, continuous), (rows, max_values)
    assert first_rows(df, categorical, {}, 500, 10, 20, "probe")[0] == {1, 2, 3}
    assert first_rows(df, {4: "id"}, {}, 500, 10**6, 20, "probe") == (set(), set())  # unique is never few


def test_probed_profile_equals_pandas_and_the_unprobed_profile(spark, data, count_jobs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pdf, df = data
    cap = 50
    plain = profile_columns(df, max_categories=cap, exact_max_rows=0, probe_rows=0)
    monkeypatch.setattr(probe, "PROBE_MIN_BYTES", 0)  # the test data is far below 64 MB
    with count_jobs() as jobs:
        got = profile_columns(df, max_categories=cap, exact_max_rows=0, probe_rows=500)
    # The probe (1 job: one partition holds the 500 rows), job 1 (the moments of x without its bitmap —
    # the probe saw > 20 values —, id's count and bitmap), job 2 (the guarded tables of cat, flag and
    # late; x's sketch; id's HLL count).
    assert jobs.count == 3
    flags = pdf["flag"].map({True: "true", False: "false"})  # Spark's CAST(boolean AS STRING)
    for name, values in (("cat", pdf["cat"]), ("flag", flags)):
        col = got.columns[name]
        assert isinstance(col, CategoricalDistribution) and not col.truncated
        assert col.counts == values.value_counts().to_dict()
        assert (col.count, col.missing) == (int(values.notna().sum()), int(values.isna().sum()))
        assert col.to_json() == plain.columns[name].to_json()
    # "late" fooled the probe (2 values in its first 500 rows, 602 in all): its guarded table comes back
    # truncated with the exact present and distinct counts (the unprobed profile estimates them).
    late = got.columns["late"]
    assert isinstance(late, CategoricalDistribution) and late.truncated and not late.counts
    assert (late.count, late.missing, late.distinct) == (N, 0, pdf["late"].nunique())
    assert got.truncated["late"] == pdf["late"].nunique() == 602
    assert plain.columns["late"].truncated and plain.columns["late"].count == N
    # "id" was never guessed small: truncated, with an HLL distinct count (≈ 1.6 % standard error at lgK 12).
    ident = got.columns["id"]
    assert isinstance(ident, CategoricalDistribution) and ident.truncated
    assert got.truncated["id"] == pytest.approx(N, rel=0.05)
    x = got.columns["x"]
    assert isinstance(x, NumericDistribution)
    assert (x.mean, x.std) == (pytest.approx(pdf["x"].mean(), rel=1e-12), pytest.approx(pdf["x"].std(ddof=0)))
    assert got.row_count == N


def test_probe_rows_must_not_be_negative(data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError, match="probe_rows"):
        profile_columns(data[1], probe_rows=-1)
