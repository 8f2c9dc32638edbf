"""Values resolved when a pipeline executes: the base class, execution variables and ``Join``.

A step's arguments may hold plain values or *pipeline variables* (parameters, execution variables,
step properties, ``JsonGet``, ``Join``). Nothing is resolved at definition time: the runner resolves
them against a :class:`ResolveContext` right before the step runs, and the definition's canonical JSON
keeps the unresolved form (that is what the YAML describes and what the cache key hashes).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_mlops.errors import PipelineDefinitionError

__all__ = [
    "ExecutionVariable",
    "ExecutionVariables",
    "Join",
    "PipelineVariable",
    "ResolveContext",
    "referenced_parameters",
    "referenced_steps",
    "resolve_value",
]


@dataclass
class ResolveContext:
    """What a pipeline variable can read while an execution runs.

    Attributes:
        parameters: Resolved parameter values by name.
        execution_id: Id of the running execution.
        start_time: Start of the execution (UTC).
        pipeline_name: Name of the pipeline.
        logical_date: Logical date of the execution (scheduling day; part of the exactly-once key).
        step_properties: Recorded properties (JSON-able dict) of every step that already succeeded.
    """

    parameters: dict[str, Any]
    execution_id: str
    start_time: dt.datetime
    pipeline_name: str
    logical_date: dt.date
    step_properties: dict[str, dict[str, Any]] = field(default_factory=dict)


class PipelineVariable(ABC):
    """A value known only when the pipeline executes."""

    @abstractmethod
    def resolve(self, ctx: ResolveContext) -> Any:
        """The concrete value in the running execution."""

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """Canonical JSON form (the YAML form of the same value)."""

    def children(self) -> list[Any]:
        """Nested values that may hold further variables."""
        return []

    def step_names(self) -> set[str]:
        """Names of the steps whose properties this variable reads (creates dependencies)."""
        return set()

    def parameter_names(self) -> set[str]:
        """Names of the parameters this variable reads."""
        return set()

    def value_type(self) -> type | None:
        """Python type of the resolved value when known at definition time (for type checks)."""
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PipelineVariable) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(repr(self.to_json()))


_EXECUTION_VARIABLES = ("execution_id", "start_time", "pipeline_name", "logical_date")


@dataclass(frozen=True, eq=False)
class ExecutionVariable(PipelineVariable):
    """One execution variable (see :class:`ExecutionVariables`)."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in _EXECUTION_VARIABLES:
            raise PipelineDefinitionError(
                f"execution variable: unknown name {self.name!r}; "
                f"expected one of {list(_EXECUTION_VARIABLES)}"
            )

    def resolve(self, ctx: ResolveContext) -> Any:
        if self.name == "start_time":
            return ctx.start_time.isoformat()
        if self.name == "logical_date":
            return ctx.logical_date.isoformat()
        return getattr(ctx, self.name)

    def value_type(self) -> type | None:
        return str

    def to_json(self) -> dict[str, Any]:
        return {"var": self.name}


class ExecutionVariables:
    """Execution variables, as in SageMaker Pipelines (``ExecutionVariables.PIPELINE_EXECUTION_ID``)."""

    EXECUTION_ID = ExecutionVariable("execution_id")
    START_TIME = ExecutionVariable("start_time")
    PIPELINE_NAME = ExecutionVariable("pipeline_name")
    LOGICAL_DATE = ExecutionVariable("logical_date")


@dataclass(frozen=True, eq=False)
class Join(PipelineVariable):
    """String concatenation of values (plain or variables) with a separator, e.g. a path.

    Example:
        ``Join(on="/", values=[base_path, ExecutionVariables.EXECUTION_ID, "train"])``
    """

    on: str = ""
    values: tuple[Any, ...] = ()

    def __init__(self, on: str = "", values: Any = ()) -> None:
        object.__setattr__(self, "on", str(on))
        object.__setattr__(self, "values", tuple(values))

    def resolve(self, ctx: ResolveContext) -> str:
        return self.on.join(str(resolve_value(v, ctx)) for v in self.values)

    def children(self) -> list[Any]:
        return list(self.values)

    def value_type(self) -> type | None:
        return str

    def to_json(self) -> dict[str, Any]:
        from spark_mlops.pipeline.serde import value_to_json

        return {"join": {"on": self.on, "values": [value_to_json(v) for v in self.values]}}


def _walk(value: Any) -> list[PipelineVariable]:
    found: list[PipelineVariable] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, PipelineVariable):
            found.append(item)
            stack.extend(item.children())
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def referenced_steps(value: Any) -> set[str]:
    """Names of all steps whose properties ``value`` (possibly nested) reads."""
    names: set[str] = set()
    for var in _walk(value):
        names |= var.step_names()
    return names


def referenced_parameters(value: Any) -> set[str]:
    """Names of all parameters ``value`` (possibly nested) reads."""
    names: set[str] = set()
    for var in _walk(value):
        names |= var.parameter_names()
    return names


def resolve_value(value: Any, ctx: ResolveContext) -> Any:
    """Resolve variables inside ``value`` (dicts, lists and tuples are walked)."""
    if isinstance(value, PipelineVariable):
        return value.resolve(ctx)
    if isinstance(value, Mapping):
        return {k: resolve_value(v, ctx) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve_value(v, ctx) for v in value]
    return value
