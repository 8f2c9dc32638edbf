"""A real MLflow run in the temp SQLite store of the test session, read back through the client."""

from __future__ import annotations

import mlflow
from mlflow.tracking import MlflowClient


def test_run_logged_to_sqlite_and_read_back(mlflow_tracking_uri, tmp_path):
    assert mlflow_tracking_uri.startswith("sqlite:///")
    mlflow.set_experiment("foundation-smoke")
    artifact = tmp_path / "report.txt"
    artifact.write_text("rows=42\n")
    with mlflow.start_run() as run:
        mlflow.log_params({"alpha": "0.5", "table": "/data/reviews@v0"})
        mlflow.log_metric("auc", 0.91)
        mlflow.log_metric("auc", 0.93, step=1)
        mlflow.log_artifact(str(artifact))

    client = MlflowClient(tracking_uri=mlflow_tracking_uri)
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"alpha": "0.5", "table": "/data/reviews@v0"}
    assert got.data.metrics["auc"] == 0.93
    history = [m.value for m in client.get_metric_history(run.info.run_id, "auc")]
    assert history == [0.91, 0.93]
    local = client.download_artifacts(run.info.run_id, "report.txt", str(tmp_path / "dl"))
    with open(local) as fh:
        assert fh.read() == "rows=42\n"
