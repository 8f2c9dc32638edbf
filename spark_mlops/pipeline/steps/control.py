"""Control-flow steps: ConditionStep (if/else branches) and FailStep (stop with a message)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field

from spark_mlops.errors import PipelineDefinitionError, PipelineError, StepFailedError
from spark_mlops.pipeline.conditions import Condition, condition_from_json
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.serde import value_from_json, value_to_json
from spark_mlops.pipeline.steps.base import (
    Step,
    StepFieldsModel,
    check_type,
    register_step_type,
    step_name_of,
)
from spark_mlops.pipeline.steps.context import StepContext

__all__ = ["ConditionStep", "FailStep"]


class ConditionModel(StepFieldsModel):
    """YAML fields of a Condition step."""

    conditions: list[dict[str, Any]] = Field(min_length=1)
    if_steps: list[str] = Field(default_factory=list)
    else_steps: list[str] = Field(default_factory=list)


class FailModel(StepFieldsModel):
    """YAML fields of a Fail step."""

    error_message: Any = ""


@register_step_type
class ConditionStep(Step):
    """Evaluate conditions (a list means AND) and run ``if_steps`` or ``else_steps``.

    Steps of the branch not taken are marked Skipped, and so is every step that depends on a skipped
    step. Branch steps are part of the pipeline even when not listed in ``Pipeline(steps=...)``.

    Args:
        name: Step name.
        conditions: Conditions, all of which must hold.
        if_steps: Steps (or names) run when they hold.
        else_steps: Steps (or names) run otherwise.
        **kwargs: ``depends_on``, ``display_name``, ``description``.
    """

    type_name: ClassVar[str] = "Condition"
    yaml_model = ConditionModel
    extra_properties: ClassVar[Mapping[str, str]] = {"outcome": "True when all conditions held"}
    cacheable: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        conditions: Sequence[Condition] | Condition,
        if_steps: Sequence[Step | str] | None = None,
        else_steps: Sequence[Step | str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.conditions = [conditions] if isinstance(conditions, Condition) else list(conditions)
        if not self.conditions:
            raise PipelineDefinitionError(f"step '{name}': a ConditionStep needs at least one condition")
        for c in self.conditions:
            if not isinstance(c, Condition):
                raise PipelineDefinitionError(f"step '{name}': {c!r} is not a Condition")
            c.check_types(name)
        self._if = list(if_steps or [])
        self._else = list(else_steps or [])
        both = set(self.if_step_names) & set(self.else_step_names)
        if both:
            raise PipelineDefinitionError(
                f"step '{name}': steps {sorted(both)} are in both if_steps and else_steps"
            )

    @property
    def if_step_names(self) -> list[str]:
        """Names of the steps run when the conditions hold."""
        return [step_name_of(s) for s in self._if]

    @property
    def else_step_names(self) -> list[str]:
        """Names of the steps run otherwise."""
        return [step_name_of(s) for s in self._else]

    def branch_steps(self) -> list[Step]:
        return [s for s in (*self._if, *self._else) if isinstance(s, Step)]

    def _extra_values(self) -> Iterable[Any]:
        return [op for c in self.conditions for op in c.operands()]

    def spec(self) -> dict[str, Any]:
        return {
            "conditions": [c.to_json() for c in self.conditions],
            "if_steps": self.if_step_names,
            "else_steps": self.else_step_names,
        }

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> ConditionStep:
        where = f"step '{name}' conditions"
        return cls(
            name,
            conditions=[
                condition_from_json(c, dict(parameters), where) for c in spec.get("conditions") or []
            ],
            if_steps=list(spec.get("if_steps") or []),
            else_steps=list(spec.get("else_steps") or []),
            **common,
        )

    def run(self, ctx: StepContext) -> dict[str, Any]:
        if ctx.resolve_context is None:
            raise PipelineError(f"step '{self.name}': no execution context to evaluate conditions")
        outcome = all(c.evaluate(ctx.resolve_context) for c in self.conditions)
        return {"outcome": outcome}


@register_step_type
class FailStep(Step):
    """Stop the execution as Failed with ``error_message`` (plain or a ``Join`` of variables).

    Args:
        name: Step name.
        error_message: The failure reason recorded on the execution.
        **kwargs: ``depends_on``, ``display_name``, ``description``.
    """

    type_name: ClassVar[str] = "Fail"
    yaml_model = FailModel
    cacheable: ClassVar[bool] = False
    retryable: ClassVar[bool] = False

    def __init__(self, name: str, error_message: Any = "", **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        check_type(name, "error_message", error_message, str)
        self.error_message = error_message

    def arguments(self) -> dict[str, Any]:
        return {"error_message": self.error_message}

    def spec(self) -> dict[str, Any]:
        return {"error_message": value_to_json(self.error_message)}

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> FailStep:
        msg = value_from_json(spec.get("error_message", ""), parameters, f"step '{name}' error_message")
        return cls(name, error_message=msg, **common)

    def run(self, ctx: StepContext) -> dict[str, Any]:
        raise StepFailedError(self.name, str(ctx.args.get("error_message") or "FailStep reached"))
