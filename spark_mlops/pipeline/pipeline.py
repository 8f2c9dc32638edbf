"""Pipeline: a validated step graph with parameters; start, resume and callbacks of its executions."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from spark_mlops.config import settings
from spark_mlops.errors import PipelineDefinitionError, PipelineError
from spark_mlops.lineage import get_default_store
from spark_mlops.pipeline.dag import StepGraph, build_graph
from spark_mlops.pipeline.execution import ExecutionStatus, PipelineExecution, StepRecord, StepStatus
from spark_mlops.pipeline.lineage_seam import PipelineLineage
from spark_mlops.pipeline.mlflow_log import PipelineMlflowLogger
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.runner import schedule
from spark_mlops.pipeline.step_runner import StepRunner, utcnow
from spark_mlops.pipeline.steps.base import Step
from spark_mlops.pipeline.store import CallbackState, PipelineStore, definition_sha256
from spark_mlops.pipeline.variables import ResolveContext
from spark_mlops.spark import get_spark

__all__ = ["Pipeline", "default_home"]

log = logging.getLogger(__name__)


def default_home() -> Path:
    """``$SPARK_MLOPS_HOME/pipelines``: where state tables and step files live by default."""
    return settings().home / "pipelines"


class Pipeline:
    """A pipeline definition; the graph is validated at construction, before anything runs.

    Example:
        >>> pipeline = Pipeline("abalone", parameters=[input_table, mse_threshold],
        ...                     steps=[step_process, step_train, step_eval, step_cond])
        >>> execution = pipeline.start({"mse_threshold": 5.0})
        >>> execution.status, execution.step("AbaloneEval").properties["metrics"]

    Args:
        name: Pipeline name (MLflow experiment ``pipelines/<name>`` by default).
        parameters: Declared parameters.
        steps: Steps (branch steps of condition steps are included automatically).
        home: Folder of the state tables and step files (default :func:`default_home`).
        experiment_name: MLflow experiment; ``None`` → ``pipelines/<name>``; ``""`` disables MLflow.
        max_parallel_steps: Independent steps run concurrently in up to this many threads (each step in
            its own Spark scheduler pool).
        spark: Session to use (default :func:`get_spark`).
        description: What the pipeline does.
        lineage: Write step lineage (to the default lineage store when one is set, else ``<home>/lineage``).

    Raises:
        PipelineDefinitionError: the definition is invalid (names the step or parameter).
    """

    def __init__(
        self,
        name: str,
        parameters: Sequence[Parameter] = (),
        steps: Sequence[Step] = (),
        *,
        home: str | os.PathLike[str] | None = None,
        experiment_name: str | None = None,
        max_parallel_steps: int = 1,
        spark: SparkSession | None = None,
        description: str | None = None,
        lineage: bool = True,
    ) -> None:
        if not isinstance(name, str) or not name.strip() or "/" in name:
            raise PipelineDefinitionError(
                f"pipeline name: expected a non-empty string without '/', got {name!r}"
            )
        if (
            isinstance(max_parallel_steps, bool)
            or not isinstance(max_parallel_steps, int)
            or max_parallel_steps < 1
        ):
            raise PipelineDefinitionError(
                f"max_parallel_steps: expected an integer >= 1, got {max_parallel_steps!r}"
            )
        self.name = name
        self.description = description
        self.parameters = list(parameters)
        self.steps = list(steps)
        self.graph: StepGraph = build_graph(self.steps, self.parameters)
        self.home = Path(home) if home is not None else default_home()
        self.experiment_name = f"pipelines/{name}" if experiment_name is None else experiment_name
        self.max_parallel_steps = max_parallel_steps
        self._spark = spark
        self.lineage = lineage

    # ---- definition -----------------------------------------------------------------------------------
    def definition(self) -> dict[str, Any]:
        """Canonical JSON (steps sorted by name): equal for equal YAML and Python definitions."""
        return {
            "name": self.name,
            "description": self.description,
            "parameters": sorted((p.declaration() for p in self.parameters), key=lambda d: d["name"]),
            "steps": [self.graph.steps[n].definition() for n in sorted(self.graph.steps)],
        }

    def to_json(self) -> str:
        """:meth:`definition` as a stable JSON string."""
        return json.dumps(self.definition(), sort_keys=True, indent=2)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str], **kwargs: Any) -> Pipeline:
        """Load and validate ``conf/pipelines/NAME.yaml`` (see :mod:`spark_mlops.pipeline.definition`)."""
        from spark_mlops.pipeline.definition import load_yaml

        return load_yaml(path, **kwargs)

    def resolve_parameters(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overridden by ``overrides``, type-checked.

        Raises:
            PipelineDefinitionError: unknown name, wrong type, or a required parameter without a value.
        """
        declared = {p.name: p for p in self.parameters}
        values: dict[str, Any] = {}
        for key in overrides or {}:
            if key not in declared:
                raise PipelineDefinitionError(f"parameter '{key}': not declared by pipeline '{self.name}'")
        for name, param in declared.items():
            if overrides and name in overrides:
                values[name] = param.check(overrides[name])
            elif param.default_value is not None:
                values[name] = param.default_value
            else:
                raise PipelineDefinitionError(f"parameter '{name}': required (no default) and not given")
        return values

    # ---- execution ------------------------------------------------------------------------------------
    @property
    def spark(self) -> SparkSession:
        """The session the pipeline runs on."""
        return self._spark or get_spark()

    def _store(self) -> PipelineStore:
        store = PipelineStore(self.spark, self.home)
        store.definition_hash = definition_sha256(self.definition())
        return store

    def _logger(self) -> PipelineMlflowLogger | None:
        return PipelineMlflowLogger(self.experiment_name) if self.experiment_name else None

    def start(
        self,
        parameters: Mapping[str, Any] | None = None,
        *,
        logical_date: dt.date | None = None,
        execution_id: str | None = None,
    ) -> PipelineExecution:
        """Run a new execution to completion (or until it waits on a callback) and return it.

        Args:
            parameters: Overrides of parameter defaults.
            logical_date: Scheduling day (default: today, UTC). A re-run with the same parameters and
                logical date over the same input versions writes each output exactly once.
            execution_id: Id to use (default: a new UUID).
        """
        values = self.resolve_parameters(parameters)
        now = utcnow()
        execution = PipelineExecution(
            execution_id=execution_id or uuid.uuid4().hex,
            pipeline_name=self.name,
            status=ExecutionStatus.EXECUTING,
            parameters=values,
            logical_date=logical_date or now.date(),
            start_time=now,
        )
        return self._execute(execution, done={})

    def resume(self, execution_id: str) -> PipelineExecution:
        """Continue an execution: steps that succeeded keep their outputs, all others run again.

        Raises:
            PipelineError: the execution is unknown, belongs to another pipeline, or already succeeded.
        """
        store = self._store()
        previous, definition = store.load_execution(execution_id)
        if previous.pipeline_name != self.name:
            raise PipelineError(
                f"execution_id: '{execution_id}' belongs to pipeline "
                f"'{previous.pipeline_name}', not '{self.name}'"
            )
        if previous.status is ExecutionStatus.SUCCEEDED:
            log.info("execution %s already succeeded; nothing to resume", execution_id)
            return previous
        known = definition_sha256(definition) if isinstance(definition, dict) else definition
        if known != store.definition_hash:
            log.warning(
                "pipeline %s changed since execution %s started; resuming with the new definition",
                self.name,
                execution_id,
            )
        done = {
            n: r
            for n, r in previous.steps.items()
            if r.status is StepStatus.SUCCEEDED and n in self.graph.steps
        }
        log.info(
            "resuming execution %s: %d steps succeeded before (%s)", execution_id, len(done), sorted(done)
        )
        previous.steps = {}
        previous.status, previous.failure_reason, previous.end_time = ExecutionStatus.EXECUTING, None, None
        return self._execute(previous, done=done)

    def _execute(self, execution: PipelineExecution, done: dict[str, StepRecord]) -> PipelineExecution:
        store = self._store()
        mlflow = self._logger()
        if mlflow is not None:
            execution.mlflow_run_id = mlflow.start_execution(execution)
        # No commit at the start: each step row carries the execution header (see PipelineStore).
        log.info(
            "pipeline %s execution %s started (%d steps)",
            self.name,
            execution.execution_id,
            len(self.graph.order),
        )
        resolve_ctx = ResolveContext(
            parameters=dict(execution.parameters),
            execution_id=execution.execution_id,
            start_time=execution.start_time,
            pipeline_name=self.name,
            logical_date=execution.logical_date,
        )
        work_root = self.home / "executions" / self.name / execution.execution_id
        lineage = None
        if self.lineage:
            location = None if get_default_store() is not None else str(self.home / "lineage")
            lineage = PipelineLineage(self.spark, location, self.name, execution.execution_id)
        runner = StepRunner(self.spark, store, mlflow, execution, resolve_ctx, work_root, lineage)
        if lineage is not None:
            for name, rec in done.items():  # lost if the runner died before its end: insert-if-absent
                if not rec.cache_hit:
                    lineage.record_recorded(name, rec.step_type, rec.properties)
        schedule(self.graph, runner, dict(done), self.max_parallel_steps)
        if lineage is not None:
            try:
                lineage.flush()
            except Exception as exc:  # noqa: BLE001 - lineage must not change the execution's outcome
                log.warning("pipeline %s: lineage not written: %s", self.name, exc)
        store.record_execution(execution, self.definition())
        if mlflow is not None:
            mlflow.end_execution(execution)
        elapsed = ((execution.end_time or utcnow()) - execution.start_time).total_seconds()
        log.info(
            "pipeline %s execution %s %s after %.2fs%s",
            self.name,
            execution.execution_id,
            execution.status.value,
            elapsed,
            f": {execution.failure_reason}" if execution.failure_reason else "",
        )
        return execution

    def describe_execution(self, execution_id: str) -> PipelineExecution:
        """The recorded state of an execution (from the Delta state tables)."""
        return self._store().load_execution(execution_id)[0]

    # ---- callbacks ------------------------------------------------------------------------------------
    def waiting_callbacks(self, execution_id: str | None = None) -> list[CallbackState]:
        """Callback tokens still waiting for a report."""
        return [c for c in self._store().waiting_callbacks(execution_id) if c.pipeline_name == self.name]

    def report_callback(
        self,
        token: str,
        success: bool,
        outputs: Mapping[str, Any] | None = None,
        failure_reason: str | None = None,
    ) -> None:
        """Report the outcome of a waiting CallbackStep (see :func:`report_callback`)."""
        report_callback(self.spark, self.home, token, success, outputs, failure_reason)


def report_callback(
    spark: SparkSession,
    home: str | os.PathLike[str],
    token: str,
    success: bool,
    outputs: Mapping[str, Any] | None = None,
    failure_reason: str | None = None,
) -> CallbackState:
    """Record the outcome of a callback token in the Delta state (the API behind ``spark-mlops callback``).

    Raises:
        PipelineError: unknown token, or a token that was already reported.
    """
    store = PipelineStore(spark, Path(home))
    state = store.callback(token)
    if state is None:
        raise PipelineError(f"token: no callback token '{token}' under {store.home}")
    if state.status != "Waiting":
        raise PipelineError(f"token: callback '{token}' was already reported as {state.status}")
    status = "Succeeded" if success else "Failed"
    store.record_callback(
        token,
        state.execution_id,
        state.pipeline_name,
        state.step_name,
        status,
        dict(outputs or {}),
        None if success else (failure_reason or "reported as failed"),
    )
    log.info("callback %s of step %s reported %s", token, state.step_name, status)
    new_state = store.callback(token)
    assert new_state is not None
    return new_state
