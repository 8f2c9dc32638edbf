"""Metric repositories: the durable history of every run's metrics (in memory, a JSON file, Delta)."""

from spark_mlops.quality.repository.base import LoadQuery, MetricsRepository, MetricsRepositoryLoader
from spark_mlops.quality.repository.delta_repository import DELTA_REPOSITORY_SCHEMA, DeltaMetricsRepository
from spark_mlops.quality.repository.file_system import FileSystemMetricsRepository
from spark_mlops.quality.repository.in_memory import InMemoryMetricsRepository
from spark_mlops.quality.repository.records import AnalysisResult, MetricRecord
from spark_mlops.quality.repository.result_key import ResultKey

__all__ = [
    "DELTA_REPOSITORY_SCHEMA",
    "AnalysisResult",
    "DeltaMetricsRepository",
    "FileSystemMetricsRepository",
    "InMemoryMetricsRepository",
    "LoadQuery",
    "MetricRecord",
    "MetricsRepository",
    "MetricsRepositoryLoader",
    "ResultKey",
]
