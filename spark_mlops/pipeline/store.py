"""Execution state in Delta tables under the pipeline home: ``pipeline_executions``, ``step_executions``
and ``pipeline_callbacks``.

The tables are append-only event logs (the newest row per key wins): blind appends never conflict, so
steps running concurrently record their state without coordination, and a crashed runner leaves a
consistent history that :meth:`Pipeline.resume` continues from.

Commits are what a short step pays for most (one small Delta commit took 8–15 s on a loaded machine), so
an execution writes as few as it can while staying resumable:

* no commit when an execution starts: every step row carries the execution's header (parameters,
  logical date, start time, MLflow run, definition hash), so a crashed execution is rebuilt from its
  step rows; ``pipeline_executions`` gets one row when the execution ends (or waits on a callback);
* one commit per step whose work must not be repeated (a fresh success of a step with side effects);
  records whose loss costs nothing but a cheap re-evaluation on resume (condition steps, cache hits,
  failures) wait in a buffer and go out with the next commit — or with the execution's end;
* tables are created by their first append, not up front.

An execution of ``N`` working steps therefore commits ``N + 1`` times (``N + 2`` when cheap records are
still buffered at the end), where it used to commit ``N + 2`` plus 3 table creations in a new home.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from pyspark.errors import PySparkRuntimeError
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from spark_mlops.delta import read_delta, write_delta
from spark_mlops.errors import DeltaTableNotFoundError, PipelineError
from spark_mlops.pipeline.execution import ExecutionStatus, PipelineExecution, StepRecord, StepStatus

log = logging.getLogger(__name__)


def _collect(df: DataFrame) -> list[Row]:
    """``df.collect()``, read once more if PySpark could not open its local result socket.

    Why: under heavy load (load average ~10) a callback wait once lost its result to a reset local
    socket (``CANNOT_OPEN_SOCKET``: connection reset by peer) although the job had succeeded. The
    reads here are small and idempotent, so one more read is safe; any other error is raised.
    """
    try:
        return df.collect()
    except PySparkRuntimeError as exc:
        if exc.getCondition() != "CANNOT_OPEN_SOCKET":
            raise
        log.warning("pipeline store: reading the result socket failed (%s); reading again", exc)
        time.sleep(0.5)
        return df.collect()


__all__ = ["CallbackState", "PipelineStore", "definition_sha256"]

_EXECUTIONS_SCHEMA = (
    "execution_id STRING, pipeline_name STRING, status STRING, parameters STRING, logical_date DATE, "
    "start_time TIMESTAMP, end_time TIMESTAMP, failure_reason STRING, mlflow_run_id STRING, "
    "definition STRING, recorded_ns LONG"
)
_STEPS_SCHEMA = (
    "execution_id STRING, pipeline_name STRING, step_name STRING, step_type STRING, status STRING, "
    "attempts INT, start_time TIMESTAMP, end_time TIMESTAMP, duration_seconds DOUBLE, failure_reason STRING, "
    "cache_key STRING, cache_hit BOOLEAN, cached_from STRING, properties STRING, mlflow_run_id STRING, "
    "recorded_ns LONG, execution STRING"
)
_CALLBACKS_SCHEMA = (
    "token STRING, execution_id STRING, pipeline_name STRING, step_name STRING, status STRING, "
    "outputs STRING, failure_reason STRING, recorded_ns LONG"
)
# One state write at a time per process: concurrent steps never race to create a table.
_LOCK = threading.Lock()


class CallbackState:
    """The newest state of a callback token."""

    def __init__(self, row: Row) -> None:
        self.token: str = row["token"]
        self.execution_id: str = row["execution_id"]
        self.pipeline_name: str = row["pipeline_name"]
        self.step_name: str = row["step_name"]
        self.status: str = row["status"]
        self.outputs: dict[str, Any] = json.loads(row["outputs"] or "{}")
        self.failure_reason: str | None = row["failure_reason"]


def _now_ns() -> int:
    return time.time_ns()


class PipelineStore:
    """Reads and appends execution state.

    Args:
        spark: The session.
        home: The pipeline home folder (tables are created on first use).
    """

    def __init__(self, spark: SparkSession, home: str | Path) -> None:
        self.spark = spark
        self.home = Path(home).absolute()
        self.executions_table = str(self.home / "pipeline_executions")
        self.steps_table = str(self.home / "step_executions")
        self.callbacks_table = str(self.home / "pipeline_callbacks")
        #: SHA-256 of the running pipeline's definition JSON (set by the pipeline, stored in step rows).
        self.definition_hash = ""
        self._pending: list[dict[str, Any]] = []
        self._pending_lock = threading.Lock()

    def ensure_tables(self) -> None:
        """Nothing to do: each table is created by its first append (kept for callers of older versions)."""

    def _append(self, table: str, schema: str, rows: list[dict[str, Any]]) -> None:
        # merge_schema: a home written by an older version lacks newer columns (e.g. ``execution``).
        with _LOCK:
            write_delta(
                self.spark.createDataFrame([Row(**r) for r in rows], schema),
                table,
                mode="append",
                merge_schema=True,
            )

    def _read(self, table: str, schema: str) -> DataFrame:
        # read_delta looks the version up itself: asking is_delta_table first would do it twice.
        try:
            return read_delta(self.spark, table)
        except DeltaTableNotFoundError:
            return self.spark.createDataFrame([], schema)

    # ---- executions ---------------------------------------------------------------------------------
    def record_execution(self, execution: PipelineExecution, definition: dict[str, Any]) -> None:
        """Append the execution's current state, with any step records still buffered (its end)."""
        self.flush_steps(execution)
        self._append(
            self.executions_table,
            _EXECUTIONS_SCHEMA,
            [
                {
                    "execution_id": execution.execution_id,
                    "pipeline_name": execution.pipeline_name,
                    "status": execution.status.value,
                    "parameters": json.dumps(execution.parameters, sort_keys=True),
                    "logical_date": execution.logical_date,
                    "start_time": execution.start_time,
                    "end_time": execution.end_time,
                    "failure_reason": execution.failure_reason,
                    "mlflow_run_id": execution.mlflow_run_id,
                    "definition": json.dumps(definition, sort_keys=True),
                    "recorded_ns": _now_ns(),
                }
            ],
        )

    def record_step(self, execution: PipelineExecution, record: StepRecord, durable: bool = True) -> None:
        """Record a step's state in ``execution``.

        Args:
            execution: The running execution (its header goes into the row).
            record: The step's final record.
            durable: Commit now (with everything buffered before); else buffer it until the next commit.
        """
        row = {
            "execution_id": execution.execution_id,
            "pipeline_name": execution.pipeline_name,
            "step_name": record.step_name,
            "step_type": record.step_type,
            "status": record.status.value,
            "attempts": record.attempts,
            "start_time": record.start_time,
            "end_time": record.end_time,
            "duration_seconds": record.duration_seconds,
            "failure_reason": record.failure_reason,
            "cache_key": record.cache_key,
            "cache_hit": record.cache_hit,
            "cached_from": record.cached_from,
            "properties": json.dumps(record.properties, sort_keys=True, default=str),
            "mlflow_run_id": record.mlflow_run_id,
            "recorded_ns": _now_ns(),
            "execution": json.dumps(self.header(execution), sort_keys=True),
        }
        with self._pending_lock:
            self._pending.append(row)
        if durable:
            self.flush_steps(execution)

    def flush_steps(self, execution: PipelineExecution | None = None) -> int:
        """Commit buffered step rows (one append); returns how many were written."""
        with self._pending_lock:
            rows, self._pending = self._pending, []
        if rows:
            self._append(self.steps_table, _STEPS_SCHEMA, rows)
        return len(rows)

    def header(self, execution: PipelineExecution) -> dict[str, Any]:
        """What a step row carries about its execution (enough to resume it without an execution row)."""
        return {
            "parameters": execution.parameters,
            "logical_date": execution.logical_date.isoformat(),
            "start_time": execution.start_time.isoformat(),
            "mlflow_run_id": execution.mlflow_run_id,
            "definition_sha256": self.definition_hash,
        }

    def load_execution(self, execution_id: str) -> tuple[PipelineExecution, dict[str, Any] | str]:
        """The newest state of an execution with its step records, and its definition.

        The definition is its JSON when the execution ended before, else (a crashed execution, rebuilt
        from its step rows) the SHA-256 of its JSON.

        Raises:
            PipelineError: no such execution under this home.
        """
        rows = _collect(
            self._read(self.executions_table, _EXECUTIONS_SCHEMA).where(F.col("execution_id") == execution_id)
        )
        step_rows = sorted(
            _collect(
                self._read(self.steps_table, _STEPS_SCHEMA).where(F.col("execution_id") == execution_id)
            ),
            key=lambda r: r["recorded_ns"],
        )
        definition: dict[str, Any] | str
        if rows:
            row = max(rows, key=lambda r: r["recorded_ns"])
            execution = PipelineExecution(
                execution_id=row["execution_id"],
                pipeline_name=row["pipeline_name"],
                status=ExecutionStatus(row["status"]),
                parameters=json.loads(row["parameters"]),
                logical_date=row["logical_date"],
                start_time=row["start_time"],
                end_time=row["end_time"],
                failure_reason=row["failure_reason"],
                mlflow_run_id=row["mlflow_run_id"],
            )
            definition = json.loads(row["definition"])
        else:
            execution, definition = _from_step_rows(execution_id, step_rows, self.home)
        for srow in step_rows:
            execution.steps[srow["step_name"]] = _step_record(srow)
        return execution, definition

    def find_cached(
        self, pipeline_name: str, step_name: str, cache_key: str, not_before: dt.datetime | None
    ) -> tuple[str, StepRecord] | None:
        """The newest succeeded, non-expired record of ``step_name`` with ``cache_key``, and its execution."""
        df = self._read(self.steps_table, _STEPS_SCHEMA).where(
            (F.col("pipeline_name") == pipeline_name)
            & (F.col("step_name") == step_name)
            & (F.col("cache_key") == cache_key)
            & (F.col("status") == StepStatus.SUCCEEDED.value)
        )
        if not_before is not None:
            df = df.where(F.col("end_time") >= F.lit(not_before))
        row = df.orderBy(F.col("end_time").desc()).limit(1).first()
        if row is None:
            return None
        return row["execution_id"], _step_record(row)

    # ---- callbacks ----------------------------------------------------------------------------------
    def record_callback(
        self,
        token: str,
        execution_id: str,
        pipeline_name: str,
        step_name: str,
        status: str,
        outputs: dict[str, Any] | None = None,
        failure_reason: str | None = None,
    ) -> None:
        """Append a callback token state (``Waiting``, ``Succeeded``, ``Failed``)."""
        self._append(
            self.callbacks_table,
            _CALLBACKS_SCHEMA,
            [
                {
                    "token": token,
                    "execution_id": execution_id,
                    "pipeline_name": pipeline_name,
                    "step_name": step_name,
                    "status": status,
                    "outputs": json.dumps(outputs or {}, sort_keys=True, default=str),
                    "failure_reason": failure_reason,
                    "recorded_ns": _now_ns(),
                }
            ],
        )

    def callback_for(self, execution_id: str, step_name: str) -> CallbackState | None:
        """Newest state of the callback token of a step in an execution."""
        rows = _collect(
            self._read(self.callbacks_table, _CALLBACKS_SCHEMA).where(
                (F.col("execution_id") == execution_id) & (F.col("step_name") == step_name)
            )
        )
        return CallbackState(max(rows, key=lambda r: r["recorded_ns"])) if rows else None

    def callback(self, token: str) -> CallbackState | None:
        """Newest state of ``token``."""
        rows = _collect(self._read(self.callbacks_table, _CALLBACKS_SCHEMA).where(F.col("token") == token))
        return CallbackState(max(rows, key=lambda r: r["recorded_ns"])) if rows else None

    def waiting_callbacks(self, execution_id: str | None = None) -> list[CallbackState]:
        """Tokens whose newest state is ``Waiting`` (optionally of one execution)."""
        df = self._read(self.callbacks_table, _CALLBACKS_SCHEMA)
        if execution_id is not None:
            df = df.where(F.col("execution_id") == execution_id)
        newest: dict[str, Row] = {}
        for row in _collect(df):
            known = newest.get(row["token"])
            if known is None or row["recorded_ns"] > known["recorded_ns"]:
                newest[row["token"]] = row
        return [CallbackState(r) for r in newest.values() if r["status"] == "Waiting"]


