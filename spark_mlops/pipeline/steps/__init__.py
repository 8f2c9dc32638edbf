"""Step kinds of a pipeline."""

from spark_mlops.pipeline.steps.base import STEP_TYPES, Step
from spark_mlops.pipeline.steps.callback import CallbackStep
from spark_mlops.pipeline.steps.context import StepContext
from spark_mlops.pipeline.steps.control import ConditionStep, FailStep
from spark_mlops.pipeline.steps.processing import ProcessingStep
from spark_mlops.pipeline.steps.spark_submit import SparkSubmitStep

__all__ = [
    "STEP_TYPES",
    "CallbackStep",
    "ConditionStep",
    "FailStep",
    "ProcessingStep",
    "SparkSubmitStep",
    "Step",
    "StepContext",
]
