"""Experiments and trials on MLflow: an experiment is an MLflow experiment, a trial is a parent run.

Trial components (see :mod:`spark_mlops.tracking.tracker`) are runs nested under the trial's run, so
the MLflow UI shows experiment → trial → components exactly as SageMaker Experiments does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mlflow
from mlflow.entities import Run, RunStatus
from mlflow.tracking import MlflowClient

from spark_mlops.config import settings
from spark_mlops.errors import InvalidArgumentError, TrackingError

__all__ = [
    "KIND_TAG",
    "TRIAL_TAG",
    "Experiment",
    "Trial",
    "mlflow_client",
    "normalize_tags",
]

log = logging.getLogger(__name__)

#: Run tag saying what a run is: ``trial`` (parent run) or ``trial_component`` (nested run).
KIND_TAG = "spark_mlops.kind"
#: Run tag holding the trial name on the trial run and on each component.
TRIAL_TAG = "spark_mlops.trial"
_DESCRIPTION_TAG = "mlflow.note.content"  # MLflow shows this as the experiment/run description


def mlflow_client() -> MlflowClient:
    """A client for the configured tracking URI (``mlflow.set_tracking_uri``, the environment, else
    :func:`spark_mlops.config.settings`)."""
    from mlflow.tracking._tracking_service.utils import is_tracking_uri_set

    uri = mlflow.get_tracking_uri() if is_tracking_uri_set() else settings().mlflow_tracking_uri
    return MlflowClient(tracking_uri=uri)


def normalize_tags(tags: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None) -> dict[str, str]:
    """Accept SageMaker-style ``[{"Key": k, "Value": v}]`` or a plain mapping."""
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    out: dict[str, str] = {}
    for item in tags:
        if not isinstance(item, Mapping) or "Key" not in item or "Value" not in item:
            raise InvalidArgumentError(f"tags: expected items like {{'Key': k, 'Value': v}}, got {item!r}")
        out[str(item["Key"])] = str(item["Value"])
    return out


def _name(value: Any, arg: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{arg}: expected a non-empty string, got {value!r}")
    return value


@dataclass(frozen=True)
class Experiment:
    """An MLflow experiment.

    Example:
        >>> exp = Experiment.create(experiment_name="churn", description="churn model",
        ...                         tags=[{"Key": "team", "Value": "growth"}])
    """

    experiment_name: str
    experiment_id: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    artifact_location: str | None = None

    @classmethod
    def create(
        cls,
        experiment_name: str,
        description: str | None = None,
        tags: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None = None,
    ) -> Experiment:
        """Create a new experiment.

        Raises:
            TrackingError: an experiment with this name already exists (use :meth:`load`).
        """
        name = _name(experiment_name, "experiment_name")
        client = mlflow_client()
        if client.get_experiment_by_name(name) is not None:
            raise TrackingError(f"experiment_name: experiment '{name}' already exists; use Experiment.load")
        all_tags = normalize_tags(tags)
        if description is not None:
            all_tags[_DESCRIPTION_TAG] = str(description)
        client.create_experiment(name, tags=all_tags)
        return cls.load(name)

    @classmethod
    def load(cls, experiment_name: str) -> Experiment:
        """Load an existing experiment.

        Raises:
            TrackingError: no experiment has this name.
        """
        name = _name(experiment_name, "experiment_name")
        exp = mlflow_client().get_experiment_by_name(name)
        if exp is None:
            raise TrackingError(f"experiment_name: no experiment named '{name}'")
        tags = dict(exp.tags)
        return cls(name, exp.experiment_id, tags.pop(_DESCRIPTION_TAG, None), tags, exp.artifact_location)

    def list_trials(self) -> list[Trial]:
        """The experiment's trials, oldest first."""
        runs = mlflow_client().search_runs(
            [self.experiment_id], filter_string=f"tags.`{KIND_TAG}` = 'trial'", order_by=["start_time ASC"]
        )
        return [
            Trial(r.data.tags[TRIAL_TAG], self.experiment_name, self.experiment_id, r.info.run_id)
            for r in runs
        ]


_QUOTE = re.compile(r"'")


@dataclass(frozen=True)
class Trial:
    """A trial: an MLflow parent run whose nested runs are the trial components."""

    trial_name: str
    experiment_name: str
    experiment_id: str
    run_id: str

    @classmethod
    def create(
        cls,
        trial_name: str,
        experiment_name: str,
        tags: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None = None,
    ) -> Trial:
        """Create a trial in an existing experiment.

        Raises:
            TrackingError: the experiment does not exist, or it already has a trial of this name.
        """
        name = _name(trial_name, "trial_name")
        exp = Experiment.load(experiment_name)
        if cls._find(name, exp) is not None:
            raise TrackingError(
                f"trial_name: trial '{name}' already exists in experiment '{exp.experiment_name}' "
                "(use Trial.load)"
            )
        client = mlflow_client()
        run = client.create_run(
            exp.experiment_id,
            run_name=name,
            tags={**normalize_tags(tags), KIND_TAG: "trial", TRIAL_TAG: name},
        )
        client.set_terminated(run.info.run_id, RunStatus.to_string(RunStatus.FINISHED))
        log.info("created trial %s in experiment %s", name, exp.experiment_name)
        return cls(name, exp.experiment_name, exp.experiment_id, run.info.run_id)

    @classmethod
    def load(cls, trial_name: str, experiment_name: str) -> Trial:
        """Load a trial by name.

        Raises:
            TrackingError: the experiment or the trial does not exist.
        """
        name = _name(trial_name, "trial_name")
        exp = Experiment.load(experiment_name)
        run = cls._find(name, exp)
        if run is None:
            raise TrackingError(f"trial_name: no trial '{name}' in experiment '{exp.experiment_name}'")
        return cls(name, exp.experiment_name, exp.experiment_id, run.info.run_id)

    @classmethod
    def load_or_create(cls, trial_name: str, experiment_name: str) -> Trial:
        """The trial of this name, created when absent (used by training helpers)."""
        exp = Experiment.load(experiment_name)
        run = cls._find(_name(trial_name, "trial_name"), exp)
        if run is not None:
            return cls(trial_name, exp.experiment_name, exp.experiment_id, run.info.run_id)
        return cls.create(trial_name, experiment_name)

    @staticmethod
    def _find(name: str, exp: Experiment) -> Run | None:
        quoted = _QUOTE.sub("\\'", name)
        runs = mlflow_client().search_runs(
            [exp.experiment_id],
            filter_string=f"tags.`{KIND_TAG}` = 'trial' and tags.`{TRIAL_TAG}` = '{quoted}'",
            max_results=1,
        )
        return runs[0] if runs else None

    def list_trial_components(self) -> list[Run]:
        """The MLflow runs of this trial's components, oldest first."""
        return mlflow_client().search_runs(
            [self.experiment_id],
            filter_string=f"tags.`mlflow.parentRunId` = '{self.run_id}'",
            order_by=["start_time ASC"],
        )
