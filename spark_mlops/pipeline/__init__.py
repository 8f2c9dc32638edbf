"""Pipelines: parameters, steps, properties, conditions, version-aware caching, retries and resume.

Names mirror SageMaker Pipelines. A pipeline runs on the shared SparkSession, records its state in Delta
tables under a home folder and logs one MLflow parent run per execution with a nested run per step.
"""

from spark_mlops.pipeline.conditions import (
    Condition,
    ConditionEquals,
    ConditionGreaterThan,
    ConditionGreaterThanOrEqualTo,
    ConditionIn,
    ConditionLessThan,
    ConditionLessThanOrEqualTo,
    ConditionNot,
    ConditionOr,
)
from spark_mlops.pipeline.execution import ExecutionStatus, PipelineExecution, StepRecord, StepStatus
from spark_mlops.pipeline.parameters import (
    Parameter,
    ParameterBoolean,
    ParameterFloat,
    ParameterInteger,
    ParameterString,
)
from spark_mlops.pipeline.pipeline import Pipeline, report_callback
from spark_mlops.pipeline.policies import CacheConfig, RetryPolicy, parse_duration
from spark_mlops.pipeline.properties import JsonGet, PropertyFile, PropertyRef
from spark_mlops.pipeline.steps import (
    CallbackStep,
    ClarifyCheckStep,
    ConditionStep,
    FailStep,
    ModelStep,
    ProcessingStep,
    QualityCheckStep,
    RegisterModelStep,
    SparkSubmitStep,
    Step,
    StepContext,
    TrainingStep,
    TransformStep,
    TuningStep,
)
from spark_mlops.pipeline.variables import ExecutionVariables, Join

__all__ = [
    "CacheConfig",
    "CallbackStep",
    "ClarifyCheckStep",
    "Condition",
    "ConditionEquals",
    "ConditionGreaterThan",
    "ConditionGreaterThanOrEqualTo",
    "ConditionIn",
    "ConditionLessThan",
    "ConditionLessThanOrEqualTo",
    "ConditionNot",
    "ConditionOr",
    "ConditionStep",
    "ExecutionStatus",
    "ExecutionVariables",
    "FailStep",
    "Join",
    "JsonGet",
    "ModelStep",
    "Parameter",
    "ParameterBoolean",
    "ParameterFloat",
    "ParameterInteger",
    "ParameterString",
    "Pipeline",
    "PipelineExecution",
    "ProcessingStep",
    "PropertyFile",
    "PropertyRef",
    "QualityCheckStep",
    "RegisterModelStep",
    "RetryPolicy",
    "SparkSubmitStep",
    "Step",
    "StepContext",
    "StepRecord",
    "StepStatus",
    "TrainingStep",
    "TransformStep",
    "TuningStep",
    "parse_duration",
    "report_callback",
]
