"""Drift statistics on small distributions (pure NumPy; tested against SciPy).

Conventions (sources named per function):

* CDF statistics (``linf``, ``ks``, ``wasserstein``) use the right-continuous empirical CDF of the
  weighted samples, evaluated at the union of their points — what SciPy's ``ks_2samp`` and
  ``wasserstein_distance`` do on raw samples.
* Binned statistics (``psi``, ``js``, ``chi2``) on a numeric column use its exact values when it has at
  most :data:`DISCRETE_MAX_DISTINCT` distinct values, otherwise Sturges bins spanning both samples,
  as Evidently does (``np.histogram_bin_edges(ref ∪ cur, "sturges")``); on a categorical column they use
  the categories.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from spark_mlops.monitoring.drift.special import chi2_sf, kolmogorov_sf
from spark_mlops.quality.profiles.distributions import (
    DISCRETE_MAX_DISTINCT,
    ColumnDistribution,
    NumericDistribution,
)

__all__ = [
    "DISCRETE_MAX_DISTINCT",
    "PSI_ZERO_SHARE",
    "ROBUST_C",
    "binned_shares",
    "chi2_test",
    "js_distance",
    "ks_pvalue",
    "linf_categorical",
    "linf_numeric",
    "linf_robust",
    "psi",
    "robust_c_for_alpha",
    "wasserstein_normalized",
]

#: Zero shares are replaced by this before PSI, so a category missing on one side stays finite
#: (Evidently's ``get_binned_data`` fill value).
PSI_ZERO_SHARE = 1e-4
#: SageMaker Model Monitor's default constant of the robust L∞ correction.
ROBUST_C = 1.8
#: Minimum expected count per χ² cell; smaller cells are pooled (Cochran's rule of thumb).
CHI2_MIN_EXPECTED = 5.0


def _union_cdfs(
    ref: NumericDistribution, cur: NumericDistribution
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grid = np.union1d(ref.points, cur.points)
    return grid, ref.cdf(grid), cur.cdf(grid)


def linf_numeric(ref: NumericDistribution, cur: NumericDistribution) -> float:
    """L∞ distance between the empirical CDFs (= the two-sample KS statistic, SciPy ``ks_2samp``)."""
    if ref.count == 0 or cur.count == 0:
        return math.nan
    _, f, g = _union_cdfs(ref, cur)
    return float(np.max(np.abs(f - g)))


def _shares(counts: dict[str, float], keys: list[str]) -> np.ndarray:
    total = sum(counts.values())
    if total == 0:
        return np.full(len(keys), math.nan)
    return np.array([counts.get(k, 0.0) for k in keys], dtype=float) / total


def linf_categorical(ref_counts: dict[str, float], cur_counts: dict[str, float]) -> float:
    """Largest difference of per-category frequencies, a missing category counting 0 (Model Monitor)."""
    keys = sorted(set(ref_counts) | set(cur_counts))
    if not keys or sum(ref_counts.values()) == 0 or sum(cur_counts.values()) == 0:
        return math.nan
    return float(np.max(np.abs(_shares(ref_counts, keys) - _shares(cur_counts, keys))))


def robust_c_for_alpha(alpha: float) -> float:
    """The robust-L∞ constant for a significance level: ``√(−ln(α/2) / 2)`` (Model Monitor)."""
    return math.sqrt(-math.log(alpha / 2.0) / 2.0)


def linf_robust(simple: float, n: int, m: int, c: float = ROBUST_C) -> float:
    """SageMaker's robust L∞: ``max(0, simple − c·√((n + m) / (n·m)))``."""
    if n <= 0 or m <= 0 or math.isnan(simple):
        return math.nan
    return max(0.0, simple - c * math.sqrt((n + m) / (n * m)))


def ks_pvalue(statistic: float, n: int, m: int) -> float:
    """Asymptotic two-sample KS p-value: ``Q_K(√(n·m/(n+m)) · D)`` (Kolmogorov's limit distribution,
    SciPy ``kstwobign.sf``). Within ~0.01 of SciPy's finite-sample ``ks_2samp`` for n, m ≥ 100."""
    if n <= 0 or m <= 0 or math.isnan(statistic):
        return math.nan
    return kolmogorov_sf(math.sqrt(n * m / (n + m)) * statistic)


