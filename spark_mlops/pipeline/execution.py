"""Records of executions and step executions (what the Delta state tables hold)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from spark_mlops.errors import PipelineError

__all__ = ["ExecutionStatus", "PipelineExecution", "StepRecord", "StepStatus"]


class ExecutionStatus(str, Enum):
    """Status of a pipeline execution."""

    EXECUTING = "Executing"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    WAITING = "Waiting"  # a CallbackStep waits for its token; resume() continues it


class StepStatus(str, Enum):
    """Status of one step in an execution."""

    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SKIPPED = "Skipped"  # its condition branch was not taken (or an upstream step was skipped)
    WAITING = "Waiting"
    NOT_RUN = "NotRun"  # the execution stopped before the step could run


@dataclass
class StepRecord:
    """What happened to one step in one execution (the last attempt).

    Attributes:
        step_name: The step.
        step_type: Its kind (``Processing``, ``Condition``, ...).
        status: Final status of the step in this execution.
        attempts: Attempts made (retries included).
        start_time: Start of the first attempt (UTC).
        end_time: End of the last attempt (UTC).
        failure_reason: The error of the last attempt, if it failed.
        cache_key: Cache key (empty when the step is not cached).
        cache_hit: True when the outputs were reused from an earlier execution.
        cached_from: Execution id the outputs were reused from.
        properties: Recorded properties (outputs with Delta versions, metrics, model URIs, files).
        mlflow_run_id: The step's nested MLflow run.
    """

    step_name: str
    step_type: str
    status: StepStatus
    attempts: int = 0
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    failure_reason: str | None = None
    cache_key: str = ""
    cache_hit: bool = False
    cached_from: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    mlflow_run_id: str | None = None

    @property
    def duration_seconds(self) -> float:
        """Wall time of the step (0 when it did not run)."""
        if self.start_time is None or self.end_time is None:
            return 0.0
        return (self.end_time - self.start_time).total_seconds()


@dataclass
class PipelineExecution:
    """One execution of a pipeline and the records of its steps.

    Attributes:
        execution_id: Unique id.
        pipeline_name: The pipeline.
        status: Final (or current) status.
        parameters: Resolved parameter values.
        logical_date: The scheduling day (with the parameters, the exactly-once key of its writes).
        start_time: Start (UTC).
        end_time: End (UTC), when finished.
        failure_reason: The failing step's error.
        mlflow_run_id: The parent MLflow run.
        steps: Step records by step name.
    """

    execution_id: str
    pipeline_name: str
    status: ExecutionStatus
    parameters: dict[str, Any]
    logical_date: dt.date
    start_time: dt.datetime
    end_time: dt.datetime | None = None
    failure_reason: str | None = None
    mlflow_run_id: str | None = None
    steps: dict[str, StepRecord] = field(default_factory=dict)

    def step(self, name: str) -> StepRecord:
        """The record of step ``name``.

        Raises:
            PipelineError: the execution has no such step.
        """
        if name not in self.steps:
            raise PipelineError(
                f"execution {self.execution_id} has no step '{name}'; it has {sorted(self.steps)}"
            )
        return self.steps[name]

    def raise_for_status(self) -> PipelineExecution:
        """Return self when the execution succeeded, else raise :class:`PipelineError` with the reason."""
        if self.status is not ExecutionStatus.SUCCEEDED:
            raise PipelineError(
                f"execution {self.execution_id} of '{self.pipeline_name}' is {self.status.value}: "
                f"{self.failure_reason}"
            )
        return self
