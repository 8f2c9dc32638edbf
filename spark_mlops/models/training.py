"""Tracked training of Spark ML estimators: params, metrics, model and input versions land in one run.

:func:`fit_tracked` takes SageMaker's ``experiment_config`` (``ExperimentName``, ``TrialName``,
``TrialComponentDisplayName``) so the training run lands as a component of the right trial, and writes
lineage (input table version → training action → model) when a lineage store is configured.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyspark.ml import Estimator, Model, Pipeline, Transformer
from pyspark.ml.evaluation import Evaluator
from pyspark.sql import DataFrame

from spark_mlops.delta import TableVersion, read_delta_versioned
from spark_mlops.errors import InvalidArgumentError, TrackingError
from spark_mlops.lineage import ActionType, ArtifactType, LineageStore
from spark_mlops.models.mlflow_spark import require_mlflow_spark, spark_model_requirements
from spark_mlops.spark import get_spark, job_description
from spark_mlops.tracking import Experiment, Tracker, Trial

__all__ = ["TrainingResult", "estimator_params", "fit_tracked"]

log = logging.getLogger(__name__)

_EXAMPLE_ROWS = 5


@dataclass(frozen=True)
class TrainingResult:
    """What :func:`fit_tracked` produced.

    Attributes:
        model: The fitted Spark ML model.
        run_id: The MLflow run (trial component) of the training.
        model_uri: ``runs:/<run_id>/model`` (load with ``mlflow.spark.load_model``), or ``None``.
        metrics: Logged metric values by name.
        input_table: The exact Delta input version, when known.
        tracker: The (closed) tracker; ``tracker.action()`` is the lineage action.
    """

    model: Model
    run_id: str
    model_uri: str | None
    metrics: dict[str, float] = field(default_factory=dict)
    input_table: TableVersion | None = None
    tracker: Tracker | None = None


def estimator_params(estimator: Estimator | Transformer) -> dict[str, str]:
    """Flat ``{name: value}`` of an estimator's params (explicit and default); a Pipeline's stages are
    prefixed with their class name (and position when a class repeats)."""
    if isinstance(estimator, Pipeline):
        stages = estimator.getStages()
        names = [type(s).__name__ for s in stages]
        out: dict[str, str] = {}
        for i, stage in enumerate(stages):
            prefix = names[i] if names.count(names[i]) == 1 else f"{i}.{names[i]}"
            for key, value in estimator_params(stage).items():
                out[f"{prefix}.{key}"] = value
        return out
    return {p.name: str(v) for p, v in estimator.extractParamMap().items()}


def _config(experiment_config: Mapping[str, Any]) -> tuple[str, str, str]:
    if not isinstance(experiment_config, Mapping):
        raise InvalidArgumentError("experiment_config: expected a mapping with ExperimentName and TrialName")
    for key in ("ExperimentName", "TrialName"):
        if not experiment_config.get(key):
            raise InvalidArgumentError(f"experiment_config: missing '{key}'")
    display = str(experiment_config.get("TrialComponentDisplayName") or "Training")
    return str(experiment_config["ExperimentName"]), str(experiment_config["TrialName"]), display


def fit_tracked(
    estimator: Estimator,
    df: DataFrame | None,
    experiment_config: Mapping[str, Any],
    input_table: TableVersion | str | None = None,
    evaluator: Evaluator | None = None,
    eval_df: DataFrame | None = None,
    lineage_store: LineageStore | None = None,
    log_model: bool = True,
) -> TrainingResult:
    """Fit ``estimator`` and track the run as a trial component.

    Args:
        estimator: A Spark ML estimator or Pipeline.
        df: Training data; ``None`` to read ``input_table`` at its recorded version.
        experiment_config: ``{"ExperimentName": ..., "TrialName": ..., "TrialComponentDisplayName": ...}``;
            the experiment and trial are created when absent.
        input_table: The Delta table (``TableVersion`` or path/name at its current version) the data
            comes from; recorded as a dataset input with its exact version.
        evaluator: Scores ``model.transform(eval_df or df)``; logged as ``validation:<metric>`` (with
            ``eval_df``) or ``train:<metric>``.
        eval_df: Held-out data for the evaluator.
        lineage_store: Lineage store (default: the module default, if set).
        log_model: Log the model with ``mlflow.spark`` (signature and a 5-row input example).

    Returns:
        A :class:`TrainingResult`.

    Raises:
        SparkConnectUnsupportedError: ``log_model=True`` on a Spark Connect session (outside Databricks).
    """
    if not isinstance(estimator, Estimator):
        raise InvalidArgumentError(
            f"estimator: expected a Spark ML Estimator, got {type(estimator).__name__}"
        )
    experiment_name, trial_name, display = _config(experiment_config)
    spark = df.sparkSession if df is not None else get_spark()
    if log_model:  # checked before fitting
        require_mlflow_spark(
            spark,
            "fit_tracked(log_model=True)",
            "pass log_model=False and save the model with model.write().save(path) (works over Connect), "
            "or train on a classic SparkSession",
        )
    table: TableVersion | None = None
    if input_table is not None:
        ref = input_table if isinstance(input_table, TableVersion) else TableVersion(str(input_table), -1)
        data, table = read_delta_versioned(spark, ref.table, version=None if ref.version < 0 else ref.version)
        df = data if df is None else df
    if df is None:
        raise InvalidArgumentError("df, input_table: give the training data or the Delta table to read")
    try:
        Experiment.load(experiment_name)
    except TrackingError:
        Experiment.create(experiment_name)
    trial = Trial.load_or_create(trial_name, experiment_name)
    metrics: dict[str, float] = {}
    model_uri = None
    with Tracker.create(
        display_name=display, trial=trial, job_type=ActionType.TRAINING_JOB, lineage_store=lineage_store
    ) as tracker:
        tracker.log_parameters(estimator_params(estimator))
        tracker.log_parameter("estimator", type(estimator).__name__)
        if table is not None:
            tracker.log_delta_input(table.table, table.version, name="train")
        with job_description(spark, f"fit_tracked: fit {type(estimator).__name__}"):
            model = estimator.fit(df)
        if evaluator is not None:
            scored = model.transform(eval_df if eval_df is not None else df)
            with job_description(spark, "fit_tracked: evaluate"):
                value = float(evaluator.evaluate(scored))
            metric = (
                f"{'validation' if eval_df is not None else 'train'}:{evaluator.getOrDefault('metricName')}"
            )
            tracker.log_metric(metric, value)
            metrics[metric] = value
        if log_model:
            model_uri = _log_model(tracker, model, df)
            tracker.log_output(
                "model", model_uri, media_type="mlflow/model", artifact_type=ArtifactType.MODEL
            )
    log.info("trained %s in run %s (trial %s)", type(estimator).__name__, tracker.run_id, trial_name)
    return TrainingResult(model, tracker.run_id, model_uri, metrics, table, tracker)


def _log_model(tracker: Tracker, model: Model, df: DataFrame) -> str:
    import mlflow
    import mlflow.spark
    from mlflow.models import infer_signature

    # A few rows only: the example and the signature never touch the full data.
    example = df.limit(_EXAMPLE_ROWS)
    with job_description(df.sparkSession, "fit_tracked: signature example"):
        example_pdf: Any = example.toPandas()
        scored = model.transform(example)
        out_cols = [c for c in ("prediction", "probability") if c in scored.columns][:1]
        output = scored.select(*out_cols).toPandas() if out_cols else None
    example_pdf = example_pdf[[c for c in example_pdf.columns if _plain(example_pdf[c])]]
    signature = infer_signature(example_pdf, output)
    with tempfile.TemporaryDirectory() as tmp:
        local = os.path.join(tmp, "model")
        mlflow.spark.save_model(
            model,
            local,
            signature=signature,
            input_example=example_pdf,
            pip_requirements=spark_model_requirements(),  # no inference in a second JVM
        )
        return tracker.log_directory(local, "model")


def _plain(series: Any) -> bool:
    """Columns an input example can hold (vectors and structs are not JSON-serialisable)."""
    return series.dtype != object or series.map(lambda v: v is None or isinstance(v, str)).all()
