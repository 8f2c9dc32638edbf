"""Model quality against scikit-learn on random data with ties, NULLs and one-class inputs."""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.monitoring.classification_math import best_constant, binary_metrics, multiclass_metrics
from spark_mlops.monitoring.model_quality import merge_ground_truth, model_quality
from spark_mlops.monitoring.model_quality_constraints import (
    check_model_quality,
    suggest_model_quality_constraints,
)


@pytest.fixture
def count_jobs(spark):  # type: ignore[no-untyped-def]
    """Like conftest's ``count_jobs``, whose ``clearJobGroup`` is gone from PySpark 4.2's SparkContext."""
    sc = spark.sparkContext

    class Counter:
        count = 0

    @contextlib.contextmanager
    def _counter() -> Iterator[Counter]:
        group, counter = f"count-{uuid.uuid4().hex}", Counter()
        sc.setJobGroup(group, "job counting in a test", interruptOnCancel=False)
        try:
            yield counter
        finally:
            counter.count = len(sc.statusTracker().getJobIdsForGroup(group))
            sc.setLocalProperty("spark.jobGroup.id", None)
            sc.setLocalProperty("spark.job.description", None)

    return _counter


def _binary_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(float)
    # Scores rounded to 0.05: many ties, within and across classes.
    s = np.round(np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1) / 0.05) * 0.05
    p = (s >= 0.5).astype(float)
    frame = pd.DataFrame({"label": y, "prediction": p, "probability": s})
    frame.loc[[3, 17], "label"] = np.nan  # NULL labels
    frame.loc[[5, 40, 41], "prediction"] = np.nan  # NULL predictions
    frame.loc[[60], "probability"] = np.nan  # NULL score
    return frame


def test_binary_matches_sklearn_with_ties_and_nulls(spark, count_jobs) -> None:  # type: ignore[no-untyped-def]
    frame = _binary_frame()
    df = spark.createDataFrame(frame)
    with count_jobs() as jobs:
        m = model_quality(
            df, "binary_classification", "label", "prediction", "probability", bootstrap_replicates=3
        )
    assert jobs.count == 2  # threshold metrics + score metrics

    kept = frame.dropna()
    y, p, s = kept["label"].to_numpy(), kept["prediction"].to_numpy(), kept["probability"].to_numpy()
    assert m.row_count == len(kept)
    assert m.excluded == {"null_label": 2, "null_prediction": 3, "null_probability": 1}
    cm = skm.confusion_matrix(y, p, labels=[0, 1])
    assert m["confusion_matrix"] == {
        "0": {"0": cm[0, 0], "1": cm[0, 1]},
        "1": {"0": cm[1, 0], "1": cm[1, 1]},
    }
    prec, rec, _, _ = skm.precision_recall_fscore_support(y, p, average="binary")
    assert m["precision"] == pytest.approx(prec)
    assert m["recall"] == pytest.approx(rec)
    assert m["true_positive_rate"] == pytest.approx(rec)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
    tn, fp, fn, tp = cm.ravel()
    assert m["true_negative_rate"] == pytest.approx(tn / (tn + fp))
    assert m["false_positive_rate"] == pytest.approx(fp / (fp + tn))
    assert m["false_negative_rate"] == pytest.approx(fn / (fn + tp))
    for key, beta in {"f0_5": 0.5, "f1": 1.0, "f2": 2.0}.items():
        assert m[key] == pytest.approx(skm.fbeta_score(y, p, beta=beta))
    # Exact, not bucketed: ties count half (sklearn's roc_auc_score) and AP = average_precision_score.
    assert m["auc"] == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)
    prevalence = y.mean()
    assert m["accuracy_best_constant_classifier"] == pytest.approx(max(prevalence, 1 - prevalence))
    assert m["recall_best_constant_classifier"] == 1.0  # always positive
    assert m["precision_best_constant_classifier"] == pytest.approx(prevalence)
    assert m["f1_best_constant_classifier"] == pytest.approx(2 * prevalence / (1 + prevalence))
    assert m["false_positive_rate_best_constant_classifier"] == 0.0  # always negative
    assert m["auc_best_constant_classifier"] == 0.5
    assert m["pr_auc_best_constant_classifier"] == pytest.approx(prevalence)


def test_curves_are_exact_roc_and_pr_points(spark) -> None:  # type: ignore[no-untyped-def]
    frame = _binary_frame(seed=1).dropna()
    m = model_quality(
        spark.createDataFrame(frame), "binary_classification", "label", "prediction", "probability",
        bootstrap_replicates=0, curve_points=7,
    )  # fmt: skip
    curves = m.curves
    assert curves is not None
    assert (curves.fpr[0], curves.tpr[0]) == (0.0, 0.0)
    assert 2 <= len(curves.thresholds) <= 8
    y, s = frame["label"].to_numpy(), frame["probability"].to_numpy()
    for thr, fpr, tpr, prec in zip(
        curves.thresholds[1:], curves.fpr[1:], curves.tpr[1:], curves.precision[1:], strict=True
    ):
        chosen = s >= thr
        assert fpr == pytest.approx(np.mean(chosen[y == 0]))
        assert tpr == pytest.approx(np.mean(chosen[y == 1]))
        assert prec == pytest.approx(y[chosen].mean())
    assert (curves.fpr[-1], curves.tpr[-1]) == (1.0, 1.0)  # lowest threshold: everything positive


