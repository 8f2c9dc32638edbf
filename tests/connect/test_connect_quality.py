"""The quality engine, checks, repositories, the PyDeequ adapter, drift and model quality over a Spark
Connect session (no JVM in this process), checked against pandas/numpy/scipy/sklearn references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error

from spark_mlops.quality import AnalysisRunner
from spark_mlops.quality import analyzers as A
from spark_mlops.quality.checks import Check, CheckLevel
from spark_mlops.quality.repository import DeltaMetricsRepository, FileSystemMetricsRepository, ResultKey
from spark_mlops.quality.verification import VerificationSuite
from spark_mlops.spark import is_connect

N = 400


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    pdf = pd.DataFrame(
        {
            "id": np.arange(N, dtype="int64"),
            "x": rng.normal(10.0, 2.0, N),
            "cat": rng.choice(["a", "b", "c"], N, p=[0.5, 0.3, 0.2]),
            "y": rng.integers(0, 5, N).astype("int64"),
        }
    )
    pdf.loc[pdf.index % 10 == 0, "cat"] = None  # 10 % NULL
    pdf.loc[3, "id"] = 4  # one duplicated id → two non-unique rows
    return pdf


@pytest.fixture(scope="module")
def remote_df(connect_spark, frame):  # type: ignore[no-untyped-def]
    assert is_connect(connect_spark)
    return connect_spark.createDataFrame(frame)


def test_analysis_and_verification_over_connect(connect_spark, remote_df, frame) -> None:  # type: ignore[no-untyped-def]
    analyzers = [
        A.Size(),
        A.Completeness("cat"),
        A.Mean("x"),
        A.StandardDeviation("x"),
        A.Uniqueness(("id",)),
        A.Histogram("cat"),
        A.Compliance("y big", "y >= 3"),
        A.ApproxCountDistinct("y"),
    ]
    ctx = AnalysisRunner(connect_spark).on_data(remote_df).add_analyzers(analyzers).run()
    m = {a: ctx.metric(a) for a in analyzers}
    assert all(metric.is_success for metric in m.values()), [x.failure for x in m.values()]
    assert m[A.Size()].value == N
    assert m[A.Completeness("cat")].value == pytest.approx(frame["cat"].notna().mean())
    assert m[A.Mean("x")].value == pytest.approx(frame["x"].mean())
    assert m[A.StandardDeviation("x")].value == pytest.approx(np.std(frame["x"], ddof=0))
    assert m[A.Uniqueness(("id",))].value == pytest.approx((frame["id"].value_counts() == 1).sum() / N)
    hist = m[A.Histogram("cat")].value
    assert hist["NullValue"].absolute == frame["cat"].isna().sum()
    assert hist["a"].ratio == pytest.approx((frame["cat"] == "a").mean())
    assert m[A.Compliance("y big", "y >= 3")].value == pytest.approx((frame["y"] >= 3).mean())
    assert m[A.ApproxCountDistinct("y")].value == pytest.approx(frame["y"].nunique(), abs=0.5)
    metrics_df = ctx.success_metrics_as_dataframe(connect_spark)
    assert metrics_df.columns == ["entity", "instance", "name", "value"]

    check = (
        Check(CheckLevel.ERROR, "connect check")
        .has_size(lambda n: n == N)
        .is_complete("id")
        .is_unique("id")
        .is_contained_in("cat", ["a", "b", "c"])
        .has_mean("x", lambda v: 9.0 < v < 11.0)
    )
    result = VerificationSuite(connect_spark).on_data(remote_df).add_check(check).run()
    statuses = [r["constraint_status"] for r in result.check_results_as_json()]
    assert statuses == ["Success", "Success", "Failure", "Success", "Success"]
    assert result.status.value == "Error"
    rows = result.check_results_as_dataframe(connect_spark).collect()
    assert [r["constraint_status"] for r in rows] == statuses
    flagged = result.row_level_results(remote_df).filter("NOT is_unique_id").select("id").collect()
    assert sorted(r["id"] for r in flagged) == [4, 4]


def test_repositories_over_connect(connect_spark, remote_df, frame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = AnalysisRunner(connect_spark).on_data(remote_df).add_analyzers([A.Size(), A.Mean("x")]).run()
    key = ResultKey(1_700_000_000_000, {"dataset": "connect"})
    for repo in (
        FileSystemMetricsRepository(tmp_path / "metrics.json"),
        DeltaMetricsRepository(connect_spark, str(tmp_path / "metrics_delta")),
    ):
        repo.save(key, ctx)
        loaded = repo.load_by_key(key)
        assert loaded is not None, repo
        assert loaded.metric(A.Size()).value == N
        assert loaded.metric(A.Mean("x")).value == pytest.approx(frame["x"].mean())
        rows = (
            repo.load()
            .with_tag_values({"dataset": "connect"})
            .get_success_metrics_as_dataframe(connect_spark)
        )
        assert sorted(r["name"] for r in rows.collect()) == ["Mean", "Size"]


def test_pydeequ_adapter_over_connect(connect_spark, remote_df, frame) -> None:  # type: ignore[no-untyped-def]
    # PyDeequ itself needs py4j; its API over our engine runs on Connect.
    from spark_mlops.compat.pydeequ import Check as PyDeequCheck
    from spark_mlops.compat.pydeequ import CheckLevel as PyDeequLevel
    from spark_mlops.compat.pydeequ import VerificationResult
    from spark_mlops.compat.pydeequ import VerificationSuite as PyDeequSuite

    result = (
        PyDeequSuite(connect_spark)
        .onData(remote_df)
        .addCheck(
            PyDeequCheck(connect_spark, PyDeequLevel.Warning, "w").hasSize(lambda x: x >= 3).isUnique("id")
        )
        .run()
    )
    df = VerificationResult.checkResultsAsDataFrame(connect_spark, result, pandas=True)
    assert df["constraint_status"].tolist() == ["Success", "Failure"]
    assert result.status == "Warning"


def test_drift_and_model_quality_over_connect(connect_spark, frame) -> None:  # type: ignore[no-untyped-def]
    from spark_mlops.monitoring import compute_drift, model_quality

    rng = np.random.default_rng(11)
    ref = pd.DataFrame({"x": rng.normal(0.0, 1.0, 300)})
    cur = pd.DataFrame({"x": rng.normal(0.8, 1.0, 300)})
    drift = compute_drift(
        connect_spark.createDataFrame(ref), connect_spark.createDataFrame(cur), methods=["ks"]
    )
    (row,) = [r for r in drift.rows if r.column == "x"]
    expected = stats.ks_2samp(ref["x"], cur["x"])
    assert row.statistic == pytest.approx(expected.statistic)
    assert row.drifted

    labels = rng.integers(0, 2, 300)
    preds = np.where(rng.random(300) < 0.8, labels, 1 - labels)
    scored = connect_spark.createDataFrame(
        pd.DataFrame({"label": labels.astype("int64"), "prediction": preds.astype("int64")})
    )
    mq = model_quality(scored, "binary_classification", "label", "prediction", bootstrap_replicates=0)
    assert mq["accuracy"] == pytest.approx(accuracy_score(labels, preds))
    assert mq["f1"] == pytest.approx(f1_score(labels, preds))

    y = rng.normal(5.0, 1.0, 200)
    yhat = y + rng.normal(0.0, 0.5, 200)
    reg = connect_spark.createDataFrame(pd.DataFrame({"label": y, "prediction": yhat}))
    mr = model_quality(reg, "regression", "label", "prediction", bootstrap_replicates=0)
    assert mr["mse"] == pytest.approx(mean_squared_error(y, yhat))
