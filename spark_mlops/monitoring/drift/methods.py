"""Drift methods: names, default thresholds, the per-column default choice, and evaluation.

Defaults follow Evidently's choice (SEMANTICS.md): with at most 1000 present reference values, ``ks``
for numeric columns with more than 5 distinct values and ``chi2`` otherwise; above 1000, normalized
``wasserstein`` for numeric columns with more than 5 distinct values and ``js`` otherwise. (Evidently
uses a proportion z-test for binary columns of small references; we use ``chi2`` there too.)
p-value tests drift when ``p_value < threshold`` (default 0.05), distances when
``statistic >= threshold`` (default 0.1, Model Monitor's and Evidently's default).

In sketch mode ``ks`` reports the measured statistic but takes its p-value from
``max(0, statistic − ref.cdf_error − cur.cdf_error)``, the smallest distance the true CDFs can have
given the sketches' error bounds. Without that, a sketch's rank error (1.33 % at k = 200) alone exceeds
the test's critical distance from a few tens of thousands of rows on, and every undrifted column of a
large table would read as drifted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.monitoring.drift.statistics import (
    ROBUST_C,
    binned_shares,
    chi2_test,
    js_distance,
    ks_pvalue,
    linf_categorical,
    linf_numeric,
    linf_robust,
    psi,
    wasserstein_normalized,
)
from spark_mlops.quality.profiles.distributions import (
    CategoricalDistribution,
    ColumnDistribution,
    NumericDistribution,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "P_VALUE_METHODS",
    "DriftStatistic",
    "default_methods",
    "evaluate",
]

#: Every method name ``compute_drift`` understands.
METHODS = ("linf", "linf_robust", "ks", "psi", "js", "wasserstein", "chi2")
#: Methods whose decision is on the p-value.
P_VALUE_METHODS = frozenset({"ks", "chi2"})
#: Methods that need an order (numeric columns only).
NUMERIC_ONLY = frozenset({"ks", "wasserstein"})
DEFAULT_THRESHOLDS: dict[str, float] = {
    "linf": 0.1,
    "linf_robust": 0.1,
    "ks": 0.05,
    "psi": 0.1,
    "js": 0.1,
    "wasserstein": 0.1,
    "chi2": 0.05,
}
#: Reference size up to which p-value tests are the default (Evidently).
SMALL_REFERENCE_ROWS = 1000
#: Numeric columns with at most this many distinct values are tested as categorical by default.
FEW_DISTINCT = 5


@dataclass(frozen=True)
class DriftStatistic:
    """One method's outcome on one column."""

    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool


def default_methods(ref: ColumnDistribution) -> tuple[str, ...]:
    """The default method for a column, chosen from the reference's size and type (Evidently's rule)."""
    # A numeric column with an unmeasured distinct count was not tabulated: it has > 20 values.
    numeric = isinstance(ref, NumericDistribution) and (ref.distinct is None or ref.distinct > FEW_DISTINCT)
    if ref.count <= SMALL_REFERENCE_ROWS:
        return ("ks",) if numeric else ("chi2",)
    return ("wasserstein",) if numeric else ("js",)


def check_method(method: str, column: str, ref: ColumnDistribution) -> None:
    """Raise when ``method`` is unknown or does not apply to the column's type."""
    if method not in METHODS:
        raise InvalidArgumentError(f"methods: unknown drift method {method!r}; expected one of {METHODS}")
    if method in NUMERIC_ONLY and isinstance(ref, CategoricalDistribution):
        raise InvalidArgumentError(
            f"methods: {method!r} needs an ordered (numeric) column but column '{column}' is categorical"
        )


def evaluate(
    method: str,
    ref: ColumnDistribution,
    cur: ColumnDistribution,
    threshold: float | None = None,
    robust_c: float = ROBUST_C,
) -> DriftStatistic:
    """Compute one method on a (reference, current) pair of the same column.

    Args:
        method: One of :data:`METHODS`.
        ref: Reference distribution.
        cur: Current distribution (same kind as ``ref``).
        threshold: Decision threshold (default :data:`DEFAULT_THRESHOLDS`).
        robust_c: Constant of ``linf_robust``.

    Returns:
        The statistic, p-value (None for distances), threshold and decision. An undefined statistic
        (an empty side) is NaN and never drifts.
    """
    thr = DEFAULT_THRESHOLDS[method] if threshold is None else float(threshold)
    p_value: float | None = None
    numeric = isinstance(ref, NumericDistribution) and isinstance(cur, NumericDistribution)
    if method in ("linf", "linf_robust", "ks"):
        stat = (
            linf_numeric(ref, cur)  # type: ignore[arg-type]
            if numeric
            else linf_categorical(ref.value_counts(), cur.value_counts())
        )
        if method == "linf_robust":
            stat = linf_robust(stat, ref.count, cur.count, robust_c)
        elif method == "ks":
            slack = ref.cdf_error + cur.cdf_error if numeric else 0.0  # type: ignore[union-attr]
            lower = stat if math.isnan(stat) else max(0.0, stat - slack)
            p_value = ks_pvalue(lower, ref.count, cur.count)
    elif method == "wasserstein":
        stat = wasserstein_normalized(ref, cur)  # type: ignore[arg-type]
    else:
        _, rc, cc = binned_shares(ref, cur)
        if method == "psi":
            stat = psi(rc, cc)
        elif method == "js":
            stat = js_distance(rc, cc)
        else:
            stat, p_value = chi2_test(rc, cc)
    if method in P_VALUE_METHODS:
        drifted = p_value is not None and not math.isnan(p_value) and p_value < thr
    else:
        drifted = not math.isnan(stat) and stat >= thr
    return DriftStatistic(statistic=stat, p_value=p_value, threshold=thr, drifted=drifted)
