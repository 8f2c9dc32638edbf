"""ModelStep (one deployable Spark PipelineModel from several stages) and RegisterModelStep (MLflow
model registry, approval status as a model-version tag), as the seed's ``PipelineModel`` and
``RegisterModel``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field
from pyspark.ml import PipelineModel, Transformer

from spark_mlops.errors import PipelineDefinitionError, StepFailedError
from spark_mlops.models.batch_inference import load_spark_model
from spark_mlops.models.mlflow_spark import require_mlflow_spark, spark_model_requirements
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.serde import value_from_json, value_to_json
from spark_mlops.pipeline.steps.base import Step, StepFieldsModel, check_type, register_step_type
from spark_mlops.pipeline.steps.context import StepContext
from spark_mlops.pipeline.steps.estimators import params_from_json, params_to_json

__all__ = ["APPROVAL_STATUSES", "ModelStep", "RegisterModelStep"]

#: Model package approval statuses (SageMaker's ModelApprovalStatus values).
APPROVAL_STATUSES = ("PendingManualApproval", "Approved", "Rejected")


class ModelModel(StepFieldsModel):
    """YAML fields of a Model step."""

    stages: list[Any] = Field(min_length=1)
    experiment_name: str | None = None


@register_step_type
class ModelStep(Step):
    """Chain stages into one Spark ``PipelineModel`` logged to MLflow (property ``model_uri``).

    A stage is a model URI (plain or a property such as ``tuning.top_model_uri(0)``) or a Spark ML
    Transformer object (e.g. a ``SQLTransformer`` post-processing step). Loaded PipelineModels are
    flattened, so preprocessing and estimator become one deployable model.

    Args:
        name: Step name.
        stages: Model URIs and/or Transformers, in order.
        experiment_name: MLflow experiment of the run holding the model (default ``pipelines/<pipeline>``).
        **kwargs: ``depends_on``, ``retry_policy``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "Model"
    yaml_model = ModelModel
    extra_properties: ClassVar[Mapping[str, str]] = {"model_uri": "MLflow URI of the combined PipelineModel"}

    def __init__(
        self, name: str, stages: Sequence[Any], *, experiment_name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(name, **kwargs)
        if not stages:
            raise PipelineDefinitionError(f"step '{name}': a ModelStep needs at least one stage")
        self.stages = [
            {"transformer": params_to_json(s)} if isinstance(s, Transformer) else s for s in stages
        ]
        for i, s in enumerate(self.stages):
            if not isinstance(s, dict):
                check_type(name, f"stages[{i}]", s, str)
        self.experiment_name = experiment_name

    def arguments(self) -> dict[str, Any]:
        return {"stages": list(self.stages)}

    def spec(self) -> dict[str, Any]:
        return {"stages": value_to_json(self.stages), "experiment_name": self.experiment_name}

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> ModelStep:
        stages = value_from_json(spec["stages"], parameters, f"step '{name}' stages")
        return cls(name, stages, experiment_name=spec.get("experiment_name"), **common)

    def run(self, ctx: StepContext) -> dict[str, Any]:
        import mlflow.spark
        from mlflow.tracking import MlflowClient

        require_mlflow_spark(
            ctx.spark, f"step '{self.name}' (Model)", "run this pipeline on a classic SparkSession"
        )
        parts: list[Any] = []
        for i, stage in enumerate(ctx.args["stages"]):
            if isinstance(stage, dict) and "transformer" in stage:
                parts.append(params_from_json(stage["transformer"], f"step '{self.name}' stages[{i}]"))
                continue
            if not isinstance(stage, str):
                raise StepFailedError(self.name, f"stages[{i}]: expected a model URI, got {stage!r}")
            model = load_spark_model(stage)
            parts.extend(model.stages if isinstance(model, PipelineModel) else [model])
        combined = PipelineModel(stages=parts)
        client = MlflowClient()
        experiment = self.experiment_name or f"pipelines/{ctx.pipeline_name}"
        found = client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else client.create_experiment(experiment)
        run = client.create_run(
            experiment_id, run_name=f"{self.name}-model", tags={"spark_mlops.step": self.name}
        )
        with tempfile.TemporaryDirectory() as tmp:
            local = os.path.join(tmp, "model")
            # Explicit requirements: inferring them re-loads the model in a second Python process + JVM.
            mlflow.spark.save_model(combined, local, pip_requirements=spark_model_requirements())
            client.log_artifacts(run.info.run_id, local, "model")
        client.set_terminated(run.info.run_id)
        ctx.log_param("stages", ",".join(type(p).__name__ for p in parts))
        return {"model_uri": f"runs:/{run.info.run_id}/model"}


class RegisterModelModel(StepFieldsModel):
    """YAML fields of a RegisterModel step."""

    model_uri: Any
    model_name: Any
    approval_status: Any = "PendingManualApproval"
    description: str | None = None


@register_step_type
class RegisterModelStep(Step):
    """Register a model version in the MLflow registry with an approval status (model-version tag
    ``approval_status``). Properties: ``model_version``, ``registered_model_uri`` (``models:/name/N``),
    ``approval_status``.

    Args:
        name: Step name.
        model_uri: The model (plain or a property, e.g. ``model_step.properties.model_uri``).
        model_name: Registered model name (the seed's ``model_package_group_name``).
        approval_status: ``PendingManualApproval``, ``Approved`` or ``Rejected`` (plain or a parameter).
        **kwargs: ``depends_on``, ``retry_policy``, ``timeout_seconds``, ``description``, names.
    """

    type_name: ClassVar[str] = "RegisterModel"
    yaml_model = RegisterModelModel
    cacheable: ClassVar[bool] = False
    extra_properties: ClassVar[Mapping[str, str]] = {
        "model_version": "registered version number",
        "registered_model_uri": "models:/<name>/<version>",
        "approval_status": "approval status tag of the version",
    }

    def __init__(
        self,
        name: str,
        model_uri: Any,
        model_name: Any,
        approval_status: Any = "PendingManualApproval",
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        check_type(name, "model_uri", model_uri, str)
        check_type(name, "model_name", model_name, str)
        check_type(name, "approval_status", approval_status, str)
        if isinstance(approval_status, str) and approval_status not in APPROVAL_STATUSES:
            raise PipelineDefinitionError(
                f"step '{name}': approval_status must be one of {list(APPROVAL_STATUSES)}, "
                f"got {approval_status!r}"
            )
        self.model_uri, self.model_name, self.approval_status = model_uri, model_name, approval_status

    def arguments(self) -> dict[str, Any]:
        return {
            "model_uri": self.model_uri,
            "model_name": self.model_name,
            "approval_status": self.approval_status,
        }

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = value_to_json(self.arguments())
        return spec

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> RegisterModelStep:
        values = {
            k: value_from_json(spec.get(k), parameters, f"step '{name}' {k}")
            for k in ("model_uri", "model_name")
        }
        status = value_from_json(
            spec.get("approval_status", "PendingManualApproval"), parameters, f"step '{name}'"
        )
        if spec.get("description") and not common.get("description"):
            common = {**common, "description": spec["description"]}
        return cls(name, values["model_uri"], values["model_name"], status, **common)

    def run(self, ctx: StepContext) -> dict[str, Any]:
        import mlflow
        from mlflow.tracking import MlflowClient

        status = str(ctx.args["approval_status"])
        if status not in APPROVAL_STATUSES:
            raise StepFailedError(
                self.name, f"approval_status {status!r} is not one of {list(APPROVAL_STATUSES)}"
            )
        name = str(ctx.args["model_name"])
        version = mlflow.register_model(str(ctx.args["model_uri"]), name)
        client = MlflowClient()
        client.set_model_version_tag(name, version.version, "approval_status", status)
        client.set_model_version_tag(name, version.version, "spark_mlops.execution_id", ctx.execution_id)
        return {
            "model_version": int(version.version),
            "registered_model_uri": f"models:/{name}/{version.version}",
            "approval_status": status,
        }
