"""Batch inference: a (registered) MLflow Spark model over a Delta table → a predictions Delta table.

Every prediction row says which model and which data produced it: ``model_uri``, ``model_version``,
``input_table``, ``input_version`` and a deterministic ``inference_id`` (a hash of the input row, the
model URI and the input version), so ground truth that arrives later can be joined back
(:func:`spark_mlops.monitoring.model_quality.merge_ground_truth`) and a re-run of the same
(model, input version) is written exactly once (Delta ``txnAppId``/``txnVersion``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.ml.functions import vector_to_array
from pyspark.ml.linalg import VectorUDT
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from spark_mlops.delta import TableVersion, read_delta_versioned, rows_in_commit, write_delta
from spark_mlops.errors import InvalidArgumentError, SparkMlopsError
from spark_mlops.models.mlflow_spark import require_mlflow_spark

__all__ = ["BatchInferenceResult", "add_inference_columns", "batch_inference", "load_spark_model"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchInferenceResult:
    """What a batch inference run read and wrote."""

    model_uri: str
    model_version: str | None
    input: TableVersion
    output: TableVersion
    rows_written: int | None


def load_spark_model(model_uri: str):  # type: ignore[no-untyped-def]
    """Load a Spark ML model logged with ``mlflow.spark`` (``runs:/…``, ``models:/name/version`` …).

    Raises:
        SparkConnectUnsupportedError: this process runs Spark Connect outside Databricks (mlflow.spark
            needs the JVM).
        SparkMlopsError: MLflow cannot load the model; names the URI.
    """
    _require_mlflow_spark(None, model_uri)
    import mlflow.spark

    try:
        return mlflow.spark.load_model(model_uri)
    except Exception as exc:  # noqa: BLE001 - MLflow raises many types; the URI is what the user needs
        raise SparkMlopsError(f"model_uri: cannot load Spark model '{model_uri}': {str(exc)[:300]}") from None


def _require_mlflow_spark(spark: SparkSession | None, model_uri: str) -> None:
    require_mlflow_spark(
        spark,
        f"load_spark_model('{model_uri}')",
        "download it with mlflow.artifacts.download_artifacts(model_uri) and load its 'sparkml' folder "
        "with pyspark.ml.PipelineModel.load (works over Connect), or run batch inference on a classic "
        "SparkSession",
    )


def _vector_columns(schema: StructType) -> list[str]:
    return [f.name for f in schema.fields if isinstance(f.dataType, VectorUDT)]


def add_inference_columns(
    predictions: DataFrame,
    input_columns: Sequence[str],
    model_uri: str,
    model_version: str | None,
    source: TableVersion,
    probability_col: str = "probability",
) -> DataFrame:
    """Keep the input columns and the prediction, add provenance columns and a scalar ``score``.

    ``score`` is the probability of the last class (the positive class of a binary model); Spark's vector
    columns (features, rawPrediction, probability) are dropped so the table is plain SQL types.
    """
    out = predictions
    if probability_col in out.columns:
        out = out.withColumn("score", F.element_at(vector_to_array(F.col(probability_col)), -1))
    keep = [c for c in input_columns if c in out.columns] + ["prediction"]
    if "score" in out.columns:
        keep.append("score")
    keep = [c for c in dict.fromkeys(keep) if c not in _vector_columns(out.schema)]
    row_hash = F.sha2(F.to_json(F.struct(*[F.col(f"`{c}`") for c in input_columns])), 256)
    salt = f"{model_uri}|{source}"
    return out.select(
        F.sha2(F.concat(row_hash, F.lit(salt)), 256).alias("inference_id"),
        *[F.col(f"`{c}`") for c in keep],
        F.lit(model_uri).alias("model_uri"),
        F.lit(model_version).cast("string").alias("model_version"),
        F.lit(source.table).alias("input_table"),
        F.lit(source.version).cast("long").alias("input_version"),
        F.current_timestamp().alias("inference_time"),
    )


def batch_inference(
    spark: SparkSession,
    model_uri: str,
    input_table: str,
    output_table: str,
    *,
    version: int | None = None,
    model_version: str | None = None,
    columns: Sequence[str] | None = None,
    mode: str = "append",
) -> BatchInferenceResult:
    """Score a Delta table with an MLflow Spark model and append the predictions to a Delta table.

    Args:
        spark: The session.
        model_uri: MLflow model URI (``models:/reviews-helpful/3``, ``runs:/<id>/model``).
        input_table: Delta path or name to score.
        output_table: Delta path or name of the predictions table.
        version: Input version to read (default the newest); recorded in every row.
        model_version: Registered version recorded in every row (parsed from a ``models:/name/N`` URI
            when not given).
        columns: Input columns to keep next to the prediction (default all).
        mode: Write mode of the predictions table.

    Returns:
        The input and output versions and the number of rows written (from the Delta commit metrics).

    Raises:
        SparkConnectUnsupportedError: ``spark`` is a Spark Connect session outside Databricks (loading the
            model needs the JVM).
    """
    if not model_uri:
        raise InvalidArgumentError("model_uri: expected an MLflow model URI, got an empty string")
    _require_mlflow_spark(spark, model_uri)
    df, source = read_delta_versioned(spark, input_table, version=version)
    keep = list(columns) if columns is not None else list(df.columns)
    missing = [c for c in keep if c not in df.columns]
    if missing:
        raise InvalidArgumentError(f"columns: {missing} not in '{source.table}' (has {df.columns})")
    if model_version is None and model_uri.startswith("models:/"):
        tail = model_uri.rstrip("/").split("/")[-1]
        model_version = tail if tail.isdigit() else None
    model = load_spark_model(model_uri)
    scored = add_inference_columns(model.transform(df), keep, model_uri, model_version, source)
    # Same model and same input version → same commit id: a retried job does not duplicate rows.
    app_id = (
        "spark_mlops.batch_inference:"
        + hashlib.sha256(f"{model_uri}|{source.table}|{output_table}".encode()).hexdigest()[:16]
    )
    written = write_delta(
        scored,
        output_table,
        mode=mode,
        user_metadata=f"batch inference of {source} with {model_uri}",
        txn_app_id=app_id,
        txn_version=source.version,
    )
    rows = rows_in_commit(spark, written)
    log.info("batch inference: %s scored with %s -> %s (%s rows)", source, model_uri, written, rows)
    return BatchInferenceResult(model_uri, model_version, source, written, rows)
