"""Model registry: register a model once, however often a pipeline that reuses it (cache hit) runs.

MLflow's ``register_model`` always creates a new version, so a pipeline whose training step is a cache
hit would register the same model again on every run (versions 1, 2, 3 … of one model), and everything
keyed by the registered URI downstream (batch inference ids, predictions, monitoring) would look new
too. :func:`register_model_version` first looks for a version of the same model: versions it registers
carry the source URI as a tag; a version registered elsewhere matches on its ``source``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spark_mlops.errors import InvalidArgumentError, TrackingError

__all__ = ["SOURCE_URI_TAG", "RegisteredModelVersion", "find_model_version", "register_model_version"]

log = logging.getLogger(__name__)

#: Model-version tag holding the URI a version was registered from.
SOURCE_URI_TAG = "spark_mlops.source_model_uri"


@dataclass(frozen=True)
class RegisteredModelVersion:
    """A registered model version and whether it was already there.

    Attributes:
        name: Registered model name.
        version: Version number.
        source_uri: The model URI it was registered from.
        reused: ``True`` when an existing version of the same model was returned.
    """

    name: str
    version: int
    source_uri: str
    reused: bool

    @property
    def registered_model_uri(self) -> str:
        """``models:/<name>/<version>``."""
        return f"models:/{self.name}/{self.version}"


def _client(client: Any | None) -> Any:
    if client is not None:
        return client
    from mlflow.tracking import MlflowClient

    return MlflowClient()


def _quote(value: str) -> str:
    return value.replace("'", "\\'")


def find_model_version(name: str, model_uri: str, client: Any | None = None) -> Any | None:
    """The newest version of registered model ``name`` registered from ``model_uri``, or ``None``.

    Args:
        name: Registered model name.
        model_uri: The source URI (``runs:/<run id>/<path>``, ``models:/m-…``, a path).
        client: An ``MlflowClient`` (default: one for the current tracking URI).

    Returns:
        The ``ModelVersion`` or ``None`` (also when the registered model does not exist yet).
    """
    if not name or not model_uri:
        raise InvalidArgumentError(f"name, model_uri: both must be non-empty, got {name!r}, {model_uri!r}")
    from mlflow.exceptions import MlflowException

    query = f"name = '{_quote(name)}'"
    if model_uri.startswith("runs:/"):
        # A run's model: narrow the search to that run's versions.
        run_id = model_uri[len("runs:/") :].split("/", 1)[0]
        query += f" and run_id = '{_quote(run_id)}'"
    try:
        versions = _client(client).search_model_versions(query)
    except MlflowException as exc:
        raise TrackingError(f"name: cannot search versions of registered model {name!r}: {exc}") from None
    same = [v for v in versions if (v.tags or {}).get(SOURCE_URI_TAG) == model_uri or v.source == model_uri]
    return max(same, key=lambda v: int(v.version)) if same else None


def register_model_version(
    model_uri: str,
    name: str,
    tags: Mapping[str, str] | None = None,
    *,
    reuse_existing: bool = True,
    client: Any | None = None,
) -> RegisteredModelVersion:
    """Register ``model_uri`` as a version of ``name`` unless that model is registered already.

    Args:
        model_uri: MLflow model URI to register.
        name: Registered model name (created when absent).
        tags: Model-version tags to set (also on a reused version, e.g. a new approval status).
        reuse_existing: ``False`` always creates a new version (MLflow's own behaviour).
        client: An ``MlflowClient`` (default: one for the current tracking URI).

    Returns:
        The version, with ``reused`` telling whether it existed.

    Raises:
        InvalidArgumentError: empty name or URI.
        TrackingError: the registry cannot be searched or written.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow_client = _client(client)
    existing = find_model_version(name, model_uri, mlflow_client) if reuse_existing else None
    try:
        if existing is None:
            created = mlflow.register_model(model_uri, name)
            version, reused = int(created.version), False
            mlflow_client.set_model_version_tag(name, str(version), SOURCE_URI_TAG, model_uri)
        else:
            version, reused = int(existing.version), True
        for key, value in (tags or {}).items():
            mlflow_client.set_model_version_tag(name, str(version), key, str(value))
    except MlflowException as exc:
        raise TrackingError(f"model_uri: cannot register {model_uri!r} as {name!r}: {exc}") from None
    log.info("model %s %s as %s version %d", model_uri, "already registered" if reused else "registered",
             name, version)  # fmt: skip
    return RegisteredModelVersion(name, version, model_uri, reused)
