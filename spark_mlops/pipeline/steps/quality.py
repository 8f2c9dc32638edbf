"""QualityCheckStep: data quality, data drift or model quality of a Delta table against a baseline, with
SageMaker's baseline switches ``skip_check``, ``register_new_baseline`` and ``fail_on_violation``.

The registered baseline lives in ``<home>/baselines/<pipeline>/<step>`` (or ``baseline_location``) as a
folder with ``statistics.json`` + ``constraints.json`` or as a Delta table of baselines
(``baseline_format="delta"``): a :class:`~spark_mlops.monitoring.baseline.DataBaseline` for the data
kinds, the baseline run's metrics and constraints for model quality. With no baseline registered yet
nothing is compared against one and the current run becomes the baseline (the first run bootstraps it);
``register_new_baseline=True`` makes every run's result the next run's baseline.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from spark_mlops.errors import PipelineDefinitionError, StepFailedError
from spark_mlops.monitoring.model_quality import PROBLEM_TYPES
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.properties import PropertyFile
from spark_mlops.pipeline.serde import value_from_json, value_to_json
from spark_mlops.pipeline.steps.base import Step, StepFieldsModel, register_step_type
from spark_mlops.pipeline.steps.baselines import BASELINE_FORMATS, BaselineStore, ModelQualityBaseline
from spark_mlops.pipeline.steps.context import StepContext
from spark_mlops.pipeline.steps.quality_checks import (
    CheckOutcome,
    fixed_constraints,
    run_data_drift,
    run_data_quality,
    run_model_quality,
)
from spark_mlops.pipeline.variables import PipelineVariable
from spark_mlops.quality import Check
from spark_mlops.quality.yaml_checks import checks_from_dict, load_checks

__all__ = ["CHECK_TYPES", "QualityCheckModel", "QualityCheckStep"]

CHECK_TYPES = ("DataQuality", "DataDrift", "ModelQuality")
_STATISTICS = PropertyFile("statistics", "statistics.json")
_VIOLATIONS = PropertyFile("constraint_violations", "constraint_violations.json")


class QualityCheckModel(StepFieldsModel):
    """YAML fields of a QualityCheck step (``checks``: a conf/checks file path or its inline content)."""

    check_type: Literal["DataQuality", "DataDrift", "ModelQuality"]
    inputs: dict[str, Any]
    checks: str | list[dict[str, Any]] | dict[str, Any] | None = None
    columns: list[str] | None = None
    methods: Any = None
    problem_type: Literal["binary_classification", "multiclass_classification", "regression"] | None = None
    label: str | None = None
    prediction: str | None = None
    probability: str | None = None
    positive_label: Any = 1
    thresholds: dict[str, Any] = Field(default_factory=dict)
    baseline_factor: Any = Field(1.0)
    baseline_metrics: list[str] | None = None
    std_multiplier: float = Field(0.0, ge=0)
    baseline_location: str | None = None
    baseline_format: Literal["folder", "delta"] = "folder"
    skip_check: Any = False
    register_new_baseline: Any = False
    fail_on_violation: Any = True


def _constraint_fingerprint(check: Check) -> list[str]:
    out = []
    for c in check.constraints:
        code = getattr(c.assertion, "__code__", None)
        body = (
            (code.co_code + repr(code.co_consts).encode()) if code is not None else repr(c.assertion).encode()
        )
        out.append(f"{c.name}#{hashlib.sha256(body).hexdigest()[:12]}")
    return out


def _checks_of(name: str, checks: Any) -> tuple[list[Check], Any, str]:
    """(checks, canonical JSON, content hash) of a Python list, a conf/checks path or inline content."""
    if checks is None:
        return [], None, ""
    if isinstance(checks, (str, os.PathLike)):
        path = Path(checks).resolve()
        loaded = load_checks(path)
        return loaded, str(path), hashlib.sha256(path.read_bytes()).hexdigest()
    if isinstance(checks, Mapping) or (
        isinstance(checks, list) and all(isinstance(c, Mapping) for c in checks) and checks
    ):
        doc = dict(checks) if isinstance(checks, Mapping) else {"checks": list(checks)}
        if "python" in doc:
            raise PipelineDefinitionError(
                f"step '{name}': checks written in Python have no YAML form; use a conf/checks file"
            )
        return checks_from_dict(doc, f"step '{name}' checks"), doc, ""
    items = list(checks)
    if not all(isinstance(c, Check) for c in items):
        raise PipelineDefinitionError(
            f"step '{name}': checks must be Check objects, a conf/checks YAML path or its content"
        )
    fingerprint = [
        {"level": c.level.value, "description": c.description, "constraints": _constraint_fingerprint(c)}
        for c in items
    ]
    return items, {"python": fingerprint}, ""


@register_step_type
class QualityCheckStep(Step):
    """Check the ``data`` input against a baseline (SageMaker's QualityCheckStep).

    * ``"DataQuality"``: ``checks`` (VerificationSuite) plus the registered DataBaseline's constraints
      (completeness, types, domains, distribution distance; ``check_violations``).
    * ``"DataDrift"``: :func:`compute_drift` of ``data`` against the ``baseline`` input table, else the
      registered DataBaseline.
    * ``"ModelQuality"``: :func:`model_quality` of a predictions table against fixed ``thresholds`` and
      the registered baseline's constraints relaxed by ``baseline_factor``.

    Properties: ``violations``, ``check_status``, ``baseline`` (where the baseline used lives),
    ``new_baseline`` (the one this run registered), ``metrics``; property files ``statistics``
    (``statistics.json`` of this run) and ``constraint_violations`` (readable with ``JsonGet``).

    Args:
        name: Step name.
        check_type: ``"DataQuality"``, ``"DataDrift"`` or ``"ModelQuality"``.
        inputs: ``{"data": table}`` and, for drift, optionally ``{"baseline": table}``.
        checks: Data quality: ``Check`` objects, a ``conf/checks`` YAML path, or its content.
        columns: Columns compared by a drift step (default all shared columns).
        methods: Drift methods (see ``compute_drift``).
        problem_type, label, prediction, probability, positive_label: Model quality, as in
            :func:`spark_mlops.monitoring.model_quality`.
        thresholds: Model quality: metric → minimum (higher-is-better) or maximum (lower-is-better), or a
            Model Monitor ``{threshold, comparison_operator}``. Values may be parameters.
        baseline_factor: Model quality: share of the baseline's quality to keep (``auc >= f·baseline``).
        baseline_metrics: Model quality: metrics compared with the baseline (default all it constrains).
        std_multiplier: Model quality: slack, in bootstrap standard deviations, of a registered baseline.
        baseline_location: Folder or Delta table of the registered baseline (default under the home).
        baseline_format: ``"folder"`` (statistics.json + constraints.json) or ``"delta"``.
        skip_check: Compute (and register) but do not judge.
        register_new_baseline: Make this run's result the baseline of the next run.
        fail_on_violation: Fail the step (and the execution) on a violation; else only record it.
        **kwargs: ``depends_on``, ``retry_policy``, ``cache_config``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "QualityCheck"
    yaml_model = QualityCheckModel
    extra_properties: ClassVar[Mapping[str, str]] = {
        "violations": "violation descriptions",
        "check_status": "Success, Warning, Error, Violation, Drift, NoDrift or Skipped",
        "baseline": "the registered baseline used (location, format, created_at, source)",
        "new_baseline": "the baseline registered by this run",
    }

    def __init__(
        self,
        name: str,
        check_type: str,
        *,
        inputs: Mapping[str, Any],
        checks: Sequence[Check] | str | os.PathLike[str] | Mapping[str, Any] | None = None,
        columns: Sequence[str] | None = None,
        methods: Any = None,
        problem_type: str | None = None,
        label: str | None = None,
        prediction: str | None = None,
        probability: str | None = None,
        positive_label: Any = 1,
        thresholds: Mapping[str, Any] | None = None,
        baseline_factor: float | PipelineVariable = 1.0,
        baseline_metrics: Sequence[str] | None = None,
        std_multiplier: float = 0.0,
        baseline_location: str | None = None,
        baseline_format: str = "folder",
        skip_check: bool | PipelineVariable = False,
        register_new_baseline: bool | PipelineVariable = False,
        fail_on_violation: bool | PipelineVariable = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        where = f"step '{name}'"
        if check_type not in CHECK_TYPES:
            raise PipelineDefinitionError(f"{where}: check_type must be one of {list(CHECK_TYPES)}")
        if "data" not in inputs:
            raise PipelineDefinitionError(f"{where}: inputs need a 'data' table")
        if set(inputs) - ({"data", "baseline"} if check_type == "DataDrift" else {"data"}):
            raise PipelineDefinitionError(f"{where}: unexpected inputs {sorted(set(inputs) - {'data'})}")
        if baseline_format not in BASELINE_FORMATS:
            raise PipelineDefinitionError(f"{where}: baseline_format must be one of {list(BASELINE_FORMATS)}")
        self.check_type = check_type
        self._inputs = dict(inputs)
        self.checks, self._checks_json, self._checks_hash = _checks_of(name, checks)
        if check_type != "DataQuality" and self.checks:
            raise PipelineDefinitionError(f"{where}: checks are only used by a DataQuality check")
        self.columns = list(columns) if columns is not None else None
        self.methods = methods
        self.model_config: dict[str, Any] = {}
        if check_type == "ModelQuality":
            if problem_type not in PROBLEM_TYPES or not label or not prediction:
                raise PipelineDefinitionError(
                    f"{where}: a ModelQuality check needs problem_type (one of {list(PROBLEM_TYPES)}), "
                    "label and prediction"
                )
            plain = {k: v for k, v in (thresholds or {}).items() if not isinstance(v, PipelineVariable)}
            fixed_constraints(name, plain)  # fail at definition time, naming the metric
            if isinstance(baseline_factor, (int, float)) and not 0 < baseline_factor <= 1:
                raise PipelineDefinitionError(
                    f"{where}: baseline_factor must be in (0, 1], got {baseline_factor}"
                )
            if std_multiplier < 0:
                raise PipelineDefinitionError(f"{where}: std_multiplier must be >= 0, got {std_multiplier}")
            self.model_config = {
                "problem_type": problem_type,
                "label": label,
                "prediction": prediction,
                "probability": probability,
                "positive_label": positive_label,
                "baseline_metrics": list(baseline_metrics) if baseline_metrics is not None else None,
                "std_multiplier": float(std_multiplier),
            }
        self.thresholds = dict(thresholds or {})
        self.baseline_factor = baseline_factor
        self.baseline_location = baseline_location
        self.baseline_format = baseline_format
        self.skip_check, self.register_new_baseline = skip_check, register_new_baseline
        self.fail_on_violation = fail_on_violation

    def inputs(self) -> dict[str, Any]:
        return dict(self._inputs)

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {
            "skip_check": self.skip_check,
            "register_new_baseline": self.register_new_baseline,
            "fail_on_violation": self.fail_on_violation,
        }
        if self.check_type == "ModelQuality":
            args.update({"thresholds": self.thresholds, "baseline_factor": self.baseline_factor})
        return args

    def property_files(self) -> list[PropertyFile]:
        return [_STATISTICS, _VIOLATIONS]

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check_type": self.check_type,
            "inputs": value_to_json(self._inputs),
            "skip_check": value_to_json(self.skip_check),
            "register_new_baseline": value_to_json(self.register_new_baseline),
            "fail_on_violation": value_to_json(self.fail_on_violation),
            "baseline_location": self.baseline_location,
            "baseline_format": self.baseline_format,
        }
        if self.check_type == "DataQuality":
            out["checks"] = self._checks_json
        elif self.check_type == "DataDrift":
            out.update({"columns": self.columns, "methods": value_to_json(self.methods)})
        else:
            out.update(self.model_config)
            out["thresholds"] = value_to_json(self.thresholds)
            out["baseline_factor"] = value_to_json(self.baseline_factor)
        return out

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> QualityCheckStep:
        # Fields of the other check kinds hold their defaults; the constructor ignores them.
        fields = dict(spec)
        for key in ("inputs", "thresholds", "baseline_factor", "skip_check", "register_new_baseline",
                    "fail_on_violation"):  # fmt: skip
            fields[key] = value_from_json(fields[key], parameters, f"step '{name}' {key}")
        check_type = fields.pop("check_type")
        return cls(name, check_type, **fields, **common)

    def code_hash(self) -> str:
        spec = json.dumps(self.spec(), sort_keys=True, default=str)
        return hashlib.sha256((spec + self._checks_hash).encode()).hexdigest()

    def baseline_store(self, ctx: StepContext) -> BaselineStore:
        """Where this step's registered baseline lives in the running pipeline."""
        if self.baseline_location is not None:
            location = self.baseline_location
        else:
            home = getattr(ctx.state, "home", ctx.work_dir)
            location = str(Path(home) / "baselines" / ctx.pipeline_name / self.name)
        return BaselineStore(ctx.spark, location, self.baseline_format)

    def run(self, ctx: StepContext) -> dict[str, Any]:
        args = ctx.args
        skip = bool(args["skip_check"])
        store = self.baseline_store(ctx)
        outcome: CheckOutcome
        if self.check_type == "ModelQuality":
            model_registered = store.load_model()
            config = {**self.model_config, "thresholds": args["thresholds"]}
            config["baseline_factor"] = args["baseline_factor"]
            outcome = run_model_quality(ctx, config, model_registered, skip)
            registered: Any = model_registered
        else:
            registered = store.load_data()
            if self.check_type == "DataQuality":
                outcome = run_data_quality(ctx, self.checks, registered, skip)
            else:
                outcome = run_data_drift(ctx, registered, self.columns, self.methods, skip)
        ctx.write_property_file("statistics", outcome.statistics)
        ctx.write_property_file("constraint_violations", {"violations": outcome.details})
        props: dict[str, Any] = {
            "violations": outcome.violations,
            "check_status": outcome.status,
            "baseline": None
            if registered is None
            else store.describe(registered.created_at, registered.source),
            **outcome.extra,
        }
        if args["register_new_baseline"] or registered is None:
            candidate = outcome.candidate
            if isinstance(candidate, ModelQualityBaseline):
                props["new_baseline"] = store.save_model(candidate)
            else:
                props["new_baseline"] = store.save_data(candidate)
        if outcome.violations and not skip and args["fail_on_violation"]:
            raise StepFailedError(self.name, "; ".join(outcome.violations)[:2000])
        return props