def test_ml_vector_probability_and_string_labels(spark) -> None:  # type: ignore[no-untyped-def]
    from pyspark.ml.linalg import Vectors

    frame = _binary_frame(n=120, seed=2).dropna()
    rows = [
        ("yes" if y == 1 else "no", "yes" if p == 1 else "no", Vectors.dense([1 - s, s]))
        for y, p, s in frame.itertuples(index=False)
    ]
    df = spark.createDataFrame(rows, ["label", "prediction", "probability"])
    m = model_quality(
        df, "binary_classification", "label", "prediction", "probability", positive_label="yes",
        bootstrap_replicates=0,
    )  # fmt: skip
    y, s = frame["label"].to_numpy(), frame["probability"].to_numpy()
    assert m["auc"] == pytest.approx(skm.roc_auc_score(y, s))
    assert m["recall"] == pytest.approx(skm.recall_score(y, frame["prediction"].to_numpy()))
    assert set(m["confusion_matrix"]) == {"no", "yes"}


def test_one_class_input_is_undefined_not_zero(spark) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"label": [1.0] * 30, "prediction": [1.0] * 20 + [0.0] * 10, "probability": 0.7})
    m = model_quality(
        spark.createDataFrame(frame), "binary_classification", "label", "prediction", "probability",
        bootstrap_replicates=0,
    )  # fmt: skip
    with pytest.warns(UndefinedMetricWarning):  # sklearn: undefined with one class → nan
        assert math.isnan(skm.roc_auc_score(frame["label"], frame["probability"]))
    assert math.isnan(m["auc"])
    assert math.isnan(m["true_negative_rate"]) and math.isnan(m["false_positive_rate"])  # no negatives
    assert m["recall"] == pytest.approx(skm.recall_score(frame["label"], frame["prediction"]))
    assert m["precision"] == 1.0
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(frame["label"], frame["probability"]))


def test_bootstrap_std_close_to_binomial_std(spark) -> None:  # type: ignore[no-untyped-def]
    frame = _binary_frame(n=600, seed=3).dropna()
    df = spark.createDataFrame(frame)
    m = model_quality(df, "binary_classification", "label", "prediction", bootstrap_replicates=40, seed=7)
    acc, n = m["accuracy"], m.row_count
    binomial = math.sqrt(acc * (1 - acc) / n)  # std of a proportion, the value the bootstrap estimates
    assert 0.6 * binomial < m.standard_deviations["accuracy"] < 1.5 * binomial
    small = model_quality(
        df.limit(150), "binary_classification", "label", "prediction", bootstrap_replicates=5
    )
    assert math.isnan(small.standard_deviations["accuracy"])  # Model Monitor: no std below 200 rows


def test_multiclass_matches_sklearn_weighted(spark, count_jobs) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(4)
    y = rng.integers(0, 4, 500)
    p = np.where(rng.random(500) < 0.6, y, rng.integers(0, 4, 500))
    p[p == 3] = 2  # class 3 never predicted: its precision is undefined
    p[:5] = 7  # class 7 predicted but never observed
    df = spark.createDataFrame(pd.DataFrame({"y": y, "p": p}))
    with count_jobs() as jobs:
        m = model_quality(df, "multiclass_classification", "y", "p", bootstrap_replicates=2)
    assert jobs.count == 1
    labels = sorted(set(y) | set(p))
    cm = skm.confusion_matrix(y, p, labels=labels)
    for i, a in enumerate(labels):
        if a in set(y):
            assert [m["confusion_matrix"][str(a)][str(b)] for b in labels] == list(cm[i])
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
    kw = {"average": "weighted", "zero_division": np.nan}
    assert m["weighted_precision"] == pytest.approx(skm.precision_score(y, p, **kw))
    assert m["weighted_recall"] == pytest.approx(skm.recall_score(y, p, **kw))
    for key, beta in {"f0_5": 0.5, "f1": 1.0, "f2": 2.0}.items():
        assert m[f"weighted_{key}"] == pytest.approx(skm.fbeta_score(y, p, beta=beta, **kw))
    share = np.bincount(y) / len(y)
    assert m["accuracy_best_constant_classifier"] == pytest.approx(share.max())
    assert m["weighted_recall_best_constant_classifier"] == pytest.approx(share.max())


