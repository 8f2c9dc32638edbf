"""The base of every step: name, dependencies, policies, typed properties and canonical JSON.

A subclass says what it needs (``arguments``, ``inputs``, ``outputs``, ``property_files``), how to hash
its code, and what it does (:meth:`Step.run`). The runner resolves variables, pins input versions,
checks the cache, retries and records; the step itself stays small (template method, like
``Estimator.fit`` → ``_fit``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from spark_mlops.errors import PipelineDefinitionError
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.policies import CacheConfig, RetryPolicy
from spark_mlops.pipeline.properties import Properties, PropertyFile
from spark_mlops.pipeline.serde import value_to_json
from spark_mlops.pipeline.steps.context import StepContext
from spark_mlops.pipeline.variables import PipelineVariable, referenced_parameters, referenced_steps

__all__ = [
    "STEP_TYPES",
    "PropertyFileModel",
    "Step",
    "StepFieldsModel",
    "check_type",
    "register_step_type",
    "step_name_of",
]

#: Step kind name → class, for building steps from their JSON/YAML form.
STEP_TYPES: dict[str, type[Step]] = {}

_COMMON_PROPERTIES = {
    "outputs": "output tables by name: {table, version}",
    "metrics": "metrics logged by the step",
    "property_files": "property file paths by name",
}


class StepFieldsModel(BaseModel):
    """Base of the per-kind YAML models: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class PropertyFileModel(StepFieldsModel):
    """A property file in YAML."""

    name: str = Field(min_length=1)
    path: str = ""


def step_name_of(step: Step | str) -> str:
    """Name of a step given as an object or a name."""
    return step if isinstance(step, str) else step.name


def register_step_type(cls: type[Step]) -> type[Step]:
    """Class decorator: make a step kind buildable from JSON/YAML by its ``type_name``."""
    STEP_TYPES[cls.type_name] = cls
    return cls


def check_type(step_name: str, field: str, value: Any, expected: type | tuple[type, ...]) -> None:
    """Raise naming the step when ``value`` (plain or a typed variable) is not of ``expected``."""
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if value is None:
        return
    if isinstance(value, PipelineVariable):
        vt = value.value_type()
        if vt is None or any(issubclass(vt, k) for k in kinds) or (vt is int and float in kinds):
            return
        got = vt.__name__
    else:
        if isinstance(value, bool) and bool not in kinds:
            got = "bool"
        elif isinstance(value, kinds) or (isinstance(value, int) and float in kinds):
            return
        else:
            got = type(value).__name__
    names = "/".join(k.__name__ for k in kinds)
    raise PipelineDefinitionError(
        f"step '{step_name}': {field} expects {names}, got a {got} ({value_to_json(value)})"
    )


class Step:
    """Base class of the step kinds.

    Args:
        name: Unique step name in the pipeline.
        depends_on: Extra upstream steps (objects or names) beyond those whose properties it reads.
        retry_policy: Retries of a failed attempt.
        cache_config: Reuse of recorded outputs when nothing changed (cacheable kinds only).
        timeout_seconds: Fail an attempt that runs longer (its Spark jobs are cancelled).
        display_name: Human-readable name.
        description: What the step does.
    """

    type_name: ClassVar[str] = ""
    extra_properties: ClassVar[Mapping[str, str]] = {}
    cacheable: ClassVar[bool] = True
    retryable: ClassVar[bool] = True
    #: pydantic model of the kind's own YAML fields (None: no YAML form).
    yaml_model: ClassVar[type[BaseModel] | None] = None

    def __init__(
        self,
        name: str,
        *,
        depends_on: Sequence[Step | str] | None = None,
        retry_policy: RetryPolicy | None = None,
        cache_config: CacheConfig | None = None,
        timeout_seconds: float | None = None,
        display_name: str | None = None,
        description: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip() or "/" in name:
            raise PipelineDefinitionError(f"step name: expected a non-empty string without '/', got {name!r}")
        self.name = name
        self.depends_on: tuple[str, ...] = tuple(step_name_of(d) for d in (depends_on or ()))
        self.retry_policy = retry_policy
        self.cache_config = cache_config
        self.display_name = display_name
        self.description = description
        if cache_config is not None and cache_config.enable_caching and not self.cacheable:
            raise PipelineDefinitionError(f"step '{name}': a {self.type_name} step cannot be cached")
        check_type(name, "timeout_seconds", timeout_seconds, float)
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise PipelineDefinitionError(
                f"step '{name}': timeout_seconds must be positive, got {timeout_seconds}"
            )
        self.timeout_seconds = None if timeout_seconds is None else float(timeout_seconds)

    # ---- what the step declares -------------------------------------------------------------------
    @property
    def properties(self) -> Properties:
        """Typed properties; reading one in another step makes that step depend on this one."""
        return Properties(self.name, {**_COMMON_PROPERTIES, **self.extra_properties})

    def arguments(self) -> dict[str, Any]:
        """Arguments passed to the step's code (may hold pipeline variables)."""
        return {}

    def inputs(self) -> dict[str, Any]:
        """Input Delta tables by name (a path/name, a Join, or an upstream ``outputs[...]`` property)."""
        return {}

    def outputs(self) -> dict[str, Any]:
        """Output Delta tables by name."""
        return {}

    def property_files(self) -> list[PropertyFile]:
        """Property files the step writes."""
        return []

    def branch_steps(self) -> list[Step]:
        """Steps this step gates (ConditionStep branches); they are part of the pipeline."""
        return []

    def code_hash(self) -> str:
        """Hash of the step's code (callable source, script bytes, estimator parameters)."""
        return ""

    def spec(self) -> dict[str, Any]:
        """Kind-specific canonical JSON fields (besides name, type, policies)."""
        return {
            "arguments": value_to_json(self.arguments()),
            "inputs": value_to_json(self.inputs()),
            "outputs": value_to_json(self.outputs()),
            "property_files": [p.to_json() for p in self.property_files()],
        }

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> Step:
        """Build the step from :meth:`spec` output (``common``: depends_on, policies, names)."""
        raise PipelineDefinitionError(f"step '{name}': a {cls.type_name} step cannot be built from YAML")

    def validate(self) -> None:
        """Kind-specific definition checks; raise :class:`PipelineDefinitionError` naming the step."""

    # ---- what the runner uses ---------------------------------------------------------------------
    def _all_values(self) -> list[Any]:
        return [self.arguments(), self.inputs(), self.outputs(), *self._extra_values()]

    def _extra_values(self) -> Iterable[Any]:
        return ()

    def referenced_steps(self) -> set[str]:
        """Steps whose properties this step reads."""
        return referenced_steps(self._all_values())

    def referenced_parameters(self) -> set[str]:
        """Parameters this step reads."""
        return referenced_parameters(self._all_values())

    def upstream(self) -> set[str]:
        """All steps this step waits for."""
        return self.referenced_steps() | set(self.depends_on)

    def definition(self) -> dict[str, Any]:
        """Canonical JSON of the step (equal for equal YAML and Python definitions)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type_name}
        out["depends_on"] = sorted(self.depends_on)
        out["retry_policy"] = self.retry_policy.to_json() if self.retry_policy else None
        out["cache_config"] = self.cache_config.to_json() if self.cache_config else None
        out["timeout_seconds"] = self.timeout_seconds
        out["display_name"] = self.display_name
        out["description"] = self.description
        out.update(self.spec())
        return out

    def run(self, ctx: StepContext) -> dict[str, Any]:
        """Do the work; return extra properties (outputs/metrics/files go through ``ctx``)."""
        raise PipelineDefinitionError(f"step '{self.name}': {type(self).__name__} does not define run()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
