"""Canonical JSON of argument values: plain JSON values, or one-key objects for pipeline variables.

``{"param": NAME}``, ``{"var": NAME}``, ``{"join": {"on", "values"}}``,
``{"property": {"step", "path"}}``, ``{"json_get": {"step", "property_file", "json_path"}}``. The YAML
form of a pipeline uses exactly these, so a YAML and a Python definition compare equal as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spark_mlops.errors import PipelineDefinitionError
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.properties import JsonGet, PropertyRef
from spark_mlops.pipeline.variables import ExecutionVariable, Join, PipelineVariable

__all__ = ["VARIABLE_KEYS", "value_from_json", "value_to_json"]

VARIABLE_KEYS = ("param", "var", "join", "property", "json_get")


def value_to_json(value: Any) -> Any:
    """Canonical JSON of a plain value or a pipeline variable (tuples become lists)."""
    if isinstance(value, PipelineVariable):
        return value.to_json()
    if isinstance(value, Mapping):
        return {str(k): value_to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [value_to_json(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise PipelineDefinitionError(f"value {value!r} of type {type(value).__name__} is not JSON-able")


def value_from_json(data: Any, parameters: Mapping[str, Parameter], where: str = "value") -> Any:
    """Inverse of :func:`value_to_json`; ``parameters`` resolves ``{"param": NAME}`` to the declared one.

    Raises:
        PipelineDefinitionError: an unknown parameter or a malformed variable; names ``where``.
    """
    if isinstance(data, Mapping) and len(data) == 1 and next(iter(data)) in VARIABLE_KEYS:
        key, body = next(iter(data.items()))
        if key == "param":
            if body not in parameters:
                raise PipelineDefinitionError(f"{where}: unknown parameter {body!r}")
            return parameters[body]
        if key == "var":
            return ExecutionVariable(str(body))
        if not isinstance(body, Mapping):
            raise PipelineDefinitionError(f"{where}: '{key}' expects an object, got {body!r}")
        try:
            if key == "join":
                values = [value_from_json(v, parameters, where) for v in body.get("values", [])]
                # YAML 1.1 reads an unquoted `on:` key as the boolean True.
                sep = body.get("on", body.get(True, ""))
                return Join(on=sep, values=values)
            if key == "property":
                return PropertyRef(str(body["step"]), tuple(str(p) for p in body["path"]))
            return JsonGet(str(body["step"]), str(body["property_file"]), str(body["json_path"]))
        except KeyError as exc:
            raise PipelineDefinitionError(f"{where}: '{key}' is missing field {exc}") from None
    if isinstance(data, Mapping):
        return {str(k): value_from_json(v, parameters, f"{where}.{k}") for k, v in data.items()}
    if isinstance(data, list):
        return [value_from_json(v, parameters, f"{where}[{i}]") for i, v in enumerate(data)]
    return data
