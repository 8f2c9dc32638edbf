"""Pure model-quality math over small aggregated states (confusion counts, sums); no Spark here.

Spark code in :mod:`spark_mlops.monitoring.model_quality` reduces a DataFrame to these states in one or
two jobs; the functions below turn them into the metrics SageMaker Model Monitor reports. Conventions:

* An undefined ratio (0/0, e.g. precision with no predicted positives) is ``nan``, never a silent 0.
  This matches scikit-learn called with ``zero_division=np.nan``; in support-weighted averages
  (``weighted_*``) undefined per-class values are left out and the weights renormalised, as
  scikit-learn does with ``zero_division=np.nan``.
* F-beta is computed from counts, ``(1+β²)·TP / ((1+β²)·TP + β²·FN + FP)``, so it is 0 (not undefined)
  when TP = 0 but there were positives or positive predictions — scikit-learn's ``fbeta_score``.
* The *best constant classifier* value of a metric is the best value any constant prediction reaches on
  the same data (each metric picks its own constant: recall prefers "always positive", true negative rate
  "always negative"); it is the baseline a model has to beat. Model Monitor reports the same
  ``*_best_constant_classifier`` keys.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "BETAS",
    "BINARY_LOWER_IS_BETTER",
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "best_constant",
    "binary_metrics",
    "bootstrap_std",
    "f_beta",
    "multiclass_metrics",
    "ratio",
    "regression_metrics",
]

#: F-scores reported, by key suffix (Model Monitor's f0_5, f1, f2).
BETAS: dict[str, float] = {"f0_5": 0.5, "f1": 1.0, "f2": 2.0}

#: Binary metrics where a lower value is better (everything else: higher is better).
BINARY_LOWER_IS_BETTER = frozenset({"false_positive_rate", "false_negative_rate"})

#: Metric names (any problem type) where a lower value is better.
LOWER_IS_BETTER = frozenset({"false_positive_rate", "false_negative_rate", "mae", "mse", "rmse"})

#: Metric names (any problem type) where a higher value is better.
HIGHER_IS_BETTER = frozenset(
    {
        "recall",
        "precision",
        "accuracy",
        "true_positive_rate",
        "true_negative_rate",
        "auc",
        "pr_auc",
        "f0_5",
        "f1",
        "f2",
        "weighted_recall",
        "weighted_precision",
        "weighted_f0_5",
        "weighted_f1",
        "weighted_f2",
        "r2",
    }
)


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or ``nan`` when the denominator is 0 (undefined, not 0)."""
    return numerator / denominator if denominator != 0 else math.nan


