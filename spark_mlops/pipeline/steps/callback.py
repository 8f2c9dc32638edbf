"""CallbackStep: the execution waits on a token until an outside system or a person reports.

The token's state lives in the Delta table ``pipeline_callbacks``, so the wait survives the runner:
when the step waits longer than ``wait_seconds`` the execution becomes Waiting, and a later
:meth:`Pipeline.resume` (from any process) picks up the reported outcome.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from spark_mlops.errors import PipelineDefinitionError, PipelineError, StepFailedError
from spark_mlops.pipeline.parameters import Parameter
from spark_mlops.pipeline.serde import value_from_json, value_to_json
from spark_mlops.pipeline.steps.base import Step, StepFieldsModel, register_step_type
from spark_mlops.pipeline.steps.context import StepContext, StepPending

__all__ = ["CallbackStep"]

log = logging.getLogger(__name__)


class CallbackModel(StepFieldsModel):
    """YAML fields of a Callback step."""

    message: Any = ""
    wait_seconds: float = Field(0.0, ge=0)
    poll_seconds: float = Field(1.0, gt=0)


@register_step_type
class CallbackStep(Step):
    """Wait for ``report_callback(token, success, outputs)`` / ``spark-mlops callback TOKEN --success``.

    Properties: ``token`` and ``callback_outputs`` (the reported outputs, readable by later steps).

    Args:
        name: Step name.
        message: Shown in the log with the token (e.g. what to approve); plain or a variable.
        wait_seconds: How long this runner polls before leaving the execution Waiting.
        poll_seconds: Polling interval of the Delta token table.
        **kwargs: ``depends_on``, ``timeout_seconds``, names.
    """

    type_name: ClassVar[str] = "Callback"
    yaml_model = CallbackModel
    extra_properties: ClassVar[Mapping[str, str]] = {
        "token": "the callback token",
        "callback_outputs": "outputs reported with the token",
    }
    cacheable: ClassVar[bool] = False
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        message: Any = "",
        *,
        wait_seconds: float = 0.0,
        poll_seconds: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        if wait_seconds < 0 or poll_seconds <= 0:
            raise PipelineDefinitionError(f"step '{name}': wait_seconds must be >= 0 and poll_seconds > 0")
        self.message = message
        self.wait_seconds = float(wait_seconds)
        self.poll_seconds = float(poll_seconds)

    def arguments(self) -> dict[str, Any]:
        return {"message": self.message}

    def spec(self) -> dict[str, Any]:
        return {
            "message": value_to_json(self.message),
            "wait_seconds": self.wait_seconds,
            "poll_seconds": self.poll_seconds,
        }

    @classmethod
    def from_spec(
        cls, name: str, spec: dict[str, Any], parameters: Mapping[str, Parameter], common: dict[str, Any]
    ) -> CallbackStep:
        return cls(
            name,
            message=value_from_json(spec.get("message", ""), parameters, f"step '{name}' message"),
            wait_seconds=spec.get("wait_seconds", 0.0),
            poll_seconds=spec.get("poll_seconds", 1.0),
            **common,
        )

    def run(self, ctx: StepContext) -> dict[str, Any]:
        store = ctx.state
        if store is None:
            raise PipelineError(f"step '{self.name}': no state store to keep the callback token in")
        state = store.callback_for(ctx.execution_id, self.name)
        if state is None:
            token = uuid.uuid4().hex
            store.record_callback(token, ctx.execution_id, ctx.pipeline_name, self.name, "Waiting")
            log.info(
                "step %s waits on callback token %s: %s", self.name, token, ctx.args.get("message") or ""
            )
        else:
            token = state.token
        deadline = time.monotonic() + self.wait_seconds
        while True:
            state = store.callback(token)
            if state is not None and state.status == "Succeeded":
                return {"token": token, "callback_outputs": state.outputs}
            if state is not None and state.status == "Failed":
                raise StepFailedError(self.name, f"callback {token} reported failure: {state.failure_reason}")
            if time.monotonic() >= deadline:
                raise StepPending(f"waiting on callback token {token}")
            time.sleep(min(self.poll_seconds, max(deadline - time.monotonic(), 0.0)))
