"""YAML form of a pipeline (``conf/pipelines/NAME.yaml``), validated with pydantic.

The YAML holds exactly the canonical JSON of :meth:`Pipeline.definition`: top-level ``name``,
``description``, ``parameters`` (``name``, ``type``, ``default``, ``enum_values``) and ``steps``; each
step has ``name``, ``type``, the common policies and its kind's fields. Values may be pipeline variables
written as one-key objects (``{param: NAME}``, ``{var: execution_id}``, ``{join: {on, values}}``,
``{property: {step, path}}``, ``{json_get: {step, property_file, json_path}}``). Relative script paths
are relative to the YAML file. Runtime options (``max_parallel_steps``, ``home``,
``experiment_name``) may be given at top level too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spark_mlops.errors import ConfigError
from spark_mlops.pipeline.parameters import Parameter, parameter_from_json
from spark_mlops.pipeline.pipeline import Pipeline
from spark_mlops.pipeline.policies import CacheConfig, RetryPolicy
from spark_mlops.pipeline.steps.base import STEP_TYPES, Step

__all__ = ["load_definition", "load_yaml"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParameterModel(_Strict):
    """A declared parameter."""

    name: str
    type: Literal["String", "Integer", "Float", "Boolean"]
    default: Any = None
    enum_values: list[Any] | None = None


class RetryModel(_Strict):
    """``retry_policy`` of a step."""

    max_attempts: int = Field(1, ge=1)
    backoff_seconds: float = Field(1.0, ge=0)
    backoff_rate: float = Field(2.0, ge=1)


class CacheModel(_Strict):
    """``cache_config`` of a step."""

    enable_caching: bool = False
    expire_after: str | None = None


class StepCommonModel(BaseModel):
    """Fields every step has; the kind's own fields are validated by the kind's model."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    type: str
    depends_on: list[str] = Field(default_factory=list)
    retry_policy: RetryModel | None = None
    cache_config: CacheModel | None = None
    timeout_seconds: float | None = Field(None, gt=0)
    display_name: str | None = None
    description: str | None = None


class PipelineModel(_Strict):
    """The whole file."""

    name: str = Field(min_length=1)
    description: str | None = None
    parameters: list[ParameterModel] = Field(default_factory=list)
    steps: list[dict[str, Any]] = Field(min_length=1)
    max_parallel_steps: int = Field(1, ge=1)
    home: str | None = None
    experiment_name: str | None = None


def _config_error(prefix: str, exc: ValidationError) -> ConfigError:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{prefix}{'.' + loc if loc else ''}: {err['msg']}")
    return ConfigError("; ".join(parts))


def _absolute_code(spec: dict[str, Any], base: Path | None) -> dict[str, Any]:
    code = spec.get("code")
    if base is not None and isinstance(code, str) and code.endswith(".py") and not os.path.isabs(code):
        spec = {**spec, "code": str((base / code).resolve())}
    checks = spec.get("checks")
    # A conf/checks path is relative to the YAML file when it exists there, else to the working folder.
    if isinstance(checks, str) and not os.path.isabs(checks):
        near = (base / checks).resolve() if base is not None else None
        found = near if near is not None and near.is_file() else Path(checks).resolve()
        spec = {**spec, "checks": str(found)}
    return spec


def _build_step(index: int, raw: dict[str, Any], params: dict[str, Parameter], base: Path | None) -> Step:
    where = f"steps[{index}]"
    try:
        common = StepCommonModel.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(where, exc) from None
    where = f"step '{common.name}'"
    cls = STEP_TYPES.get(common.type)
    if cls is None:
        raise ConfigError(
            f"{where}.type: unknown step type {common.type!r}; expected one of {sorted(STEP_TYPES)}"
        )
    own = {k: v for k, v in raw.items() if k not in StepCommonModel.model_fields}
    model = getattr(cls, "yaml_model", None)
    if model is None:
        raise ConfigError(f"{where}: a {common.type} step has no YAML form")
    try:
        spec = model.model_validate(own).model_dump()
    except ValidationError as exc:
        raise _config_error(where, exc) from None
    kwargs: dict[str, Any] = {
        "depends_on": common.depends_on,
        "retry_policy": RetryPolicy(**common.retry_policy.model_dump()) if common.retry_policy else None,
        "cache_config": CacheConfig(**common.cache_config.model_dump()) if common.cache_config else None,
        "timeout_seconds": common.timeout_seconds,
        "display_name": common.display_name,
        "description": common.description,
    }
    return cls.from_spec(common.name, _absolute_code(spec, base), params, kwargs)


def load_definition(
    data: dict[str, Any], base_dir: str | os.PathLike[str] | None = None, **kwargs: Any
) -> Pipeline:
    """Build a :class:`Pipeline` from its canonical JSON / YAML mapping.

    Args:
        data: The mapping.
        base_dir: Folder that relative script paths are relative to.
        **kwargs: Runtime options for :class:`Pipeline` (``home``, ``spark``, ...); they override the file.

    Raises:
        ConfigError: the mapping does not validate (the message names the field).
        PipelineDefinitionError: the graph is invalid (names the step).
    """
    try:
        model = PipelineModel.model_validate(data)
    except ValidationError as exc:
        raise _config_error("pipeline", exc) from None
    params: dict[str, Parameter] = {}
    for p in model.parameters:
        params[p.name] = parameter_from_json(p.model_dump())
    base = Path(base_dir) if base_dir is not None else None
    steps = [_build_step(i, raw, params, base) for i, raw in enumerate(model.steps)]
    options: dict[str, Any] = {
        "home": model.home,
        "experiment_name": model.experiment_name,
        "max_parallel_steps": model.max_parallel_steps,
    }
    options.update(kwargs)
    return Pipeline(model.name, list(params.values()), steps, description=model.description, **options)


def load_yaml(path: str | os.PathLike[str], **kwargs: Any) -> Pipeline:
    """Load ``path`` (YAML) with :func:`load_definition`; relative scripts resolve against its folder."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"path: cannot read pipeline file '{file}': {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"path: '{file}' is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"path: '{file}' must hold a mapping with name, parameters and steps")
    return load_definition(data, base_dir=file.parent, **kwargs)
