"""Definition-time validation (no Spark): DAG errors, parameter types, durations, conditions."""

from __future__ import annotations

import datetime as dt

import pytest

from spark_mlops.errors import PipelineDefinitionError, PipelineError
from spark_mlops.pipeline import (
    CacheConfig,
    ConditionEquals,
    ConditionGreaterThan,
    ConditionGreaterThanOrEqualTo,
    ConditionIn,
    ConditionLessThan,
    ConditionLessThanOrEqualTo,
    ConditionNot,
    ConditionOr,
    ConditionStep,
    ExecutionVariables,
    FailStep,
    Join,
    JsonGet,
    ParameterBoolean,
    ParameterFloat,
    ParameterInteger,
    ParameterString,
    Pipeline,
    ProcessingStep,
    PropertyFile,
    RetryPolicy,
    parse_duration,
)
from spark_mlops.pipeline.variables import ResolveContext


def noop(ctx):  # type: ignore[no-untyped-def]
    return None


def step(name: str, **kwargs) -> ProcessingStep:  # type: ignore[no-untyped-def]
    return ProcessingStep(name, noop, **kwargs)


def test_unknown_depends_on_names_the_step():
    with pytest.raises(PipelineDefinitionError, match=r"step 'b': depends_on names unknown step 'nope'"):
        Pipeline("p", steps=[step("a"), step("b", depends_on=["nope"])])


def test_cycle_is_rejected_naming_the_steps():
    with pytest.raises(PipelineDefinitionError, match=r"steps \['a', 'b'\] form a dependency cycle"):
        Pipeline("p", steps=[step("a", depends_on=["b"]), step("b", depends_on=["a"])])


def test_property_of_unknown_step():
    a = step("a", outputs={"t": "/tmp/t"})
    b = step("b", inputs={"t": a.properties.outputs["t"]})
    with pytest.raises(PipelineDefinitionError, match=r"step 'b': reads a property of unknown step 'a'"):
        Pipeline("p", steps=[b])


def test_property_of_step_in_the_other_branch_is_not_upstream():
    a = step("a", outputs={"t": "/tmp/t"})
    b = step("b", inputs={"t": a.properties.outputs["t"]})
    cond = ConditionStep("c", conditions=[ConditionEquals(1, 1)], if_steps=[a], else_steps=[b])
    with pytest.raises(
        PipelineDefinitionError, match=r"step 'b': depends on steps \['a'\].*condition step 'c'"
    ):
        Pipeline("p", steps=[cond])


def test_unknown_property_name_names_the_step():
    a = step("a")
    with pytest.raises(PipelineDefinitionError, match=r"step 'a': no property 'model_uri'"):
        _ = a.properties.model_uri


def test_json_get_of_undeclared_property_file():
    a = step("a", property_files=[PropertyFile("report")])
    cond = ConditionStep("c", conditions=[ConditionLessThan(JsonGet(a, "other", "x.y"), 1.0)])
    with pytest.raises(PipelineDefinitionError, match=r"step 'c': JsonGet reads property file 'other'"):
        Pipeline("p", steps=[a, cond])


def test_parameter_type_mismatch_in_condition_names_the_step():
    name = ParameterString("model_name", default_value="m")
    with pytest.raises(PipelineDefinitionError, match=r"step 'gate': GreaterThan compares numbers"):
        ConditionStep("gate", conditions=[ConditionGreaterThan(name, 3)])
    flag = ParameterBoolean("flag", default_value=True)
    with pytest.raises(PipelineDefinitionError, match=r"step 'gate': Equals compares a bool with a str"):
        ConditionStep("gate", conditions=[ConditionEquals(flag, "yes")])


def test_parameter_used_with_another_type_than_declared():
    declared = ParameterString("n", default_value="3")
    used = ParameterInteger("n", default_value=3)
    with pytest.raises(
        PipelineDefinitionError, match=r"step 'a': parameter 'n' is used as a Integer but declared"
    ):
        Pipeline("p", parameters=[declared], steps=[step("a", arguments={"n": used})])
    with pytest.raises(PipelineDefinitionError, match=r"step 'a': uses undeclared parameter 'n'"):
        Pipeline("p", steps=[step("a", arguments={"n": used})])


def test_typed_step_field_rejects_wrong_parameter_type():
    with pytest.raises(PipelineDefinitionError, match=r"step 'f': error_message expects str, got a int"):
        FailStep("f", error_message=ParameterInteger("code", default_value=1))


