"""Permutation importance (distributed) and Clarify's NDCG attribution drift."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.monitoring.attribution import _permuted, attribution_drift, feature_attributions, ndcg


def _direct_ndcg(relevance: dict[str, float], current: dict[str, float]) -> float:
    """NDCG written out: DCG over the current order / DCG over the ideal (baseline) order."""
    order = sorted(current, key=lambda f: -current[f])
    ideal = sorted(relevance, key=lambda f: -relevance[f])
    dcg = sum(relevance[f] / np.log2(i + 2) for i, f in enumerate(order))
    idcg = sum(relevance[f] / np.log2(i + 2) for i, f in enumerate(ideal))
    return dcg / idcg


def test_ndcg_against_direct_formula() -> None:
    baseline = {"a": 0.5, "b": 0.3, "c": 0.15, "d": 0.05}
    same_order = {"a": 9.0, "b": 3.0, "c": 2.0, "d": 1.0}
    assert ndcg(baseline, same_order) == pytest.approx(1.0)
    swapped = {"a": 0.1, "b": 0.6, "c": 0.2, "d": 0.01}  # b, c, a, d
    # By hand: DCG = .3/1 + .15/log2(3) + .5/2 + .05/log2(5); IDCG = .5 + .3/log2(3) + .15/2 + .05/log2(5)
    by_hand = (0.3 + 0.15 / math.log2(3) + 0.5 / 2 + 0.05 / math.log2(5)) / (
        0.5 + 0.3 / math.log2(3) + 0.15 / 2 + 0.05 / math.log2(5)
    )
    assert ndcg(baseline, swapped) == pytest.approx(by_hand)
    assert ndcg(baseline, swapped) == pytest.approx(_direct_ndcg(baseline, swapped))
    rng = np.random.default_rng(0)
    for _ in range(20):
        names = [f"f{i}" for i in range(8)]
        base = dict(zip(names, rng.random(8), strict=True))
        cur = dict(zip(names, rng.random(8), strict=True))
        assert ndcg(base, cur) == pytest.approx(_direct_ndcg(base, cur))


def test_attribution_drift_threshold() -> None:
    baseline = {"a": 0.5, "b": 0.3, "c": 0.15, "d": 0.05}
    reversed_ = {"a": 0.0, "b": 0.1, "c": 0.2, "d": 0.3}
    drift = attribution_drift(baseline, reversed_)
    assert drift.ndcg == pytest.approx(_direct_ndcg(baseline, reversed_))
    assert drift.drifted and drift.threshold == 0.90
    assert drift.current_ranking == ["d", "c", "b", "a"]
    assert not attribution_drift(baseline, {"a": 1, "b": 0.5, "d": 0.2, "c": 0.1}).drifted
    with pytest.raises(InvalidArgumentError, match="threshold"):
        attribution_drift(baseline, baseline, threshold=2)


def test_permutation_keeps_marginal_and_moves_values(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.range(400).selectExpr("id", "CAST(id * 7 % 101 AS DOUBLE) AS x")
    rows = _permuted(df, ["x"], seed=3, blocks=4).toPandas()
    assert sorted(rows["x__perm"]) == sorted(rows["x"])  # same multiset of values
    assert (rows["x__perm"] != rows["x"]).mean() > 0.95  # a cyclic shift moves (almost) every value


def test_permutation_importance_of_a_fitted_model(spark) -> None:  # type: ignore[no-untyped-def]
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import DecisionTreeClassifier
    from pyspark.ml.feature import VectorAssembler

    rng = np.random.default_rng(1)
    n = 1000
    signal, noise = rng.random(n), rng.random(n)
    label = (signal > 0.5).astype(float)
    df = spark.createDataFrame(pd.DataFrame({"signal": signal, "noise": noise, "label": label}))
    pipeline = Pipeline(
        stages=[
            VectorAssembler(inputCols=["signal", "noise"], outputCol="features"),
            DecisionTreeClassifier(maxDepth=2, seed=1),
        ]
    )
    model = pipeline.fit(df)
    sc = spark.sparkContext
    sc.setJobGroup("attribution-jobs", "count")  # conftest's count_jobs calls clearJobGroup, gone in 4.2
    try:
        importance = feature_attributions(model, df, "label", ["signal", "noise"], seed=5)
    finally:
        jobs = len(sc.statusTracker().getJobIdsForGroup("attribution-jobs"))
        sc.setLocalProperty("spark.jobGroup.id", None)
    assert jobs == 1  # all permuted copies scored in one aggregation
    assert list(importance) == ["signal", "noise"]
    # The tree splits on `signal` only: shuffling it makes predictions independent of the label, so
    # accuracy falls from ~1 to ~0.5 (binomial sd √(.25/n) ≈ 0.016); shuffling `noise` changes nothing.
    baseline_acc = float(np.mean((signal > 0.5) == (model.transform(df).toPandas()["prediction"] == 1)))
    assert importance["signal"] == pytest.approx(baseline_acc - 0.5, abs=4 * math.sqrt(0.25 / n))
    assert importance["noise"] == pytest.approx(0.0, abs=1e-9)
    native = feature_attributions(model, df, "label", ["signal", "noise"], method="native")
    assert native == pytest.approx(
        dict(zip(["signal", "noise"], model.stages[-1].featureImportances.toArray(), strict=True))
    )
