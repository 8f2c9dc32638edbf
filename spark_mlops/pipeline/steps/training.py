"""TrainingStep and TuningStep: Spark ML fits tracked on MLflow (``spark_mlops.models.fit_tracked``)."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field
from pyspark.ml import Estimator
from pyspark.ml.evaluation import Evaluator

from spark_mlops.errors import PipelineDefinitionError, StepFailedError
from spark_mlops.models import fit_tracked
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.properties import PropertyRef
from spark_mlops.pipeline.serde import value_from_json, value_to_json
from spark_mlops.pipeline.steps.base import Step, StepFieldsModel, register_step_type
from spark_mlops.pipeline.steps.context import StepContext
from spark_mlops.pipeline.steps.estimators import params_from_json, params_to_json, resolve_param

__all__ = ["TrainingStep", "TuningStep"]


def _experiment(ctx: StepContext, name: str | None, step: str, display: str) -> dict[str, str]:
    return {
        "ExperimentName": name or f"pipelines/{ctx.pipeline_name}",
        "TrialName": f"{ctx.pipeline_name}-{ctx.execution_id[:12]}-{step}",
        "TrialComponentDisplayName": display,
    }


def _safe_metric(name: str) -> str:
    return name.replace(":", "_")


class TrainingModel(StepFieldsModel):
    """YAML fields of a Training step."""

    estimator: dict[str, Any]
    inputs: dict[str, Any] = Field(default_factory=dict)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    evaluator: dict[str, Any] | None = None
    experiment_name: str | None = None


@register_step_type
class TrainingStep(Step):
    """Fit a Spark ML estimator on the ``train`` input (optionally scored on ``validation``).

    Properties: ``model_uri`` (``runs:/…/model``), ``training_run_id``, ``metrics``.

    Args:
        name: Step name.
        estimator: A Spark ML estimator or Pipeline.
        inputs: ``{"train": table, "validation": table}`` (validation optional).
        hyperparameters: Param name → value (plain or a pipeline parameter), applied at run time.
        evaluator: Scores the model (logged as ``validation_<metric>`` or ``train_<metric>``).
        experiment_name: MLflow experiment of the training runs (default ``pipelines/<pipeline>``).
        **kwargs: ``depends_on``, ``retry_policy``, ``cache_config``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "Training"
    yaml_model = TrainingModel
    extra_properties: ClassVar[Mapping[str, str]] = {
        "model_uri": "MLflow URI of the fitted model",
        "training_run_id": "MLflow run of the fit",
    }

    def __init__(
        self,
        name: str,
        estimator: Estimator,
        *,
        inputs: Mapping[str, Any],
        hyperparameters: Mapping[str, Any] | None = None,
        evaluator: Evaluator | None = None,
        experiment_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        if not isinstance(estimator, Estimator):
            raise PipelineDefinitionError(f"step '{name}': estimator must be a Spark ML Estimator")
        if "train" not in inputs:
            raise PipelineDefinitionError(f"step '{name}': inputs need a 'train' table")
        self.estimator = estimator
        self._inputs = dict(inputs)
        self.hyperparameters = dict(hyperparameters or {})
        for key in self.hyperparameters:
            resolve_param(estimator, key, f"step '{name}' hyperparameters")
        self.evaluator = evaluator
        self.experiment_name = experiment_name

    def inputs(self) -> dict[str, Any]:
        return dict(self._inputs)

    def arguments(self) -> dict[str, Any]:
        return {"hyperparameters": dict(self.hyperparameters)}

    def code_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.spec(), sort_keys=True, default=str).encode()).hexdigest()

    def spec(self) -> dict[str, Any]:
        return {
            "estimator": params_to_json(self.estimator),
            "inputs": value_to_json(self._inputs),
            "hyperparameters": value_to_json(self.hyperparameters),
            "evaluator": params_to_json(self.evaluator) if self.evaluator is not None else None,
            "experiment_name": self.experiment_name,
        }

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> TrainingStep:
        where = f"step '{name}'"
        evaluator = spec.get("evaluator")
        return cls(
            name,
            params_from_json(spec["estimator"], f"{where}.estimator"),  # type: ignore[arg-type]
            inputs=value_from_json(spec.get("inputs") or {}, parameters, f"{where} inputs"),
            hyperparameters=value_from_json(
                spec.get("hyperparameters") or {}, parameters, f"{where} hyperparameters"
            ),
            evaluator=params_from_json(evaluator, f"{where}.evaluator") if evaluator else None,  # type: ignore[arg-type]
            experiment_name=spec.get("experiment_name"),
            **common,
        )

    def run(self, ctx: StepContext) -> dict[str, Any]:
        extra = {
            resolve_param(self.estimator, k, self.name): v for k, v in ctx.args["hyperparameters"].items()
        }
        estimator = self.estimator.copy(extra)
        validation = ctx.input("validation") if "validation" in ctx.input_versions else None
        result = fit_tracked(
            estimator,
            ctx.input("train"),
            _experiment(ctx, self.experiment_name, self.name, self.name),
            input_table=ctx.input_versions["train"],
            evaluator=self.evaluator,
            eval_df=validation,
        )
        ctx.log_metrics({_safe_metric(k): v for k, v in result.metrics.items()})
        return {"model_uri": result.model_uri, "training_run_id": result.run_id}


