"""Profiles planned from a reference (the monitored drift path): a discrete numeric column's known values
counted in job 1, equal to pandas, one job when nothing needs a table or a sketch, a table only when new
values appear; categorical columns keep their exact tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

from spark_mlops.monitoring.drift import compute_drift
from spark_mlops.quality.profiles import scans
from spark_mlops.quality.profiles.distributions import CategoricalDistribution, NumericDistribution
from spark_mlops.quality.profiles.profile import profile_columns
from spark_mlops.quality.profiles.scans import known_counts

N = 3000
CATS = ["DE", "FR", "UK", "US", "ZA"]


def _frame(seed: int, new_values: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = rng.choice([0.5, 1.5, 2.5, 4.0], N)
    cat = rng.choice(CATS, N, p=[0.1, 0.2, 0.3, 0.35, 0.05]).astype(object)
    if new_values:
        d[::97] = 9.25  # a value the reference never saw
        cat[::61] = "XX"
    cat[::41] = None
    return pd.DataFrame({"x": rng.normal(0.0, 1.0, N), "d": d, "cat": cat})


@pytest.fixture(scope="module")
def frames(spark):  # type: ignore[no-untyped-def]
    out = {}
    for name, (seed, new) in {"ref": (1, False), "same": (2, False), "new": (3, True)}.items():
        pdf = _frame(seed, new)
        rows = [(float(a), float(b), c) for a, b, c in pdf.itertuples(index=False)]
        out[name] = (pdf, spark.createDataFrame(rows, "x double, d double, cat string"))
    return out


def _profile(df, **kw):  # type: ignore[no-untyped-def]
    return profile_columns(df, exact_max_rows=100, sample_size=1000, **kw)


def _check_counts(profile, pdf: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    cat = profile.columns["cat"]
    assert isinstance(cat, CategoricalDistribution)
    assert cat.counts == pdf["cat"].value_counts().to_dict()
    assert cat.missing == int(pdf["cat"].isna().sum())
    d = profile.columns["d"]
    assert isinstance(d, NumericDistribution) and d.exact
    expected = pdf["d"].value_counts().sort_index()
    assert d.points.tolist() == expected.index.tolist()
    assert d.weights.tolist() == expected.to_numpy(dtype=float).tolist()
    x = profile.columns["x"]
    assert isinstance(x, NumericDistribution) and not x.exact
    assert x.mean == pytest.approx(pdf["x"].mean(), rel=1e-12)
    assert x.std == pytest.approx(pdf["x"].std(ddof=0), rel=1e-12)
    assert (x.minimum, x.maximum) == (pdf["x"].min(), pdf["x"].max())


def test_known_domains_are_counted_in_job_1(frames, count_jobs) -> None:  # type: ignore[no-untyped-def]
    ref = _profile(frames["ref"][1])
    pdf, df = frames["same"]
    with count_jobs() as jobs:
        got = _profile(df, reference=ref)
    assert jobs.count == 2  # job 1 (moments + d's known counts) and job 2 (cat's table, x's sample)
    _check_counts(got, pdf)
    with count_jobs() as jobs:
        only = _profile(df.select("d"), reference=ref)
    assert jobs.count == 1  # nothing left for job 2
    assert only.columns["d"].to_json() == got.columns["d"].to_json()
    # Without a reference the same numbers come from the frequency tables of job 2.
    plain = _profile(df)
    assert plain.columns["cat"] == got.columns["cat"]
    assert plain.columns["d"].weights.tolist() == got.columns["d"].weights.tolist()


def test_new_values_fall_back_to_an_exact_table(frames, count_jobs) -> None:  # type: ignore[no-untyped-def]
    ref = _profile(frames["ref"][1])
    pdf, df = frames["new"]
    with count_jobs() as jobs:
        got = _profile(df, reference=ref)
    assert jobs.count == 2  # job 2: the tables of d and cat and the sample of x, one union
    with count_jobs() as jobs:
        alone = _profile(df.select("d"), reference=ref)
    assert jobs.count == 2  # a new value: d is tabulated in job 2
    assert alone.columns["d"].to_json() == got.columns["d"].to_json()
    _check_counts(got, pdf)
    assert got.columns["cat"].counts["XX"] == int((pdf["cat"] == "XX").sum())
    assert 9.25 in got.columns["d"].points


def test_drift_against_a_reference_equals_scipy(frames) -> None:  # type: ignore[no-untyped-def]
    ref_pd, ref_df = frames["ref"]
    ref = _profile(ref_df)
    for name in ("same", "new"):
        pdf, df = frames[name]
        result = compute_drift(ref, df, columns=["cat", "d"], methods="js", exact_max_rows=100)
        got = {r.column: r.statistic for r in result.rows}
        for column in ("cat", "d"):
            rv, cv = ref_pd[column].value_counts(), pdf[column].value_counts()
            keys = sorted(set(rv.index) | set(cv.index))
            expected = jensenshannon(rv.reindex(keys, fill_value=0), cv.reindex(keys, fill_value=0))
            assert got[column] == pytest.approx(expected, rel=1e-9)


def test_known_counts_refuses_what_it_cannot_trust() -> None:
    values = ["a", "b", "c"]
    row = {"b0": 0, "k0_0": 5 + (7 << 32), "k0_1": 2}
    assert known_counts(row, 0, values, 14) == {"a": 5, "b": 7, "c": 2}
    assert known_counts({**row, "b0": 1}, 0, values, 14) is None  # another value occurred
    assert known_counts({**row, "k0_0": None}, 0, values, 14) is None  # try_sum overflowed
    assert known_counts(row, 0, values, 2**32) is None  # a low half could carry into the high one
    assert known_counts(row, 0, values, 15) is None  # counts do not add up to the present values
    assert known_counts({**row, "k0_1": 0}, 0, values, 12) == {"a": 5, "b": 7}  # zero counts dropped


def test_a_tabulated_column_that_explodes_comes_back_truncated_with_exact_counts(spark, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # The reference tabulated every categorical column (≤ 5 values); in the current data "cat" has 300
    # distinct strings, "edge" one value over the cap, "ok" exactly the cap. Job 1 reads none of them.
    cap, n = 5, 400
    rng = np.random.default_rng(7)
    ref_pd = pd.DataFrame(
        {
            "x": rng.normal(0.0, 1.0, n),
            "cat": rng.choice(CATS, n).astype(object),
            "edge": rng.choice(CATS, n).astype(object),
            "ok": rng.choice(CATS[:4], n).astype(object),
        }
    )
    cur_pd = ref_pd.copy()
    cur_pd["cat"] = [None if k % 9 == 0 else f"id{k % 300}" for k in range(n)]
    cur_pd["edge"] = [*CATS, "NEW"] * (n // 6) + ["DE"] * (n % 6)
    cur_pd["ok"] = rng.choice(CATS, n).astype(object)
    ref_df, cur_df = (
        spark.createDataFrame(p, "x double, cat string, edge string, ok string") for p in (ref_pd, cur_pd)
    )
    ref = profile_columns(ref_df, max_categories=cap)
    with count_jobs() as jobs:
        got = profile_columns(cur_df, max_categories=cap, reference=ref)
    assert jobs.count == 2  # job 1: the moments of x only; job 2: the guarded tables and x's table
    for name in ("cat", "edge"):
        col, values = got.columns[name], cur_pd[name]
        distinct = values.nunique()
        assert distinct > cap
        assert isinstance(col, CategoricalDistribution) and col.truncated and not col.counts
        assert (col.count, col.missing, col.distinct) == (values.notna().sum(), values.isna().sum(), distinct)
        assert got.truncated[name] == distinct
    ok = got.columns["ok"]
    assert isinstance(ok, CategoricalDistribution) and not ok.truncated
    assert ok.counts == cur_pd["ok"].value_counts().to_dict() and ok.count == n
    # The driver receives one summary row per exploded column, never its cells.
    tables = {i: (f"CAST({c} AS STRING)", False) for i, c in enumerate(("cat", "edge", "ok"))}
    rows = scans.distribution_job(
        cur_df, tables, {}, {}, sketch_k=200, seed=1, label="guard", guarded=set(tables), max_cells=cap
    )
    assert sorted(int(r["i"]) for r in rows) == [0, 1] + [2] * 5
    # Drift skips the exploded columns as before (no table to compare) and compares the others exactly.
    result = compute_drift(ref, cur_df, methods="js", max_categories=cap)
    assert set(result.skipped) == {"cat", "edge"}
    (row,) = [r for r in result.rows if r.column == "ok"]
    rv, cv = ref_pd["ok"].value_counts(), cur_pd["ok"].value_counts()
    keys = sorted(set(rv.index) | set(cv.index))
    assert row.statistic == pytest.approx(
        jensenshannon(rv.reindex(keys, fill_value=0), cv.reindex(keys, fill_value=0))
    )
