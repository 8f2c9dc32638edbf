"""Step kinds of a pipeline."""

from spark_mlops.pipeline.steps.base import STEP_TYPES, Step
from spark_mlops.pipeline.steps.callback import CallbackStep
from spark_mlops.pipeline.steps.clarify import ClarifyCheckStep
from spark_mlops.pipeline.steps.context import StepContext
from spark_mlops.pipeline.steps.control import ConditionStep, FailStep
from spark_mlops.pipeline.steps.model import ModelStep, RegisterModelStep
from spark_mlops.pipeline.steps.processing import ProcessingStep
from spark_mlops.pipeline.steps.quality import QualityCheckStep
from spark_mlops.pipeline.steps.spark_submit import SparkSubmitStep
from spark_mlops.pipeline.steps.training import TrainingStep, TuningStep
from spark_mlops.pipeline.steps.transform import TransformStep

__all__ = [
    "STEP_TYPES",
    "CallbackStep",
    "ClarifyCheckStep",
    "ConditionStep",
    "FailStep",
    "ModelStep",
    "ProcessingStep",
    "QualityCheckStep",
    "RegisterModelStep",
    "SparkSubmitStep",
    "Step",
    "StepContext",
    "TrainingStep",
    "TransformStep",
    "TuningStep",
]
