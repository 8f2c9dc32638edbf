"""ClarifyCheckStep: Clarify-style bias metrics of a Delta table, judged against thresholds and against
the step's registered baseline (``skip_check``, ``register_new_baseline``, ``fail_on_violation``)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from spark_mlops.errors import PipelineDefinitionError, StepFailedError
from spark_mlops.monitoring.bias import bias_metrics
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.serde import value_from_json, value_to_json
from spark_mlops.pipeline.steps.base import Step, StepFieldsModel, register_step_type
from spark_mlops.pipeline.steps.context import StepContext

__all__ = ["ClarifyCheckStep"]


class ClarifyModel(StepFieldsModel):
    """YAML fields of a ClarifyCheck step."""

    inputs: dict[str, Any]
    label: str
    facet: str
    facet_value: Any = None
    facet_threshold: float | None = None
    predicted_label: str | None = None
    positive_label_values: list[Any] = Field(default_factory=lambda: [1])
    thresholds: dict[str, float] = Field(default_factory=dict)
    baseline_tolerance: float | None = Field(None, ge=0)
    skip_check: bool = False
    register_new_baseline: bool = False
    fail_on_violation: bool = True


@register_step_type
class ClarifyCheckStep(Step):
    """Bias check of the ``data`` input with :func:`spark_mlops.monitoring.bias_metrics`.

    A metric violates when ``|value| > thresholds[metric]``, or, with ``baseline_tolerance`` and a
    registered baseline, when it moved by more than the tolerance from the baseline value. Metrics are
    logged under their Clarify abbreviations (CI, DPL, DI, …); properties ``violations``,
    ``check_status``, ``baseline``, ``new_baseline``.

    Args:
        name: Step name.
        inputs: ``{"data": table}``.
        label, facet, facet_value, facet_threshold, predicted_label, positive_label_values: As in
            ``bias_metrics``.
        thresholds: Metric abbreviation → largest allowed absolute value.
        baseline_tolerance: Largest allowed change from the registered baseline.
        skip_check, register_new_baseline, fail_on_violation: SageMaker's baseline switches.
        **kwargs: ``depends_on``, ``retry_policy``, ``cache_config``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "ClarifyCheck"
    yaml_model = ClarifyModel
    extra_properties: ClassVar[Mapping[str, str]] = {
        "violations": "violation descriptions",
        "check_status": "Success, Violation or Skipped",
        "baseline": "the baseline metrics used",
        "new_baseline": "the baseline registered by this run",
    }

    def __init__(
        self,
        name: str,
        *,
        inputs: Mapping[str, Any],
        label: str,
        facet: str,
        facet_value: Any = None,
        facet_threshold: float | None = None,
        predicted_label: str | None = None,
        positive_label_values: Sequence[Any] = (1,),
        thresholds: Mapping[str, float] | None = None,
        baseline_tolerance: float | None = None,
        skip_check: bool = False,
        register_new_baseline: bool = False,
        fail_on_violation: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        if set(inputs) != {"data"}:
            raise PipelineDefinitionError(f"step '{name}': inputs must be {{'data': table}}")
        if (facet_value is None) == (facet_threshold is None):
            raise PipelineDefinitionError(
                f"step '{name}': give exactly one of facet_value and facet_threshold"
            )
        self._inputs = dict(inputs)
        self.config = {
            "label": label,
            "facet": facet,
            "facet_value": facet_value,
            "facet_threshold": facet_threshold,
            "predicted_label": predicted_label,
            "positive_label_values": list(positive_label_values),
        }
        self.thresholds = dict(thresholds or {})
        self.baseline_tolerance = baseline_tolerance
        self.skip_check, self.register_new_baseline = skip_check, register_new_baseline
        self.fail_on_violation = fail_on_violation

    def inputs(self) -> dict[str, Any]:
        return dict(self._inputs)

    def arguments(self) -> dict[str, Any]:
        return {**self.config, "thresholds": self.thresholds, "baseline_tolerance": self.baseline_tolerance}

    def spec(self) -> dict[str, Any]:
        return {
            "inputs": value_to_json(self._inputs),
            **value_to_json(self.config),
            "thresholds": self.thresholds,
            "baseline_tolerance": self.baseline_tolerance,
            "skip_check": self.skip_check,
            "register_new_baseline": self.register_new_baseline,
            "fail_on_violation": self.fail_on_violation,
        }

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> ClarifyCheckStep:
        fields = {k: v for k, v in spec.items() if k != "inputs"}
        inputs = value_from_json(spec["inputs"], parameters, f"step '{name}' inputs")
        return cls(name, inputs=inputs, **fields, **common)

    def run(self, ctx: StepContext) -> dict[str, Any]:
        home = Path(getattr(ctx.state, "home", ctx.work_dir))
        file = home / "baselines" / ctx.pipeline_name / f"{self.name}.json"
        baseline = json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None
        values = dict(bias_metrics(ctx.input("data"), **self.config))
        finite = {k: float(v) for k, v in values.items() if isinstance(v, (int, float)) and math.isfinite(v)}
        ctx.log_metrics(finite)
        violations = [
            f"{k} = {values[k]:.4g} exceeds {t:g} in absolute value"
            for k, t in sorted(self.thresholds.items())
            if k in values and (not math.isfinite(values[k]) or abs(values[k]) > t)
        ]
        missing = sorted(set(self.thresholds) - set(values))
        violations += [f"{k}: not computed (unknown metric or no predictions)" for k in missing]
        if baseline is not None and self.baseline_tolerance is not None:
            for k, old in sorted(baseline.get("metrics", {}).items()):
                if k in finite and abs(finite[k] - old) > self.baseline_tolerance:
                    violations.append(f"{k} moved from baseline {old:.4g} to {finite[k]:.4g}")
        props: dict[str, Any] = {
            "violations": violations,
            "check_status": "Skipped" if self.skip_check else ("Violation" if violations else "Success"),
            "baseline": baseline,
        }
        if self.register_new_baseline or baseline is None:
            new = {"metrics": finite, "source": ctx.input_versions["data"].to_dict()}
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(new, sort_keys=True), encoding="utf-8")
            props["new_baseline"] = new
        if violations and not self.skip_check and self.fail_on_violation:
            raise StepFailedError(self.name, "; ".join(violations)[:2000])
        return props
