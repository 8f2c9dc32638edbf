"""MLflow records of executions: one parent run per execution, one nested run per step.

Uses ``MlflowClient`` (not the fluent API): steps may run in several threads at once, and the fluent
API keeps one active run per thread.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from spark_mlops.config import settings
from spark_mlops.pipeline.execution import PipelineExecution, StepRecord, StepStatus

__all__ = ["PipelineMlflowLogger"]

log = logging.getLogger(__name__)

_MAX_PARAM = 6000  # MLflow's param value limit
_RUN_STATUS = {
    StepStatus.SUCCEEDED: "FINISHED",
    StepStatus.FAILED: "FAILED",
    StepStatus.SKIPPED: "KILLED",
    StepStatus.NOT_RUN: "KILLED",
    StepStatus.WAITING: "SCHEDULED",
}


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out[prefix] = str(value)[:_MAX_PARAM]


class PipelineMlflowLogger:
    """Writes executions and steps to MLflow.

    Args:
        experiment_name: MLflow experiment of the pipeline (created when missing).
        tracking_uri: Tracking URI (default: the configured one).
    """

    def __init__(self, experiment_name: str, tracking_uri: str | None = None) -> None:
        self.client = MlflowClient(
            tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or settings().mlflow_tracking_uri
        )
        found = self.client.get_experiment_by_name(experiment_name)
        self.experiment_id = found.experiment_id if found else self.client.create_experiment(experiment_name)

    def start_execution(self, execution: PipelineExecution) -> str:
        """Create (or reopen on resume) the execution's parent run; returns its id."""
        if execution.mlflow_run_id:
            self.client.update_run(execution.mlflow_run_id, status="RUNNING")
            return execution.mlflow_run_id
        run = self.client.create_run(
            self.experiment_id,
            run_name=f"{execution.pipeline_name}-{execution.execution_id[:8]}",
            tags={
                "spark_mlops.pipeline": execution.pipeline_name,
                "spark_mlops.execution_id": execution.execution_id,
                "spark_mlops.logical_date": execution.logical_date.isoformat(),
            },
        )
        params: dict[str, str] = {}
        _flatten("", execution.parameters, params)
        self.client.log_batch(run.info.run_id, params=[Param(k, v) for k, v in params.items()])
        return str(run.info.run_id)

    def end_execution(self, execution: PipelineExecution) -> None:
        """Close the parent run with the execution's status."""
        if not execution.mlflow_run_id:
            return
        status = {"Succeeded": "FINISHED", "Failed": "FAILED"}.get(execution.status.value)
        tags = [RunTag("spark_mlops.status", execution.status.value)]
        if execution.failure_reason:
            tags.append(RunTag("spark_mlops.failure_reason", execution.failure_reason[:5000]))
        self.client.log_batch(execution.mlflow_run_id, tags=tags)
        if status is not None:
            self.client.set_terminated(execution.mlflow_run_id, status=status)

    def log_step(
        self,
        execution: PipelineExecution,
        record: StepRecord,
        params: dict[str, Any],
        metrics: dict[str, float],
        artifacts: list[str],
    ) -> str | None:
        """One nested run for the step: params, metrics, artifacts, status, duration."""
        if not execution.mlflow_run_id:
            return None
        run = self.client.create_run(
            self.experiment_id,
            run_name=record.step_name,
            tags={
                "mlflow.parentRunId": execution.mlflow_run_id,
                "spark_mlops.execution_id": execution.execution_id,
                "spark_mlops.step": record.step_name,
                "spark_mlops.step_type": record.step_type,
                "spark_mlops.status": record.status.value,
                "spark_mlops.cache_hit": str(record.cache_hit).lower(),
                "spark_mlops.cached_from": record.cached_from or "",
                "spark_mlops.failure_reason": (record.failure_reason or "")[:5000],
            },
        )
        run_id = str(run.info.run_id)
        flat: dict[str, str] = {}
        _flatten("", params, flat)
        flat["attempts"] = str(record.attempts)
        numbers = [Metric(k, float(v), 0, 0) for k, v in metrics.items()]
        numbers.append(Metric("duration_seconds", record.duration_seconds, 0, 0))
        self.client.log_batch(
            run_id, metrics=numbers, params=[Param(k, v) for k, v in list(flat.items())[:90]]
        )
        for path in artifacts:
            if os.path.isfile(path):
                self.client.log_artifact(run_id, path)
        self.client.set_terminated(run_id, status=_RUN_STATUS[record.status])
        return run_id
