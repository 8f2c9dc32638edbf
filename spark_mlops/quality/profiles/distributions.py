"""Small, mergeable-enough summaries of one column: what drift math and baselines work on.

A numeric column is a *weighted sample*: sorted points with weights. In **exact mode** the points are
the column's distinct values and the weights their counts, so every CDF-based statistic is exact. In
**sketch mode** the points are the items a KLL sketch retained, with their weights (``2^level``); then
a CDF read from it is off by at most ``cdf_error`` (the sketch's rank error plus, for a sketch of a
sample, the sample's own CDF error; :func:`sketch_cdf_error`).
A categorical column is its frequency table. Both carry the moments and counts a baseline reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spark_mlops.quality.analyzers.sketches import kll_rank_error

__all__ = [
    "CDF_ERROR_ALPHA",
    "DEFAULT_SKETCH_K",
    "DISCRETE_MAX_DISTINCT",
    "CategoricalDistribution",
    "ColumnDistribution",
    "NumericDistribution",
    "distribution_from_json",
    "sketch_cdf_error",
    "stored_cdf_error",
]

#: Numeric columns with at most this many distinct values are binned per value (Evidently uses 20).
DISCRETE_MAX_DISTINCT = 20
#: KLL accuracy of profiles and baselines (rank error 1.33 %, :func:`kll_rank_error`).
DEFAULT_SKETCH_K = 200
#: Each part of :func:`sketch_cdf_error` holds with probability at least ``1 - CDF_ERROR_ALPHA``.
CDF_ERROR_ALPHA = 0.01


def sketch_cdf_error(k: int, sketched: int, present: int, *, compacted: bool = True) -> float:
    """Bound on the CDF error of a sketch-mode column, each part with probability ``1 − CDF_ERROR_ALPHA``.

    Args:
        k: The KLL sketch's accuracy parameter.
        sketched: Values the sketch read (a uniform sample's size when the column was sampled).
        present: The column's present values.
        compacted: False when the sketch kept every value it read (one level): no rank error then.

    Returns:
        The KLL rank error (:func:`kll_rank_error`) plus, when ``sketched < present``, the
        Dvoretzky–Kiefer–Wolfowitz bound with Massart's constant (1990) on the CDF error of
        ``sketched`` uniform draws: ``sqrt(ln(2/α) / (2·sketched))``.
    """
    error = kll_rank_error(k) if compacted else 0.0
    if 0 < sketched < present:
        error += math.sqrt(math.log(2.0 / CDF_ERROR_ALPHA) / (2.0 * sketched))
    return error


@dataclass(frozen=True)
class NumericDistribution:
    """A numeric column as a weighted sample plus its moments.

    Attributes:
        points: Sorted distinct points (values in exact mode, KLL items in sketch mode).
        weights: Weight of each point (counts in exact mode); they sum to ``count``.
        count: Non-NULL (and non-NaN) values.
        missing: NULL or NaN values.
        mean: Mean of the present values (NaN when ``count == 0``).
        std: Population standard deviation of the present values.
        minimum: Smallest present value.
        maximum: Largest present value.
        total: Sum of the present values.
        distinct: Number of distinct present values: exact in exact mode, an HLL estimate or None
            (not measured) in sketch mode.
        exact: True when ``points``/``weights`` are the exact value counts.
        integral: True when the source column has an integral type.
        cdf_error: Bound on ``|cdf(x) − true CDF(x)|`` over all ``x`` (0 in exact mode;
            :func:`sketch_cdf_error`). Drift's ``ks`` test subtracts it before its p-value.
    """

    points: np.ndarray
    weights: np.ndarray
    count: int
    missing: int
    mean: float
    std: float
    minimum: float
    maximum: float
    total: float
    distinct: int | None
    exact: bool
    integral: bool = False
    cdf_error: float = 0.0
    kind: str = field(default="numeric", init=False)

    @property
    def completeness(self) -> float:
        """Share of present values (NaN for an empty column)."""
        n = self.count + self.missing
        return self.count / n if n else math.nan

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Right-continuous empirical CDF ``P(X <= x)`` of the weighted sample at each ``x``."""
        if self.count == 0 or len(self.points) == 0:
            return np.full(len(x), math.nan)
        cum = np.concatenate([[0.0], np.cumsum(self.weights)])
        idx = np.searchsorted(self.points, x, side="right")
        return cum[idx] / cum[-1]

    def value_counts(self) -> dict[str, float]:
        """Frequencies keyed by the value's text (exact mode: the counts of each distinct value)."""
        return {
            _key(float(p), self.integral): float(w) for p, w in zip(self.points, self.weights, strict=False)
        }

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict (inverse of :func:`distribution_from_json`)."""
        return {
            "kind": "numeric",
            "points": [float(p) for p in self.points],
            "weights": [float(w) for w in self.weights],
            "count": self.count,
            "missing": self.missing,
            "mean": _num(self.mean),
            "std": _num(self.std),
            "min": _num(self.minimum),
            "max": _num(self.maximum),
            "sum": _num(self.total),
            "distinct": self.distinct,
            "exact": self.exact,
            "integral": self.integral,
            "cdf_error": self.cdf_error,
        }

    @classmethod
    def from_points(
        cls,
        points: np.ndarray,
        weights: np.ndarray,
        *,
        missing: int = 0,
        exact: bool = True,
        integral: bool = False,
        moments: tuple[float, float, float, float, float] | None = None,
        count: int | None = None,
        distinct: int | None = None,
        cdf_error: float = 0.0,
    ) -> NumericDistribution:
        """Build from (possibly repeated, unsorted) points and weights.

        Args:
            points: Values (exact mode) or KLL sketch items.
            weights: Weight per point.
            missing: NULL/NaN count.
            exact: Whether the points are the exact values.
            integral: Whether the column is integral.
            moments: ``(mean, std, min, max, sum)`` measured on the full data; computed from the
                points when omitted (exact only then).
            count: Number of present values (default: sum of weights).
            distinct: Distinct count (default: number of distinct points in exact mode, else None).
            cdf_error: Bound on the CDF error (sketch mode; :func:`sketch_cdf_error`).
        """
        pts = np.asarray(points, dtype=float)
        wts = np.asarray(weights, dtype=float)
        keep = ~np.isnan(pts)
        pts, wts = pts[keep], wts[keep]
        uniq, inverse = np.unique(pts, return_inverse=True)
        merged = np.zeros(len(uniq))
        np.add.at(merged, inverse, wts)
        n = round(merged.sum()) if count is None else int(count)
        if moments is None:
            if n:
                mean = float(np.average(uniq, weights=merged))
                std = float(math.sqrt(np.average((uniq - mean) ** 2, weights=merged)))
                moments = (mean, std, float(uniq[0]), float(uniq[-1]), float(np.dot(uniq, merged)))
            else:
                moments = (math.nan, math.nan, math.nan, math.nan, 0.0)
        mean, std, lo, hi, total = moments
        return cls(
            points=uniq,
            weights=merged,
            count=n,
            missing=int(missing),
            mean=mean,
            std=std,
            minimum=lo,
            maximum=hi,
            total=total,
            distinct=(len(uniq) if exact else None) if distinct is None else int(distinct),
            exact=exact,
            integral=integral,
            cdf_error=0.0 if exact else float(cdf_error),
        )


@dataclass(frozen=True)
class CategoricalDistribution:
    """A categorical column as its frequency table (NULL excluded, counted in ``missing``).

    ``truncated`` marks a column with too many distinct values to tabulate (``counts`` is then empty);
    such a column still knows its non-NULL count (``present``) and its approximate distinct count
    (``approx_distinct``), so completeness and distinct counts stay right.
    """

    counts: dict[str, int]
    missing: int = 0
    truncated: bool = False
    present: int | None = None
    approx_distinct: int | None = None
    kind: str = field(default="categorical", init=False)

    @property
    def count(self) -> int:
        """Non-NULL values."""
        if self.present is not None:
            return int(self.present)
        return int(sum(self.counts.values()))

    @property
    def distinct(self) -> int:
        """Distinct non-NULL values (approximate for a truncated column)."""
        if self.truncated and self.approx_distinct is not None:
            return int(self.approx_distinct)
        return len(self.counts)

    @property
    def exact(self) -> bool:
        """Frequency tables are always exact."""
        return True

    @property
    def completeness(self) -> float:
        """Share of present values (NaN for an empty column)."""
        n = self.count + self.missing
        return self.count / n if n else math.nan

    def value_counts(self) -> dict[str, float]:
        """The frequency table as floats."""
        return {k: float(v) for k, v in self.counts.items()}

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict (inverse of :func:`distribution_from_json`)."""
        return {
            "kind": "categorical",
            "counts": dict(self.counts),
            "missing": self.missing,
            "truncated": self.truncated,
            "present": self.present,
            "approx_distinct": self.approx_distinct,
        }


ColumnDistribution = NumericDistribution | CategoricalDistribution


def distribution_from_json(data: dict[str, Any]) -> ColumnDistribution:
    """Rebuild a distribution from :meth:`to_json` output."""
    if data.get("kind") == "categorical":
        return CategoricalDistribution(
            {str(k): int(v) for k, v in data["counts"].items()},
            int(data["missing"]),
            bool(data.get("truncated", False)),
            None if data.get("present") is None else int(data["present"]),
            None if data.get("approx_distinct") is None else int(data["approx_distinct"]),
        )
    return NumericDistribution(
        points=np.asarray(data["points"], dtype=float),
        weights=np.asarray(data["weights"], dtype=float),
        count=int(data["count"]),
        missing=int(data["missing"]),
        mean=_float(data["mean"]),
        std=_float(data["std"]),
        minimum=_float(data["min"]),
        maximum=_float(data["max"]),
        total=_float(data["sum"]),
        distinct=None if data.get("distinct") is None else int(data["distinct"]),
        exact=bool(data["exact"]),
        integral=bool(data.get("integral", False)),
        cdf_error=stored_cdf_error(data.get("cdf_error"), bool(data["exact"])),
    )


def stored_cdf_error(value: Any, exact: bool, k: int = DEFAULT_SKETCH_K) -> float:
    """A CDF error read back from a document (profile JSON, baseline).

    Args:
        value: The stored ``cdf_error``; None in documents written before it was stored.
        exact: Whether the distribution is exact (then 0).
        k: The KLL accuracy the document's sketch was built with: an old document gets its rank error.
    """
    if exact:
        return 0.0
    return kll_rank_error(k) if value is None else float(value)


def _key(value: float, integral: bool) -> str:
    if integral and value.is_integer():
        return str(int(value))
    return repr(value)


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)
