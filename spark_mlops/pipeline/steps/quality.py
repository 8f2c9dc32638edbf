"""QualityCheckStep: data quality (VerificationSuite checks) or data drift against a baseline, with
SageMaker's baseline switches ``skip_check``, ``register_new_baseline`` and ``fail_on_violation``.

The registered baseline of a step lives in ``<home>/baselines/<pipeline>/<step>.json``: for data
drift the reference Delta table at a version (a new baseline registers the current input version), for
data quality the success metrics of the run that registered it. With no baseline registered yet, a
drift check is skipped and the current input becomes the baseline (the first run bootstraps it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from spark_mlops.delta import TableVersion, read_delta
from spark_mlops.errors import PipelineDefinitionError, StepFailedError
from spark_mlops.monitoring.drift import compute_drift
from spark_mlops.pipeline.steps.base import Step, register_step_type
from spark_mlops.pipeline.steps.context import StepContext
from spark_mlops.quality import Check, CheckStatus, VerificationSuite

__all__ = ["QualityCheckStep"]

CHECK_TYPES = ("DataQuality", "DataDrift")


def _constraint_fingerprint(check: Check) -> list[str]:
    out = []
    for c in check.constraints:
        code = getattr(c.assertion, "__code__", None)
        body = (
            (code.co_code + repr(code.co_consts).encode()) if code is not None else repr(c.assertion).encode()
        )
        out.append(f"{c.name}#{hashlib.sha256(body).hexdigest()[:12]}")
    return out


@register_step_type
class QualityCheckStep(Step):
    """Check the ``data`` input: ``check_type="DataQuality"`` runs ``checks``; ``"DataDrift"`` compares
    it with the registered baseline (or a ``baseline`` input) using :func:`compute_drift`.

    Properties: ``violations`` (list of descriptions), ``check_status``, ``baseline`` (the baseline used),
    ``new_baseline`` (when one was registered), ``metrics``.

    Args:
        name: Step name.
        check_type: ``"DataQuality"`` or ``"DataDrift"``.
        inputs: ``{"data": table}`` and, for drift, optionally ``{"baseline": table}``.
        checks: Checks of a data-quality step.
        columns: Columns compared by a drift step (default all shared columns).
        methods: Drift methods (see ``compute_drift``).
        skip_check: Compute but do not judge (the step never fails on violations).
        register_new_baseline: Make this run's result the step's baseline.
        fail_on_violation: Fail the step (and the execution) on a violation; else only record it.
        **kwargs: ``depends_on``, ``retry_policy``, ``cache_config``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "QualityCheck"
    extra_properties: ClassVar[Mapping[str, str]] = {
        "violations": "violation descriptions",
        "check_status": "Success, Warning, Error, Drift, NoDrift or Skipped",
        "baseline": "the baseline used",
        "new_baseline": "the baseline registered by this run",
    }

    def __init__(
        self,
        name: str,
        check_type: str,
        *,
        inputs: Mapping[str, Any],
        checks: Sequence[Check] = (),
        columns: Sequence[str] | None = None,
        methods: Any = None,
        skip_check: bool = False,
        register_new_baseline: bool = False,
        fail_on_violation: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        if check_type not in CHECK_TYPES:
            raise PipelineDefinitionError(f"step '{name}': check_type must be one of {list(CHECK_TYPES)}")
        if "data" not in inputs:
            raise PipelineDefinitionError(f"step '{name}': inputs need a 'data' table")
        if check_type == "DataQuality" and not checks:
            raise PipelineDefinitionError(f"step '{name}': a DataQuality check needs checks")
        self.check_type = check_type
        self._inputs = dict(inputs)
        self.checks = list(checks)
        self.columns = list(columns) if columns is not None else None
        self.methods = methods
        self.skip_check, self.register_new_baseline = skip_check, register_new_baseline
        self.fail_on_violation = fail_on_violation

    def inputs(self) -> dict[str, Any]:
        return dict(self._inputs)

    def arguments(self) -> dict[str, Any]:
        return {
            "skip_check": self.skip_check,
            "register_new_baseline": self.register_new_baseline,
            "fail_on_violation": self.fail_on_violation,
        }

    def spec(self) -> dict[str, Any]:
        return {
            **super().spec(),
            "check_type": self.check_type,
            "checks": [
                {
                    "level": c.level.value,
                    "description": c.description,
                    "constraints": _constraint_fingerprint(c),
                }
                for c in self.checks
            ],
            "columns": self.columns,
            "methods": self.methods,
        }

    def code_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.spec(), sort_keys=True, default=str).encode()).hexdigest()

    def _baseline_file(self, ctx: StepContext) -> Path:
        home = getattr(ctx.state, "home", ctx.work_dir)
        return Path(home) / "baselines" / ctx.pipeline_name / f"{self.name}.json"

    def run(self, ctx: StepContext) -> dict[str, Any]:
        file = self._baseline_file(ctx)
        registered = json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None
        if self.check_type == "DataQuality":
            props = self._data_quality(ctx)
            new_baseline: dict[str, Any] = {
                "metrics": ctx.metrics,
                "source": ctx.input_versions["data"].to_dict(),
            }
        else:
            props = self._drift(ctx, registered)
            new_baseline = {"reference": ctx.input_versions["data"].to_dict()}
        props["baseline"] = registered
        if self.register_new_baseline or registered is None:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(new_baseline, sort_keys=True), encoding="utf-8")
            props["new_baseline"] = new_baseline
        if props["violations"] and not self.skip_check and self.fail_on_violation:
            raise StepFailedError(self.name, "; ".join(props["violations"])[:2000])
        return props

    def _data_quality(self, ctx: StepContext) -> dict[str, Any]:
        suite = VerificationSuite(ctx.spark).on_data(ctx.input("data")).add_checks(self.checks)
        result = suite.run()
        for row in result.success_metrics_as_json():
            key = f"{row['name']}.{row['instance']}" if row["instance"] != "*" else str(row["name"])
            if isinstance(row["value"], (int, float)):
                ctx.log_metric(key, row["value"])
        violations = [
            f"{r['check']}: {r['constraint']}: {r['constraint_message']}"
            for r in result.check_results_as_json()
            if r["constraint_status"] != "Success"
        ]
        status = "Skipped" if self.skip_check else result.status.value
        return {
            "violations": violations,
            "check_status": status,
            "passed": result.status is CheckStatus.SUCCESS,
        }

    def _drift(self, ctx: StepContext, registered: dict[str, Any] | None) -> dict[str, Any]:
        if "baseline" in ctx.input_versions:
            reference: TableVersion | None = ctx.input_versions["baseline"]
        elif registered is not None:
            reference = TableVersion.from_dict(registered["reference"])
        else:
            reference = None
        if reference is None or self.skip_check:
            return {"violations": [], "check_status": "Skipped"}
        drift = compute_drift(
            read_delta(ctx.spark, reference.table, version=reference.version),
            ctx.input("data"),
            columns=self.columns,
            methods=self.methods,
        )
        rows = drift.to_dicts()
        for r in rows:
            ctx.log_metric(f"{r['column']}.{r['method']}", r["statistic"])
        violations = [
            f"{r['column']}: {r['method']} statistic {r['statistic']:.4g} (p={r['p_value']}) "
            f"beyond {r['threshold']:g}"
            for r in rows
            if r["drifted"]
        ]
        return {
            "violations": violations,
            "check_status": "Drift" if violations else "NoDrift",
            "reference": reference.to_dict(),
            "drift": rows,
        }
