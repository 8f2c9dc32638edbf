"""Whether ``mlflow.spark`` can save and load Spark ML models with the current session.

``mlflow.spark`` moves a Spark ML model between the driver's disk and Spark's file system through the JVM's
Hadoop ``FileSystem`` (py4j). A Spark Connect client has no JVM, so outside Databricks (where MLflow uses a
Unity Catalog volume or the DBFS FUSE mount instead) that fails deep inside MLflow with
``'NoneType' object has no attribute 'jvm'``. :func:`require_mlflow_spark` turns that into a clear
:class:`~spark_mlops.errors.SparkConnectUnsupportedError` before any work is done.
"""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql.utils import is_remote

from spark_mlops.errors import SparkConnectUnsupportedError
from spark_mlops.spark import is_connect

__all__ = ["require_mlflow_spark", "spark_model_requirements"]


def spark_model_requirements() -> list[str]:
    """The pip requirements to save with a Spark ML model (pyspark and mlflow at the running versions).

    Passed explicitly to ``mlflow.spark.save_model``: without them MLflow infers the requirements by loading
    the saved model again in a new Python process with a SparkSession of its own (a new JVM), which costs
    more than fitting a small model.
    """
    import mlflow
    import pyspark

    return [f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}"]


def require_mlflow_spark(spark: SparkSession | None, feature: str, alternative: str) -> None:
    """Raise when ``mlflow.spark`` would need a JVM that this process does not have.

    Args:
        spark: The session the model is used with; ``None`` when the caller has none (then pyspark's own
            Connect switch, ``is_remote()``, decides, as it does for ``pyspark.ml``).
        feature: What the caller was asked to do (named in the message).
        alternative: What works over Spark Connect instead (named in the message).

    Raises:
        SparkConnectUnsupportedError: a Spark Connect session outside a Databricks runtime.
    """
    connect = is_remote() if spark is None else is_connect(spark)
    if not connect:
        return
    from mlflow.utils.databricks_utils import is_in_databricks_runtime

    if is_in_databricks_runtime():
        return
    raise SparkConnectUnsupportedError(
        f"{feature}: mlflow.spark needs the JVM (py4j) to move Spark ML models to and from Spark's file "
        f"system, and a Spark Connect session has none; {alternative}"
    )
