"""Model quality of a scored DataFrame, computed distributed on all rows (SageMaker Model Monitor keys).

:func:`model_quality` needs one Spark job per problem type, plus one for the score metrics (ROC AUC,
average precision and the ROC/PR curves) when a probability column is given — at most two jobs:

* **threshold metrics**: one ``groupBy(label, prediction)`` aggregation yields the confusion matrix (and
  the NULL counts, since NULL is a group key); regression is one global aggregation of sums.
* **score metrics** (binary, with ``probability``): ``groupBy(score)`` gives positives/negatives per
  distinct score; cumulative window sums over the distinct scores give, per score, the negatives below
  it and the positives/negatives at or above it. ROC AUC is then the exact Mann-Whitney rank sum with
  ties counted half, ``Σ_s pos(s)·(neg(<s) + ½·neg(s)) / (P·N)`` (= scikit-learn's ``roc_auc_score``),
  and ``pr_auc`` is the *average precision* ``Σ_s pos(s)/P · precision(≥s)`` (= scikit-learn's
  ``average_precision_score``, not the trapezoidal area). Only per-bucket partial sums are collected:
  the distinct scores are cut into ``curve_points`` buckets of about equal row counts, each bucket
  returns its sums and its lowest-threshold ROC/PR point, so the curves hold exact points and the
  scalars stay exact.

**Standard deviations** use a Poisson bootstrap computed in the same pass: each row gets ``B`` weights
``w_b ~ Poisson(1)`` drawn by inverting the Poisson CDF at ``u = xxhash64(seed, b, row id) / 2^53``
where the row id is ``monotonically_increasing_id()`` (reproducible for the same input partitioning);
every aggregate is also summed with each weight, each metric is recomputed per replicate and the
standard deviation is the sample std of the replicates. As in Model Monitor (which uses five 80 %
subsamples), it is only reported from 200 used rows on; below that it is ``nan``.

**NULLs**: a row with a NULL (or NaN) label, prediction or — when given — probability is excluded from
every metric and counted in ``excluded`` (attributed to the first NULL of label, prediction,
probability), so all metrics describe the same rows.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import NumericType

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.monitoring.classification_math import (
    BINARY_LOWER_IS_BETTER,
    best_constant,
    binary_metrics,
    bootstrap_std,
    multiclass_metrics,
    regression_metrics,
)
from spark_mlops.monitoring.model_quality_scores import (
    ScoreCurves,
    clean_column,
    literal_like,
    poisson_weights,
    score_column,
    score_metrics,
)
from spark_mlops.spark import job_description

__all__ = ["PROBLEM_TYPES", "ModelQualityMetrics", "ScoreCurves", "merge_ground_truth", "model_quality"]

log = logging.getLogger(__name__)

PROBLEM_TYPES = ("binary_classification", "multiclass_classification", "regression")
_MIN_ROWS_FOR_STD = 200


class ModelQualityMetrics(dict[str, Any]):
    """Metric name → value (``confusion_matrix`` → ``{observed: {predicted: count}}``).

    Attributes:
        problem_type: One of :data:`PROBLEM_TYPES`.
        standard_deviations: Metric name → bootstrap standard deviation (``nan`` below 200 rows).
        row_count: Rows used by every metric.
        excluded: Rows left out, by reason (``null_label``, ``null_prediction``, ``null_probability``).
        curves: ROC/PR points when a probability column was given, else ``None``.
    """

    def __init__(
        self,
        values: dict[str, Any],
        *,
        problem_type: str,
        standard_deviations: dict[str, float],
        row_count: int,
        excluded: dict[str, int],
        curves: ScoreCurves | None = None,
    ) -> None:
        super().__init__(values)
        self.problem_type = problem_type
        self.standard_deviations = standard_deviations
        self.row_count = row_count
        self.excluded = excluded
        self.curves = curves

    def scalars(self) -> dict[str, float]:
        """The numeric metrics only (no confusion matrix), e.g. for MLflow."""
        return {k: float(v) for k, v in self.items() if isinstance(v, (int, float))}

    def to_json(self) -> dict[str, Any]:
        """Model Monitor's statistics shape: ``{"<problem>_metrics": {name: {value, standard_deviation}}}``.

        Non-finite values stay floats (``nan``/``inf``); serialise with ``json.dumps`` (which allows them).
        """
        body: dict[str, Any] = {}
        for name, value in self.items():
            if name == "confusion_matrix":
                body[name] = value
            else:
                body[name] = {"value": value, "standard_deviation": self.standard_deviations.get(name)}
        return {
            "version": 0.0,
            "dataset": {"item_count": self.row_count, "excluded": dict(self.excluded)},
            f"{self.problem_type}_metrics": body,
        }


def _require_columns(df: DataFrame, **columns: str | None) -> None:
    for argument, name in columns.items():
        if name is not None and name not in df.columns:
            raise ColumnNotFoundError(f"{argument}={name!r} is not a column of the DataFrame {df.columns}")


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def model_quality(
    df: DataFrame,
    problem_type: str,
    label: str,
    prediction: str,
    probability: str | None = None,
    positive_label: Any = 1,
    *,
    bootstrap_replicates: int = 20,
    seed: int = 42,
    curve_points: int = 200,
) -> ModelQualityMetrics:
    """Model quality metrics of scored rows, in at most two Spark jobs.

    Args:
        df: Rows with the observed label and the model's prediction.
        problem_type: ``binary_classification``, ``multiclass_classification`` or ``regression``.
        label: Observed label (ground truth) column.
        prediction: Predicted label (classification) or value (regression) column.
        probability: Binary only: score of the positive class (number, array or Spark ML probability
            vector, element 1) for ``auc``, ``pr_auc`` and the curves.
        positive_label: Binary only: the label value that is positive; every other value is negative.
        bootstrap_replicates: Poisson bootstrap replicates for the standard deviations (0 disables).
        seed: Seed of the bootstrap weights.
        curve_points: Number of threshold buckets of the ROC/PR curves.

    Returns:
        The metrics (Model Monitor names), with standard deviations, row counts and curves attached.

    Raises:
        InvalidArgumentError: unknown problem type or bad parameter.
        ColumnNotFoundError: a named column is missing.

    Example:
        >>> m = model_quality(df, "binary_classification", "label", "prediction", "probability")
        >>> m["auc"], m.standard_deviations["auc"], m["confusion_matrix"]["1"]["0"]
    """
    if problem_type not in PROBLEM_TYPES:
        raise InvalidArgumentError(f"problem_type={problem_type!r} must be one of {PROBLEM_TYPES}")
    if bootstrap_replicates < 0 or curve_points < 1:
        raise InvalidArgumentError(
            f"bootstrap_replicates={bootstrap_replicates} must be >= 0 and curve_points={curve_points} >= 1"
        )
    if probability is not None and problem_type != "binary_classification":
        raise InvalidArgumentError(f"probability={probability!r} is only used for binary_classification")
    _require_columns(df, label=label, prediction=prediction, probability=probability)
    spark = df.sparkSession
    with job_description(spark, f"model_quality {problem_type}"):
        if problem_type == "regression":
            return _regression(df, label, prediction, bootstrap_replicates, seed)
        return _classification(
            df, problem_type, label, prediction, probability, positive_label, bootstrap_replicates, seed,
            curve_points,
        )  # fmt: skip


def _std_map(replicates: list[dict[str, float]], n: int, names: Sequence[str]) -> dict[str, float]:
    if n < _MIN_ROWS_FOR_STD or not replicates:
        return {name: math.nan for name in names}
    return {name: bootstrap_std([r.get(name, math.nan) for r in replicates]) for name in names}


def _regression(
    df: DataFrame, label: str, prediction: str, replicates: int, seed: int
) -> ModelQualityMetrics:
    for argument, name in (("label", label), ("prediction", prediction)):
        if not isinstance(df.schema[name].dataType, NumericType):
            raise InvalidArgumentError(f"{argument}={name!r} must be numeric for regression")
    base = df.select(
        clean_column(df, label).cast("double").alias("_y"),
        clean_column(df, prediction).cast("double").alias("_p"),
    )
    weighted, weights = poisson_weights(base, replicates, seed)
    y, p = F.col("_y"), F.col("_p")
    valid = y.isNotNull() & p.isNotNull()
    err = y - p
    aggs = [
        F.count(F.lit(1)).alias("rows"),
        F.sum(y.isNull().cast("long")).alias("null_label"),
        F.sum((y.isNotNull() & p.isNull()).cast("long")).alias("null_prediction"),
    ]
    for r, w in enumerate([F.lit(1), *weights]):
        aggs += [
            F.sum(F.when(valid, w)).alias(f"n{r}"),
            F.sum(w * F.abs(err)).alias(f"abs{r}"),
            F.sum(w * err * err).alias(f"sq{r}"),
            F.sum(F.when(valid, w * y)).alias(f"y{r}"),
            F.sum(F.when(valid, w * y * y)).alias(f"yy{r}"),
        ]
    row = weighted.agg(*aggs).collect()[0]

    def metrics(r: int) -> dict[str, float]:
        return regression_metrics(*(float(row[f"{k}{r}"] or 0.0) for k in ("n", "abs", "sq", "y", "yy")))

    n = int(row["n0"] or 0)
    values = metrics(0)
    stds = _std_map([metrics(r) for r in range(1, replicates + 1)], n, list(values))
    excluded = {
        "null_label": int(row["null_label"] or 0),
        "null_prediction": int(row["null_prediction"] or 0),
    }
    return ModelQualityMetrics(
        values, problem_type="regression", standard_deviations=stds, row_count=n, excluded=excluded
    )


def _binary_of(m: np.ndarray) -> dict[str, float]:
    # 2×2 matrix with row/column 0 = negative, 1 = positive.
    return binary_metrics(tp=m[1, 1], fp=m[0, 1], tn=m[0, 0], fn=m[1, 0])


def _with_baselines(values: dict[str, float], m: np.ndarray, binary: bool) -> dict[str, float]:
    metrics_of = _binary_of if binary else multiclass_metrics
    lower = BINARY_LOWER_IS_BETTER if binary else ()
    out = {k: float(v) for k, v in values.items()}  # plain floats, not numpy scalars
    for name, value in best_constant(m, metrics_of, lower).items():
        out[f"{name}_best_constant_classifier"] = float(value)
    return out


def _classification(
    df: DataFrame,
    problem_type: str,
    label: str,
    prediction: str,
    probability: str | None,
    positive_label: Any,
    replicates: int,
    seed: int,
    curve_points: int,
) -> ModelQualityMetrics:
    binary = problem_type == "binary_classification"
    y, p = clean_column(df, label), clean_column(df, prediction)
    cols = [y.alias("_y"), p.alias("_p")]
    if binary:
        # Positive flags are computed by Spark so both jobs compare values with the same (Spark) rules.
        pos_y = literal_like(df, label, positive_label, "positive_label")
        pos_p = literal_like(df, prediction, positive_label, "positive_label")
        cols += [(y == pos_y).alias("_pos_y"), (p == pos_p).alias("_pos_p")]
    cols.append((score_column(df, probability).isNull() if probability else F.lit(False)).alias("_s_null"))
    weighted, weights = poisson_weights(df.select(*cols), replicates, seed)
    keys = ["_y", "_p", "_s_null"] + (["_pos_y", "_pos_p"] if binary else [])
    aggs = [F.count(F.lit(1)).alias("c0")] + [F.sum(w).alias(f"c{r}") for r, w in enumerate(weights, 1)]
    groups = weighted.groupBy(*keys).agg(*aggs).collect()

    excluded = {"null_label": 0, "null_prediction": 0}
    if probability:
        excluded["null_probability"] = 0
    used = []
    for g in groups:
        if g["_y"] is None:
            excluded["null_label"] += g["c0"]
        elif g["_p"] is None:
            excluded["null_prediction"] += g["c0"]
        elif g["_s_null"]:
            excluded["null_probability"] += g["c0"]
        else:
            used.append(g)
    n = sum(int(g["c0"]) for g in used)
    # Confusion matrix over the union of observed and predicted values (scikit-learn's class set).
    classes = sorted({g["_y"] for g in used} | {g["_p"] for g in used})
    observed = sorted({g["_y"] for g in used})
    confusion = {_fmt(a): {_fmt(b): 0 for b in classes} for a in observed}
    for g in used:
        confusion[_fmt(g["_y"])][_fmt(g["_p"])] += int(g["c0"])

    matrices = []
    for r in range(replicates + 1):
        if binary:
            m = np.zeros((2, 2))
            for g in used:
                m[int(bool(g["_pos_y"])), int(bool(g["_pos_p"]))] += g[f"c{r}"] or 0
        else:
            index = {c: i for i, c in enumerate(classes)}
            m = np.zeros((len(classes), len(classes)))
            for g in used:
                m[index[g["_y"]], index[g["_p"]]] += g[f"c{r}"] or 0
        matrices.append(m)
    metrics_of = _binary_of if binary else multiclass_metrics
    per_replicate = [_with_baselines(dict(metrics_of(m)), m, binary) for m in matrices]

    curves = None
    if binary and probability:
        score_values, curves = score_metrics(
            df, probability, positive_label, label, prediction, replicates, seed, curve_points
        )
        for r, extra in enumerate(score_values):
            per_replicate[r].update(extra)
    values: dict[str, Any] = {"confusion_matrix": confusion, **per_replicate[0]}
    names = [k for k in per_replicate[0]]
    stds = _std_map(per_replicate[1:], n, names)
    return ModelQualityMetrics(
        values,
        problem_type=problem_type,
        standard_deviations=stds,
        row_count=n,
        excluded=excluded,
        curves=curves,
    )


def merge_ground_truth(
    predictions: DataFrame, labels: DataFrame, on: str | Sequence[str] = "inference_id", how: str = "inner"
) -> DataFrame:
    """Join captured predictions with ground-truth labels that arrive later (Model Monitor's merge).

    Args:
        predictions: Inference rows with the key column(s) and the model output.
        labels: Ground-truth rows with the key column(s) and the label.
        on: Key column name(s) present in both.
        how: ``inner`` (only labelled predictions) or ``left`` (keep unlabelled ones, label NULL; they
            are then counted as ``null_label`` by :func:`model_quality`).

    Returns:
        The joined DataFrame (lazy; no job runs). Keys must be unique in ``labels``: a duplicated key
        repeats its prediction rows.

    Raises:
        ColumnNotFoundError: a key is missing on either side.
        InvalidArgumentError: ``how`` is not inner/left, or non-key column names collide.
    """
    keys = [on] if isinstance(on, str) else list(on)
    if how not in ("inner", "left"):
        raise InvalidArgumentError(f"how={how!r} must be 'inner' or 'left'")
    for key in keys:
        _require_columns(predictions, on=key)
        if key not in labels.columns:
            raise ColumnNotFoundError(f"on={key!r} is not a column of labels {labels.columns}")
    clash = (set(predictions.columns) & set(labels.columns)) - set(keys)
    if clash:
        raise InvalidArgumentError(
            f"labels and predictions both have non-key columns {sorted(clash)}; rename one"
        )
    return predictions.join(labels, on=keys, how=how)
