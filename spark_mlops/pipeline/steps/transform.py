"""TransformStep: batch inference of an MLflow Spark model over a pinned Delta table version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from spark_mlops.errors import PipelineDefinitionError
from spark_mlops.models.batch_inference import batch_inference
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.serde import value_from_json, value_to_json
from spark_mlops.pipeline.steps.base import Step, StepFieldsModel, check_type, register_step_type
from spark_mlops.pipeline.steps.context import StepContext

__all__ = ["TransformStep"]


class TransformModel(StepFieldsModel):
    """YAML fields of a Transform step."""

    model_uri: Any
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    columns: list[str] | None = None


@register_step_type
class TransformStep(Step):
    """Score the ``data`` input with ``model_uri`` and append to the ``predictions`` output.

    Every output row carries the model URI and the input table version
    (:func:`spark_mlops.models.batch_inference.batch_inference`). Property ``rows_written`` in metrics.

    Args:
        name: Step name.
        model_uri: The model (plain or a property such as ``model_step.properties.model_uri``).
        inputs: ``{"data": table}``.
        outputs: ``{"predictions": table}``.
        columns: Input columns kept next to the prediction (default all).
        **kwargs: ``depends_on``, ``retry_policy``, ``cache_config``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "Transform"
    yaml_model = TransformModel

    def __init__(
        self,
        name: str,
        model_uri: Any,
        *,
        inputs: Mapping[str, Any],
        outputs: Mapping[str, Any],
        columns: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        check_type(name, "model_uri", model_uri, str)
        if set(inputs) != {"data"} or set(outputs) != {"predictions"}:
            raise PipelineDefinitionError(
                f"step '{name}': expects inputs {{'data'}} and outputs {{'predictions'}}"
            )
        self.model_uri = model_uri
        self._inputs, self._outputs = dict(inputs), dict(outputs)
        self.columns = list(columns) if columns is not None else None

    def arguments(self) -> dict[str, Any]:
        return {"model_uri": self.model_uri, "columns": self.columns}

    def inputs(self) -> dict[str, Any]:
        return dict(self._inputs)

    def outputs(self) -> dict[str, Any]:
        return dict(self._outputs)

    def spec(self) -> dict[str, Any]:
        return {
            "model_uri": value_to_json(self.model_uri),
            "inputs": value_to_json(self._inputs),
            "outputs": value_to_json(self._outputs),
            "columns": self.columns,
        }

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> TransformStep:
        where = f"step '{name}'"
        return cls(
            name,
            value_from_json(spec["model_uri"], parameters, f"{where} model_uri"),
            inputs=value_from_json(spec["inputs"], parameters, f"{where} inputs"),
            outputs=value_from_json(spec["outputs"], parameters, f"{where} outputs"),
            columns=spec.get("columns"),
            **common,
        )

    def run(self, ctx: StepContext) -> dict[str, Any]:
        source = ctx.input_versions["data"]
        result = batch_inference(
            ctx.spark,
            str(ctx.args["model_uri"]),
            source.table,
            ctx.output_table("predictions"),
            version=source.version,
            columns=ctx.args.get("columns"),
        )
        ctx.written["predictions"] = result.output
        if result.rows_written is not None:
            ctx.log_metric("rows_written", result.rows_written)
        return {"scored_with": result.model_uri}
