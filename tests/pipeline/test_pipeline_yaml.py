"""YAML definitions: equal to the Python definition, validated with pydantic, runnable from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_mlops.errors import ConfigError, PipelineDefinitionError
from spark_mlops.pipeline import (
    CacheConfig,
    ClarifyCheckStep,
    ConditionLessThanOrEqualTo,
    ConditionStep,
    FailStep,
    Join,
    JsonGet,
    ParameterBoolean,
    ParameterFloat,
    ParameterString,
    Pipeline,
    ProcessingStep,
    PropertyFile,
    QualityCheckStep,
    RetryPolicy,
)
from spark_mlops.pipeline.definition import load_definition
from spark_mlops.quality.yaml_checks import load_checks

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


CHECKS_YAML = """
checks:
  - description: raw rows
    level: error
    constraints:
      - has_size: {assertion: ">= 100"}
      - is_complete: id
      - is_non_negative: x
"""

QUALITY_YAML = """
name: monitored
parameters:
  - {name: table, type: String}
  - {name: predictions, type: String}
  - {name: min_auc, type: Float, default: 0.7}
  - {name: evolve, type: Boolean, default: false}
steps:
  - name: dq
    type: QualityCheck
    check_type: DataQuality
    inputs: {data: {param: table}}
    checks: checks/raw.yaml
    baseline_format: delta
    fail_on_violation: false
  - name: drift
    type: QualityCheck
    check_type: DataDrift
    inputs: {data: {param: table}}
    columns: [x]
    methods: ks
    register_new_baseline: {param: evolve}
  - name: mq
    type: QualityCheck
    check_type: ModelQuality
    inputs: {data: {param: predictions}}
    problem_type: binary_classification
    label: label
    prediction: prediction
    probability: score
    thresholds: {auc: {param: min_auc}, mse: {threshold: 0.3, comparison_operator: GreaterThanThreshold}}
    baseline_factor: 0.95
    baseline_metrics: [auc, f1]
  - name: bias
    type: ClarifyCheck
    inputs: {data: {param: predictions}}
    label: label
    facet: gender
    facet_value: F
    predicted_label: prediction
    thresholds: {DPL: 0.1, DI: 0.2}
    baseline_tolerance: 0.05
"""


def python_monitored(checks_file: Path) -> Pipeline:
    """The same pipeline as QUALITY_YAML, in Python."""
    table, predictions = ParameterString("table"), ParameterString("predictions")
    min_auc = ParameterFloat("min_auc", default_value=0.7)
    evolve = ParameterBoolean("evolve", default_value=False)
    steps = [
        QualityCheckStep(
            "dq",
            "DataQuality",
            inputs={"data": table},
            checks=str(checks_file),
            baseline_format="delta",
            fail_on_violation=False,
        ),
        QualityCheckStep(
            "drift",
            "DataDrift",
            inputs={"data": table},
            columns=["x"],
            methods="ks",
            register_new_baseline=evolve,
        ),
        QualityCheckStep(
            "mq",
            "ModelQuality",
            inputs={"data": predictions},
            problem_type="binary_classification",
            label="label",
            prediction="prediction",
            probability="score",
            thresholds={
                "auc": min_auc,
                "mse": {"threshold": 0.3, "comparison_operator": "GreaterThanThreshold"},
            },
            baseline_factor=0.95,
            baseline_metrics=["auc", "f1"],
        ),
        ClarifyCheckStep(
            "bias",
            inputs={"data": predictions},
            label="label",
            facet="gender",
            facet_value="F",
            predicted_label="prediction",
            thresholds={"DPL": 0.1, "DI": 0.2},
            baseline_tolerance=0.05,
        ),
    ]
    return Pipeline("monitored", [table, predictions, min_auc, evolve], steps)


def test_quality_and_clarify_check_yaml_equals_python(tmp_path):
    (tmp_path / "checks").mkdir()
    checks_file = tmp_path / "checks" / "raw.yaml"
    checks_file.write_text(CHECKS_YAML)
    pipeline_file = tmp_path / "monitored.yaml"
    pipeline_file.write_text(QUALITY_YAML)

    from_yaml = Pipeline.from_yaml(pipeline_file)  # checks/raw.yaml resolves next to the pipeline file
    from_python = python_monitored(checks_file)
    assert from_yaml.to_json() == from_python.to_json()
    dq = from_yaml.graph.steps["dq"]
    assert isinstance(dq, QualityCheckStep)
    assert [c.name for c in dq.checks[0].constraints] == [
        c.name for c in load_checks(checks_file)[0].constraints
    ]
    again = load_definition(json.loads(from_python.to_json()))
    assert again.definition() == from_python.definition()
    # editing the checks file changes the step's code hash, so a cached check re-runs
    assert dq.code_hash() == from_python.graph.steps["dq"].code_hash()
    checks_file.write_text(CHECKS_YAML.replace(">= 100", ">= 101"))
    assert Pipeline.from_yaml(pipeline_file).graph.steps["dq"].code_hash() != dq.code_hash()


def test_quality_check_yaml_errors_name_the_field(tmp_path):
    base = {"name": "p", "parameters": [{"name": "t", "type": "String"}]}
    step = {"name": "mq", "type": "QualityCheck", "inputs": {"data": {"param": "t"}}}
    with pytest.raises(ConfigError, match=r"step 'mq'\.check_type: Input should be 'DataQuality'"):
        load_definition({**base, "steps": [{**step, "check_type": "Model"}]})
    with pytest.raises(PipelineDefinitionError, match=r"step 'mq': a ModelQuality check needs problem_type"):
        load_definition({**base, "steps": [{**step, "check_type": "ModelQuality", "label": "y"}]})
    model = {
        **step,
        "check_type": "ModelQuality",
        "problem_type": "regression",
        "label": "y",
        "prediction": "p",
    }
    with pytest.raises(
        PipelineDefinitionError, match=r"step 'mq': thresholds\.lift: unknown metric direction"
    ):
        load_definition({**base, "steps": [{**model, "thresholds": {"lift": 2.0}}]})
    with pytest.raises(ConfigError, match=r"checks\[0\]\.constraints\[0\]\.has_min\.column: Field required"):
        bad = {"checks": [{"description": "d", "constraints": [{"has_min": {"assertion": "> 1"}}]}]}
        load_definition({**base, "steps": [{**step, "check_type": "DataQuality", "checks": bad}]})
    with pytest.raises(ConfigError, match="cannot read the checks file"):
        load_definition({**base, "steps": [{**step, "check_type": "DataQuality", "checks": "nope.yaml"}]})