def _step_record(row: Row) -> StepRecord:
    return StepRecord(
        step_name=row["step_name"],
        step_type=row["step_type"],
        status=StepStatus(row["status"]),
        attempts=int(row["attempts"] or 0),
        start_time=row["start_time"],
        end_time=row["end_time"],
        failure_reason=row["failure_reason"],
        cache_key=row["cache_key"] or "",
        cache_hit=bool(row["cache_hit"]),
        cached_from=row["cached_from"],
        properties=json.loads(row["properties"] or "{}"),
        mlflow_run_id=row["mlflow_run_id"],
    )


def definition_sha256(definition: dict[str, Any]) -> str:
    """SHA-256 of a definition's canonical JSON (what step rows record)."""
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()


def _from_step_rows(execution_id: str, rows: list[Row], home: Path) -> tuple[PipelineExecution, str]:
    headed = [r for r in rows if r.asDict().get("execution")]  # rows of older versions have none
    if not headed:
        raise PipelineError(f"execution_id: no execution '{execution_id}' under {home}")
    head = json.loads(headed[-1]["execution"])
    execution = PipelineExecution(
        execution_id=execution_id,
        pipeline_name=headed[-1]["pipeline_name"],
        status=ExecutionStatus.EXECUTING,  # it never recorded an end: the runner died
        parameters=head["parameters"],
        logical_date=dt.date.fromisoformat(head["logical_date"]),
        start_time=dt.datetime.fromisoformat(head["start_time"]),
        mlflow_run_id=head.get("mlflow_run_id"),
        failure_reason="the runner stopped before the execution ended",
    )
    return execution, str(head.get("definition_sha256", ""))
