"""Global feature attributions of Spark ML models and their drift (Clarify's NDCG).

* :func:`feature_attributions` with ``method="permutation"`` is model-agnostic permutation importance,
  computed distributed: each feature's values are permuted across rows by a random cyclic shift inside
  random blocks (rows get a seeded random block and a seeded random order within it; every row takes the
  value of the next row of its block, the last row the first's). That keeps the feature's marginal
  distribution exactly and breaks its link to the label, with window functions partitioned by block —
  no global sort, no join. The unpermuted copy and one permuted copy per feature are unioned, scored by
  the model and aggregated in **one** Spark job (``groupBy(copy)``); importance = score drop (accuracy)
  or error increase (rmse/mae). The input is read once per copy; cache it when it is expensive.
* ``method="native"`` reads ``featureImportances`` of the (last) tree model in the pipeline (no job).
* :func:`attribution_drift` is Clarify's normalized discounted cumulative gain (SageMaker developer guide,
  "Feature attribution drift for models in production"): with ``F`` the baseline ranking and ``F'`` the
  current one, ``NDCG = Σ_i a(F'(i))/log2(i+1) / Σ_i a(F(i))/log2(i+1)`` where ``a`` are the *baseline*
  attributions; drift is flagged below the threshold (0.90, Clarify's default). Negative attributions
  (a permutation importance below 0 is noise) count as relevance 0.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.spark import job_description

__all__ = ["AttributionDrift", "attribution_drift", "feature_attributions", "ndcg"]

log = logging.getLogger(__name__)

_METRICS = ("accuracy", "rmse", "mae")
_BASELINE = "__unpermuted__"


def _permuted(df: DataFrame, features: Sequence[str], seed: int, blocks: int) -> DataFrame:
    """``df`` plus ``<feature>__perm`` columns: a random within-block cyclic shift of each feature."""
    keyed = df.select("*", F.floor(F.rand(seed) * blocks).alias("_blk"), F.rand(seed + 1).alias("_ord"))
    order = Window.partitionBy("_blk").orderBy("_ord")
    perms = [
        F.coalesce(F.lead(f, 1).over(order), F.first(f).over(order)).alias(f"{f}__perm") for f in features
    ]
    return keyed.select(*df.columns, *perms)


def _score(metric: str, prediction: Column, label: Column) -> Column:
    if metric == "accuracy":
        return F.avg((prediction == label).cast("double"))
    err = prediction.cast("double") - label.cast("double")
    return F.sqrt(F.avg(err * err)) if metric == "rmse" else F.avg(F.abs(err))


def feature_attributions(
    model: Any,
    df: DataFrame,
    label: str,
    features: Sequence[str],
    method: str = "permutation",
    metric: str = "accuracy",
    prediction_col: str = "prediction",
    seed: int = 42,
    blocks: int = 16,
) -> dict[str, float]:
    """Global importance of each feature for a fitted Spark ML model, highest first.

    Args:
        model: A fitted Spark ML Transformer (e.g. a ``PipelineModel`` that assembles ``features``).
        df: Rows with the raw ``features`` and the ``label`` (permutation only).
        label: Label column (permutation only); rows with a NULL label are ignored.
        features: Feature columns; for ``native`` the order of the assembled feature vector.
        method: ``permutation`` (distributed, model-agnostic) or ``native`` (tree featureImportances).
        metric: Permutation score: ``accuracy`` (classification), ``rmse`` or ``mae`` (regression).
        prediction_col: Column the model writes its prediction to.
        seed: Seed of the permutation.
        blocks: Number of random blocks the permutation works within (its parallelism).

    Returns:
        ``{feature: importance}`` sorted by importance, descending.

    Raises:
        InvalidArgumentError: unknown method/metric, no features, or a model without featureImportances.
        ColumnNotFoundError: a feature or the label is missing.
    """
    features = list(features)
    if not features:
        raise InvalidArgumentError("features must name at least one column")
    if method == "native":
        return _native(model, features)
    if method != "permutation":
        raise InvalidArgumentError(f"method={method!r} must be 'permutation' or 'native'")
    if metric not in _METRICS:
        raise InvalidArgumentError(f"metric={metric!r} must be one of {_METRICS}")
    if blocks < 1:
        raise InvalidArgumentError(f"blocks={blocks} must be >= 1")
    for argument, name in [("label", label)] + [("features", f) for f in features]:
        if name not in df.columns:
            raise ColumnNotFoundError(f"{argument}: {name!r} is not a column of the DataFrame {df.columns}")
    base = _permuted(df.where(F.col(label).isNotNull()), features, seed, blocks)
    copies = [base.select(*df.columns, F.lit(_BASELINE).alias("_copy"))]
    for f in features:
        cols = [F.col(f"{f}__perm").alias(f) if c == f else F.col(c) for c in df.columns]
        copies.append(base.select(*cols, F.lit(f).alias("_copy")))
    union = copies[0]
    for copy in copies[1:]:
        union = union.unionByName(copy)
    scored = model.transform(union)
    if prediction_col not in scored.columns:
        raise ColumnNotFoundError(f"prediction_col={prediction_col!r} is not produced by the model")
    with job_description(df.sparkSession, f"permutation importance of {len(features)} features"):
        rows = (
            scored.groupBy("_copy")
            .agg(_score(metric, F.col(prediction_col), F.col(label)).alias("s"))
            .collect()
        )
    scores = {r["_copy"]: float(r["s"]) if r["s"] is not None else math.nan for r in rows}
    reference = scores.get(_BASELINE, math.nan)
    sign = 1.0 if metric == "accuracy" else -1.0  # accuracy drops, errors grow when a feature matters
    importance = {f: sign * (reference - scores.get(f, math.nan)) for f in features}
    return dict(sorted(importance.items(), key=lambda kv: (-_finite(kv[1]), kv[0])))


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def _native(model: Any, features: list[str]) -> dict[str, float]:
    stages = list(getattr(model, "stages", [model]))
    tree = next((s for s in reversed(stages) if hasattr(s, "featureImportances")), None)
    if tree is None:
        raise InvalidArgumentError("method='native' needs a model with featureImportances (a tree model)")
    values = tree.featureImportances.toArray()
    if len(values) != len(features):
        raise InvalidArgumentError(
            f"features has {len(features)} names but the model's feature vector has {len(values)} entries"
        )
    out = {f: float(v) for f, v in zip(features, values, strict=True)}
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _ranking(values: Mapping[str, float]) -> list[str]:
    return [k for k, _ in sorted(values.items(), key=lambda kv: (-_finite(float(kv[1])), kv[0]))]


def ndcg(baseline: Mapping[str, float], current: Mapping[str, float], top_k: int | None = None) -> float:
    """Clarify's NDCG of the current ranking, with the baseline attributions as relevance.

    Args:
        baseline: Feature → baseline attribution (defines relevance and the ideal ranking).
        current: Feature → current attribution; baseline features missing here rank last.
        top_k: Only the first ``top_k`` positions (default: all baseline features).

    Returns:
        A value in [0, 1]; ``nan`` when every baseline attribution is ≤ 0 (nothing to rank).
    """
    relevance = {f: max(float(v), 0.0) if math.isfinite(float(v)) else 0.0 for f, v in baseline.items()}
    k = len(relevance) if top_k is None else min(top_k, len(relevance))
    ideal = _ranking(relevance)[:k]
    present = {f: current[f] for f in relevance if f in current}
    ranked = _ranking(present) + sorted(f for f in relevance if f not in current)
    discount = [1.0 / math.log2(i + 2) for i in range(k)]
    idcg = sum(relevance[f] * w for f, w in zip(ideal, discount, strict=False))
    dcg = sum(relevance[f] * w for f, w in zip(ranked[:k], discount, strict=False))
    return dcg / idcg if idcg > 0 else math.nan


@dataclass(frozen=True)
class AttributionDrift:
    """Result of :func:`attribution_drift`; ``drifted`` when ``ndcg < threshold`` (or ndcg is nan)."""

    ndcg: float
    threshold: float
    drifted: bool
    baseline_ranking: list[str]
    current_ranking: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON and MLflow."""
        return {
            "ndcg": self.ndcg,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "baseline_ranking": list(self.baseline_ranking),
            "current_ranking": list(self.current_ranking),
        }


def attribution_drift(
    baseline: Mapping[str, float],
    current: Mapping[str, float],
    threshold: float = 0.90,
    top_k: int | None = None,
) -> AttributionDrift:
    """Feature attribution drift: NDCG of the current ranking against the baseline (Clarify).

    Args:
        baseline: Feature → attribution from the baseline (training) data.
        current: Feature → attribution from the current (live) data.
        threshold: Drift when NDCG is below it (Clarify's default 0.90).
        top_k: Compare only the top ``top_k`` positions.

    Returns:
        An :class:`AttributionDrift`.

    Raises:
        InvalidArgumentError: empty baseline or a threshold outside [0, 1].
    """
    if not baseline:
        raise InvalidArgumentError("baseline must hold at least one feature attribution")
    if not 0.0 <= threshold <= 1.0:
        raise InvalidArgumentError(f"threshold={threshold} must be in [0, 1]")
    value = ndcg(baseline, current, top_k)
    return AttributionDrift(
        ndcg=value,
        threshold=threshold,
        drifted=math.isnan(value) or value < threshold,
        baseline_ranking=_ranking(baseline),
        current_ranking=_ranking(current),
    )
