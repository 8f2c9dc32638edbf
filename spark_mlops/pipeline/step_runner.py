"""Running one step: resolve its values, pin input versions, check the cache, attempt with retries and
a timeout, and record the outcome (Delta state, MLflow nested run, lineage, a progress line)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from pyspark.util import inheritable_thread_target

from spark_mlops.delta import TableVersion, current_version, normalize_table
from spark_mlops.errors import SparkMlopsError, StepFailedError
from spark_mlops.pipeline.caching import cache_key, txn_app_id
from spark_mlops.pipeline.execution import PipelineExecution, StepRecord, StepStatus
from spark_mlops.pipeline.lineage_seam import PipelineLineage
from spark_mlops.pipeline.mlflow_log import PipelineMlflowLogger
from spark_mlops.pipeline.steps.base import Step
from spark_mlops.pipeline.steps.context import StepContext, StepPending
from spark_mlops.pipeline.store import PipelineStore
from spark_mlops.pipeline.variables import ResolveContext, resolve_value
from spark_mlops.spark import is_connect, job_description

__all__ = ["StepRunner", "utcnow"]

log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    """Current UTC time as a naive datetime (how Spark returns the state tables' timestamps)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass
class _Prepared:
    resolved: dict[str, Any]
    inputs: dict[str, TableVersion]
    outputs: dict[str, str]


def _pin(step_name: str, name: str, value: Any, spark: SparkSession) -> TableVersion:
    if isinstance(value, TableVersion):
        return value
    if isinstance(value, dict) and "table" in value:
        version = value.get("version")
        table = normalize_table(str(value["table"]))
        return TableVersion(table, int(version) if version is not None else current_version(spark, table))
    if isinstance(value, str):
        return TableVersion(normalize_table(value), current_version(spark, value))
    raise StepFailedError(
        step_name, f"input '{name}': expected a table path/name or {{table, version}}, got {value!r}"
    )


class StepRunner:
    """Runs steps of one execution (shared by the sequential and the concurrent scheduler)."""

    def __init__(
        self,
        spark: SparkSession,
        store: PipelineStore,
        mlflow: PipelineMlflowLogger | None,
        execution: PipelineExecution,
        resolve_ctx: ResolveContext,
        work_root: Path,
        lineage: PipelineLineage | None = None,
    ) -> None:
        self.spark = spark
        self.store = store
        self.mlflow = mlflow
        self.execution = execution
        self.resolve_ctx = resolve_ctx
        self.work_root = work_root
        self.lineage = lineage

    def _prepare(self, step: Step) -> _Prepared:
        ctx = self.resolve_ctx
        arguments = resolve_value(step.arguments(), ctx)
        inputs_raw = resolve_value(step.inputs(), ctx)
        outputs_raw = resolve_value(step.outputs(), ctx)
        inputs = {name: _pin(step.name, name, v, self.spark) for name, v in inputs_raw.items()}
        outputs = {}
        for name, v in outputs_raw.items():
            if isinstance(v, dict) and "table" in v:
                v = v["table"]
            if not isinstance(v, str):
                raise StepFailedError(step.name, f"output '{name}': expected a table path or name, got {v!r}")
            outputs[name] = normalize_table(v)
        return _Prepared(
            resolved={"arguments": arguments, "outputs": outputs}, inputs=inputs, outputs=outputs
        )

    def run(self, step: Step) -> StepRecord:
        """Run ``step`` to a final record (never raises for a step failure)."""
        started = utcnow()
        record = StepRecord(step.name, step.type_name, StepStatus.FAILED, start_time=started)
        params: dict[str, Any] = {}
        metrics: dict[str, float] = {}
        artifacts: list[str] = []
        prepared: _Prepared | None = None
        try:
            prepared = self._prepare(step)
            params = (
                dict(prepared.resolved["arguments"])
                if isinstance(prepared.resolved["arguments"], dict)
                else {}
            )
            if step.cacheable and step.cache_config is not None and step.cache_config.enable_caching:
                record.cache_key = cache_key(
                    step.definition(), prepared.resolved, step.code_hash(), prepared.inputs
                )
                expiry = step.cache_config.expiry
                hit = self.store.find_cached(
                    self.execution.pipeline_name,
                    step.name,
                    record.cache_key,
                    None if expiry is None else started - expiry,
                )
                if hit is not None:
                    record.status = StepStatus.SUCCEEDED
                    record.cache_hit, record.cached_from = True, hit[0]
                    record.properties = hit[1].properties
                    metrics = dict(record.properties.get("metrics", {}))
            if not record.cache_hit:
                ctx = self._attempts(step, prepared, record)
                metrics, artifacts = dict(ctx.metrics), [*ctx.artifacts, *ctx.written_files.values()]
                params.update(ctx.params)
        except StepPending as exc:
            record.status, record.failure_reason = StepStatus.WAITING, str(exc)
        except Exception as exc:  # noqa: BLE001 - a step's error is data: it fails the step, not the runner
            record.status = StepStatus.FAILED
            reason = str(exc) if isinstance(exc, SparkMlopsError) else f"{type(exc).__name__}: {exc}"
            prefix = (
                f"step '{step.name}' failed: "  # StepFailedError's own prefix; the execution adds it once
            )
            record.failure_reason = reason[len(prefix) :] if reason.startswith(prefix) else reason
        record.end_time = utcnow()
        self._record(step, record, prepared, params, metrics, artifacts)
        return record

    def _attempts(self, step: Step, prepared: _Prepared, record: StepRecord) -> StepContext:
        policy = step.retry_policy
        max_attempts = policy.max_attempts if policy is not None and getattr(step, "retryable", True) else 1
        app_id = txn_app_id(
            self.execution.pipeline_name,
            step.name,
            self.execution.logical_date,
            self.execution.parameters,
            prepared.resolved,
            prepared.inputs,
        )
        last: BaseException | None = None
        for attempt in range(1, max_attempts + 1):
            if attempt > 1 and policy is not None:
                pause = policy.pause_before(attempt)
                log.info(
                    "step %s: retrying (attempt %d/%d) in %.1fs after: %s",
                    step.name,
                    attempt,
                    max_attempts,
                    pause,
                    last,
                )
                time.sleep(pause)
            record.attempts = attempt
            ctx = StepContext(
                self.spark,
                step_name=step.name,
                execution_id=self.execution.execution_id,
                attempt=attempt,
                work_dir=self.work_root / step.name,
                args=prepared.resolved["arguments"],
                input_versions=prepared.inputs,
                outputs=prepared.outputs,
                property_files={p.name: p for p in step.property_files()},
                txn_app_id=app_id,
                txn_version=self.execution.logical_date.toordinal(),
                logical_date=self.execution.logical_date,
                resolve_context=self.resolve_ctx,
                pipeline_name=self.execution.pipeline_name,
                state=self.store,
            )
            try:
                extra = self._call_with_timeout(step, lambda ctx=ctx: step.run(ctx))  # type: ignore[misc]
            except StepPending:
                raise
            except Exception as exc:  # noqa: BLE001
                last = exc
                continue
            record.status = StepStatus.SUCCEEDED
            record.properties = {
                "outputs": {k: v.to_dict() for k, v in ctx.written.items()},
                "inputs": {k: v.to_dict() for k, v in prepared.inputs.items()},
                "metrics": dict(ctx.metrics),
                "property_files": dict(ctx.written_files),
                **ctx.extra,
                **(extra or {}),
            }
            return ctx
        assert last is not None
        raise last

    def _call_with_timeout(self, step: Step, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        connect = is_connect(self.spark)
        tag = f"spark_mlops-step-{uuid.uuid4().hex[:12]}"
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                if not connect:
                    sc = self.spark.sparkContext
                    sc.addJobTag(tag)
                    # A pool per step: with spark.scheduler.mode=FAIR concurrent steps share the cluster.
                    sc.setLocalProperty("spark.scheduler.pool", step.name)
                with job_description(self.spark, f"pipeline {self.execution.pipeline_name} step {step.name}"):
                    box["result"] = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                box["error"] = exc
            finally:
                if not connect:
                    self.spark.sparkContext.removeJobTag(tag)
                    self.spark.sparkContext.setLocalProperty("spark.scheduler.pool", None)  # type: ignore[arg-type]

        thread = threading.Thread(
            target=inheritable_thread_target(self.spark)(target), name=f"step-{step.name}", daemon=True
        )
        thread.start()
        thread.join(step.timeout_seconds)
        if thread.is_alive():
            if not connect:
                self.spark.sparkContext.cancelJobsWithTag(tag)
            raise StepFailedError(step.name, f"timed out after {step.timeout_seconds:g}s")
        if "error" in box:
            raise box["error"]
        return box.get("result") or {}

    def _record(
        self,
        step: Step,
        record: StepRecord,
        prepared: _Prepared | None,
        params: dict[str, Any],
        metrics: dict[str, float],
        artifacts: list[str],
    ) -> None:
        if self.mlflow is not None:
            try:
                record.mlflow_run_id = self.mlflow.log_step(
                    self.execution, record, params, metrics, artifacts
                )
            except Exception as exc:  # noqa: BLE001 - tracking must not change the step's outcome
                log.warning("step %s: MLflow logging failed: %s", step.name, exc)
        fresh = record.status is StepStatus.SUCCEEDED and not record.cache_hit
        if self.lineage is not None and fresh and prepared is not None:
            outputs = {k: TableVersion.from_dict(v) for k, v in record.properties.get("outputs", {}).items()}
            models = [str(v) for k, v in record.properties.items() if k.endswith("model_uri") and v]
            try:
                record.properties["lineage_action_id"] = self.lineage.record_step(
                    step.name,
                    step.type_name,
                    prepared.inputs,
                    outputs,
                    models,
                    {"mlflow_run_id": record.mlflow_run_id or ""},
                )
            except Exception as exc:  # noqa: BLE001 - lineage must not change the step's outcome
                log.warning("step %s: lineage not written: %s", step.name, exc)
        # Commit now only what a resume must not repeat: fresh work with side effects. A condition's
        # outcome, a cache hit or a failure is re-evaluated cheaply, so it waits for the next commit.
        durable = fresh and step.type_name != "Condition"
        self.store.record_step(self.execution, record, durable=durable)
        how = " (cache hit from " + str(record.cached_from) + ")" if record.cache_hit else ""
        tries = f", {record.attempts} attempts" if record.attempts > 1 else ""
        reason = f": {record.failure_reason}" if record.failure_reason else ""
        log.info(
            "pipeline %s step %s %s in %.2fs%s%s%s",
            self.execution.pipeline_name,
            step.name,
            record.status.value,
            record.duration_seconds,
            how,
            tries,
            reason,
        )
