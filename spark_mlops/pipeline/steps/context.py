"""What a running step sees: the session, its resolved arguments, pinned inputs and output helpers."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.delta import TableVersion, read_delta, write_delta
from spark_mlops.errors import InvalidArgumentError, PipelineError
from spark_mlops.pipeline.properties import PropertyFile
from spark_mlops.pipeline.variables import ResolveContext

__all__ = ["StepContext", "StepPending"]

log = logging.getLogger(__name__)


class StepPending(PipelineError):
    """Raised by a step that waits on something outside (a callback token) beyond its wait time."""


class StepContext:
    """Given to a step's code (a ProcessingStep callable or a script's ``main(ctx)``).

    Inputs are read at the Delta version pinned when the step started (the version in its cache key
    and lineage). Outputs are written idempotently: a re-run of the same execution, or a scheduled re-run
    of the same (pipeline, parameters, logical date, input versions), commits each output exactly once
    (Delta ``txnAppId``/``txnVersion``).

    Attributes:
        spark: The shared session.
        args: Resolved arguments of the step.
        step_name: The step.
        execution_id: The running execution.
        attempt: 1 for the first attempt, 2 for the first retry, ...
        work_dir: A folder for this step in this execution (property files go here).
        input_versions: Input name → the pinned Delta table version.
    """

    def __init__(
        self,
        spark: SparkSession,
        *,
        step_name: str,
        execution_id: str,
        attempt: int,
        work_dir: Path,
        args: dict[str, Any],
        input_versions: dict[str, TableVersion],
        outputs: dict[str, str],
        property_files: dict[str, PropertyFile],
        txn_app_id: str,
        txn_version: int,
        logical_date: dt.date,
        resolve_context: ResolveContext | None = None,
        pipeline_name: str = "",
        state: Any = None,
    ) -> None:
        self.spark = spark
        self.step_name = step_name
        self.execution_id = execution_id
        self.attempt = attempt
        self.work_dir = work_dir
        self.args = args
        self.input_versions = input_versions
        self.logical_date = logical_date
        self.resolve_context = resolve_context
        self.pipeline_name = pipeline_name
        # The runner's PipelineStore (callback tokens); internal to the step kinds.
        self.state = state
        self._outputs = outputs
        self._property_files = property_files
        self._txn_app_id = txn_app_id
        self._txn_version = txn_version
        self.written: dict[str, TableVersion] = {}
        self.written_files: dict[str, str] = {}
        self.metrics: dict[str, float] = {}
        self.params: dict[str, str] = {}
        self.artifacts: list[str] = []
        self.extra: dict[str, Any] = {}

    def input(self, name: str) -> DataFrame:
        """The input table ``name`` at its pinned version.

        Raises:
            InvalidArgumentError: the step declares no such input.
        """
        if name not in self.input_versions:
            raise InvalidArgumentError(
                f"input: step '{self.step_name}' has no input '{name}'; it has {sorted(self.input_versions)}"
            )
        tv = self.input_versions[name]
        return read_delta(self.spark, tv.table, version=tv.version)

    def output_table(self, name: str) -> str:
        """Path or name of the declared output ``name``."""
        if name not in self._outputs:
            raise InvalidArgumentError(
                f"output: step '{self.step_name}' declares no output '{name}'; it has {sorted(self._outputs)}"
            )
        return self._outputs[name]

    def write_output(
        self, name: str, df: DataFrame, mode: str = "append", partition_by: list[str] | None = None
    ) -> TableVersion:
        """Write ``df`` to the declared output ``name`` exactly once per execution key.

        Returns:
            The table version after the write (the current one when Delta skipped a repeated write).
        """
        table = self.output_table(name)
        tv = write_delta(
            df,
            table,
            mode=mode,
            partition_by=partition_by,
            user_metadata=json.dumps({"execution_id": self.execution_id, "step": self.step_name}),
            txn_app_id=f"{self._txn_app_id}:{name}",
            txn_version=self._txn_version,
        )
        self.written[name] = tv
        return tv

    def write_property_file(self, name: str, data: dict[str, Any]) -> str:
        """Write the declared property file ``name`` (JSON) and return its path."""
        if name not in self._property_files:
            raise InvalidArgumentError(
                f"property_file: step '{self.step_name}' declares no property file '{name}'; "
                f"it has {sorted(self._property_files)}"
            )
        path = self.work_dir / self._property_files[name].path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a reader never sees half a file
        self.written_files[name] = str(path)
        return str(path)

    def log_metric(self, name: str, value: float) -> None:
        """Record a metric (a step property and an MLflow metric of the step's run)."""
        number = float(value)
        if not math.isfinite(number):
            log.warning("step %s: metric %s is %s", self.step_name, name, number)
        self.metrics[name] = number

    def log_metrics(self, metrics: dict[str, float]) -> None:
        """Record several metrics."""
        for key, value in metrics.items():
            self.log_metric(key, value)

    def log_param(self, name: str, value: Any) -> None:
        """Record a parameter of the step's MLflow run."""
        self.params[name] = str(value)

    def log_artifact(self, path: str | os.PathLike[str]) -> None:
        """Attach a local file to the step's MLflow run."""
        self.artifacts.append(os.fspath(path))

    def set_property(self, name: str, value: Any) -> None:
        """Record an extra JSON-able property (readable by later steps)."""
        self.extra[name] = value
