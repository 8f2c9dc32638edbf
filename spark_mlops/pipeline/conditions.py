"""Conditions evaluated by a ``ConditionStep`` (the SageMaker Pipelines set).

Operands may be plain values or pipeline variables (parameters, step properties, ``JsonGet``). A list
of conditions on a step means AND. Numeric comparisons against a string or boolean parameter are
rejected when the pipeline is defined.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from spark_mlops.errors import PipelineDefinitionError, PipelineError
from spark_mlops.pipeline.variables import PipelineVariable, ResolveContext, resolve_value

__all__ = [
    "Condition",
    "ConditionEquals",
    "ConditionGreaterThan",
    "ConditionGreaterThanOrEqualTo",
    "ConditionIn",
    "ConditionLessThan",
    "ConditionLessThanOrEqualTo",
    "ConditionNot",
    "ConditionOr",
    "condition_from_json",
]


class Condition:
    """Base class: a boolean test evaluated when the condition step runs."""

    type_name: ClassVar[str] = ""

    def evaluate(self, ctx: ResolveContext) -> bool:
        """True when the condition holds in the running execution."""
        raise PipelineError(f"{type(self).__name__} cannot be evaluated")  # overridden by every subclass

    def operands(self) -> list[Any]:
        """Every operand (for dependency discovery)."""
        return []

    def check_types(self, step_name: str) -> None:
        """Raise :class:`PipelineDefinitionError` naming ``step_name`` on an operand type mismatch."""

    def to_json(self) -> dict[str, Any]:
        """Canonical JSON form."""
        raise PipelineDefinitionError(f"{type(self).__name__} has no JSON form")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(repr(self.to_json()))


def _static_type(value: Any) -> type | None:
    if isinstance(value, PipelineVariable):
        return value.value_type()
    if isinstance(value, bool):
        return bool
    if isinstance(value, (int, float)):
        return float
    if isinstance(value, str):
        return str
    return None


@dataclass(frozen=True, eq=False)
class _Comparison(Condition):
    left: Any
    right: Any

    op: ClassVar[Callable[[Any, Any], bool]] = operator.eq
    numeric: ClassVar[bool] = True

    def evaluate(self, ctx: ResolveContext) -> bool:
        left, right = resolve_value(self.left, ctx), resolve_value(self.right, ctx)
        if self.numeric and not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)
        ):
            raise PipelineError(
                f"{self.type_name}: cannot compare {left!r} with {right!r} (expected numbers)"
            )
        try:
            return bool(type(self).op(left, right))
        except TypeError as exc:
            raise PipelineError(f"{self.type_name}: cannot compare {left!r} with {right!r}: {exc}") from None

    def operands(self) -> list[Any]:
        return [self.left, self.right]

    def check_types(self, step_name: str) -> None:
        types = [_static_type(v) for v in (self.left, self.right)]
        if self.numeric:
            for value, kind in zip((self.left, self.right), types, strict=True):
                if kind in (str, bool):
                    raise PipelineDefinitionError(
                        f"step '{step_name}': {self.type_name} compares numbers, but {_describe(value)} "
                        f"is a {kind.__name__}"
                    )
        elif None not in types and types[0] != types[1] and {types[0], types[1]} != {int, float}:
            norm = [float if t is int else t for t in types]
            if norm[0] != norm[1]:
                raise PipelineDefinitionError(
                    f"step '{step_name}': {self.type_name} compares a {types[0].__name__} "  # type: ignore[union-attr]
                    f"with a {types[1].__name__}"  # type: ignore[union-attr]
                )

    def to_json(self) -> dict[str, Any]:
        from spark_mlops.pipeline.serde import value_to_json

        return {"type": self.type_name, "left": value_to_json(self.left), "right": value_to_json(self.right)}


def _describe(value: Any) -> str:
    if isinstance(value, PipelineVariable):
        return str(value.to_json())
    return repr(value)


@dataclass(frozen=True, eq=False)
class ConditionEquals(_Comparison):
    """``left == right``."""

    type_name: ClassVar[str] = "Equals"
    op: ClassVar[Callable[[Any, Any], bool]] = operator.eq
    numeric: ClassVar[bool] = False


@dataclass(frozen=True, eq=False)
class ConditionGreaterThan(_Comparison):
    """``left > right`` (numbers)."""

    type_name: ClassVar[str] = "GreaterThan"
    op: ClassVar[Callable[[Any, Any], bool]] = operator.gt


@dataclass(frozen=True, eq=False)
class ConditionGreaterThanOrEqualTo(_Comparison):
    """``left >= right`` (numbers)."""

    type_name: ClassVar[str] = "GreaterThanOrEqualTo"
    op: ClassVar[Callable[[Any, Any], bool]] = operator.ge


@dataclass(frozen=True, eq=False)
class ConditionLessThan(_Comparison):
    """``left < right`` (numbers)."""

    type_name: ClassVar[str] = "LessThan"
    op: ClassVar[Callable[[Any, Any], bool]] = operator.lt


@dataclass(frozen=True, eq=False)
class ConditionLessThanOrEqualTo(_Comparison):
    """``left <= right`` (numbers), e.g. the seed's ``mse <= 6.0``."""

    type_name: ClassVar[str] = "LessThanOrEqualTo"
    op: ClassVar[Callable[[Any, Any], bool]] = operator.le


