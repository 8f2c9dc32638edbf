"""The step graph: collect steps, validate the definition, and order it — before anything runs.

Edges come from property references (``step.properties...``, ``JsonGet``), ``depends_on`` and
ConditionStep branches. Errors are :class:`PipelineDefinitionError` naming the step at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spark_mlops.errors import PipelineDefinitionError
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.properties import JsonGet, PropertyRef
from spark_mlops.pipeline.steps.base import Step
from spark_mlops.pipeline.steps.control import ConditionStep
from spark_mlops.pipeline.variables import PipelineVariable

__all__ = ["StepGraph", "build_graph", "collect_steps"]


@dataclass(frozen=True)
class StepGraph:
    """A validated step graph.

    Attributes:
        steps: Steps by name.
        order: A topological order (definition order among independent steps).
        upstream: Step name → names of the steps it waits for.
        branches: Step name → the (condition step, outcome) pairs that must hold for it to run.
    """

    steps: dict[str, Step]
    order: list[str]
    upstream: dict[str, set[str]]
    branches: dict[str, set[tuple[str, bool]]]


def collect_steps(steps: Sequence[Step]) -> dict[str, Step]:
    """Listed steps plus the branch steps of condition steps, by name (names must be unique)."""
    found: dict[str, Step] = {}
    stack = list(reversed(list(steps)))
    while stack:
        step = stack.pop()
        if not isinstance(step, Step):
            raise PipelineDefinitionError(f"steps: {step!r} is not a Step")
        known = found.get(step.name)
        if known is not None:
            if known is not step:
                raise PipelineDefinitionError(f"step '{step.name}': two different steps have this name")
            continue
        found[step.name] = step
        stack.extend(reversed(step.branch_steps()))
    return found


def _variables(step: Step) -> list[PipelineVariable]:
    out: list[PipelineVariable] = []
    stack: list[object] = list(step._all_values())
    while stack:
        item = stack.pop()
        if isinstance(item, PipelineVariable):
            out.append(item)
            stack.extend(item.children())
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return out


def _check_references(step: Step, steps: dict[str, Step], parameters: Mapping[str, Parameter]) -> None:
    for name in step.depends_on:
        if name not in steps:
            raise PipelineDefinitionError(f"step '{step.name}': depends_on names unknown step '{name}'")
        if name == step.name:
            raise PipelineDefinitionError(f"step '{step.name}': depends on itself (cycle)")
    if isinstance(step, ConditionStep):
        for name in (*step.if_step_names, *step.else_step_names):
            if name not in steps:
                raise PipelineDefinitionError(f"step '{step.name}': branch names unknown step '{name}'")
    for var in _variables(step):
        if isinstance(var, Parameter):
            declared = parameters.get(var.name)
            if declared is None:
                raise PipelineDefinitionError(f"step '{step.name}': uses undeclared parameter '{var.name}'")
            if type(declared) is not type(var):
                raise PipelineDefinitionError(
                    f"step '{step.name}': parameter '{var.name}' is used as a {var.type_name} but "
                    f"declared as "
                    f"a {declared.type_name}"
                )
        if isinstance(var, (PropertyRef, JsonGet)):
            target = steps.get(var.step_name)
            if target is None:
                raise PipelineDefinitionError(
                    f"step '{step.name}': reads a property of unknown step '{var.step_name}'"
                )
            if target is step:
                raise PipelineDefinitionError(f"step '{step.name}': reads its own property (cycle)")
            if isinstance(var, JsonGet) and var.property_file not in {
                p.name for p in target.property_files()
            }:
                raise PipelineDefinitionError(
                    f"step '{step.name}': JsonGet reads property file '{var.property_file}', which step "
                    f"'{target.name}' does not declare"
                )
            if isinstance(var, PropertyRef):
                getattr(target.properties, var.path[0])  # raises naming the target step when unknown


def _topological(steps: dict[str, Step], upstream: dict[str, set[str]]) -> list[str]:
    remaining = {name: set(deps) for name, deps in upstream.items()}
    order: list[str] = []
    ready = [n for n in steps if not remaining[n]]
    while ready:
        name = ready.pop(0)
        order.append(name)
        for other in steps:
            deps = remaining[other]
            if name in deps:
                deps.discard(name)
                if not deps and other not in order and other not in ready:
                    ready.append(other)
    if len(order) != len(steps):
        stuck = sorted(n for n in steps if n not in order)
        raise PipelineDefinitionError(
            f"steps {stuck} form a dependency cycle (step '{stuck[0]}' waits on itself)"
        )
    return order


def build_graph(steps: Sequence[Step], parameters: Sequence[Parameter]) -> StepGraph:
    """Validate the definition and return its graph.

    Raises:
        PipelineDefinitionError: unknown step, cycle, a property of a step that is not upstream (e.g. in
            the other branch of a condition), an undeclared or mistyped parameter; names the step.
    """
    params: dict[str, Parameter] = {}
    for p in parameters:
        if p.name in params:
            raise PipelineDefinitionError(f"parameter '{p.name}' is declared twice")
        params[p.name] = p
    by_name = collect_steps(steps)
    if not by_name:
        raise PipelineDefinitionError("steps: a pipeline needs at least one step")
    for step in by_name.values():
        _check_references(step, by_name, params)
        step.validate()
    upstream = {name: set(step.upstream()) for name, step in by_name.items()}
    direct: dict[str, set[tuple[str, bool]]] = {name: set() for name in by_name}
    for step in by_name.values():
        if isinstance(step, ConditionStep):
            for name in step.if_step_names:
                upstream[name].add(step.name)
                direct[name].add((step.name, True))
            for name in step.else_step_names:
                upstream[name].add(step.name)
                direct[name].add((step.name, False))
    order = _topological(by_name, upstream)
    branches: dict[str, set[tuple[str, bool]]] = {}
    for name in order:
        gates = set(direct[name])
        for dep in upstream[name]:
            gates |= branches[dep]
        for cond, outcome in gates:
            if (cond, not outcome) in gates:
                culprit = sorted(
                    d
                    for d in upstream[name]
                    if (cond, not outcome) in branches[d] or (cond, outcome) in branches[d]
                )
                raise PipelineDefinitionError(
                    f"step '{name}': depends on steps {culprit} that run in opposite branches of "
                    f"condition step "
                    f"'{cond}', so they are not both upstream of it in any execution"
                )
        branches[name] = gates
    return StepGraph(steps=by_name, order=order, upstream=upstream, branches=branches)
