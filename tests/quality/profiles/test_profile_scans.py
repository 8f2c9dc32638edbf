"""The two profile jobs: sampled KLL within its stated bound, moments equal to pandas, tables, job count,
and the codegen conf put back after job 1."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.monitoring.drift import compute_drift
from spark_mlops.quality.profiles import scans
from spark_mlops.quality.profiles.distributions import CategoricalDistribution, NumericDistribution
from spark_mlops.quality.profiles.profile import profile_columns
from spark_mlops.quality.profiles.scans import CODEGEN_MAX_FIELDS, codegen_fields_raised, distinct_from_bitmap

N = 4000
SAMPLE = 1000
ALPHA = 0.01
# KLL normalized rank error at k = 200 (Apache DataSketches' published table, 99 % confidence).
KLL_EPS = 0.0165


def dkw(size: float, alpha: float = ALPHA) -> float:
    """Dvoretzky–Kiefer–Wolfowitz bound (Massart 1990) on the CDF error of ``size`` uniform draws."""
    return math.sqrt(math.log(2 / alpha) / (2 * size))


# The realized Bernoulli sample is smaller than SAMPLE by more than 4 of its standard deviations with a
# negligible probability; the bound uses that smaller size.
BOUND = KLL_EPS + dkw(SAMPLE - 4 * math.sqrt(SAMPLE))


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(21)
    x = rng.normal(1.0, 2.0, N)
    x[::25] = np.nan
    pdf = pd.DataFrame(
        {
            "x": x,
            "y": rng.lognormal(0.0, 1.0, N),
            "off": 1e9 + rng.normal(0.0, 1.0, N),  # var_pop must not cancel catastrophically
            "k": rng.choice(np.linspace(0.5, 7.5, 15), N),  # 15 distinct doubles: tabulated exactly
            "few": rng.integers(0, 4, N),
            "cat": [f"c{v}" for v in rng.integers(0, 90, N)],  # 90 categories ≤ max_categories
            "mid": [f"m{v}" for v in rng.integers(0, 110, N)],  # a table is tried, then dropped: > 100
            "big": [f"id{v}" for v in rng.integers(0, 100_000, N)],  # ≈ 3900 distinct > max_categories
        }
    )
    rows = [
        (None if i % 50 == 0 else float(a), float(b), float(c), float(d), int(e), f, g, h)
        for i, (a, b, c, d, e, f, g, h) in enumerate(pdf.itertuples(index=False))
    ]
    pdf.loc[::50, "x"] = None
    df = spark.createDataFrame(
        rows, "x double, y double, off double, k double, few int, cat string, mid string, big string"
    )
    return pdf, df


def _profile(df, **kw):  # type: ignore[no-untyped-def]
    return profile_columns(df, exact_max_rows=100, sample_size=SAMPLE, max_categories=100, **kw)


def _sampled(weights: np.ndarray, count: int) -> bool:
    """Whether the lightest item weighs 2^h · count / size for a sample size within 15 % of SAMPLE."""
    ratio = weights.min() / (count / SAMPLE)
    return 0.85 < ratio / 2 ** round(math.log2(ratio)) < 1.15


def _cdf_error(dist: NumericDistribution, values: np.ndarray) -> float:
    values = np.sort(values)
    truth = np.arange(1, len(values) + 1) / len(values)  # the empirical CDF at each data point
    return float(np.max(np.abs(dist.cdf(values) - truth)))


def test_sampled_profile_in_two_jobs_with_exact_moments_and_tables(data, count_jobs) -> None:  # type: ignore[no-untyped-def]
    pdf, df = data
    with count_jobs() as jobs:
        p = _profile(df)
    assert jobs.count == 2 and p.row_count == N
    for name in ("x", "y", "off"):
        d, xs = p.columns[name], pdf[name].dropna().to_numpy()
        assert isinstance(d, NumericDistribution) and not d.exact and d.distinct is None
        assert (d.count, d.missing) == (len(xs), N - len(xs))
        assert d.mean == pytest.approx(xs.mean(), rel=1e-9) and d.total == pytest.approx(xs.sum(), rel=1e-9)
        assert d.std == pytest.approx(np.std(xs), rel=1e-6)  # population std, stable at a 1e9 offset
        assert (d.minimum, d.maximum) == (xs.min(), xs.max())
        # The sketch is of a sample of ≈ SAMPLE values (its items weigh 2^level · count / sample size) ...
        assert d.weights.sum() == pytest.approx(len(xs))
        assert _sampled(d.weights, len(xs))
        # ... and its CDF is within the KLL rank error plus the DKW bound of the full data's CDF.
        assert _cdf_error(d, xs) <= BOUND
        # cdf_error states its own bound: DataSketches' single-sided fit 2.296 / k^0.9723 at k = 200
        # plus the DKW bound of the realized sample (within 4 standard deviations of SAMPLE).
        kll = 2.296 / 200**0.9723
        spread = 4 * math.sqrt(SAMPLE)
        assert kll + dkw(SAMPLE + spread) <= d.cdf_error <= kll + dkw(SAMPLE - spread)
    k = p.columns["k"]
    assert isinstance(k, NumericDistribution) and k.exact and k.distinct == 15 and k.cdf_error == 0.0
    assert dict(zip(k.points, k.weights, strict=True)) == pdf["k"].value_counts().to_dict()
    few = p.columns["few"]
    assert isinstance(few, NumericDistribution) and few.exact and few.integral
    assert few.value_counts() == {str(a): float(b) for a, b in pdf["few"].value_counts().items()}
    cat, big = p.columns["cat"], p.columns["big"]
    assert isinstance(cat, CategoricalDistribution) and not cat.truncated
    assert cat.counts == pdf["cat"].value_counts().to_dict()
    assert isinstance(big, CategoricalDistribution) and big.truncated and big.count == N
    # HLL lgK 12: ≈ 1.6 % relative standard error (1.04/√4096); 5 % is > 3 standard errors.
    assert big.distinct == pytest.approx(pdf["big"].nunique(), rel=0.05)
    mid = p.columns["mid"]
    assert isinstance(mid, CategoricalDistribution) and mid.truncated and not mid.counts
    assert mid.distinct == pdf["mid"].nunique() == 110  # exact: counted from the dropped table


def test_sampled_ks_matches_scipy_on_the_full_data(data) -> None:  # type: ignore[no-untyped-def]
    pdf, df = data
    ref = df.where("few < 2")
    cur = df.where("few >= 2")
    result = compute_drift(_profile(ref), _profile(cur), methods={"y": ["ks"]}, columns=["y"])
    (row,) = result.rows
    truth = stats.ks_2samp(pdf.loc[pdf["few"] < 2, "y"], pdf.loc[pdf["few"] >= 2, "y"]).statistic
    # Each side: ≈ 2000 values sampled to ≈ 1000, so each CDF is off by at most BOUND.
    assert row.mode == "sketch" and row.statistic == pytest.approx(truth, abs=2 * BOUND)


def test_numeric_distinct_path_samples_kll_inside_the_hll_aggregate(data, count_jobs) -> None:  # type: ignore[no-untyped-def]
    pdf, df = data
    with count_jobs() as jobs:
        p = _profile(df, columns=["x", "y"], numeric_distinct=True)
    assert jobs.count == 2
    for name in ("x", "y"):
        d, xs = p.columns[name], pdf[name].dropna().to_numpy()
        assert isinstance(d, NumericDistribution) and not d.exact
        assert d.distinct == pytest.approx(len(np.unique(xs)), rel=0.05)  # HLL, > 3 standard errors
        assert _sampled(d.weights, len(xs))
        assert _cdf_error(d, xs) <= BOUND


def test_codegen_conf_is_restored(spark, data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pdf, df = data
    conf = spark.conf
    assert conf.get(CODEGEN_MAX_FIELDS, None) is None  # the test session does not set it
    with codegen_fields_raised(spark):
        assert int(conf.get(CODEGEN_MAX_FIELDS)) >= 100_000
    assert conf.get(CODEGEN_MAX_FIELDS, None) is None
    # A wide profile's job 1 (more aggregates than fit in generated code: chunks, some of one column
    # above the limit, run interpreted) puts the conf back too.
    monkeypatch.setattr(scans, "_CODEGEN_MAX_AGGREGATES", 5)
    p = profile_columns(df, ["x", "few", "cat"])
    assert conf.get(CODEGEN_MAX_FIELDS, None) is None
    monkeypatch.undo()
    conf.set(CODEGEN_MAX_FIELDS, "150")
    try:
        with pytest.raises(RuntimeError), codegen_fields_raised(spark):
            assert int(conf.get(CODEGEN_MAX_FIELDS)) >= 100_000
            raise RuntimeError("a failing query")
        assert conf.get(CODEGEN_MAX_FIELDS) == "150"
        q = profile_columns(df, ["x", "few", "cat"])
        assert conf.get(CODEGEN_MAX_FIELDS) == "150"
        for name in ("x", "few", "cat"):  # the same numbers either way
            assert q.columns[name].to_json() == p.columns[name].to_json()
    finally:
        conf.unset(CODEGEN_MAX_FIELDS)
    x, xs = p.columns["x"], pdf["x"].dropna()
    assert isinstance(x, NumericDistribution) and p.row_count == N and x.count == len(xs)
    assert (x.mean, x.minimum, x.maximum) == (pytest.approx(xs.mean()), xs.min(), xs.max())
    assert x.std == pytest.approx(np.std(xs))
    assert p.columns["cat"].value_counts() == {k: float(v) for k, v in pdf["cat"].value_counts().items()}
    assert p.columns["few"].exact and p.columns["few"].count == N
    p = profile_columns(df.limit(50), ["x", "cat"])
    assert conf.get(CODEGEN_MAX_FIELDS, None) is None


def test_linear_counting_bitmap() -> None:
    # Linear counting m·ln(m/V) (Whang et al. 1990): 10 of 64 bits set in the full word.
    assert distinct_from_bitmap((1 << 10) - 1, None) == pytest.approx(64 * math.log(64 / 54))
    # Full word saturated (-1: all 64 bits): 32 × the estimate of the 1-in-32 sampled word.
    assert distinct_from_bitmap(-1, (1 << 10) - 1) == pytest.approx(32 * 64 * math.log(64 / 54))
    assert distinct_from_bitmap(-1, -1) == math.inf  # both saturated: too many to count
    assert distinct_from_bitmap(None, None) == 0.0  # no value
    with pytest.raises(InvalidArgumentError, match="sample_size"):
        profile_columns(None, sample_size=0)  # type: ignore[arg-type]