@dataclass(frozen=True, eq=False)
class ConditionIn(Condition):
    """``value in in_values``."""

    value: Any
    in_values: tuple[Any, ...]

    type_name: ClassVar[str] = "In"

    def __init__(self, value: Any, in_values: Sequence[Any]) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "in_values", tuple(in_values))

    def evaluate(self, ctx: ResolveContext) -> bool:
        return resolve_value(self.value, ctx) in [resolve_value(v, ctx) for v in self.in_values]

    def operands(self) -> list[Any]:
        return [self.value, *self.in_values]

    def to_json(self) -> dict[str, Any]:
        from spark_mlops.pipeline.serde import value_to_json

        return {
            "type": self.type_name,
            "value": value_to_json(self.value),
            "in_values": value_to_json(self.in_values),
        }


@dataclass(frozen=True, eq=False)
class ConditionNot(Condition):
    """Negation of one condition."""

    expression: Condition

    type_name: ClassVar[str] = "Not"

    def evaluate(self, ctx: ResolveContext) -> bool:
        return not self.expression.evaluate(ctx)

    def operands(self) -> list[Any]:
        return self.expression.operands()

    def check_types(self, step_name: str) -> None:
        self.expression.check_types(step_name)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name, "expression": self.expression.to_json()}


@dataclass(frozen=True, eq=False)
class ConditionOr(Condition):
    """True when any of the conditions holds."""

    conditions: tuple[Condition, ...]

    type_name: ClassVar[str] = "Or"

    def __init__(self, conditions: Sequence[Condition]) -> None:
        object.__setattr__(self, "conditions", tuple(conditions))

    def evaluate(self, ctx: ResolveContext) -> bool:
        return any(c.evaluate(ctx) for c in self.conditions)

    def operands(self) -> list[Any]:
        return [op for c in self.conditions for op in c.operands()]

    def check_types(self, step_name: str) -> None:
        for c in self.conditions:
            c.check_types(step_name)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name, "conditions": [c.to_json() for c in self.conditions]}


_COMPARISONS: dict[str, type[_Comparison]] = {
    c.type_name: c
    for c in (
        ConditionEquals,
        ConditionGreaterThan,
        ConditionGreaterThanOrEqualTo,
        ConditionLessThan,
        ConditionLessThanOrEqualTo,
    )
}


def condition_from_json(data: dict[str, Any], parameters: dict[str, Any], where: str) -> Condition:
    """Build a condition from its canonical JSON (``parameters``: declared parameters by name)."""
    from spark_mlops.pipeline.serde import value_from_json

    kind = data.get("type")
    if kind in _COMPARISONS:
        return _COMPARISONS[kind](
            value_from_json(data.get("left"), parameters, where),
            value_from_json(data.get("right"), parameters, where),
        )
    if kind == "In":
        return ConditionIn(
            value_from_json(data.get("value"), parameters, where),
            value_from_json(list(data.get("in_values", [])), parameters, where),
        )
    if kind == "Not":
        return ConditionNot(condition_from_json(data["expression"], parameters, where))
    if kind == "Or":
        return ConditionOr([condition_from_json(c, parameters, where) for c in data.get("conditions", [])])
    raise PipelineDefinitionError(
        f"{where}: unknown condition type {kind!r}; expected one of {[*_COMPARISONS, 'In', 'Not', 'Or']}"
    )
