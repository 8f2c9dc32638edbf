"""compute_drift on real Spark: exact mode equals SciPy, sketch mode within its documented error."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from scipy import stats
from scipy.spatial.distance import jensenshannon

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.monitoring.drift import compute_drift, profile_columns


def _frames(
    seed: int, n: int, shift: float = 0.0, cat_p: tuple[float, ...] = (0.5, 0.3, 0.2)
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(5.0 + shift, 2.0, n), 3)
    x[rng.random(n) < 0.05] = np.nan  # NULLs are not part of a distribution
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 50, n).astype("int64"),
            "country": rng.choice(["US", "UK", "DE"], n, p=list(cat_p)),
        }
    )


@pytest.fixture(scope="module")
def pair(spark):  # type: ignore[no-untyped-def]
    ref_pd, cur_pd = _frames(1, 900), _frames(2, 700, shift=0.4, cat_p=(0.4, 0.3, 0.3))
    ref = spark.createDataFrame(
        ref_pd.astype(object).where(ref_pd.notna(), None), "x double, k long, country string"
    )
    cur = spark.createDataFrame(
        cur_pd.astype(object).where(cur_pd.notna(), None), "x double, k long, country string"
    )
    return ref_pd, cur_pd, ref, cur


def test_exact_mode_equals_scipy(pair, count_jobs) -> None:  # type: ignore[no-untyped-def]
    ref_pd, cur_pd, ref, cur = pair
    methods = {
        "x": ["ks", "wasserstein", "psi", "js", "linf"],
        "country": ["chi2", "linf", "js"],
        "k": ["ks"],
    }
    with count_jobs() as jobs:
        result = compute_drift(ref, cur, methods=methods)
    assert jobs.count == 4  # reference: moments + tables, current: moments + tables
    got = {(r.column, r.method): r for r in result.rows}
    assert {r.mode for r in result.rows} == {"exact"}
    rx, cx = ref_pd["x"].dropna().to_numpy(), cur_pd["x"].dropna().to_numpy()
    ks = stats.ks_2samp(rx, cx)
    assert got[("x", "ks")].statistic == pytest.approx(ks.statistic, abs=1e-12)
    assert got[("x", "linf")].statistic == pytest.approx(ks.statistic, abs=1e-12)
    assert got[("x", "ks")].p_value == pytest.approx(ks.pvalue, abs=0.01)
    assert got[("x", "wasserstein")].statistic == pytest.approx(
        stats.wasserstein_distance(rx, cx) / np.std(rx), rel=1e-9
    )
    edges = np.histogram_bin_edges(np.concatenate([rx, cx]), bins="sturges")
    rc, cc = np.histogram(rx, edges)[0], np.histogram(cx, edges)[0]
    assert got[("x", "js")].statistic == pytest.approx(jensenshannon(rc, cc), rel=1e-9)
    rs, cs = rc / rc.sum(), cc / cc.sum()
    rs, cs = np.where(rs == 0, 1e-4, rs), np.where(cs == 0, 1e-4, cs)
    assert got[("x", "psi")].statistic == pytest.approx(np.sum((cs - rs) * np.log(cs / rs)), rel=1e-9)
    ks_k = stats.ks_2samp(ref_pd["k"], cur_pd["k"])
    assert got[("k", "ks")].statistic == pytest.approx(ks_k.statistic, abs=1e-12)
    rv, cv = ref_pd["country"].value_counts(), cur_pd["country"].value_counts()
    keys = sorted(rv.index)
    chi = stats.chisquare(cv[keys].to_numpy(), rv[keys].to_numpy() / rv.sum() * cv.sum())
    assert got[("country", "chi2")].statistic == pytest.approx(chi.statistic, rel=1e-9)
    assert got[("country", "chi2")].p_value == pytest.approx(chi.pvalue, rel=1e-6)
    assert got[("country", "linf")].statistic == pytest.approx(
        float((rv[keys] / rv.sum() - cv[keys] / cv.sum()).abs().max())
    )
    assert got[("country", "js")].statistic == pytest.approx(jensenshannon(rv[keys], cv[keys]), rel=1e-9)
    assert got[("x", "ks")].drifted and got[("country", "chi2")].drifted
    df = result.to_dataframe(cur.sparkSession)
    assert df.columns == ["column", "method", "statistic", "p_value", "threshold", "drifted", "mode"]
    assert df.where("method = 'psi'").first()["p_value"] is None


def test_profile_reuse_needs_no_reference_scan_and_two_current_scans(pair, count_jobs) -> None:  # type: ignore[no-untyped-def]
    ref_pd, _, ref, cur = pair
    profile = profile_columns(ref)
    with count_jobs() as jobs:
        result = compute_drift(profile, cur)
    assert jobs.count == 2
    # Defaults for a 900-row reference: KS for numeric, χ² for categorical (Evidently).
    assert {(r.column, r.method) for r in result.rows} == {("x", "ks"), ("k", "ks"), ("country", "chi2")}
    assert profile.columns["x"].missing == int(ref_pd["x"].isna().sum())
    assert result.share_drifted == pytest.approx(len(result.drifted_columns) / 3)


def test_sketch_mode_within_documented_error(spark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(11)
    ref_np, cur_np = rng.normal(0.0, 1.0, 4000), rng.normal(0.25, 1.0, 4000)
    ref = spark.createDataFrame([(float(v),) for v in ref_np], "x double")
    cur = spark.createDataFrame([(float(v),) for v in cur_np], "x double")
    result = compute_drift(ref, cur, methods=["ks", "wasserstein"], exact_max_rows=100)
    got = {r.method: r for r in result.rows}
    assert {r.mode for r in result.rows} == {"sketch"}
    # KLL k=200 rank error ≤ 1.65 % per side (DataSketches, 99 % confidence) plus 1/(2·1000) per side.
    assert got["ks"].statistic == pytest.approx(
        stats.ks_2samp(ref_np, cur_np).statistic, abs=2 * 0.0165 + 0.001
    )
    w = stats.wasserstein_distance(ref_np, cur_np) / np.std(ref_np)
    assert got["wasserstein"].statistic == pytest.approx(w, abs=0.05)


def test_no_false_alarm_on_an_undrifted_sample(spark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)

    def sample(n: int):  # type: ignore[no-untyped-def]
        rows = zip(rng.normal(0, 1, n).tolist(), rng.choice(list("abcd"), n).tolist(), strict=True)
        return spark.createDataFrame(list(rows), "x double, c string")

    both = ["linf", "linf_robust", "psi", "js"]
    methods = {"x": [*both, "ks", "wasserstein"], "c": [*both, "chi2"]}
    # Sketch mode for x (3000 rows > exact_max_rows); same distribution on both sides. psi and js bin the
    # sketch's items, each bin share off by up to 2ε, with nothing subtracted: at k = 200 js reached 0.088
    # (threshold 0.1) in 870 replays of this data. k = 800 (ε = 0.35 %) keeps a wide margin.
    result = compute_drift(sample(3000), sample(3000), methods=methods, exact_max_rows=1000, sketch_k=800)
    assert {r.mode for r in result.rows if r.column == "x"} == {"sketch"}
    assert result.drifted_columns == [], [(r.column, r.method, r.statistic, r.p_value) for r in result.rows]
    assert not result.dataset_drift
    # KS's p-value is Kolmogorov's (SciPy kstwobign) at the measured distance less both sides' CDF
    # error: each side's sketch read all 3000 values, so that is DataSketches' 2.296 / 800^0.9723.
    ks = next(r for r in result.rows if r.method == "ks")
    eps = 2.296 / 800**0.9723
    assert result.current.columns["x"].cdf_error == pytest.approx(eps)  # type: ignore[union-attr]
    assert ks.p_value == pytest.approx(stats.kstwobign.sf(math.sqrt(1500) * max(0.0, ks.statistic - 2 * eps)))


def test_sketch_mode_ks_keeps_large_undrifted_tables_quiet_and_finds_a_small_shift(spark) -> None:  # type: ignore[no-untyped-def]
    # 200 k rows a side: KS's critical distance at α = 0.05 is 1.358 · √(2 / 200 000) = 0.0043, a third
    # of one sketch's rank error (1.33 % at k = 200). Without the CDF errors in the p-value, sketch
    # noise alone would read as drift.
    n = 200_000
    ref, same, shifted = (
        spark.range(n, numPartitions=2).select((F.randn(seed) + shift).alias("x"))
        for seed, shift in ((1, 0.0), (2, 0.0), (3, 0.15))
    )
    ref_np, same_np, shifted_np = (df.toPandas()["x"].to_numpy() for df in (ref, same, shifted))
    assert stats.ks_2samp(ref_np, same_np).pvalue > 0.05 > stats.ks_2samp(ref_np, shifted_np).pvalue
    profile = profile_columns(ref, exact_max_rows=1000)
    quiet = compute_drift(profile, same, methods="ks", exact_max_rows=1000).rows[0]
    found = compute_drift(profile, shifted, methods="ks", exact_max_rows=1000).rows[0]
    assert quiet.mode == found.mode == "sketch"
    assert not quiet.drifted and quiet.p_value > 0.05  # type: ignore[operator]
    # A 0.15 σ shift (true KS distance 2·Φ(0.075) − 1 = 0.060) stays far beyond the sketches' error.
    assert found.drifted and found.p_value < 1e-6  # type: ignore[operator]
    for row, cur_np in ((quiet, same_np), (found, shifted_np)):
        assert row.statistic == pytest.approx(stats.ks_2samp(ref_np, cur_np).statistic, abs=2 * 0.0165)


def test_skips_and_errors(spark) -> None:  # type: ignore[no-untyped-def]
    ref = spark.createDataFrame([(1.0, "a", 1), (2.0, "b", 2)], "x double, s string, gone int")
    cur = spark.createDataFrame([("1", "a"), ("2", "b")], "x string, s string")
    # Profile each side once; the error cases below then need no Spark job.
    ref_profile = profile_columns(ref)
    result = compute_drift(ref_profile, cur)
    cur_profile = result.current
    assert result.skipped["gone"] == "missing from the current data"
    assert result.skipped["x"].startswith("type changed")
    assert [r.column for r in result.rows] == ["s"]
    with pytest.raises(ColumnNotFoundError, match="nope"):
        compute_drift(ref, cur, columns=["nope"])
    with pytest.raises(InvalidArgumentError, match="'s' is categorical"):
        compute_drift(ref_profile, cur_profile, columns=["s"], methods="wasserstein")
    with pytest.raises(InvalidArgumentError, match="'chi2' on numeric column 'x' needs exact"):
        wide = spark.range(100).selectExpr("id * 0.5 AS x")  # > 20 distinct values: not discrete
        wide_profile = profile_columns(wide, exact_max_rows=1)
        compute_drift(wide_profile, wide_profile, methods="chi2")
    with pytest.raises(InvalidArgumentError, match="unknown drift method 'hellinger'"):
        compute_drift(ref_profile, cur_profile, columns=["s"], methods="hellinger")
    empty = compute_drift(ref_profile, cur.where("false"), columns=["s"], methods="linf")
    assert math.isnan(empty.rows[0].statistic) and not empty.rows[0].drifted


def test_null_nan_and_empty_numeric_columns(spark) -> None:  # type: ignore[no-untyped-def]
    # count/min/max come from the KLL sketch and the mean from sum ÷ count: check the edge cases.
    df = spark.createDataFrame(
        [(None, 1.0, 3), (None, float("nan"), None), (None, 4.0, -2)], "a double, b double, k int"
    )
    p = profile_columns(df)  # the moments come from the aggregation whatever the mode
    a, b, k = p.columns["a"], p.columns["b"], p.columns["k"]
    assert (a.count, a.missing, a.total) == (0, 3, 0.0) and math.isnan(a.mean) and math.isnan(a.minimum)
    assert (b.count, b.missing, b.mean, b.total, b.minimum, b.maximum) == (2, 1, 2.5, 5.0, 1.0, 4.0)
    assert b.std == pytest.approx(np.std([1.0, 4.0]))
    assert (k.count, k.missing, k.mean, k.minimum, k.maximum, k.integral) == (2, 1, 0.5, -2.0, 3.0, True)


def test_kll_bytes_decode_to_the_sketchs_own_ranks(spark) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    from spark_mlops.quality.profiles.kll import decode_kll_doubles

    probes = [10.0, 777.7, 1500.0, 2999.0]
    df = spark.range(3000).select((F.col("id") * 1.0).alias("x"))
    row = (
        df.agg(F.kll_sketch_agg_double("x", F.lit(200)).alias("s"))
        .select("s", F.kll_sketch_get_rank_double("s", F.array(*[F.lit(p) for p in probes])).alias("r"))
        .first()
    )
    sketch = decode_kll_doubles(row["s"])
    items, weights = sketch.weighted_items()
    assert sketch.n == 3000 and weights.sum() == 3000 and sketch.minimum == 0.0 and sketch.maximum == 2999.0
    order = np.argsort(items)
    cum = np.cumsum(weights[order]) / 3000
    ours = [cum[np.searchsorted(items[order], p, side="right") - 1] for p in probes]
    np.testing.assert_allclose(ours, row["r"], atol=1e-12)  # the sketch's own (inclusive) ranks
    # and within the published KLL error of the true ranks (x ≤ p) / 3000
    np.testing.assert_allclose(ours, [(np.floor(p) + 1) / 3000 for p in probes], atol=0.0165)
    with pytest.raises(InvalidArgumentError, match="not a KLL sketch"):
        decode_kll_doubles(b"\x00" * 16)
