"""Pipeline parameters: typed values with defaults, overridden per execution.

As in SageMaker Pipelines, a parameter is declared once on the pipeline and referenced from step
arguments; each execution may override it. Overrides are type-checked before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from spark_mlops.errors import PipelineDefinitionError
from spark_mlops.pipeline.variables import PipelineVariable, ResolveContext

__all__ = [
    "Parameter",
    "ParameterBoolean",
    "ParameterFloat",
    "ParameterInteger",
    "ParameterString",
    "parameter_from_json",
]

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


@dataclass(frozen=True, eq=False)
class Parameter(PipelineVariable):
    """Base of the typed parameters; use a subclass.

    Attributes:
        name: Parameter name (unique in the pipeline).
        default_value: Value used when an execution does not override it (``None``: required).
        enum_values: Allowed values, if restricted.
    """

    name: str
    default_value: Any = None
    enum_values: tuple[Any, ...] | None = None

    type_name: ClassVar[str] = ""
    python_type: ClassVar[type] = object

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise PipelineDefinitionError(f"parameter name: expected an identifier, got {self.name!r}")
        if self.enum_values is not None:
            object.__setattr__(self, "enum_values", tuple(self.check(v) for v in self.enum_values))
        if self.default_value is not None:
            object.__setattr__(self, "default_value", self.check(self.default_value))

    def check(self, value: Any) -> Any:
        """Return ``value`` as this parameter's type, or raise naming the parameter.

        Raises:
            PipelineDefinitionError: the value has the wrong type or is not an allowed value.
        """
        converted = self._convert(value)
        if converted is None:
            raise PipelineDefinitionError(
                f"parameter '{self.name}': expected a {self.type_name} value, got {value!r}"
            )
        if self.enum_values is not None and converted not in self.enum_values:
            raise PipelineDefinitionError(
                f"parameter '{self.name}': {converted!r} is not one of {list(self.enum_values)}"
            )
        return converted

    def parse(self, text: str) -> Any:
        """Parse a command-line value (``--param name=text``) into this parameter's type."""
        return self.check(self._parse(text))

    def _parse(self, text: str) -> Any:
        return text

    def _convert(self, value: Any) -> Any:
        return value if isinstance(value, self.python_type) and not isinstance(value, bool) else None

    def resolve(self, ctx: ResolveContext) -> Any:
        return ctx.parameters[self.name]

    def parameter_names(self) -> set[str]:
        return {self.name}

    def value_type(self) -> type | None:
        return self.python_type

    def to_json(self) -> dict[str, Any]:
        return {"param": self.name}

    def declaration(self) -> dict[str, Any]:
        """Canonical JSON of the declaration (name, type, default, enum)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type_name, "default": self.default_value}
        if self.enum_values is not None:
            out["enum_values"] = list(self.enum_values)
        return out


@dataclass(frozen=True, eq=False)
class ParameterString(Parameter):
    """A string parameter."""

    type_name: ClassVar[str] = "String"
    python_type: ClassVar[type] = str


@dataclass(frozen=True, eq=False)
class ParameterInteger(Parameter):
    """An integer parameter (booleans are rejected)."""

    type_name: ClassVar[str] = "Integer"
    python_type: ClassVar[type] = int

    def _parse(self, text: str) -> Any:
        try:
            return int(text.strip())
        except ValueError:
            return text


@dataclass(frozen=True, eq=False)
class ParameterFloat(Parameter):
    """A float parameter (integers are accepted and widened)."""

    type_name: ClassVar[str] = "Float"
    python_type: ClassVar[type] = float

    def _convert(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(value)

    def _parse(self, text: str) -> Any:
        try:
            return float(text.strip())
        except ValueError:
            return text


@dataclass(frozen=True, eq=False)
class ParameterBoolean(Parameter):
    """A boolean parameter (``true/false``, ``1/0``, ``yes/no`` on the command line)."""

    type_name: ClassVar[str] = "Boolean"
    python_type: ClassVar[type] = bool

    def _convert(self, value: Any) -> Any:
        return value if isinstance(value, bool) else None

    def _parse(self, text: str) -> Any:
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        return text


_TYPES: dict[str, type[Parameter]] = {
    cls.type_name: cls for cls in (ParameterString, ParameterInteger, ParameterFloat, ParameterBoolean)
}


def parameter_from_json(data: dict[str, Any]) -> Parameter:
    """Build a parameter from its :meth:`Parameter.declaration` form."""
    cls = _TYPES.get(str(data.get("type")))
    if cls is None:
        raise PipelineDefinitionError(
            f"parameter '{data.get('name')}': unknown type {data.get('type')!r}; "
            f"expected one of {sorted(_TYPES)}"
        )
    enum = data.get("enum_values")
    return cls(
        name=data["name"], default_value=data.get("default"), enum_values=tuple(enum) if enum else None
    )
