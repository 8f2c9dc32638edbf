"""Idempotent registration on the real MLflow SQLite store: one version per model, however many runs."""

from __future__ import annotations

import uuid

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.models.registry import SOURCE_URI_TAG, find_model_version, register_model_version


def _log_model() -> tuple[str, str]:
    """A logged model of a run (MLflow 3's LoggedModel, no files needed): (runs:/ URI, models:/m-… URI)."""
    with mlflow.start_run() as run:
        logged = mlflow.initialize_logged_model(name="model", source_run_id=run.info.run_id)
    return f"runs:/{run.info.run_id}/model", f"models:/{logged.model_id}"


def test_a_model_is_registered_once_and_tags_follow(mlflow_tracking_uri: str) -> None:
    client = MlflowClient(mlflow_tracking_uri)
    name = f"reg-{uuid.uuid4().hex[:8]}"
    first_uri, _ = _log_model()
    other_uri, _ = _log_model()

    first = register_model_version(first_uri, name, {"approval_status": "Approved"})
    assert (first.version, first.reused, first.registered_model_uri) == (1, False, f"models:/{name}/1")
    mv = client.get_model_version(name, "1")
    assert mv.tags["approval_status"] == "Approved" and mv.tags[SOURCE_URI_TAG] == first_uri

    again = register_model_version(first_uri, name, {"approval_status": "Rejected"})
    assert (again.version, again.reused) == (1, True)
    assert len(client.search_model_versions(f"name = '{name}'")) == 1
    assert client.get_model_version(name, "1").tags["approval_status"] == "Rejected"

    # A different model gets its own version; MLflow's always-new behaviour on request.
    assert register_model_version(other_uri, name).version == 2
    forced = register_model_version(first_uri, name, reuse_existing=False)
    assert (forced.version, forced.reused) == (3, False)
    assert int(find_model_version(name, first_uri).version) == 3  # the newest of the same model
    assert find_model_version(name, "runs:/no-such-run/model") is None
    assert find_model_version(f"absent-{uuid.uuid4().hex[:8]}", first_uri) is None


def test_a_version_registered_elsewhere_is_found_by_its_source(mlflow_tracking_uri: str) -> None:
    name = f"reg-{uuid.uuid4().hex[:8]}"
    _, logged_uri = _log_model()
    plain = mlflow.register_model(logged_uri, name)  # no spark_mlops tag: matched on ``source``
    found = register_model_version(logged_uri, name)
    assert (found.version, found.reused) == (int(plain.version), True)


def test_empty_arguments_name_themselves() -> None:
    with pytest.raises(InvalidArgumentError, match="name, model_uri"):
        register_model_version("runs:/x/model", "")
    with pytest.raises(InvalidArgumentError, match="name, model_uri"):
        find_model_version("m", "")
