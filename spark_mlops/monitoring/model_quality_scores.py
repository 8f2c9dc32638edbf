"""Score-based model quality (ROC AUC, average precision, curves) and the Poisson bootstrap weights.

Spark side of :mod:`spark_mlops.monitoring.model_quality`; see that module for the method. Helpers here
are shared by the threshold and score aggregations so both treat NULL/NaN and weights identically.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from pyspark.ml.functions import vector_to_array
from pyspark.ml.linalg import VectorUDT
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DoubleType, FloatType, NumericType, StringType

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.monitoring.classification_math import ratio

__all__ = [
    "ScoreCurves",
    "clean_column",
    "literal_like",
    "poisson_weights",
    "score_column",
    "score_metrics",
]

# Poisson(1) CDF F(k) = e^-1 Σ_{i≤k} 1/i!; w = #{k : u > F(k)} is a Poisson(1) draw (P(w > 9) ≈ 1e-8).
_POISSON_CDF = [math.exp(-1) * sum(1 / math.factorial(i) for i in range(k + 1)) for k in range(10)]


@dataclass(frozen=True)
class ScoreCurves:
    """ROC and precision-recall points at bucketed thresholds (descending), from the score aggregation.

    ``fpr[i]``/``tpr[i]``/``precision[i]``/``recall[i]`` hold for "score ≥ thresholds[i]"; the first ROC
    point is (0, 0) at threshold +inf, where precision is undefined (nan).
    """

    thresholds: list[float]
    fpr: list[float]
    tpr: list[float]
    precision: list[float]
    recall: list[float]


def clean_column(df: DataFrame, name: str) -> Column:
    """The column with NaN turned into NULL (NaN is a missing value here, not a class or a number)."""
    col = F.col(name)
    if isinstance(df.schema[name].dataType, (DoubleType, FloatType)):
        return F.when(F.isnan(col), F.lit(None)).otherwise(col)
    return col


def score_column(df: DataFrame, name: str) -> Column:
    """Positive-class score: a number, element 1 of a Spark ML probability vector, or of an array."""
    dtype = df.schema[name].dataType
    # F.get: a too-short vector/array gives NULL (an excluded, counted row), not an ANSI index error.
    if isinstance(dtype, VectorUDT):
        return F.get(vector_to_array(F.col(name)), 1)
    if isinstance(dtype, ArrayType):
        return F.get(F.col(name), 1).cast("double")
    if isinstance(dtype, NumericType):
        return clean_column(df, name).cast("double")
    raise InvalidArgumentError(
        f"probability={name!r} must be numeric, an array or a Spark ML vector, not {dtype.simpleString()}"
    )


def literal_like(df: DataFrame, column: str, value: Any, argument: str) -> Column:
    """``value`` as a literal comparable with ``column`` without Spark's ANSI casts failing at run time.

    A string column compares with ``str(value)`` (so ``positive_label=1`` matches the label ``"1"``); a
    numeric column needs a numeric value (or a numeric string).

    Raises:
        InvalidArgumentError: a non-numeric value for a numeric column; the message names ``argument``.
    """
    dtype = df.schema[column].dataType
    if isinstance(dtype, StringType):
        return F.lit(str(value))
    if isinstance(dtype, NumericType) and not isinstance(value, (int, float)):
        try:
            return F.lit(float(value))
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"{argument}={value!r} cannot match the numeric column {column!r}"
            ) from None
    return F.lit(value)


def poisson_weights(df: DataFrame, replicates: int, seed: int) -> tuple[DataFrame, list[Column]]:
    """Add Poisson(1) bootstrap weight columns ``_w1.._wB``; returns the frame and weight columns."""
    rowid = F.monotonically_increasing_id()
    mask = F.lit((1 << 53) - 1)
    uniforms = [
        (F.xxhash64(F.lit(seed), F.lit(b), rowid).bitwiseAND(mask).cast("double") / float(1 << 53)).alias(
            f"_u{b}"
        )
        for b in range(1, replicates + 1)
    ]
    with_u = df.select("*", *uniforms)
    # A separate projection so each uniform is computed once, not once per CDF comparison.
    weights = [
        functools.reduce(lambda a, c: a + c, [(F.col(f"_u{b}") > c).cast("int") for c in _POISSON_CDF]).alias(
            f"_w{b}"
        )
        for b in range(1, replicates + 1)
    ]
    out = with_u.select(*[c for c in df.columns], *weights)
    return out, [F.col(f"_w{b}") for b in range(1, replicates + 1)]


def score_metrics(
    df: DataFrame,
    probability: str,
    positive_label: Any,
    label: str,
    prediction: str,
    replicates: int,
    seed: int,
    curve_points: int,
) -> tuple[list[dict[str, float]], ScoreCurves]:
    """ROC AUC and average precision per replicate (exact) plus bucketed curve points: one Spark job."""
    y, p, s = clean_column(df, label), clean_column(df, prediction), score_column(df, probability)
    positive = literal_like(df, label, positive_label, "positive_label")
    base = df.select((y == positive).cast("long").alias("_t"), s.alias("_s")).where(
        y.isNotNull() & p.isNotNull() & s.isNotNull()
    )
    scored, weights = poisson_weights(base, replicates, seed)
    t = F.col("_t")
    per_score = scored.groupBy("_s").agg(
        *[F.sum(w * t).alias(f"pos{r}") for r, w in enumerate([F.lit(1), *weights])],
        *[F.sum(w * (1 - t)).alias(f"neg{r}") for r, w in enumerate([F.lit(1), *weights])],
    )
    # One partition ordered by score: the distinct-score table is small next to the data. Only a running
    # frame and the whole frame are used (both linear); "current to unbounded following" frames would be
    # quadratic in Spark, so "at or above s" is computed as total − below.
    order = Window.orderBy("_s")
    before = order.rowsBetween(Window.unboundedPreceding, -1)
    whole = order.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    cols: list[Column] = []
    for r in range(replicates + 1):
        pos, neg = F.col(f"pos{r}"), F.col(f"neg{r}")
        neg_below = F.coalesce(F.sum(neg).over(before), F.lit(0))
        tp_ge = F.sum(pos).over(whole) - F.coalesce(F.sum(pos).over(before), F.lit(0))
        fp_ge = F.sum(neg).over(whole) - neg_below
        cols += [
            (pos * (neg_below + 0.5 * neg)).alias(f"auc{r}"),
            F.when(pos > 0, pos * tp_ge / (tp_ge + fp_ge)).otherwise(F.lit(0.0)).alias(f"ap{r}"),
            pos.alias(f"pos{r}"),
            neg.alias(f"neg{r}"),
        ]
        if r == 0:
            cols += [tp_ge.alias("tp_ge"), fp_ge.alias("fp_ge")]
    rows_before = F.coalesce(F.sum(F.col("pos0") + F.col("neg0")).over(before), F.lit(0))
    bucket = F.floor(F.lit(curve_points) * rows_before / F.sum(F.col("pos0") + F.col("neg0")).over(whole))
    windowed = per_score.select("_s", bucket.alias("_bucket"), *cols)
    sums = [
        F.sum(f"{k}{r}").alias(f"{k}{r}") for r in range(replicates + 1) for k in ("auc", "ap", "pos", "neg")
    ]
    buckets = (
        windowed.groupBy("_bucket")
        .agg(F.min("_s").alias("thr"), F.max("tp_ge").alias("tp"), F.max("fp_ge").alias("fp"), *sums)
        .collect()
    )
    out = []
    for r in range(replicates + 1):
        pos_total = sum(float(b[f"pos{r}"]) for b in buckets)
        neg_total = sum(float(b[f"neg{r}"]) for b in buckets)
        auc = ratio(sum(float(b[f"auc{r}"]) for b in buckets), pos_total * neg_total)
        ap = ratio(sum(float(b[f"ap{r}"]) for b in buckets), pos_total)
        total = pos_total + neg_total
        # A constant score: AUC 0.5 when both classes occur, AP = prevalence.
        bcc_auc = 0.5 if pos_total > 0 and neg_total > 0 else math.nan
        out.append({
            "auc": auc, "pr_auc": ap,
            "auc_best_constant_classifier": bcc_auc,
            "pr_auc_best_constant_classifier": ratio(pos_total, total) if pos_total > 0 else math.nan,
        })  # fmt: skip
    pos0 = sum(float(b["pos0"]) for b in buckets)
    neg0 = sum(float(b["neg0"]) for b in buckets)
    ordered = sorted(buckets, key=lambda b: -float(b["thr"]))
    curves = ScoreCurves(
        thresholds=[math.inf] + [float(b["thr"]) for b in ordered],
        fpr=[0.0] + [ratio(float(b["fp"]), neg0) for b in ordered],
        tpr=[0.0] + [ratio(float(b["tp"]), pos0) for b in ordered],
        precision=[math.nan] + [ratio(float(b["tp"]), float(b["tp"]) + float(b["fp"])) for b in ordered],
        recall=[0.0] + [ratio(float(b["tp"]), pos0) for b in ordered],
    )
    return out, curves
