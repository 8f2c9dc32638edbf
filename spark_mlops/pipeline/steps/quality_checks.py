"""What each QualityCheckStep kind computes: data quality, data drift and model quality against a baseline.

Every kind returns a :class:`CheckOutcome`: violation descriptions, Model Monitor style violation
entries, the current run's ``statistics.json`` and the baseline this run would register. Data kinds
profile the current data once (:meth:`DataBaseline.from_dataframe`, ≤ 2 Spark scans) and reuse that
profile for the drift comparison, the baseline constraint check and the candidate baseline.

Model-quality constraints follow Model Monitor: a constraint states the *violating* comparison
(``{"threshold": 0.8, "comparison_operator": "LessThanThreshold"}`` on ``auc`` means "auc below 0.8
violates"). A baseline's constraints are relaxed by ``baseline_factor`` f, relative to the threshold's
magnitude: a lower bound t becomes ``t − (1 − f)·|t|`` (``auc >= 0.95 × baseline auc`` for f = 0.95),
an upper bound becomes ``t + (1/f − 1)·|t|`` (``mse <= baseline mse / 0.95``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from spark_mlops.delta import read_delta
from spark_mlops.errors import PipelineDefinitionError
from spark_mlops.monitoring.baseline import DataBaseline
from spark_mlops.monitoring.classification_math import HIGHER_IS_BETTER, LOWER_IS_BETTER
from spark_mlops.monitoring.drift import compute_drift
from spark_mlops.monitoring.model_quality import model_quality
from spark_mlops.monitoring.model_quality_constraints import (
    COMPARISON_OPERATORS,
    check_model_quality,
    suggest_model_quality_constraints,
)
from spark_mlops.monitoring.violations import check_violations
from spark_mlops.pipeline.steps.baselines import ModelQualityBaseline
from spark_mlops.pipeline.steps.context import StepContext
from spark_mlops.quality import Check, VerificationSuite

__all__ = [
    "CheckOutcome",
    "fixed_constraints",
    "relaxed_constraints",
    "run_data_drift",
    "run_data_quality",
    "run_model_quality",
]


@dataclass
class CheckOutcome:
    """Result of one quality check run.

    Attributes:
        violations: One-line descriptions (the step's ``violations`` property and failure reason).
        details: Violation entries (``constraint_violations.json``).
        status: The step's ``check_status``.
        statistics: ``statistics.json`` of the current data or model run.
        candidate: The baseline this run registers when asked to.
        extra: Further properties (e.g. the drift table).
    """

    violations: list[str]
    details: list[dict[str, Any]]
    status: str
    statistics: dict[str, Any]
    candidate: DataBaseline | ModelQualityBaseline
    extra: dict[str, Any] = field(default_factory=dict)


def _current_baseline(ctx: StepContext) -> DataBaseline:
    return DataBaseline.from_dataframe(ctx.input("data"), source=ctx.input_versions["data"])


def _baseline_violations(df: Any, registered: DataBaseline, current: DataBaseline) -> list[dict[str, Any]]:
    return check_violations(df, registered, current=current.profile)


def run_data_quality(
    ctx: StepContext, checks: Sequence[Check], registered: DataBaseline | None, skip: bool
) -> CheckOutcome:
    """Run ``checks`` (one VerificationSuite) and the registered baseline's constraints on ``data``."""
    df = ctx.input("data")
    violations: list[str] = []
    details: list[dict[str, Any]] = []
    status = "Success"
    if checks:
        result = VerificationSuite(ctx.spark).on_data(df).add_checks(list(checks)).run()
        for row in result.success_metrics_as_json():
            key = f"{row['name']}.{row['instance']}" if row["instance"] != "*" else str(row["name"])
            if isinstance(row["value"], (int, float)):
                ctx.log_metric(key, row["value"])
        for r in result.check_results_as_json():
            if r["constraint_status"] != "Success":
                violations.append(f"{r['check']}: {r['constraint']}: {r['constraint_message']}")
                details.append(
                    {
                        "feature_name": r["constraint"],
                        "constraint_check_type": "check",
                        "description": r["constraint_message"],
                    }
                )
        status = result.status.value
    current = _current_baseline(ctx)
    if registered is not None and not skip:
        found = _baseline_violations(df, registered, current)
        details += found
        violations += [
            f"{v['feature_name']}: {v['constraint_check_type']}: {v['description']}" for v in found
        ]
        if found and status == "Success":
            status = "Violation"
    return CheckOutcome(
        violations, details, "Skipped" if skip else status, current.statistics_json(), current
    )


def run_data_drift(
    ctx: StepContext,
    registered: DataBaseline | None,
    columns: Sequence[str] | None,
    methods: Any,
    skip: bool,
) -> CheckOutcome:
    """Drift of ``data`` against the ``baseline`` input table or else the registered DataBaseline.

    With neither, nothing is compared (``Skipped``): the run bootstraps the baseline.
    """
    current = _current_baseline(ctx)
    reference: Any = registered
    used = None
    if "baseline" in ctx.input_versions:
        tv = ctx.input_versions["baseline"]
        reference, used = read_delta(ctx.spark, tv.table, version=tv.version), tv.to_dict()
    if reference is None or skip:
        return CheckOutcome([], [], "Skipped", current.statistics_json(), current)
    rows = compute_drift(reference, current.profile, columns=columns, methods=methods).to_dicts()
    for r in rows:
        ctx.log_metric(f"{r['column']}.{r['method']}", r["statistic"])
    drifted = [r for r in rows if r["drifted"]]
    violations = [
        f"{r['column']}: {r['method']} statistic {r['statistic']:.4g} (p={r['p_value']}) "
        f"beyond {r['threshold']:g}"
        for r in drifted
    ]
    details = [
        {"feature_name": r["column"], "constraint_check_type": "baseline_drift_check", "description": v}
        for r, v in zip(drifted, violations, strict=True)
    ]
    extra: dict[str, Any] = {"drift": rows}
    if used is not None:
        extra["reference"] = used
    status = "Drift" if violations else "NoDrift"
    return CheckOutcome(violations, details, status, current.statistics_json(), current, extra)


# ---- model quality -----------------------------------------------------------------------------------
def fixed_constraints(step_name: str, thresholds: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Model Monitor constraints from fixed thresholds.

    A number means "at least" for a higher-is-better metric (``auc: 0.8`` → violation below 0.8) and
    "at most" for a lower-is-better one (``mse: 6.0`` → violation above 6.0); a mapping gives the
    ``threshold`` and ``comparison_operator`` explicitly.

    Raises:
        PipelineDefinitionError: a number for a metric of unknown direction, or a bad mapping.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, spec in thresholds.items():
        if isinstance(spec, Mapping):
            op = spec.get("comparison_operator")
            if op not in COMPARISON_OPERATORS or not isinstance(spec.get("threshold"), (int, float)):
                raise PipelineDefinitionError(
                    f"step '{step_name}': thresholds.{name} needs a numeric 'threshold' and a "
                    f"comparison_operator in {sorted(COMPARISON_OPERATORS)}"
                )
            out[name] = {"threshold": float(spec["threshold"]), "comparison_operator": op}
        elif isinstance(spec, (int, float)) and not isinstance(spec, bool):
            if name in HIGHER_IS_BETTER:
                out[name] = {"threshold": float(spec), "comparison_operator": "LessThanThreshold"}
            elif name in LOWER_IS_BETTER:
                out[name] = {"threshold": float(spec), "comparison_operator": "GreaterThanThreshold"}
            else:
                raise PipelineDefinitionError(
                    f"step '{step_name}': thresholds.{name}: unknown metric direction; give "
                    "{threshold, comparison_operator}"
                )
        else:
            raise PipelineDefinitionError(
                f"step '{step_name}': thresholds.{name} must be a number or a mapping, got {spec!r}"
            )
    return out


def relaxed_constraints(
    constraints: Mapping[str, Any], factor: float, metrics: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    """A baseline's constraints (optionally only ``metrics``) relaxed by ``factor`` (see the module doc)."""
    wrapped = [k for k in constraints if k.endswith("_constraints")]
    body = constraints[wrapped[0]] if len(wrapped) == 1 else constraints
    out: dict[str, dict[str, Any]] = {}
    for name, spec in body.items():
        if not isinstance(spec, Mapping) or (metrics is not None and name not in metrics):
            continue
        t, op = float(spec["threshold"]), str(spec["comparison_operator"])
        # LessThan*: violation below t, so t is a lower bound that relaxes downwards.
        t = t - (1.0 - factor) * abs(t) if op.startswith("LessThan") else t + (1.0 / factor - 1.0) * abs(t)
        out[name] = {"threshold": t, "comparison_operator": op}
    return out


def run_model_quality(
    ctx: StepContext,
    config: Mapping[str, Any],
    registered: ModelQualityBaseline | None,
    skip: bool,
) -> CheckOutcome:
    """Model quality of the ``data`` predictions table against fixed thresholds and the registered baseline.

    Args:
        ctx: The step context (``data`` input; resolved ``thresholds``, ``baseline_factor``).
        config: ``problem_type``, ``label``, ``prediction``, ``probability``, ``positive_label``,
            ``thresholds``, ``baseline_factor``, ``baseline_metrics``, ``std_multiplier``.
        registered: The registered baseline, if any.
        skip: Compute and register only, do not judge.
    """
    metrics = model_quality(
        ctx.input("data"),
        config["problem_type"],
        config["label"],
        config["prediction"],
        config.get("probability"),
        config.get("positive_label", 1),
    )
    ctx.log_metrics({k: v for k, v in metrics.scalars().items() if math.isfinite(v)})
    statistics = metrics.to_json()
    candidate = ModelQualityBaseline(
        statistics,
        suggest_model_quality_constraints(metrics, float(config.get("std_multiplier") or 0.0)),
        ctx.input_versions["data"],
        datetime.now(timezone.utc).isoformat(),
    )
    if skip:
        return CheckOutcome([], [], "Skipped", statistics, candidate)
    fixed = fixed_constraints(ctx.step_name, config.get("thresholds") or {})
    details = [{**v, "source": "threshold"} for v in check_model_quality(metrics, fixed)]
    if registered is not None:
        relaxed = relaxed_constraints(
            registered.constraints, float(config.get("baseline_factor", 1.0)), config.get("baseline_metrics")
        )
        details += [{**v, "source": "baseline"} for v in check_model_quality(metrics, relaxed)]
    violations = [f"{v['description']} ({v['source']})" for v in details]
    return CheckOutcome(violations, details, "Violation" if violations else "Success", statistics, candidate)
