"""Job: fit the reviews "helpful" classifier (feature PipelineModel + logistic regression) as one
deployable Spark PipelineModel, tracked as a trial component in MLflow (params, metrics, model with
signature and input example, input table version).

    spark-submit --jars "$(python -m spark_mlops.jars path)" jobs/train.py \
        --train /lake/reviews_train --test /lake/reviews_test --experiment reviews --trial trial-1

In a pipeline use ``TrainingStep`` (same library call, ``spark_mlops.models.fit_tracked``) or this script
with inputs ``train``/``test``, arguments ``experiment``, ``trial``, ``reg_param`` and the property
file ``model`` (``model_uri``, ``run_id``).
"""

from __future__ import annotations

import argparse
import sys

from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator

from spark_mlops.delta import read_delta_versioned
from spark_mlops.entrypoints import run_job
from spark_mlops.models.reviews import feature_pipeline
from spark_mlops.models.training import TrainingResult, fit_tracked


def train_reviews_model(
    train, test, train_source, experiment: str, trial: str, reg_param: float
) -> TrainingResult:  # type: ignore[no-untyped-def]
    """Fit features + logistic regression on ``train``, evaluate AUC on ``test``, track it all."""
    estimator = Pipeline(
        stages=[*feature_pipeline().getStages(), LogisticRegression(regParam=reg_param, maxIter=50)]
    )
    return fit_tracked(
        estimator,
        train,
        {"ExperimentName": experiment, "TrialName": trial, "TrialComponentDisplayName": "Training"},
        input_table=train_source,
        evaluator=BinaryClassificationEvaluator(metricName="areaUnderROC"),
        eval_df=test,
    )


def main(ctx):  # type: ignore[no-untyped-def]
    """Pipeline entry point."""
    result = train_reviews_model(
        ctx.input("train"),
        ctx.input("test"),
        ctx.input_versions["train"],
        str(ctx.args.get("experiment", ctx.pipeline_name or "reviews")),
        str(ctx.args.get("trial", ctx.execution_id)),
        float(ctx.args.get("reg_param", 0.01)),
    )
    ctx.write_property_file("model", {"model_uri": result.model_uri, "run_id": result.run_id})
    return {k: float(v) for k, v in result.metrics.items()}


def _run(spark, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    train, source = read_delta_versioned(spark, args.train)
    test, _ = read_delta_versioned(spark, args.test)
    result = train_reviews_model(train, test, source, args.experiment, args.trial, args.reg_param)
    print(f"model: {result.model_uri} metrics: {result.metrics}")
    return 0


def parser() -> argparse.ArgumentParser:
    """Command-line arguments of the job."""
    p = argparse.ArgumentParser(prog="train.py", description=__doc__.splitlines()[0])
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--experiment", default="reviews")
    p.add_argument("--trial", default="manual")
    p.add_argument("--reg-param", type=float, default=0.01)
    return p


if __name__ == "__main__":
    sys.exit(run_job("train", parser(), _run))
