"""YAML definitions: equal to the Python definition, validated with pydantic, runnable from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_mlops.errors import ConfigError, PipelineDefinitionError
from spark_mlops.pipeline import (
    CacheConfig,
    ConditionLessThanOrEqualTo,
    ConditionStep,
    FailStep,
    Join,
    JsonGet,
    ParameterFloat,
    ParameterString,
    Pipeline,
    ProcessingStep,
    PropertyFile,
    RetryPolicy,
)
from spark_mlops.pipeline.definition import load_definition

CONF = Path(__file__).resolve().parents[2] / "conf" / "pipelines"


def python_example() -> Pipeline:
    """The same pipeline as conf/pipelines/example.yaml, written in Python."""
    input_table = ParameterString("input_table")
    output_root = ParameterString("output_root")
    threshold = ParameterFloat("mse_threshold", default_value=6.0)
    report = PropertyFile("evaluation", path="evaluation.json")
    prepare = ProcessingStep(
        "prepare",
        str(CONF / "example" / "prepare.py"),
        inputs={"raw": input_table},
        outputs={"clean": Join(on="/", values=[output_root, "clean"])},
        cache_config=CacheConfig(enable_caching=True, expire_after="PT1H"),
        retry_policy=RetryPolicy(max_attempts=2, backoff_seconds=1.0),
    )
    evaluate = ProcessingStep(
        "evaluate",
        str(CONF / "example" / "evaluate.py"),
        inputs={"data": prepare.properties.outputs["clean"]},
        arguments={"slope": 2.0},
        property_files=[report],
    )
    publish = ProcessingStep(
        "publish",
        str(CONF / "example" / "publish.py"),
        inputs={"data": prepare.properties.outputs["clean"]},
        outputs={"published": Join(on="/", values=[output_root, "published"])},
    )
    too_bad = FailStep("too_bad", error_message=Join(on=" ", values=["mse above", threshold]))
    cond = ConditionStep(
        "mse_ok",
        conditions=[
            ConditionLessThanOrEqualTo(JsonGet(evaluate, report, "regression_metrics.mse.value"), threshold)
        ],
        if_steps=[publish],
        else_steps=[too_bad],
    )
    return Pipeline(
        "example",
        parameters=[input_table, output_root, threshold],
        steps=[prepare, evaluate, cond],
        description="Prepare a table, evaluate a fixed model, publish only when mse <= mse_threshold.",
    )


def test_yaml_equals_python_definition():
    from_yaml = Pipeline.from_yaml(CONF / "example.yaml")
    from_python = python_example()
    assert from_yaml.to_json() == from_python.to_json()
    # and the canonical JSON round-trips through the loader
    again = load_definition(json.loads(from_python.to_json()))
    assert again.definition() == from_python.definition()


def test_yaml_validation_names_the_field(tmp_path):
    bad_retry = {
        "name": "p",
        "steps": [{"name": "s", "type": "Fail", "retry_policy": {"max_attempts": 0}}],
    }
    with pytest.raises(ConfigError, match=r"steps\[0\]\.retry_policy\.max_attempts"):
        load_definition(bad_retry)
    with pytest.raises(ConfigError, match=r"step 's'\.bogus: Extra inputs are not permitted"):
        load_definition({"name": "p", "steps": [{"name": "s", "type": "Fail", "bogus": 1}]})
    with pytest.raises(ConfigError, match=r"step 's'\.type: unknown step type 'Nope'"):
        load_definition({"name": "p", "steps": [{"name": "s", "type": "Nope"}]})
    with pytest.raises(PipelineDefinitionError, match=r"step 's'.*unknown parameter 'missing'"):
        load_definition(
            {"name": "p", "steps": [{"name": "s", "type": "Fail", "error_message": {"param": "missing"}}]}
        )
    with pytest.raises(ConfigError, match=r"pipeline\.steps"):
        load_definition({"name": "p", "steps": []})
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        Pipeline.from_yaml(broken)
