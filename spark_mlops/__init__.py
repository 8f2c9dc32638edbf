"""spark_mlops: a Spark-native data and model quality engine over Delta tables, logging to MLflow.

Start with :func:`get_spark` (reuses an active session on Databricks/EMR/spark-submit, else builds a
local one with Delta), then ``spark_mlops.quality`` for checks and ``spark_mlops.monitoring`` for
baselines, drift, model quality and bias.
"""

from __future__ import annotations

import logging

from spark_mlops.delta import TableVersion
from spark_mlops.errors import SparkMlopsError
from spark_mlops.spark import get_spark

__all__ = ["SparkMlopsError", "TableVersion", "__version__", "get_spark"]

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
