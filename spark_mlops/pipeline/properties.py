"""Step properties, property files and ``JsonGet``: how a step reads what an earlier step produced.

``step.properties.outputs["train"].table`` is a :class:`PropertyRef`; using it in another step's
arguments makes that step depend on ``step`` (no explicit wiring needed). A :class:`PropertyFile` is a
JSON document a step writes (e.g. an evaluation report); :class:`JsonGet` reads one value from it, which
is how a condition such as ``mse <= 6.0`` gates registration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spark_mlops.errors import PipelineDefinitionError, PipelineError
from spark_mlops.pipeline.variables import PipelineVariable, ResolveContext

__all__ = ["JsonGet", "Properties", "PropertyFile", "PropertyRef", "json_path_get"]


@dataclass(frozen=True, eq=False)
class PropertyRef(PipelineVariable):
    """A reference to a (nested) property of a step, resolved from the step's recorded properties.

    Index with ``[...]`` or attributes: ``ref["train"].version`` is the path ``(…, "train", "version")``.
    """

    step_name: str
    path: tuple[str, ...]

    def __getitem__(self, key: str | int) -> PropertyRef:
        return PropertyRef(self.step_name, (*self.path, str(key)))

    def __getattr__(self, name: str) -> PropertyRef:
        if name.startswith("_"):
            raise AttributeError(name)
        return PropertyRef(self.step_name, (*self.path, name))

    def resolve(self, ctx: ResolveContext) -> Any:
        props = ctx.step_properties.get(self.step_name)
        if props is None:
            raise PipelineError(f"property of step '{self.step_name}' read before the step succeeded")
        value: Any = props
        for i, key in enumerate(self.path):
            if isinstance(value, Mapping) and key in value:
                value = value[key]
            elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            else:
                where = ".".join(self.path[: i + 1])
                raise PipelineError(f"step '{self.step_name}' has no property '{where}'")
        return value

    def step_names(self) -> set[str]:
        return {self.step_name}

    def to_json(self) -> dict[str, Any]:
        return {"property": {"step": self.step_name, "path": list(self.path)}}


class Properties:
    """The typed properties of one step: only the names its kind declares can be read.

    Args:
        step_name: The step the properties belong to.
        names: Property name → one-line description (shown in the error for an unknown name).
    """

    def __init__(self, step_name: str, names: Mapping[str, str]) -> None:
        self._step_name = step_name
        self._names = dict(names)

    def __getattr__(self, name: str) -> PropertyRef:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._names:
            raise PipelineDefinitionError(
                f"step '{self._step_name}': no property '{name}'; it has {sorted(self._names)}"
            )
        return PropertyRef(self._step_name, (name,))

    def __dir__(self) -> list[str]:
        return sorted(self._names)


@dataclass(frozen=True)
class PropertyFile:
    """A JSON document written by a step, readable by later steps with :class:`JsonGet`.

    Attributes:
        name: Name the step writes it under (``ctx.write_property_file(name, data)``).
        path: File name inside the step's output folder.
    """

    name: str
    path: str = ""

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise PipelineDefinitionError(
                f"PropertyFile name: expected a non-empty string, got {self.name!r}"
            )
        if not self.path:
            object.__setattr__(self, "path", f"{self.name}.json")

    def to_json(self) -> dict[str, Any]:
        """Canonical JSON form."""
        return {"name": self.name, "path": self.path}


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def json_path_get(document: Any, json_path: str) -> Any:
    """Value at a dotted path with ``[i]`` indices (``"regression_metrics.mse.value"``).

    Raises:
        KeyError: the path does not exist in the document.
    """
    value = document
    for name, index in _TOKEN.findall(json_path):
        if index:
            if not isinstance(value, list) or int(index) >= len(value):
                raise KeyError(json_path)
            value = value[int(index)]
        else:
            if not isinstance(value, Mapping) or name not in value:
                raise KeyError(json_path)
            value = value[name]
    return value


@dataclass(frozen=True, eq=False)
class JsonGet(PipelineVariable):
    """One value of a step's property file, e.g. the MSE of an evaluation report.

    Args:
        step_name: The step that writes the file (a step object or its name).
        property_file: The :class:`PropertyFile` (or its name).
        json_path: Dotted path with ``[i]`` indices.
    """

    step_name: str
    property_file: str
    json_path: str

    def __init__(self, step_name: Any, property_file: PropertyFile | str, json_path: str) -> None:
        name = getattr(step_name, "name", step_name)
        object.__setattr__(self, "step_name", str(name))
        pf = property_file.name if isinstance(property_file, PropertyFile) else str(property_file)
        object.__setattr__(self, "property_file", pf)
        if not json_path or not _TOKEN.findall(json_path):
            raise PipelineDefinitionError(f"JsonGet of step '{name}': json_path is empty")
        object.__setattr__(self, "json_path", json_path)

    def resolve(self, ctx: ResolveContext) -> Any:
        props = ctx.step_properties.get(self.step_name)
        if props is None:
            raise PipelineError(f"JsonGet: step '{self.step_name}' has not succeeded")
        path = props.get("property_files", {}).get(self.property_file)
        if path is None:
            raise PipelineError(
                f"JsonGet: step '{self.step_name}' wrote no property file '{self.property_file}'"
            )
        try:
            with open(path, encoding="utf-8") as fh:
                document = json.load(fh)
        except (OSError, ValueError) as exc:
            raise PipelineError(
                f"JsonGet: property file '{self.property_file}' of step '{self.step_name}' "
                f"is unreadable: {exc}"
            ) from None
        try:
            return json_path_get(document, self.json_path)
        except KeyError:
            raise PipelineError(
                f"JsonGet: '{self.json_path}' not found in property file '{self.property_file}' "
                f"of step '{self.step_name}'"
            ) from None

    def step_names(self) -> set[str]:
        return {self.step_name}

    def to_json(self) -> dict[str, Any]:
        return {
            "json_get": {
                "step": self.step_name,
                "property_file": self.property_file,
                "json_path": self.json_path,
            }
        }
