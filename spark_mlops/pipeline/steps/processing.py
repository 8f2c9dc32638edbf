"""ProcessingStep: Spark work written as a Python callable or a job script, on the shared session."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field

from spark_mlops.errors import PipelineDefinitionError, StepFailedError
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.properties import PropertyFile
from spark_mlops.pipeline.serde import value_from_json
from spark_mlops.pipeline.steps.base import PropertyFileModel, Step, StepFieldsModel, register_step_type
from spark_mlops.pipeline.steps.code import code_reference, hash_code, load_code
from spark_mlops.pipeline.steps.context import StepContext

__all__ = ["ProcessingStep"]

log = logging.getLogger(__name__)


class ProcessingModel(StepFieldsModel):
    """YAML fields of a Processing step."""

    code: str = Field(min_length=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    arguments: dict[str, Any] = Field(default_factory=dict)
    property_files: list[PropertyFileModel] = Field(default_factory=list)


@register_step_type
class ProcessingStep(Step):
    """Run ``code(ctx)`` with pinned inputs, idempotent outputs and property files.

    ``code`` is a callable taking a :class:`StepContext`, a ``"module:function"`` reference, or the path
    of a script defining ``main(ctx)``. A returned dict of numbers is logged as metrics.

    Example:
        >>> def prepare(ctx):
        ...     df = ctx.input("raw").where("label IS NOT NULL")
        ...     ctx.write_output("clean", df)
        ...     return {"rows": df.count()}
        >>> step = ProcessingStep("prepare", code=prepare, inputs={"raw": raw_path},
        ...                       outputs={"clean": clean_path})

    Args:
        name: Step name.
        code: The callable, ``module:function`` or script path.
        inputs: Input Delta tables by name (paths, parameters, ``Join``, upstream ``outputs[...]``).
        outputs: Output Delta tables by name.
        arguments: Extra arguments (``ctx.args``), plain or pipeline variables.
        property_files: JSON documents the code writes with ``ctx.write_property_file``.
        **kwargs: ``depends_on``, ``retry_policy``, ``cache_config``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "Processing"
    yaml_model = ProcessingModel

    def __init__(
        self,
        name: str,
        code: Callable[..., Any] | str,
        *,
        inputs: Mapping[str, Any] | None = None,
        outputs: Mapping[str, Any] | None = None,
        arguments: Mapping[str, Any] | None = None,
        property_files: Sequence[PropertyFile] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        if not (callable(code) or (isinstance(code, str) and code)):
            raise PipelineDefinitionError(
                f"step '{name}': code must be a callable, 'module:function' or a .py path"
            )
        self.code = code
        self._inputs = dict(inputs or {})
        self._outputs = dict(outputs or {})
        self._arguments = dict(arguments or {})
        self._property_files = list(property_files or [])
        names = [p.name for p in self._property_files]
        if len(set(names)) != len(names):
            raise PipelineDefinitionError(f"step '{name}': duplicate property file names {names}")

    def arguments(self) -> dict[str, Any]:
        return dict(self._arguments)

    def inputs(self) -> dict[str, Any]:
        return dict(self._inputs)

    def outputs(self) -> dict[str, Any]:
        return dict(self._outputs)

    def property_files(self) -> list[PropertyFile]:
        return list(self._property_files)

    def code_hash(self) -> str:
        return hash_code(self.name, self.code)

    def spec(self) -> dict[str, Any]:
        return {"code": code_reference(self.code), **super().spec()}

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> ProcessingStep:
        return cls(
            name,
            code=spec["code"],
            inputs=value_from_json(spec.get("inputs") or {}, parameters, f"step '{name}' inputs"),
            outputs=value_from_json(spec.get("outputs") or {}, parameters, f"step '{name}' outputs"),
            arguments=value_from_json(spec.get("arguments") or {}, parameters, f"step '{name}' arguments"),
            property_files=[PropertyFile(**p) for p in spec.get("property_files") or []],
            **common,
        )

    def validate(self) -> None:
        load_code(self.name, self.code)

    def run(self, ctx: StepContext) -> dict[str, Any]:
        fn = load_code(self.name, self.code)
        result = fn(ctx)
        if isinstance(result, Mapping):
            for key, value in result.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    ctx.log_metric(str(key), value)
                else:
                    ctx.set_property(str(key), value)
        elif result is not None:
            raise StepFailedError(
                self.name, f"code returned {type(result).__name__}; expected a dict or None"
            )
        return {}
