"""Experiments, trials and trackers on a real SQLite MLflow store, read back with MlflowClient."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from spark_mlops.delta import TableVersion, read_delta, write_delta
from spark_mlops.errors import InvalidArgumentError, SparkMlopsError, TrackingError
from spark_mlops.lineage import ArtifactType, LineageQuery, LineageStore
from spark_mlops.tracking import Experiment, ExperimentAnalytics, Tracker, Trial


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_experiment_and_trial_shapes_from_the_seed(mlflow_tracking_uri):
    name = _name("ex")
    exp = Experiment.create(
        experiment_name=name, description="My experiment", tags=[{"Key": "my-experiments", "Value": "1st"}]
    )
    assert exp.description == "My experiment" and exp.tags["my-experiments"] == "1st"
    assert Experiment.load(name) == exp
    with pytest.raises(TrackingError, match="already exists"):
        Experiment.create(experiment_name=name)
    with pytest.raises(TrackingError, match="no experiment named"):
        Experiment.load(_name("missing"))
    with pytest.raises(InvalidArgumentError, match="tags"):
        Experiment.create(experiment_name=_name("ex"), tags=[{"key": "lowercase"}])

    trial = Trial.create(trial_name="trial-1", experiment_name=name)
    assert Trial.load("trial-1", name) == trial
    with pytest.raises(TrackingError, match="trial-1"):
        Trial.create(trial_name="trial-1", experiment_name=name)
    assert [t.trial_name for t in exp.list_trials()] == ["trial-1"]

    client = MlflowClient(mlflow_tracking_uri)
    with Tracker.create(display_name="Preprocessing", trial=trial) as tracker:
        tracker.log_parameters({"train_test_split": 0.8})
        tracker.log_input(name="raw data", media_type="s3/uri", value="s3://bucket/raw")
        tracker.log_output(name="preprocessed data", media_type="s3/uri", value="s3://bucket/processed")
        tracker.log_parameters({"normalization_mean": 0.1307, "normalization_std": 0.3081})
        tracker.log_parameter("train_test_split", 0.8)  # same value again is fine
        with pytest.raises(TrackingError, match="train_test_split"):
            tracker.log_parameter("train_test_split", 0.7)
        with pytest.raises(InvalidArgumentError, match="value"):
            tracker.log_metric("loss", "high")  # type: ignore[arg-type]
    run = client.get_run(tracker.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "Preprocessing"
    assert run.data.tags["mlflow.parentRunId"] == trial.run_id
    assert run.data.params == {
        "train_test_split": "0.8",
        "normalization_mean": "0.1307",
        "normalization_std": "0.3081",
    }
    assert json.loads(run.data.tags["spark_mlops.input.raw data"]) == {
        "value": "s3://bucket/raw",
        "media_type": "s3/uri",
    }
    assert (
        json.loads(run.data.tags["spark_mlops.output.preprocessed data"])["value"] == "s3://bucket/processed"
    )
    assert [r.info.run_id for r in trial.list_trial_components()] == [tracker.run_id]
    with pytest.raises(TrackingError, match="already closed"):
        tracker.log_metric("late", 1.0)


def test_failed_block_marks_run_failed_and_artifact_is_uploaded(mlflow_tracking_uri, tmp_path):
    name = _name("ex")
    Experiment.create(experiment_name=name)
    trial = Trial.create(trial_name="t", experiment_name=name)
    pickle_file = tmp_path / "preprocessors.pickle"
    pickle_file.write_bytes(b"\x80\x04K\x2a.")
    with pytest.raises(RuntimeError), Tracker.create(display_name="Broken", trial=trial) as tracker:
        uri = tracker.log_artifact(name="preprocessors", media_type="s3/uri", file_path=pickle_file)
        raise RuntimeError("boom")
    client = MlflowClient(mlflow_tracking_uri)
    assert client.get_run(tracker.run_id).info.status == "FAILED"
    local = client.download_artifacts(tracker.run_id, "artifacts/preprocessors.pickle", str(tmp_path / "dl"))
    with open(local, "rb") as fh:
        assert fh.read() == b"\x80\x04K\x2a."
    assert uri == f"runs:/{tracker.run_id}/artifacts/preprocessors.pickle"
    with pytest.raises(InvalidArgumentError, match="file_path"):
        Tracker.create(display_name="x", trial=trial).log_artifact(tmp_path / "nope.bin")


def test_experiment_analytics_statistics_match_numpy(mlflow_tracking_uri, spark):
    name = _name("ex")
    Experiment.create(experiment_name=name)
    trial = Trial.create(trial_name="sweep", experiment_name=name)
    rng = np.random.default_rng(7)
    series = {}
    for depth in (3, 5, 8):
        acc = rng.uniform(0.5, 0.95, size=depth + 2)
        with Tracker.create(display_name=f"train-depth-{depth}", trial=trial) as t:
            t.log_parameters({"max_depth": depth, "optimizer": "adam", "lr": 0.01 * depth})
            # Logged out of step order: "Last" must be the highest step, not the last call.
            order = list(range(len(acc)))[::-1]
            for step in order:
                t.log_metric("test:accuracy", float(acc[step]), step=step)
            t.log_metric("loss", float(depth))
        series[t.run_id] = acc

    table = ExperimentAnalytics(name, sort_by="max_depth", sort_order="Ascending").dataframe()
    stats = ["Min", "Max", "Avg", "StdDev", "Last", "Count"]
    assert list(table.columns[:7]) == [
        "TrialComponentName",
        "DisplayName",
        "SourceArn",
        "TrialName",
        "lr",
        "max_depth",
        "optimizer",
    ]
    assert [f"test:accuracy - {s}" for s in stats] == [c for c in table.columns if c.startswith("test:")]
    assert table["max_depth"].tolist() == [3, 5, 8]
    assert table["lr"].tolist() == pytest.approx([0.03, 0.05, 0.08])
    assert set(table["TrialName"]) == {"sweep"}
    for _, row in table.iterrows():
        acc = series[row["TrialComponentName"]]
        assert row["test:accuracy - Min"] == pytest.approx(np.min(acc))
        assert row["test:accuracy - Max"] == pytest.approx(np.max(acc))
        assert row["test:accuracy - Avg"] == pytest.approx(np.mean(acc))
        assert row["test:accuracy - StdDev"] == pytest.approx(np.std(acc, ddof=1))
        assert row["test:accuracy - Last"] == pytest.approx(acc[-1])
        assert row["test:accuracy - Count"] == len(acc)
        assert np.isnan(row["loss - StdDev"]) and row["loss - Count"] == 1
        assert row["SourceArn"].endswith("/artifacts")

    best = ExperimentAnalytics(
        name, sort_by="test:accuracy - Max", metric_names=["test:accuracy"]
    ).dataframe()
    maxima = sorted((np.max(a) for a in series.values()), reverse=True)
    assert best["test:accuracy - Max"].tolist() == pytest.approx(maxima)
    assert not any(c.startswith("loss") for c in best.columns)

    filtered = ExperimentAnalytics(
        name, search_expression="params.max_depth = '5'", parameter_names=["max_depth"]
    ).dataframe()
    assert filtered["DisplayName"].tolist() == ["train-depth-5"]
    assert "optimizer" not in filtered.columns
    with pytest.raises(InvalidArgumentError, match="sort_by"):
        ExperimentAnalytics(name, sort_by="nope").dataframe()
    with pytest.raises(TrackingError, match="search_expression"):
        ExperimentAnalytics(name, search_expression="params.max_depth ~~ 3").dataframe()

    sdf = ExperimentAnalytics(name, sort_by="max_depth", sort_order="Ascending").spark_dataframe(spark)
    got = sdf.select("max_depth", "`test:accuracy - Avg`").collect()
    assert [r["max_depth"] for r in got] == [3, 5, 8]
    assert [r[1] for r in got] == pytest.approx(table["test:accuracy - Avg"].tolist())


def test_delta_input_records_real_version_zero_and_time_travel_returns_rows(
    mlflow_tracking_uri, spark, tmp_path
):
    raw = str(tmp_path / "raw")
    v0_rows = [(1, "a", 0.5), (2, "b", 1.5), (3, "c", 2.5)]
    write_delta(spark.createDataFrame(v0_rows, "id int, cat string, x double"), raw, mode="overwrite")
    write_delta(spark.createDataFrame([(4, "d", 3.5)], "id int, cat string, x double"), raw)
    write_delta(spark.createDataFrame([(5, "e", 4.5)], "id int, cat string, x double"), raw)  # now v2

    name = _name("ex")
    Experiment.create(experiment_name=name)
    trial = Trial.create(trial_name="t", experiment_name=name)
    store = LineageStore(spark, tmp_path / "lineage")
    with Tracker.create(display_name="Preprocessing", trial=trial, lineage_store=store) as tracker:
        tv = tracker.log_delta_input(raw, version=0, name="raw")
        latest = tracker.log_delta_output(raw)
        with pytest.raises(SparkMlopsError, match="version 7"):
            tracker.log_delta_input(raw, version=7)
    assert tv == TableVersion(raw, 0) and latest == TableVersion(raw, 2)

    run = MlflowClient(mlflow_tracking_uri).get_run(tracker.run_id)
    (inp, out) = sorted(run.inputs.dataset_inputs, key=lambda d: d.dataset.digest != tv_digest(tv))
    tags = {t.key: t.value for t in inp.tags}
    assert tags["spark_mlops.delta_version"] == "0" and tags["spark_mlops.table"] == raw
    # MLflow's Delta source drops a falsy version 0 (why we record the version in our own tags).
    assert json.loads(inp.dataset.source)["path"] == raw
    assert json.loads(inp.dataset.source).get("delta_table_version") in (0, None)
    assert json.loads(out.dataset.source)["delta_table_version"] == 2
    assert {t.key: t.value for t in out.tags}["spark_mlops.delta_version"] == "2"
    assert json.loads(run.data.tags["spark_mlops.input.raw"])["version"] == 0

    # The recorded version reads back exactly the rows that existed then.
    recorded = int(tags["spark_mlops.delta_version"])
    rows = sorted(tuple(r) for r in read_delta(spark, raw, version=recorded).collect())
    assert rows == v0_rows

    # Lineage written on close: raw@v0 contributed to the run's action, which produced raw@v2.
    action = tracker.action()
    up = LineageQuery(store).query(action, direction="Ascendants", max_depth=1, include_edges=False)
    assert [(v.entity.type, v.entity.source_uri, v.entity.version) for v in up.vertices] == [
        (ArtifactType.DATASET, raw, 0)
    ]
    down = LineageQuery(store).query(action, direction="Descendants", max_depth=1, sources=["DataSet"])
    assert [v.entity.version for v in down.vertices] == [2]
    assert store.describe(action).properties["run_id"] == tracker.run_id


def tv_digest(tv: TableVersion) -> str:
    import hashlib

    return hashlib.sha256(f"{tv.table}@{tv.version}".encode()).hexdigest()[:16]
