"""Tracker: one trial component, i.e. one MLflow run nested under its trial's run.

Mapping onto MLflow: parameters → run params, metrics → run metrics (with steps), inputs/outputs →
run tags ``spark_mlops.input.<name>`` / ``spark_mlops.output.<name>`` (JSON), files → run artifacts,
Delta tables → MLflow dataset inputs (a meta dataset with a Delta source) whose tags carry the table
and the version *we* resolved from the Delta log (MLflow's own version capture is not relied on).

When a lineage store is given (or set with :func:`spark_mlops.lineage.set_default_store`), closing
the tracker writes the run's lineage in one batch: inputs ``ContributedTo`` the run's action, the
action ``Produced`` its outputs, and the action is ``AssociatedWith`` its trial (and the trial with its
experiment).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import numbers
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from mlflow.data.delta_dataset_source import DeltaDatasetSource
from mlflow.data.meta_dataset import MetaDataset
from mlflow.entities import DatasetInput, InputTag, RunStatus

from spark_mlops.delta import TableVersion, normalize_table, read_delta_versioned
from spark_mlops.errors import InvalidArgumentError, TrackingError
from spark_mlops.lineage import (
    Action,
    ActionType,
    Artifact,
    ArtifactType,
    Association,
    AssociationType,
    Context,
    ContextType,
    LineageEntity,
    LineageStore,
    get_default_store,
)
from spark_mlops.lineage.questions import PARAM_PREFIX
from spark_mlops.tracking.experiment import KIND_TAG, TRIAL_TAG, Experiment, Trial, mlflow_client

__all__ = ["Tracker"]

log = logging.getLogger(__name__)

_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/: ]")  # what MLflow accepts in names
#: media_type → lineage artifact type for generic inputs/outputs.
_MEDIA_TYPES = {"delta": ArtifactType.DATASET, "mlflow/model": ArtifactType.MODEL, "code": ArtifactType.CODE}


def _tag_name(name: str, arg: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError(f"{arg}: expected a non-empty string, got {name!r}")
    return _TAG_UNSAFE.sub("_", name)


@dataclass(frozen=True)
class _Link:
    """An input or output remembered for lineage."""

    name: str
    uri: str
    artifact_type: str
    version: int | None


class Tracker:
    """A trial component: a nested MLflow run under a trial (a context manager).

    Prefer :meth:`create`. Attributes: ``run_id`` (= TrialComponentName), ``display_name``,
    ``trial``, ``source_arn`` (the run's artifact URI).

    Example:
        >>> with Tracker.create(display_name="Preprocessing", trial=trial) as tracker:
        ...     tracker.log_parameters({"train_test_split": 0.8})
        ...     tracker.log_delta_input("/lake/raw", version=0)
        ...     tracker.log_metric("rows", 1000)
    """

    def __init__(
        self,
        run_id: str,
        display_name: str,
        trial: Trial | None,
        experiment: Experiment,
        job_type: str = ActionType.PROCESSING_JOB,
        lineage_store: LineageStore | None = None,
        code_version: str | None = None,
    ) -> None:
        self.run_id = run_id
        self.display_name = display_name
        self.trial = trial
        self.experiment = experiment
        self.job_type = job_type
        self.lineage_store = lineage_store
        self.code_version = code_version
        self._client = mlflow_client()
        self._params: dict[str, str] = {}
        self._inputs: list[_Link] = []
        self._outputs: list[_Link] = []
        self._closed = False

    @classmethod
    def create(
        cls,
        display_name: str | None = None,
        trial: Trial | None = None,
        experiment_name: str | None = None,
        job_type: str = ActionType.PROCESSING_JOB,
        lineage_store: LineageStore | None = None,
        code_version: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> Tracker:
        """Start a trial component.

        Args:
            display_name: Name shown for the component (the MLflow run name).
            trial: Its trial; without one, ``experiment_name`` is required and the run is standalone.
            experiment_name: Experiment of a standalone component.
            job_type: Lineage action type (``ProcessingJob``, ``TrainingJob``, …).
            lineage_store: Where to write lineage on close (default: the module default store, if any).
            code_version: Recorded on the action (default: the git commit of the working folder, if any).
            tags: Extra run tags.
        """
        if trial is None and experiment_name is None:
            raise InvalidArgumentError(
                "trial, experiment_name: give the trial (or an experiment) of the tracker"
            )
        if trial is not None and not isinstance(trial, Trial):
            raise InvalidArgumentError(f"trial: expected a Trial, got {type(trial).__name__}")
        experiment = Experiment.load(trial.experiment_name if trial else str(experiment_name))
        name = display_name or "TrialComponent"
        run_tags = {str(k): str(v) for k, v in (tags or {}).items()}
        run_tags[KIND_TAG] = "trial_component"
        if trial is not None:
            run_tags["mlflow.parentRunId"] = trial.run_id
            run_tags[TRIAL_TAG] = trial.trial_name
        if code_version is None:
            code_version = _git_commit()
        if code_version:
            run_tags["mlflow.source.git.commit"] = code_version
        run = mlflow_client().create_run(experiment.experiment_id, run_name=name, tags=run_tags)
        return cls(run.info.run_id, name, trial, experiment, job_type, lineage_store, code_version)

    # ------------------------------------------------------------- properties
    @property
    def trial_component_name(self) -> str:
        """The unique component name (the MLflow run id)."""
        return self.run_id

    @property
    def source_arn(self) -> str:
        """Where the component's artifacts live (the run's artifact URI)."""
        return str(self._client.get_run(self.run_id).info.artifact_uri)

    # ----------------------------------------------------------------- logging
    def log_parameters(self, parameters: Mapping[str, Any]) -> None:
        """Log several parameters (values are stored as strings by MLflow).

        Raises:
            TrackingError: a parameter was already logged with a different value (MLflow params are
                immutable).
        """
        if not isinstance(parameters, Mapping):
            raise InvalidArgumentError(f"parameters: expected a mapping, got {type(parameters).__name__}")
        self._check_open()
        from mlflow.entities import Param

        new = []
        for key, value in parameters.items():
            name = _tag_name(str(key), "parameters")
            text = str(value)
            if name in self._params and self._params[name] != text:
                raise TrackingError(
                    f"parameters: '{name}' was already logged as {self._params[name]!r}, "
                    f"cannot change it to {text!r}"
                )
            if name not in self._params:
                new.append(Param(name, text))
            self._params[name] = text
        if new:
            self._client.log_batch(self.run_id, params=new)

    def log_parameter(self, name: str, value: Any) -> None:
        """Log one parameter."""
        self.log_parameters({name: value})

    def log_metric(
        self, name: str, value: float, step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Log one metric value (a series when logged at several steps)."""
        self._check_open()
        metric = _tag_name(name, "name")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidArgumentError(f"value: metric '{metric}' needs a number, got {value!r}")
        if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
            raise InvalidArgumentError(f"step: expected an integer for metric '{metric}', got {step!r}")
        if math.isnan(float(value)):
            log.warning("metric %s is NaN", metric)
        self._client.log_metric(self.run_id, metric, float(value), timestamp=timestamp, step=step or 0)

    def log_input(
        self, name: str, value: str, media_type: str | None = None, artifact_type: str | None = None
    ) -> None:
        """Record an input (a URI, a table, …) by name."""
        self._log_link("input", name, value, media_type, artifact_type, None)

    def log_output(
        self, name: str, value: str, media_type: str | None = None, artifact_type: str | None = None
    ) -> None:
        """Record an output by name."""
        self._log_link("output", name, value, media_type, artifact_type, None)

    def log_artifact(
        self, file_path: str | os.PathLike[str], name: str | None = None, media_type: str | None = None
    ) -> str:
        """Upload a file to the run's artifacts and record it as an output; returns its artifact URI."""
        self._check_open()
        path = os.fspath(file_path)
        if not os.path.isfile(path):
            raise InvalidArgumentError(f"file_path: no such file '{path}'")
        self._client.log_artifact(self.run_id, path, artifact_path="artifacts")
        uri = f"runs:/{self.run_id}/artifacts/{os.path.basename(path)}"
        self._log_link("output", name or os.path.basename(path), uri, media_type, ArtifactType.FILE, None)
        return uri

    def log_directory(self, local_dir: str | os.PathLike[str], artifact_path: str) -> str:
        """Upload a folder (e.g. a saved model) under ``artifact_path``; returns its ``runs:/`` URI."""
        self._check_open()
        if not os.path.isdir(local_dir):
            raise InvalidArgumentError(f"local_dir: no such folder '{os.fspath(local_dir)}'")
        self._client.log_artifacts(self.run_id, os.fspath(local_dir), artifact_path=artifact_path)
        return f"runs:/{self.run_id}/{artifact_path}"

    def log_delta_input(
        self, table: str | os.PathLike[str], version: int | None = None, name: str | None = None
    ) -> TableVersion:
        """Record a Delta table read at ``version`` (default: its current version); returns it."""
        return self._log_delta("input", table, version, name)

    def log_delta_output(
        self, table: str | os.PathLike[str], version: int | None = None, name: str | None = None
    ) -> TableVersion:
        """Record a Delta table written by this component (default: its current version)."""
        return self._log_delta("output", table, version, name)

    def _log_delta(
        self, role: str, table: str | os.PathLike[str], version: int | None, name: str | None
    ) -> TableVersion:
        self._check_open()
        from spark_mlops.spark import get_spark

        # Resolves the real version from the Delta log and fails clearly for a missing table/version.
        _, tv = read_delta_versioned(get_spark(), normalize_table(table), version=version)
        label = name or os.path.basename(tv.table.rstrip("/")) or tv.table
        digest = hashlib.sha256(f"{tv.table}@{tv.version}".encode()).hexdigest()[:16]
        dataset = MetaDataset(  # type: ignore[abstract]
            DeltaDatasetSource(path=tv.table, delta_table_version=tv.version), name=label, digest=digest
        )
        context = "training" if role == "input" and self.job_type == ActionType.TRAINING_JOB else role
        tags = [
            InputTag("mlflow.data.context", context),
            InputTag("spark_mlops.table", tv.table),
            InputTag("spark_mlops.delta_version", str(tv.version)),
        ]
        self._client.log_inputs(self.run_id, datasets=[DatasetInput(dataset._to_mlflow_entity(), tags)])
        self._log_link(role, label, tv.table, "delta", ArtifactType.DATASET, tv.version)
        return tv

    def _log_link(
        self,
        role: str,
        name: str,
        value: str,
        media_type: str | None,
        artifact_type: str | None,
        version: int | None,
    ) -> None:
        self._check_open()
        key = _tag_name(name, "name")
        if not isinstance(value, str) or not value:
            raise InvalidArgumentError(f"value: the {role} '{key}' needs a non-empty string, got {value!r}")
        record: dict[str, Any] = {"value": value, "media_type": media_type}
        if version is not None:
            record["version"] = version
        self._client.set_tag(self.run_id, f"spark_mlops.{role}.{key}", json.dumps(record))
        kind = artifact_type or _MEDIA_TYPES.get(media_type or "", ArtifactType.DATASET)
        (self._inputs if role == "input" else self._outputs).append(_Link(key, value, kind, version))

    # --------------------------------------------------------------- closing
    def _check_open(self) -> None:
        if self._closed:
            raise TrackingError(f"tracker '{self.display_name}' ({self.run_id}) is already closed")

    def close(self, status: str = "FINISHED") -> None:
        """End the run and write its lineage (when a store is configured)."""
        if self._closed:
            return
        self._closed = True
        store = self.lineage_store or get_default_store()
        try:
            if store is not None:
                self.write_lineage(store)
        finally:
            self._client.set_terminated(self.run_id, status)

    def action(self) -> Action:
        """The lineage action of this component (deterministic: one per run)."""
        props: dict[str, str] = {
            "run_id": self.run_id,
            "experiment_name": self.experiment.experiment_name,
            "display_name": self.display_name,
        }
        if self.trial is not None:
            props["trial_name"] = self.trial.trial_name
        if self.code_version:
            props["code_version"] = self.code_version
        props.update({PARAM_PREFIX + k: v for k, v in self._params.items()})
        return Action.build(self.display_name, self.job_type, f"runs:/{self.run_id}", None, props)  # type: ignore[return-value]

    def write_lineage(self, store: LineageStore) -> Action:
        """Write this component's action, inputs, outputs, trial and experiment in one batch."""
        action = self.action()
        with store.batch():
            Action.create(action.name, action.type, action.source_uri, None, action.properties, store=store)
            for link in self._inputs:
                art = _artifact(link, store)
                Association.create(art, action, AssociationType.CONTRIBUTED_TO, store=store)
            for link in self._outputs:
                art = _artifact(link, store)
                Association.create(action, art, AssociationType.PRODUCED, store=store)
            exp = Context.create(
                self.experiment.experiment_name,
                ContextType.EXPERIMENT,
                f"mlflow-experiment:{self.experiment.experiment_id}",
                store=store,
            )
            if self.trial is not None:
                trial = Context.create(
                    self.trial.trial_name, ContextType.TRIAL, f"runs:/{self.trial.run_id}", store=store
                )
                Association.create(action, trial, AssociationType.ASSOCIATED_WITH, store=store)
                Association.create(trial, exp, AssociationType.ASSOCIATED_WITH, store=store)
            else:
                Association.create(action, exp, AssociationType.ASSOCIATED_WITH, store=store)
        return action

    def __enter__(self) -> Tracker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(RunStatus.to_string(RunStatus.FAILED if exc_type else RunStatus.FINISHED))


def _artifact(link: _Link, store: LineageStore) -> LineageEntity:
    # Delta data sets are named by their table so every run that reads raw@v1 meets the same vertex.
    name = link.uri if link.version is not None else link.name
    return Artifact.create(name, link.uri, link.artifact_type, link.version, store=store)


def _git_commit() -> str | None:
    try:
        from mlflow.utils.git_utils import get_git_commit

        return get_git_commit(os.getcwd())
    except Exception:  # noqa: BLE001 - no git, no repo: the code version is simply unknown
        return None
