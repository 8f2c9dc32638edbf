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


def _robust_linf(simple: float, n: int, m: int) -> float:
    # SageMaker Model Monitor's "Robust" comparison: max(0, L∞ − c·√((n+m)/(n·m))), c = 1.8 (SEMANTICS.md).
    return max(0.0, simple - 1.8 * np.sqrt((n + m) / (n * m)))


def test_data_baseline_over_connect(connect_spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from spark_mlops.monitoring import DataBaseline, check_violations, compute_drift

    rng = np.random.default_rng(5)
    n_ref, n_cur = 300, 240
    ref = pd.DataFrame(
        {
            "x": rng.normal(0.0, 1.0, n_ref),
            "c": rng.choice(["a", "b", "c"], n_ref, p=[0.5, 0.3, 0.2]).astype(object),
            "n": rng.integers(0, 5, n_ref).astype("int64"),
        }
    )
    ref.loc[ref.index % 10 == 0, "c"] = None  # completeness 0.9
    cur = pd.DataFrame(
        {
            "x": rng.normal(1.0, 1.0, n_cur),  # shifted by one standard deviation
            "c": rng.choice(["a", "b", "c", "z"], n_cur, p=[0.1, 0.3, 0.2, 0.4]).astype(object),
            "n": rng.integers(0, 5, n_cur).astype("int64"),
            "extra": np.ones(n_cur),
        }
    )
    cur.loc[cur.index % 4 == 0, "c"] = None  # completeness 0.75

    baseline = DataBaseline.from_dataframe(connect_spark.createDataFrame(ref))
    stats_doc = baseline.statistics_json()
    assert stats_doc["dataset"]["item_count"] == n_ref
    features = {f["name"]: f for f in stats_doc["features"]}
    x = features["x"]["numerical_statistics"]
    assert x["mean"] == pytest.approx(ref["x"].mean())
    assert x["std_dev"] == pytest.approx(np.std(ref["x"], ddof=0))  # population std (SEMANTICS.md)
    assert (x["min"], x["max"]) == (pytest.approx(ref["x"].min()), pytest.approx(ref["x"].max()))
    assert x["sum"] == pytest.approx(ref["x"].sum())
    assert features["n"]["inferred_type"] == "Integral"
    c = features["c"]["string_statistics"]
    assert c["common"] == {
        "num_present": int(ref["c"].notna().sum()),
        "num_missing": int(ref["c"].isna().sum()),
    }
    buckets = {b["value"]: b["count"] for b in c["distribution"]["categorical"]["buckets"]}
    assert buckets == ref["c"].value_counts().to_dict()
    by_name = {f["name"]: f for f in baseline.constraints_json()["features"]}
    assert by_name["c"]["completeness"] == pytest.approx(ref["c"].notna().mean())
    assert by_name["c"]["string_constraints"]["domains"] == ["a", "b", "c"]

    # A folder and a Delta table written over Connect read back to the same documents.
    from_folder = DataBaseline.load(baseline.save(tmp_path / "baseline"))
    version = baseline.save_to_delta(connect_spark, str(tmp_path / "baselines"))
    assert version.version == 0
    from_delta = DataBaseline.load_from_delta(connect_spark, str(tmp_path / "baselines"))
    for loaded in (from_folder, from_delta):
        assert loaded.statistics_json() == stats_doc
        assert loaded.constraints_json() == baseline.constraints_json()

    # Violations against the Delta copy, each expected verdict and number computed here from pandas/scipy.
    current = connect_spark.createDataFrame(cur)
    found = {
        (v["feature_name"], v["constraint_check_type"]): v["description"]
        for v in check_violations(current, from_delta)
    }
    expected: dict[tuple[str, str], str] = {("extra", "extra_column_check"): "not in the baseline"}
    for name in ("x", "n"):
        distance = _robust_linf(stats.ks_2samp(ref[name], cur[name]).statistic, n_ref, n_cur)
        if distance >= 0.1:
            expected[(name, "baseline_drift_check")] = f"{distance:.6g}"
    ref_c, cur_c = ref["c"].dropna(), cur["c"].dropna()
    shares = pd.concat(
        [ref_c.value_counts(normalize=True), cur_c.value_counts(normalize=True)], axis=1
    ).fillna(0)
    distance = _robust_linf(
        float((shares.iloc[:, 0] - shares.iloc[:, 1]).abs().max()), len(ref_c), len(cur_c)
    )
    assert distance >= 0.1  # the data is built to drift
    expected[("c", "baseline_drift_check")] = f"{distance:.6g}"
    p = ref["c"].notna().mean()
    if cur["c"].notna().mean() < p - 3.29 * np.sqrt(p * (1 - p) / n_cur):  # binomial tolerance (SEMANTICS.md)
        expected[("c", "completeness_check")] = f"{cur['c'].notna().mean():.6g}"
    expected[("c", "categorical_values_check")] = f"{cur_c.isin(['a', 'b', 'c']).mean():.6g}"
    assert set(found) == set(expected)
    for key, number in expected.items():
        assert number in found[key], (key, found[key])

    # Drift from the folder copy (no rescan of the reference) matches scipy.
    drift = compute_drift(from_folder, current, methods={"x": "ks", "c": "linf"})
    rows = {r.column: r for r in drift.rows}
    assert rows["x"].statistic == pytest.approx(stats.ks_2samp(ref["x"], cur["x"]).statistic)
    assert rows["x"].drifted
    assert rows["c"].statistic == pytest.approx((shares.iloc[:, 0] - shares.iloc[:, 1]).abs().max())


def test_lineage_store_over_connect(connect_spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The store's insert-if-absent writes are SQL MERGEs: the DeltaTable API has no handler over Connect.
    from spark_mlops.lineage import Artifact, ArtifactType, Association, LineageStore

    store = LineageStore(connect_spark, tmp_path / "lineage")
    with store.batch():
        a, b, c = (Artifact.create(n, None, ArtifactType.DATASET, store=store) for n in "abc")
        Association.create(a, b, "DerivedFrom", store=store)
        Association.create(b, c, "DerivedFrom", store=store)
    # The same vertex again plus a new one: only the new one is inserted.
    with store.batch():
        Artifact.create("a", None, ArtifactType.DATASET, store=store)
        Artifact.create("d", None, ArtifactType.DATASET, store=store)
    assert sorted(r["name"] for r in store.vertices().collect()) == ["a", "b", "c", "d"]
    edges = {(r["source_id"], r["destination_id"]) for r in store.edges().collect()}
    assert edges == {(a.id, b.id), (b.id, c.id)}


def test_jvm_only_paths_say_so_over_connect(connect_spark, remote_df, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # mlflow.spark saves and loads Spark ML models through the JVM's Hadoop file system (py4j).
    from pyspark.ml.regression import LinearRegression

    from spark_mlops.errors import SparkConnectUnsupportedError
    from spark_mlops.models.batch_inference import batch_inference, load_spark_model
    from spark_mlops.models.training import fit_tracked

    with pytest.raises(SparkConnectUnsupportedError, match=r"log_model=True.*model\.write\(\)\.save"):
        fit_tracked(
            LinearRegression(featuresCol="f", labelCol="x"),
            remote_df,
            experiment_config={"ExperimentName": "connect", "TrialName": "t"},
            log_model=True,
        )
    out = tmp_path / "scored"
    with pytest.raises(
        SparkConnectUnsupportedError, match=r"load_spark_model\('runs:/r1/model'\).*PipelineModel"
    ):
        batch_inference(connect_spark, "runs:/r1/model", str(tmp_path / "in"), str(out))
    assert not out.exists()  # refused before anything was read or written
    with pytest.raises(SparkConnectUnsupportedError, match="models:/m/1"):
        load_spark_model("models:/m/1")

    import datetime as dt

    from spark_mlops.pipeline.steps.context import StepContext
    from spark_mlops.pipeline.steps.model import ModelStep

    ctx = StepContext(
        connect_spark,
        step_name="combine",
        execution_id="e1",
        attempt=1,
        work_dir=tmp_path,
        args={"stages": ["runs:/r1/model"]},
        input_versions={},
        outputs={},
        property_files={},
        txn_app_id="t",
        txn_version=0,
        logical_date=dt.date(2026, 1, 1),
    )
    with pytest.raises(SparkConnectUnsupportedError, match=r"step 'combine' \(Model\).*classic SparkSession"):
        ModelStep("combine", ["runs:/r1/model"]).run(ctx)

    # On a Databricks runtime mlflow.spark uses a UC volume or the DBFS FUSE mount instead of the JVM.
    from spark_mlops.models.mlflow_spark import require_mlflow_spark

    monkeypatch.delenv("DATABRICKS_ENV_VERSION", raising=False)
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    with pytest.raises(SparkConnectUnsupportedError, match=r"^save it: .*; do this instead$"):
        require_mlflow_spark(connect_spark, "save it", "do this instead")
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    require_mlflow_spark(connect_spark, "save it", "do this instead")
