"""SparkSubmitStep: a job run by a real ``spark-submit`` process (how jobs reach YARN, Kubernetes,
standalone clusters or EMR), with the master given by the step.

The job gets its arguments on the command line and two environment variables: ``SPARK_MLOPS_WORK_DIR``
(write property files there, under their declared ``path``) and ``SPARK_MLOPS_OUTPUTS`` (JSON of the
declared output tables). After the process exits 0, the declared outputs are recorded with their
current Delta versions and the property files that exist are recorded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pyspark
from pydantic import Field

from spark_mlops.delta import TableVersion, current_version
from spark_mlops.errors import DeltaTableNotFoundError, PipelineDefinitionError, StepFailedError
from spark_mlops.jars import delta_jars
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.properties import PropertyFile
from spark_mlops.pipeline.serde import value_from_json, value_to_json
from spark_mlops.pipeline.steps.base import PropertyFileModel, Step, StepFieldsModel, register_step_type
from spark_mlops.pipeline.steps.context import StepContext
from spark_mlops.spark import LOCAL_DEFAULTS

__all__ = ["SparkSubmitStep", "spark_submit_executable"]

log = logging.getLogger(__name__)


def spark_submit_executable() -> str:
    """``spark-submit`` of the installed pyspark (the same Spark version as the library)."""
    return str(Path(pyspark.__file__).parent / "bin" / "spark-submit")


class SparkSubmitModel(StepFieldsModel):
    """YAML fields of a SparkSubmit step."""

    application: str = Field(min_length=1)
    arguments: list[Any] = Field(default_factory=list)
    master: Any = "local[1]"
    conf: dict[str, Any] = Field(default_factory=dict)
    with_delta: bool = True
    outputs: dict[str, Any] = Field(default_factory=dict)
    property_files: list[PropertyFileModel] = Field(default_factory=list)


@register_step_type
class SparkSubmitStep(Step):
    """Submit ``application`` with ``spark-submit --master MASTER``.

    Args:
        name: Step name.
        application: Path of the job script (``.py``).
        arguments: Command-line arguments (plain or pipeline variables).
        master: ``local[1]``, ``yarn``, ``spark://host:7077``, ``k8s://...`` (plain or a parameter).
        conf: Extra ``--conf`` settings (a ``local`` master also gets get_spark's partition counts).
        with_delta: Put the Delta jars and SQL extension on the job (for a local or standalone master).
        outputs: Delta tables the job writes (recorded with their versions afterwards).
        property_files: JSON files the job writes into ``$SPARK_MLOPS_WORK_DIR``.
        **kwargs: ``depends_on``, ``retry_policy``, ``cache_config``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "SparkSubmit"
    yaml_model = SparkSubmitModel
    extra_properties: ClassVar[Mapping[str, str]] = {"exit_code": "exit code of spark-submit"}

    def __init__(
        self,
        name: str,
        application: str,
        arguments: Sequence[Any] = (),
        *,
        master: Any = "local[1]",
        conf: Mapping[str, Any] | None = None,
        with_delta: bool = True,
        outputs: Mapping[str, Any] | None = None,
        property_files: Sequence[PropertyFile] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        if not isinstance(application, str) or not application.endswith(".py"):
            raise PipelineDefinitionError(
                f"step '{name}': application must be a .py path, got {application!r}"
            )
        self.application = os.path.abspath(application)
        self._arguments = list(arguments)
        self.master = master
        self.conf = dict(conf or {})
        self.with_delta = with_delta
        self._outputs = dict(outputs or {})
        self._property_files = list(property_files or [])

    def arguments(self) -> dict[str, Any]:
        return {"argv": list(self._arguments), "master": self.master, "conf": dict(self.conf)}

    def outputs(self) -> dict[str, Any]:
        return dict(self._outputs)

    def property_files(self) -> list[PropertyFile]:
        return list(self._property_files)

    def code_hash(self) -> str:
        from spark_mlops.pipeline.steps.code import hash_code

        return hash_code(self.name, self.application)

    def validate(self) -> None:
        if not os.path.isfile(self.application):
            raise PipelineDefinitionError(
                f"step '{self.name}': application {self.application!r} does not exist"
            )

    def spec(self) -> dict[str, Any]:
        return {
            "application": self.application,
            "arguments": value_to_json(self._arguments),
            "master": value_to_json(self.master),
            "conf": value_to_json(self.conf),
            "with_delta": self.with_delta,
            "outputs": value_to_json(self._outputs),
            "property_files": [p.to_json() for p in self._property_files],
        }

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> SparkSubmitStep:
        where = f"step '{name}'"
        return cls(
            name,
            application=spec["application"],
            arguments=value_from_json(spec.get("arguments") or [], parameters, f"{where} arguments"),
            master=value_from_json(spec.get("master", "local[1]"), parameters, f"{where} master"),
            conf=value_from_json(spec.get("conf") or {}, parameters, f"{where} conf"),
            with_delta=bool(spec.get("with_delta", True)),
            outputs=value_from_json(spec.get("outputs") or {}, parameters, f"{where} outputs"),
            property_files=[PropertyFile(**p) for p in spec.get("property_files") or []],
            **common,
        )

    def command(self, args: dict[str, Any]) -> list[str]:
        """The ``spark-submit`` command line for resolved arguments."""
        cmd = [
            spark_submit_executable(),
            "--master",
            str(args["master"]),
            "--name",
            f"spark_mlops-{self.name}",
        ]
        conf = {str(k): str(v) for k, v in (args.get("conf") or {}).items()}
        if self.with_delta:
            cmd += ["--jars", ",".join(str(j) for j in delta_jars())]
            for key in (
                "spark.sql.extensions",
                "spark.sql.catalog.spark_catalog",
                "spark.sql.session.timeZone",
            ):
                conf.setdefault(key, LOCAL_DEFAULTS[key])
        conf.setdefault("spark.ui.enabled", "false")
        if str(args["master"]).startswith("local"):
            # get_spark's local sizing: 200 shuffle and 50 Delta snapshot partitions on one or two cores
            # are mostly task overhead (seconds per Delta log replay of a small job).
            for key in ("spark.sql.shuffle.partitions", "spark.databricks.delta.snapshotPartitions"):
                conf.setdefault(key, LOCAL_DEFAULTS[key])
        for key, value in sorted(conf.items()):
            cmd += ["--conf", f"{key}={value}"]
        return [*cmd, self.application, *[str(a) for a in args.get("argv") or []]]

    def run(self, ctx: StepContext) -> dict[str, Any]:
        cmd = self.command(ctx.args)
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
        outputs = {name: ctx.output_table(name) for name in self._outputs}
        env = {
            **os.environ,
            "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
            "PYSPARK_DRIVER_PYTHON": sys.executable,
            "SPARK_MLOPS_WORK_DIR": str(ctx.work_dir),
            "SPARK_MLOPS_OUTPUTS": json.dumps(outputs),
        }
        log.info("step %s: %s", self.name, " ".join(cmd))
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, env=env, timeout=self.timeout_seconds, check=False
            )
        except subprocess.TimeoutExpired:
            raise StepFailedError(
                self.name, f"spark-submit timed out after {self.timeout_seconds:g}s"
            ) from None
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or "").strip().splitlines()[-15:])
            raise StepFailedError(self.name, f"spark-submit exited with {proc.returncode}: {tail}")
        for name, table in outputs.items():
            # One version look-up (is_delta_table would be a second); an output not written is skipped.
            with contextlib.suppress(DeltaTableNotFoundError):
                ctx.written[name] = TableVersion(table, current_version(ctx.spark, table))
        for pf in self._property_files:
            path = ctx.work_dir / pf.path
            if path.is_file():
                ctx.written_files[pf.name] = str(path)
        ctx.log_param("command", " ".join(cmd))
        return {"exit_code": proc.returncode}