def test_regression_matches_sklearn_and_excludes_nulls(spark, count_jobs) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    y = rng.normal(3, 2, 300)
    p = y + rng.normal(0, 1, 300)
    frame = pd.DataFrame({"y": y, "p": p})
    frame.loc[[1, 2], "p"] = np.nan
    frame.loc[[9], "y"] = np.nan
    with count_jobs() as jobs:
        m = model_quality(spark.createDataFrame(frame), "regression", "y", "p", bootstrap_replicates=20)
    assert jobs.count == 1
    kept = frame.dropna()
    assert m.excluded == {"null_label": 1, "null_prediction": 2}
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(kept.y, kept.p))
    assert m["mse"] == pytest.approx(skm.mean_squared_error(kept.y, kept.p))
    assert m["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(kept.y, kept.p)))
    assert m["r2"] == pytest.approx(skm.r2_score(kept.y, kept.p))
    # Std of the MAE: the std of |e| over √n (what a bootstrap of a mean estimates), within bootstrap noise.
    expected = np.abs(kept.y - kept.p).std() / math.sqrt(len(kept))
    assert 0.6 * expected < m.standard_deviations["mae"] < 1.5 * expected


def test_bad_arguments_name_the_argument(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame(pd.DataFrame({"y": [1.0], "p": [1.0]}))
    with pytest.raises(InvalidArgumentError, match="problem_type"):
        model_quality(df, "ranking", "y", "p")
    with pytest.raises(ColumnNotFoundError, match="prediction='nope'"):
        model_quality(df, "regression", "y", "nope")
    with pytest.raises(InvalidArgumentError, match="probability"):
        model_quality(df, "regression", "y", "p", probability="p")


def test_best_constant_pure_math() -> None:
    # 30 negatives, 10 positives. Always positive: precision 10/40; always negative: TNR 1.
    best = best_constant(
        np.array([[20.0, 10.0], [4.0, 6.0]]), lambda m: binary_metrics(m[1, 1], m[0, 1], m[0, 0], m[1, 0])
    )
    assert best["precision"] == pytest.approx(10 / 40)
    assert best["accuracy"] == pytest.approx(30 / 40)
    assert best["true_negative_rate"] == 1.0
    assert math.isnan(multiclass_metrics(np.zeros((2, 2)))["accuracy"])  # no rows: undefined, not 0


def test_suggest_and_check_constraints() -> None:
    baseline = {"recall": 0.8, "mae": 1.5, "auc": float("nan"), "recall_best_constant_classifier": 1.0}
    suggested = suggest_model_quality_constraints(baseline, problem_type="binary_classification")
    body = suggested["binary_classification_constraints"]
    assert body == {
        "recall": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"},
        "mae": {"threshold": 1.5, "comparison_operator": "GreaterThanThreshold"},
    }
    assert check_model_quality({"recall": 0.8, "mae": 1.5}, suggested) == []
    violations = check_model_quality({"recall": 0.7, "mae": 1.4}, suggested)
    assert [(v["metric_name"], v["constraint_check_type"]) for v in violations] == [
        ("recall", "LessThanThreshold")
    ]
    assert "0.7" in violations[0]["description"]
    le = {"mae": {"threshold": 1.0, "comparison_operator": "GreaterThanOrEqualToThreshold"}}
    assert len(check_model_quality({"mae": 1.0}, le)) == 1
    assert check_model_quality({}, le)[0]["metric_name"] == "mae"  # missing metric cannot hold
    with pytest.raises(InvalidArgumentError, match="mae"):
        check_model_quality({"mae": 1.0}, {"mae": {"threshold": 1, "comparison_operator": "Bigger"}})


def test_merge_ground_truth(spark) -> None:  # type: ignore[no-untyped-def]
    preds = spark.createDataFrame([("a", 1.0), ("b", 0.0), ("c", 1.0)], ["inference_id", "prediction"])
    labels = spark.createDataFrame([("a", 1.0), ("c", 0.0), ("z", 1.0)], ["inference_id", "label"])
    merged = merge_ground_truth(preds, labels)
    assert sorted(tuple(r) for r in merged.collect()) == [("a", 1.0, 1.0), ("c", 1.0, 0.0)]
    assert merge_ground_truth(preds, labels, how="left").count() == 3
    with pytest.raises(ColumnNotFoundError, match="on='id'"):
        merge_ground_truth(preds, labels, on="id")


def test_label_types_do_not_hit_ansi_cast_errors(spark) -> None:  # type: ignore[no-untyped-def]
    # String labels "0"/"1" with the default positive_label=1 compare as strings, not via an ANSI cast.
    y = ["1", "0", "1", "1", "0", "0", "1"]
    p = ["1", "1", "0", "1", "0", "0", "1"]
    df = spark.createDataFrame(list(zip(y, p, strict=True)), "y string, p string")
    m = model_quality(df, "binary_classification", "y", "p", bootstrap_replicates=0)
    assert m["recall"] == pytest.approx(skm.recall_score(y, p, pos_label="1"))
    numeric = spark.createDataFrame([(1, 1)], "y int, p int")
    with pytest.raises(InvalidArgumentError, match="positive_label='yes'"):
        model_quality(numeric, "binary_classification", "y", "p", positive_label="yes")
