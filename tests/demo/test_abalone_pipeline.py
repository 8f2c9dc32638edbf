"""The seed's abalone pipeline (conf/pipelines/abalone.yaml): the mse <= 6.0 condition both ways."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from mlflow.tracking import MlflowClient

from spark_mlops.datasets.abalone import generate_abalone
from spark_mlops.delta import read_delta, write_delta
from spark_mlops.pipeline import Pipeline

YAML = Path(__file__).resolve().parents[2] / "conf" / "pipelines" / "abalone.yaml"


def test_abalone_registers_only_when_mse_is_low_enough(spark, tmp_path, mlflow_tracking_uri):
    table = str(tmp_path / "abalone")
    write_delta(generate_abalone(spark, 3000, seed=5), table)
    pipeline = Pipeline.from_yaml(YAML, home=str(tmp_path / "pipelines"))
    params = {"abalone_table": table, "home": str(tmp_path), "model_name": "abalone-test"}

    ok = pipeline.start(params)
    assert ok.status.value == "Succeeded", ok.failure_reason
    assert ok.step("register").status.value == "Succeeded"
    assert ok.step("mse_too_high").status.value == "Skipped"

    report = json.loads(Path(ok.step("evaluate").properties["property_files"]["evaluation"]).read_text())
    mse = report["regression_metrics"]["mse"]["value"]
    # Independent reference: the batch-transformed test split, squared error computed with numpy.
    scored = read_delta(spark, str(tmp_path / "abalone_predictions")).select("rings", "prediction").toPandas()
    assert np.isclose(mse, np.mean((scored["rings"] - scored["prediction"]) ** 2), rtol=1e-9)
    assert mse <= 6.0
    version = ok.step("register").properties["model_version"]
    mv = MlflowClient(mlflow_tracking_uri).get_model_version("abalone-test", str(version))
    assert mv.tags.get("approval_status") == "Approved"

    strict = pipeline.start({**params, "mse_threshold": 1.0})
    assert strict.status.value == "Failed"
    assert "evaluation mse above 1.0" in (strict.failure_reason or "")
    assert strict.step("register").status.value == "Skipped"
    assert strict.step("train").cache_hit  # same input versions and code: the model is reused
