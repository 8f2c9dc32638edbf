"""Model quality constraints from a baseline run and their check (Model Monitor's constraints/violations).

A constraint is ``{"threshold": t, "comparison_operator": op}`` per metric, in Model Monitor's
``constraints.json`` shape (``{"version": 0.0, "<problem_type>_constraints": {...}}``). As in Model
Monitor, the operator states the *violating* condition: ``{"threshold": 0.8, "comparison_operator":
"LessThanThreshold"}`` on ``recall`` means "a recall below 0.8 is a violation". A metric that is missing
or not a number (``nan``) in the checked run is a violation too: it cannot be shown to hold.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.monitoring.classification_math import HIGHER_IS_BETTER, LOWER_IS_BETTER

__all__ = ["COMPARISON_OPERATORS", "check_model_quality", "suggest_model_quality_constraints"]

#: Model Monitor's comparison operators: violation when ``value <op> threshold``.
COMPARISON_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


def _metrics_of(metrics: Mapping[str, Any]) -> tuple[str | None, dict[str, float]]:
    problem = getattr(metrics, "problem_type", None)
    return problem, {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}


def suggest_model_quality_constraints(
    metrics: Mapping[str, Any], std_multiplier: float = 0.0, problem_type: str | None = None
) -> dict[str, Any]:
    """Constraints that the baseline run itself satisfies, one per finite headline metric.

    Higher-is-better metrics (recall, auc, f1, r2, ...) get ``LessThanThreshold`` at ``value −
    k·std``; lower-is-better ones (mae, rmse, false_positive_rate, ...) get ``GreaterThanThreshold`` at
    ``value + k·std``. Best-constant baselines and the confusion matrix get no constraint.

    Args:
        metrics: A :class:`~spark_mlops.monitoring.model_quality.ModelQualityMetrics` (or a plain dict).
        std_multiplier: ``k``, the slack in bootstrap standard deviations (0 = the baseline value).
        problem_type: Overrides the problem type read from ``metrics``.

    Returns:
        ``{"version": 0.0, "<problem_type>_constraints": {metric: {"threshold", "comparison_operator"}}}``.
    """
    if std_multiplier < 0:
        raise InvalidArgumentError(f"std_multiplier={std_multiplier} must be >= 0")
    problem, values = _metrics_of(metrics)
    problem = problem_type or problem or "model_quality"
    stds: Mapping[str, float] = getattr(metrics, "standard_deviations", {}) or {}
    constraints: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        if not math.isfinite(value) or name.endswith("_best_constant_classifier"):
            continue
        std = stds.get(name, math.nan)
        slack = std_multiplier * std if math.isfinite(std) else 0.0
        if name in HIGHER_IS_BETTER:
            constraints[name] = {"threshold": value - slack, "comparison_operator": "LessThanThreshold"}
        elif name in LOWER_IS_BETTER:
            constraints[name] = {"threshold": value + slack, "comparison_operator": "GreaterThanThreshold"}
    return {"version": 0.0, f"{problem}_constraints": constraints}


def _constraint_body(constraints: Mapping[str, Any]) -> Mapping[str, Any]:
    wrapped = [k for k in constraints if k.endswith("_constraints")]
    if len(wrapped) == 1:
        body = constraints[wrapped[0]]
        if not isinstance(body, Mapping):
            raise InvalidArgumentError(
                f"constraints[{wrapped[0]!r}] must be a mapping of metric → constraint"
            )
        return body
    return {k: v for k, v in constraints.items() if k != "version"}


def check_model_quality(metrics: Mapping[str, Any], constraints: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Violations of model quality constraints (empty list = all hold).

    Args:
        metrics: The current run's metrics.
        constraints: Output of :func:`suggest_model_quality_constraints` (or its inner mapping).

    Returns:
        One dict per violation: ``metric_name``, ``constraint_check_type`` (the operator), ``value``,
        ``threshold``, ``description`` — Model Monitor's ``constraint_violations.json`` entries.

    Raises:
        InvalidArgumentError: a constraint lacks a threshold or names an unknown operator.
    """
    _, values = _metrics_of(metrics)
    violations: list[dict[str, Any]] = []
    for name, spec in _constraint_body(constraints).items():
        if not isinstance(spec, Mapping) or "threshold" not in spec:
            raise InvalidArgumentError(f"constraint for metric {name!r} needs a 'threshold'")
        op_name = spec.get("comparison_operator")
        if op_name not in COMPARISON_OPERATORS:
            raise InvalidArgumentError(
                f"constraint for metric {name!r}: comparison_operator={op_name!r} must be one of "
                f"{sorted(COMPARISON_OPERATORS)}"
            )
        threshold = float(spec["threshold"])
        value = values.get(name, math.nan)
        if name not in values or math.isnan(value):
            description = (
                f"Metric {name} is missing or not a number ({value}); cannot check {op_name} {threshold}"
            )
        elif COMPARISON_OPERATORS[op_name](value, threshold):
            description = f"Metric {name} with {value} was {op_name} {threshold}"
        else:
            continue
        violations.append(
            {
                "metric_name": name,
                "constraint_check_type": op_name,
                "value": value,
                "threshold": threshold,
                "description": description,
            }
        )
    return violations