def f_beta(tp: float, fp: float, fn: float, beta: float) -> float:
    """F-beta from counts; ``nan`` when TP, FP and FN are all 0."""
    b2 = beta * beta
    return ratio((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)


def binary_metrics(tp: float, fp: float, tn: float, fn: float) -> dict[str, float]:
    """Threshold metrics of a binary confusion matrix (counts may be bootstrap-weighted floats).

    Args:
        tp: True positives.
        fp: False positives.
        tn: True negatives.
        fn: False negatives.

    Returns:
        recall, precision, accuracy, the four rates and f0_5/f1/f2.
    """
    out = {
        "recall": ratio(tp, tp + fn),
        "precision": ratio(tp, tp + fp),
        "accuracy": ratio(tp + tn, tp + fp + tn + fn),
        "true_positive_rate": ratio(tp, tp + fn),
        "true_negative_rate": ratio(tn, tn + fp),
        "false_positive_rate": ratio(fp, fp + tn),
        "false_negative_rate": ratio(fn, fn + tp),
    }
    for key, beta in BETAS.items():
        out[key] = f_beta(tp, fp, fn, beta)
    return out


def _weighted(values: np.ndarray, support: np.ndarray) -> float:
    # Undefined per-class values drop out and the remaining support weights are renormalised.
    keep = ~np.isnan(values)
    weight = float(support[keep].sum())
    return float((values[keep] * support[keep]).sum() / weight) if weight > 0 else math.nan


def multiclass_metrics(matrix: np.ndarray) -> dict[str, float]:
    """Accuracy and support-weighted precision/recall/F-scores of a K×K confusion matrix.

    Args:
        matrix: ``matrix[i, j]`` = rows observed as class i and predicted as class j, over the union of
            observed and predicted classes (scikit-learn's class set).

    Returns:
        accuracy, weighted_recall, weighted_precision, weighted_f0_5, weighted_f1, weighted_f2.
    """
    m = np.asarray(matrix, dtype=float)
    tp = np.diag(m)
    support = m.sum(axis=1)
    predicted = m.sum(axis=0)
    fn = support - tp
    fp = predicted - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(support > 0, tp / np.where(support > 0, support, 1), np.nan)
        precision = np.where(predicted > 0, tp / np.where(predicted > 0, predicted, 1), np.nan)
    out = {
        "accuracy": ratio(float(tp.sum()), float(m.sum())),
        "weighted_recall": _weighted(recall, support),
        "weighted_precision": _weighted(precision, support),
    }
    for key, beta in BETAS.items():
        per_class = np.array([f_beta(t, p, n, beta) for t, p, n in zip(tp, fp, fn, strict=True)])
        out[f"weighted_{key}"] = _weighted(per_class, support)
    return out


def best_constant(
    matrix: np.ndarray,
    metrics_of: Callable[[np.ndarray], Mapping[str, float]],
    lower_is_better: Iterable[str] = (),
) -> dict[str, float]:
    """Best value of each metric over every constant prediction (a baseline to beat).

    Args:
        matrix: K×K confusion matrix (rows observed, columns predicted).
        metrics_of: Function from a confusion matrix to its metrics.
        lower_is_better: Metric names where the minimum is the best value.

    Returns:
        ``{metric: best value}``; ``nan`` where no constant gives a defined value.
    """
    m = np.asarray(matrix, dtype=float)
    support = m.sum(axis=1)
    low = set(lower_is_better)
    best: dict[str, float] = {}
    for k in range(m.shape[0]):
        constant = np.zeros_like(m)
        constant[:, k] = support  # every row predicted as class k
        for name, value in metrics_of(constant).items():
            if math.isnan(value):
                best.setdefault(name, math.nan)
                continue
            current = best.get(name, math.nan)
            better = value < current if name in low else value > current
            if math.isnan(current) or better:
                best[name] = value
    return best


def regression_metrics(
    n: float, sum_abs: float, sum_sq: float, sum_y: float, sum_y2: float
) -> dict[str, float]:
    """MAE, MSE, RMSE and R² from sums over rows (weights allowed).

    Args:
        n: Number of rows (or sum of weights).
        sum_abs: Σ|y − ŷ|.
        sum_sq: Σ(y − ŷ)².
        sum_y: Σy.
        sum_y2: Σy².

    Returns:
        mae, mse, rmse, r2. With a constant label (total sum of squares 0) R² is ``nan`` for a perfect
        fit and ``-inf`` otherwise (scikit-learn's ``r2_score(..., force_finite=False)``).
    """
    if n <= 0:
        return {"mae": math.nan, "mse": math.nan, "rmse": math.nan, "r2": math.nan}
    mse = sum_sq / n
    # Σ(y−ȳ)² from raw sums; clamp the tiny negative values rounding can produce.
    ss_tot = max(sum_y2 - sum_y * sum_y / n, 0.0)
    if ss_tot <= 1e-12 * max(sum_y2, 1.0):
        r2 = math.nan if sum_sq == 0 else -math.inf
    else:
        r2 = 1.0 - sum_sq / ss_tot
    return {"mae": sum_abs / n, "mse": mse, "rmse": math.sqrt(mse), "r2": r2}


def bootstrap_std(values: Sequence[float]) -> float:
    """Sample standard deviation (ddof=1) of the finite replicate values; ``nan`` with fewer than 2."""
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 2:
        return math.nan
    return float(np.std(finite, ddof=1))
