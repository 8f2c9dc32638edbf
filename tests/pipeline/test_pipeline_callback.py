"""CallbackStep: the execution waits on a token kept in Delta; the outcome is reported through the CLI and
picked up by a fresh runner (a new Pipeline object) with resume()."""

from __future__ import annotations

import json

import pytest

from spark_mlops.cli import main as cli_main
from spark_mlops.delta import read_delta
from spark_mlops.errors import PipelineError
from spark_mlops.pipeline import (
    CallbackStep,
    ExecutionStatus,
    Pipeline,
    ProcessingStep,
    StepContext,
    StepStatus,
)


def test_callback_wait_survives_a_new_runner(spark, raw_table, tmp_path, home, capsys):
    def build() -> Pipeline:
        approval = CallbackStep("approval", message="approve the model", wait_seconds=0)

        def publish(ctx: StepContext) -> None:
            who = ctx.args["approved_by"]
            ctx.write_output(
                "out", ctx.input("raw").where("y IS NOT NULL").selectExpr("id", f"'{who}' AS approver")
            )

        step = ProcessingStep(
            "publish",
            publish,
            inputs={"raw": raw_table},
            outputs={"out": str(tmp_path / "out")},
            arguments={"approved_by": approval.properties.callback_outputs["approved_by"]},
        )
        return Pipeline("approve", steps=[approval, step], home=home, experiment_name="", lineage=False)

    first = build().start()
    assert first.status is ExecutionStatus.WAITING
    assert first.step("approval").status is StepStatus.WAITING
    assert first.step("publish").status is StepStatus.NOT_RUN
    (token,) = [c.token for c in build().waiting_callbacks(first.execution_id)]

    # an outside system reports through the CLI; a new runner (new Pipeline object) resumes
    code = cli_main(["callback", token, "--success", "--output", "approved_by=alice", "--home", str(home)])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["status"] == "Succeeded"
    with pytest.raises(PipelineError, match="already reported"):
        build().report_callback(token, False)

    resumed = build().resume(first.execution_id)
    assert resumed.status is ExecutionStatus.SUCCEEDED, resumed.failure_reason
    assert resumed.step("approval").properties["callback_outputs"] == {"approved_by": "alice"}
    out = read_delta(spark, str(tmp_path / "out")).toPandas()
    assert len(out) == 190 and set(out.approver) == {"alice"}
    assert build().waiting_callbacks(first.execution_id) == []
