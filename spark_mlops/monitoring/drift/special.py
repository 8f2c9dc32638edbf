"""Survival functions the drift tests need (pure Python, no SciPy at run time).

* Kolmogorov's limiting distribution, used for the asymptotic two-sample KS p-value:
  ``Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2 k² λ²)`` (Kolmogorov 1933; the same function as SciPy's
  ``kstwobign.sf``). For small λ the alternating series converges slowly, so there the equivalent
  Jacobi-theta form ``1 − √(2π)/λ Σ_{k≥1} exp(−(2k−1)² π² / (8 λ²))`` is used.
* The χ² survival function ``Q(k/2, x/2)``, the regularized upper incomplete gamma function, by its
  power series below ``a + 1`` and by Lentz's continued fraction above (Press et al., *Numerical
  Recipes*, §6.2 — the formulas, not their code).
"""

from __future__ import annotations

import math

__all__ = ["chi2_sf", "kolmogorov_sf", "regularized_gamma_q"]

_EPS = 1e-15
_MAX_ITER = 10_000


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for Kolmogorov's limiting distribution K (``scipy.stats.kstwobign.sf``)."""
    if math.isnan(x):
        return math.nan
    if x <= 0.0:
        return 1.0
    if x < 1.0:
        # Theta-function form: converges in a handful of terms for small x.
        total = 0.0
        for k in range(1, 50):
            term = math.exp(-((2 * k - 1) ** 2) * math.pi**2 / (8.0 * x * x))
            total += term
            if term < _EPS * total:
                break
        return max(0.0, min(1.0, 1.0 - math.sqrt(2.0 * math.pi) / x * total))
    total = 0.0
    for k in range(1, 200):
        term = math.exp(-2.0 * k * k * x * x)
        total += term if k % 2 == 1 else -term
        if term < _EPS:
            break
    return max(0.0, min(1.0, 2.0 * total))


def _gamma_p_series(a: float, x: float) -> float:
    term = 1.0 / a
    total = term
    ap = a
    for _ in range(_MAX_ITER):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_q_fraction(a: float, x: float) -> float:
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITER):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function."""
    if a <= 0.0 or math.isnan(x) or math.isnan(a):
        return math.nan
    if x <= 0.0:
        return 1.0
    if math.isinf(x):
        return 0.0
    if x < a + 1.0:
        return max(0.0, 1.0 - _gamma_p_series(a, x))
    return min(1.0, _gamma_q_fraction(a, x))


def chi2_sf(x: float, dof: float) -> float:
    """P(X > x) for X ~ χ²(dof) (``scipy.stats.chi2.sf``)."""
    if dof <= 0:
        return math.nan
    return regularized_gamma_q(dof / 2.0, x / 2.0)