def test_parameter_overrides_are_type_checked():
    threshold = ParameterFloat("threshold", default_value=6.0)
    n = ParameterInteger("n", default_value=2)
    pipeline = Pipeline("p", parameters=[threshold, n], steps=[step("a", arguments={"t": threshold, "n": n})])
    assert pipeline.resolve_parameters({"threshold": 5}) == {"threshold": 5.0, "n": 2}
    with pytest.raises(PipelineDefinitionError, match=r"parameter 'n': expected a Integer value, got 2.5"):
        pipeline.resolve_parameters({"n": 2.5})
    with pytest.raises(PipelineDefinitionError, match=r"parameter 'n': expected a Integer value, got True"):
        pipeline.resolve_parameters({"n": True})
    with pytest.raises(PipelineDefinitionError, match=r"parameter 'bogus': not declared"):
        pipeline.resolve_parameters({"bogus": 1})
    assert n.parse("7") == 7 and threshold.parse("0.5") == 0.5
    assert ParameterBoolean("b").parse("false") is False
    with pytest.raises(PipelineDefinitionError, match=r"parameter 'n'"):
        n.parse("seven")
    required = Pipeline("q", parameters=[ParameterString("s")], steps=[step("a")])
    with pytest.raises(PipelineDefinitionError, match=r"parameter 's': required"):
        required.resolve_parameters()
    with pytest.raises(PipelineDefinitionError, match=r"parameter 'mode': 'c' is not one of"):
        ParameterString("mode", default_value="a", enum_values=("a", "b")).check("c")


def test_iso8601_durations():
    # values by the ISO-8601 definition of the designators (H hours, M minutes after T, D days, W weeks)
    assert parse_duration("PT1H") == dt.timedelta(hours=1)
    assert parse_duration("PT90M") == dt.timedelta(minutes=90)
    assert parse_duration("P1DT12H") == dt.timedelta(days=1, hours=12)
    assert parse_duration("P2W") == dt.timedelta(days=14)
    assert parse_duration("PT0.5S") == dt.timedelta(milliseconds=500)
    assert parse_duration("3012H") == dt.timedelta(hours=3012)  # the seed's shorthand
    for bad in ("1 hour", "P", "PT", "P1H", "T1H", ""):
        with pytest.raises(PipelineDefinitionError, match="expire_after"):
            parse_duration(bad)
    with pytest.raises(PipelineDefinitionError, match="expire_after"):
        CacheConfig(enable_caching=True, expire_after="soon")
    with pytest.raises(PipelineDefinitionError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    assert RetryPolicy(3, backoff_seconds=1.0, backoff_rate=2.0).pause_before(3) == 2.0
    with pytest.raises(PipelineDefinitionError, match=r"step 'c': a Condition step cannot be cached"):
        ConditionStep("c", conditions=[ConditionEquals(1, 1)], cache_config=CacheConfig(True))


def _ctx(**params) -> ResolveContext:  # type: ignore[no-untyped-def]
    return ResolveContext(
        parameters=params,
        execution_id="e1",
        start_time=dt.datetime(2026, 1, 2, 3, 4, 5),
        pipeline_name="p",
        logical_date=dt.date(2026, 1, 2),
        step_properties={"a": {"metrics": {"mse": 5.5}, "outputs": {"t": {"table": "/x", "version": 3}}}},
    )


def test_conditions_evaluate_like_python_operators():
    a = step("a")
    mse = a.properties.metrics["mse"]
    p = ParameterFloat("limit", default_value=6.0)
    ctx = _ctx(limit=6.0)
    cases = [
        (ConditionLessThanOrEqualTo(mse, p), 5.5 <= 6.0),
        (ConditionLessThan(mse, 5.5), 5.5 < 5.5),
        (ConditionGreaterThan(mse, 5.0), 5.5 > 5.0),
        (ConditionGreaterThanOrEqualTo(mse, 5.5), 5.5 >= 5.5),
        (ConditionEquals(a.properties.outputs["t"].version, 3), True),
        (ConditionIn(ExecutionVariables.PIPELINE_NAME, ["p", "q"]), True),
        (ConditionNot(ConditionIn(mse, [1.0, 2.0])), True),
        (ConditionOr([ConditionLessThan(mse, 1.0), ConditionEquals(p, 6.0)]), True),
        (ConditionOr([ConditionLessThan(mse, 1.0), ConditionEquals(p, 7.0)]), False),
    ]
    for condition, expected in cases:
        assert condition.evaluate(ctx) is expected, condition.to_json()
    joined = Join(on="/", values=["root", ExecutionVariables.EXECUTION_ID, ExecutionVariables.LOGICAL_DATE])
    assert joined.resolve(ctx) == "root/e1/2026-01-02"
    with pytest.raises(PipelineError, match=r"step 'a' has no property 'metrics.rmse'"):
        a.properties.metrics["rmse"].resolve(ctx)


def test_branch_steps_join_the_pipeline_and_properties_create_dependencies():
    a = step("a", outputs={"t": "/tmp/t"})
    b = step("b", inputs={"t": a.properties.outputs["t"]})
    f = FailStep("f", error_message="no")
    cond = ConditionStep(
        "c", conditions=[ConditionGreaterThan(a.properties.metrics["rows"], 0)], if_steps=[b], else_steps=[f]
    )
    pipeline = Pipeline("p", steps=[cond, a])
    assert pipeline.graph.order == ["a", "c", "b", "f"]
    assert pipeline.graph.upstream["b"] == {"a", "c"}
    assert pipeline.graph.upstream["c"] == {"a"}