class TuningModel(StepFieldsModel):
    """YAML fields of a Tuning step."""

    estimator: dict[str, Any]
    evaluator: dict[str, Any]
    param_grid: dict[str, list[Any]] = Field(min_length=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    strategy: str = "grid"
    max_trials: int | None = Field(None, ge=1)
    seed: int = 0
    experiment_name: str | None = None


@register_step_type
class TuningStep(Step):
    """Hyperparameter search: every grid point (``strategy="grid"``) or ``max_trials`` random points of
    the grid (``"random"``); each trial is a tracked fit, scored by ``evaluator`` on ``validation``
    (else on ``train``). Properties: ``top_models`` (best first: model_uri, metric, params, run_id),
    ``best_model_uri``, ``best_params``, ``trials``.

    Args:
        name: Step name.
        estimator: Estimator or Pipeline; grid keys name its params (``"Stage.param"`` in a Pipeline).
        evaluator: Scores trials (its ``isLargerBetter`` orders them).
        param_grid: Param → candidate values.
        inputs: ``{"train": table, "validation": table}``.
        strategy: ``"grid"`` or ``"random"``.
        max_trials: Trials of a random search (default: the whole grid).
        seed: Seed of the random search.
        experiment_name: MLflow experiment of the trials.
        **kwargs: ``depends_on``, ``retry_policy``, ``cache_config``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "Tuning"
    yaml_model = TuningModel
    extra_properties: ClassVar[Mapping[str, str]] = {
        "top_models": "trials best first: model_uri, metric, params, run_id",
        "best_model_uri": "model URI of the best trial",
        "best_params": "params of the best trial",
        "trials": "number of trials",
    }

    def __init__(
        self,
        name: str,
        estimator: Estimator,
        evaluator: Evaluator,
        param_grid: Mapping[str, Sequence[Any]],
        *,
        inputs: Mapping[str, Any],
        strategy: str = "grid",
        max_trials: int | None = None,
        seed: int = 0,
        experiment_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        if not isinstance(estimator, Estimator) or not isinstance(evaluator, Evaluator):
            raise PipelineDefinitionError(f"step '{name}': needs a Spark ML Estimator and an Evaluator")
        if strategy not in ("grid", "random"):
            raise PipelineDefinitionError(
                f"step '{name}': strategy must be 'grid' or 'random', got {strategy!r}"
            )
        if "train" not in inputs:
            raise PipelineDefinitionError(f"step '{name}': inputs need a 'train' table")
        if not param_grid or any(not list(v) for v in param_grid.values()):
            raise PipelineDefinitionError(f"step '{name}': param_grid needs at least one value per parameter")
        for key in param_grid:
            resolve_param(estimator, key, f"step '{name}' param_grid")
        self.estimator, self.evaluator = estimator, evaluator
        self.param_grid = {k: list(v) for k, v in param_grid.items()}
        self._inputs = dict(inputs)
        self.strategy, self.max_trials, self.seed = strategy, max_trials, seed
        self.experiment_name = experiment_name

    def top_model_uri(self, top_k: int = 0) -> PropertyRef:
        """The model URI of the ``top_k``-th best trial (0 = best), as in SageMaker's
        ``get_top_model_s3_uri``."""
        return self.properties.top_models[top_k]["model_uri"]

    def inputs(self) -> dict[str, Any]:
        return dict(self._inputs)

    def code_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.spec(), sort_keys=True, default=str).encode()).hexdigest()

    def spec(self) -> dict[str, Any]:
        return {
            "estimator": params_to_json(self.estimator),
            "evaluator": params_to_json(self.evaluator),
            "param_grid": self.param_grid,
            "inputs": value_to_json(self._inputs),
            "strategy": self.strategy,
            "max_trials": self.max_trials,
            "seed": self.seed,
            "experiment_name": self.experiment_name,
        }

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> TuningStep:
        where = f"step '{name}'"
        return cls(
            name,
            params_from_json(spec["estimator"], f"{where}.estimator"),  # type: ignore[arg-type]
            params_from_json(spec["evaluator"], f"{where}.evaluator"),  # type: ignore[arg-type]
            spec["param_grid"],
            inputs=value_from_json(spec.get("inputs") or {}, parameters, f"{where} inputs"),
            strategy=spec.get("strategy", "grid"),
            max_trials=spec.get("max_trials"),
            seed=spec.get("seed", 0),
            experiment_name=spec.get("experiment_name"),
            **common,
        )

    def trial_points(self) -> list[dict[str, Any]]:
        """The parameter combinations the search will try, in order."""
        keys = sorted(self.param_grid)
        points = [
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(self.param_grid[k] for k in keys))
        ]
        if self.strategy == "random":
            points = random.Random(self.seed).sample(points, min(self.max_trials or len(points), len(points)))
        elif self.max_trials is not None:
            points = points[: self.max_trials]
        return points

    def run(self, ctx: StepContext) -> dict[str, Any]:
        train = ctx.input("train")
        validation = ctx.input("validation") if "validation" in ctx.input_versions else None
        larger = self.evaluator.isLargerBetter()
        trials: list[dict[str, Any]] = []
        for i, point in enumerate(self.trial_points()):
            extra = {resolve_param(self.estimator, k, self.name): v for k, v in point.items()}
            result = fit_tracked(
                self.estimator.copy(extra),
                train,
                _experiment(ctx, self.experiment_name, self.name, f"{self.name}-trial-{i}"),
                input_table=ctx.input_versions["train"],
                evaluator=self.evaluator,
                eval_df=validation,
            )
            if not result.metrics:
                raise StepFailedError(self.name, f"trial {i} produced no metric")
            metric = next(iter(result.metrics.values()))
            trials.append(
                {"model_uri": result.model_uri, "metric": metric, "params": point, "run_id": result.run_id}
            )
            ctx.log_metric(f"trial_{i}_metric", metric)
        trials.sort(key=lambda t: -t["metric"] if larger else t["metric"])
        ctx.log_metric("best_metric", trials[0]["metric"])
        return {
            "top_models": trials,
            "best_model_uri": trials[0]["model_uri"],
            "best_params": trials[0]["params"],
            "trials": len(trials),
        }
