"""Pure drift math against SciPy/NumPy references (no Spark)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.monitoring.drift.methods import default_methods, evaluate
from spark_mlops.monitoring.drift.special import chi2_sf, kolmogorov_sf
from spark_mlops.monitoring.drift.statistics import (
    binned_shares,
    chi2_test,
    js_distance,
    ks_pvalue,
    linf_categorical,
    linf_numeric,
    linf_robust,
    psi,
    robust_c_for_alpha,
    wasserstein_normalized,
)
from spark_mlops.quality.profiles.distributions import (
    CategoricalDistribution,
    NumericDistribution,
    distribution_from_json,
)


def exact(values: np.ndarray) -> NumericDistribution:
    uniq, counts = np.unique(values, return_counts=True)
    return NumericDistribution.from_points(uniq, counts.astype(float), exact=True)


@pytest.mark.parametrize("x", [0.05, 0.3, 0.6, 0.9, 1.0, 1.2, 1.5, 2.0, 3.0])
def test_kolmogorov_sf_matches_scipy(x: float) -> None:
    assert kolmogorov_sf(x) == pytest.approx(stats.kstwobign.sf(x), abs=1e-12)


@pytest.mark.parametrize(("x", "dof"), [(0.5, 1), (3.84, 1), (10.0, 4), (25.0, 10), (2.0, 30), (200.0, 150)])
def test_chi2_sf_matches_scipy(x: float, dof: int) -> None:
    assert chi2_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-9, abs=1e-14)


@pytest.fixture(scope="module")
def samples() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    ref = np.round(rng.normal(10.0, 2.0, 800), 2)  # rounding makes ties, as real data has
    cur = np.round(rng.normal(10.5, 2.4, 600), 2)
    return ref, cur


def test_cdf_statistics_equal_scipy_on_exact_distributions(samples: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = samples
    r, c = exact(ref), exact(cur)
    expected = stats.ks_2samp(ref, cur)
    assert linf_numeric(r, c) == pytest.approx(expected.statistic, abs=1e-12)
    en = len(ref) * len(cur) / (len(ref) + len(cur))
    p = ks_pvalue(linf_numeric(r, c), len(ref), len(cur))
    assert p == pytest.approx(stats.kstwobign.sf(math.sqrt(en) * expected.statistic), rel=1e-9)
    # The asymptotic value is close to SciPy's finite-sample one at these sizes.
    assert p == pytest.approx(stats.ks_2samp(ref, cur, method="asymp").pvalue, abs=0.01)
    assert wasserstein_normalized(r, c) == pytest.approx(
        stats.wasserstein_distance(ref, cur) / np.std(ref), rel=1e-9
    )
    assert r.mean == pytest.approx(np.mean(ref)) and r.std == pytest.approx(np.std(ref))


def test_binned_statistics_use_sturges_bins_over_both_samples(samples: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = samples
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")  # Evidently's binning
    rc = np.histogram(ref, edges)[0].astype(float)
    cc = np.histogram(cur, edges)[0].astype(float)
    labels, got_r, got_c = binned_shares(exact(ref), exact(cur))
    assert len(labels) == len(edges) - 1
    np.testing.assert_allclose(got_r, rc)
    np.testing.assert_allclose(got_c, cc)
    rs, cs = rc / rc.sum(), cc / cc.sum()
    rs, cs = np.where(rs == 0, 1e-4, rs), np.where(cs == 0, 1e-4, cs)
    assert psi(got_r, got_c) == pytest.approx(float(np.sum((cs - rs) * np.log(cs / rs))), rel=1e-12)
    assert js_distance(got_r, got_c) == pytest.approx(jensenshannon(rc, cc), rel=1e-9)


def test_chi2_matches_scipy_chisquare_when_cells_are_large() -> None:
    ref = np.array([500.0, 300.0, 200.0])
    cur = np.array([230.0, 180.0, 90.0])
    expected = stats.chisquare(cur, ref / ref.sum() * cur.sum())
    stat, p = chi2_test(ref, cur)
    assert stat == pytest.approx(expected.statistic, rel=1e-12)
    assert p == pytest.approx(expected.pvalue, rel=1e-9)


def test_chi2_pools_small_and_unseen_categories() -> None:
    ref = np.array([600.0, 390.0, 6.0, 4.0, 0.0])  # expected (× 0.5): 300, 195, 3, 2, 0
    cur = np.array([280.0, 200.0, 5.0, 3.0, 12.0])
    pooled_obs = np.array([280.0, 200.0, 20.0])
    pooled_exp = np.array([300.0, 195.0, 5.0])
    expected = stats.chisquare(pooled_obs, pooled_exp)
    stat, p = chi2_test(ref, cur)
    assert stat == pytest.approx(expected.statistic, rel=1e-12)
    assert p == pytest.approx(expected.pvalue, rel=1e-9)
    assert all(math.isnan(v) for v in chi2_test(np.array([10.0]), np.array([4.0])))


def test_categorical_linf_and_robust_variant() -> None:
    ref = pd.Series(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    cur = pd.Series(["a"] * 20 + ["b"] * 30 + ["d"] * 10)
    shares = pd.concat([ref.value_counts(normalize=True), cur.value_counts(normalize=True)], axis=1).fillna(0)
    expected = float((shares.iloc[:, 0] - shares.iloc[:, 1]).abs().max())
    got = linf_categorical(ref.value_counts().to_dict(), cur.value_counts().to_dict())
    assert got == pytest.approx(expected)
    # Model Monitor's robust form: max(0, simple − 1.8·√((n+m)/(n·m))).
    assert linf_robust(got, 100, 60) == pytest.approx(max(0.0, expected - 1.8 * math.sqrt(160 / 6000)))
    assert linf_robust(0.05, 100, 60) == 0.0
    assert robust_c_for_alpha(0.05) == pytest.approx(math.sqrt(-math.log(0.025) / 2))


def test_sketch_like_distribution_approximates_the_exact_statistics() -> None:
    rng = np.random.default_rng(3)
    ref, cur = rng.normal(0, 1, 20_000), rng.normal(0.3, 1, 20_000)
    grid = (np.arange(1000) + 0.5) / 1000

    def sketch(x: np.ndarray) -> NumericDistribution:
        q = np.quantile(x, grid, method="inverted_cdf")
        return NumericDistribution.from_points(q, np.full(1000, len(x) / 1000), exact=False, count=len(x))

    assert linf_numeric(sketch(ref), sketch(cur)) == pytest.approx(
        stats.ks_2samp(ref, cur).statistic, abs=2e-3
    )
    assert wasserstein_normalized(sketch(ref), sketch(cur)) == pytest.approx(
        stats.wasserstein_distance(ref, cur) / np.std(ref), abs=0.01
    )


def test_default_methods_follow_evidentlys_choice() -> None:
    small_cont = exact(np.arange(500.0))
    big_cont = exact(np.arange(5000.0))
    small_cat = CategoricalDistribution({"a": 400, "b": 100})
    few_values = exact(np.repeat([1.0, 2.0, 3.0], 1000))
    assert default_methods(small_cont) == ("ks",)
    assert default_methods(big_cont) == ("wasserstein",)
    assert default_methods(small_cat) == ("chi2",)
    assert default_methods(few_values) == ("js",)
    assert default_methods(CategoricalDistribution({"a": 4000, "b": 1000})) == ("js",)


def test_evaluate_decisions_and_roundtrip() -> None:
    r = CategoricalDistribution({"a": 500, "b": 500})
    c = CategoricalDistribution({"a": 700, "b": 300})
    out = evaluate("chi2", r, c)
    expected = stats.chisquare([700, 300], [500, 500])
    assert out.statistic == pytest.approx(expected.statistic) and out.p_value == pytest.approx(
        expected.pvalue
    )
    assert out.drifted and out.threshold == 0.05
    lin = evaluate("linf", r, c, threshold=0.25)
    assert lin.statistic == pytest.approx(0.2) and not lin.drifted and lin.p_value is None
    num = exact(np.array([1.0, 2.0, 2.0, 3.5]))
    back = distribution_from_json(num.to_json())
    assert isinstance(back, NumericDistribution)
    np.testing.assert_array_equal(back.points, num.points)
    assert back.count == 4 and back.mean == pytest.approx(2.125)
    assert distribution_from_json(c.to_json()) == c
    assert back.cdf_error == 0.0
    with pytest.raises(InvalidArgumentError, match="ks"):
        from spark_mlops.monitoring.drift.methods import check_method

        check_method("ks", "country", r)


def test_sketch_mode_ks_takes_its_p_value_from_the_distance_less_the_cdf_errors() -> None:
    rng = np.random.default_rng(3)
    ref_v, cur_v = rng.normal(0.0, 1.0, 5000), rng.normal(0.1, 1.0, 5000)

    def sketched(values: np.ndarray, error: float) -> NumericDistribution:
        # Stand-ins for sketches: the values themselves, marked sketch mode with a stated CDF error.
        return NumericDistribution.from_points(values, np.ones(len(values)), exact=False, cdf_error=error)

    d = stats.ks_2samp(ref_v, cur_v).statistic
    r, c = sketched(ref_v, 0.004), sketched(cur_v, 0.006)
    out = evaluate("ks", r, c)
    # The statistic is the measured one; the p-value is Kolmogorov's at the smallest distance the true
    # CDFs can have, D − 0.004 − 0.006 (SciPy's kstwobign as the reference).
    assert out.statistic == pytest.approx(d)
    assert out.p_value == pytest.approx(stats.kstwobign.sf(math.sqrt(2500) * max(0.0, d - 0.01)))
    assert evaluate("ks", exact(ref_v), exact(cur_v)).p_value == pytest.approx(
        stats.kstwobign.sf(math.sqrt(2500) * d)
    )
    # A distance inside the error bounds proves nothing: p = 1 and no drift, where exact data drifts.
    assert evaluate("ks", exact(ref_v), exact(cur_v)).drifted
    loose = evaluate("ks", sketched(ref_v, d), sketched(cur_v, 0.0))
    assert loose.p_value == pytest.approx(1.0) and not loose.drifted
    # Exact mode has no error; JSON keeps the sketch's, and a profile stored before the field existed
    # reads with the default sketch's (DataSketches' fit 2.296 / k^0.9723 at k = 200).
    assert exact(ref_v).cdf_error == 0.0
    assert distribution_from_json(r.to_json()).cdf_error == 0.004
    old = {key: value for key, value in r.to_json().items() if key != "cdf_error"}
    assert distribution_from_json(old).cdf_error == pytest.approx(2.296 / 200**0.9723)