def wasserstein_normalized(ref: NumericDistribution, cur: NumericDistribution) -> float:
    """First Wasserstein distance ``∫|F − G| dx`` divided by the reference's population std (Evidently's
    normed Wasserstein; SciPy ``wasserstein_distance(ref, cur) / np.std(ref)``)."""
    if ref.count == 0 or cur.count == 0:
        return math.nan
    grid, f, g = _union_cdfs(ref, cur)
    w = float(np.sum(np.abs(f[:-1] - g[:-1]) * np.diff(grid)))
    if ref.std > 0:
        return w / ref.std
    return 0.0 if w == 0 else math.inf


def _sturges_edges(ref: NumericDistribution, cur: NumericDistribution) -> np.ndarray:
    # numpy's Sturges rule over the combined sample: ceil(log2(n) + 1) equal-width bins over its range.
    lo = min(ref.minimum, cur.minimum, float(ref.points[0]), float(cur.points[0]))
    hi = max(ref.maximum, cur.maximum, float(ref.points[-1]), float(cur.points[-1]))
    n = ref.count + cur.count
    if hi <= lo:
        return np.array([lo - 0.5, hi + 0.5])
    bins = math.ceil(math.log2(n) + 1.0)
    return np.linspace(lo, hi, bins + 1)


def binned_shares(
    ref: ColumnDistribution, cur: ColumnDistribution
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Aligned bin counts of both sides: per category/value, or per Sturges bin for continuous columns.

    Returns:
        (bin labels, reference counts, current counts).
    """
    if isinstance(ref, NumericDistribution) and isinstance(cur, NumericDistribution):
        discrete = ref.exact and cur.exact and max(len(ref.points), len(cur.points)) <= DISCRETE_MAX_DISTINCT
        if not discrete and ref.count and cur.count:
            edges = _sturges_edges(ref, cur)
            rc = np.histogram(ref.points, bins=edges, weights=ref.weights)[0]
            cc = np.histogram(cur.points, bins=edges, weights=cur.weights)[0]
            labels = [f"[{a:.6g}, {b:.6g})" for a, b in itertools.pairwise(edges)]
            return labels, rc.astype(float), cc.astype(float)
    rv, cv = ref.value_counts(), cur.value_counts()
    keys = sorted(set(rv) | set(cv))
    return keys, np.array([rv.get(k, 0.0) for k in keys]), np.array([cv.get(k, 0.0) for k in keys])


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray, zero_share: float = PSI_ZERO_SHARE) -> float:
    """Population stability index ``Σ (c − r)·ln(c / r)`` on bin shares, zero shares set to ``zero_share``."""
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return math.nan
    r = ref_counts / ref_counts.sum()
    c = cur_counts / cur_counts.sum()
    r = np.where(r == 0, zero_share, r)
    c = np.where(c == 0, zero_share, c)
    return float(np.sum((c - r) * np.log(c / r)))


def js_distance(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Jensen-Shannon *distance* (√ of the divergence, natural log), as SciPy ``jensenshannon``."""
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return math.nan
    p = ref_counts / ref_counts.sum()
    q = cur_counts / cur_counts.sum()
    mix = (p + q) / 2.0

    def _kl(a: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log(a[nz] / mix[nz])))

    return math.sqrt(max(0.0, (_kl(p) + _kl(q)) / 2.0))


def chi2_test(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, float]:
    """χ² goodness of fit of the current counts against the reference shares rescaled to the current total.

    Cells whose expected count is below 5 are pooled into one cell (a category unseen in the reference
    has expected 0 and is always pooled); if the pool itself stays below 5 it is merged into the
    smallest remaining cell. Fewer than two cells → ``(nan, nan)``.

    Returns:
        (statistic, p-value) with ``cells − 1`` degrees of freedom.
    """
    ref_total, cur_total = ref_counts.sum(), cur_counts.sum()
    if ref_total == 0 or cur_total == 0:
        return math.nan, math.nan
    expected = ref_counts / ref_total * cur_total
    small = expected < CHI2_MIN_EXPECTED
    obs = list(cur_counts[~small])
    exp = list(expected[~small])
    if small.any():
        pool_o, pool_e = float(cur_counts[small].sum()), float(expected[small].sum())
        if pool_e < CHI2_MIN_EXPECTED and exp:
            j = int(np.argmin(exp))
            obs[j] += pool_o
            exp[j] += pool_e
        else:
            obs.append(pool_o)
            exp.append(pool_e)
    if len(obs) < 2:
        return math.nan, math.nan
    o, e = np.asarray(obs), np.asarray(exp)
    stat = float(np.sum((o - e) ** 2 / e))
    return stat, chi2_sf(stat, len(o) - 1)
