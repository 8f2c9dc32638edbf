"""PyDeequ's ``pydeequ.repository`` on our repositories: ``InMemoryMetricsRepository(spark)``,
``FileSystemMetricsRepository(spark, path)``, ``ResultKey(spark, dataSetDate, tags)`` and the camelCase
loader (``repository.load().before(ms).forAnalyzers([...]).getSuccessMetricsAsDataFrame()``).

The repositories *are* our repositories (subclasses that only add the session and the camelCase
loader), so they can be passed to the native API as well.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

from spark_mlops.compat.pydeequ._output import as_output
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import Analyzer
from spark_mlops.quality.repository import FileSystemMetricsRepository as NativeFileSystemRepository
from spark_mlops.quality.repository import InMemoryMetricsRepository as NativeInMemoryRepository
from spark_mlops.quality.repository import LoadQuery, MetricsRepositoryLoader
from spark_mlops.quality.repository import ResultKey as NativeResultKey
from spark_mlops.quality.runner import AnalyzerContext

__all__ = [
    "FileSystemMetricsRepository",
    "InMemoryMetricsRepository",
    "RepositoryLoader",
    "ResultKey",
]


class ResultKey:
    """PyDeequ's ``ResultKey(spark_session, dataSetDate=None, tags=None)``; builds our
    :class:`~spark_mlops.quality.repository.ResultKey` (``dataSetDate`` defaults to now, in ms)."""

    def __new__(  # type: ignore[misc]
        cls,
        spark_session: SparkSession | None,
        dataSetDate: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> NativeResultKey:
        date = ResultKey.current_milli_time() if dataSetDate is None else dataSetDate
        return NativeResultKey(date, dict(tags or {}))

    @staticmethod
    def current_milli_time() -> int:
        """Now, as epoch milliseconds."""
        return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class RepositoryLoader(MetricsRepositoryLoader):
    """PyDeequ's ``MetricsRepositoryMultipleResultsLoader``: our loader (so native code can use it) plus
    PyDeequ's camelCase filters and views; it remembers the session for the DataFrame view."""

    spark_session: SparkSession | None = None

    def withTagValues(self, tagValues: Mapping[str, str]) -> MetricsRepositoryLoader:
        """Keep results whose key has these tag values."""
        return self.with_tag_values(tagValues)

    def forAnalyzers(self, analyzers: Sequence[Analyzer]) -> MetricsRepositoryLoader:
        """Keep only the metrics of ``analyzers``."""
        return self.for_analyzers(analyzers)

    def getSuccessMetricsAsDataFrame(
        self, withTags: Sequence[str] | None = None, pandas: bool = False
    ) -> Any:
        """Metrics as a DataFrame: entity, instance, name, value, dataset_date and the tag columns."""
        spark = self.spark_session or SparkSession.getActiveSession()
        if spark is None:
            raise InvalidArgumentError("spark_session: the repository has no session and none is active")
        return as_output(self.get_success_metrics_as_dataframe(spark, withTags), pandas)

    def getSuccessMetricsAsJson(self, withTags: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Metrics as dicts: entity, instance, name, value, dataset_date and the tags."""
        return self.get_success_metrics_as_json(withTags)


class InMemoryMetricsRepository(NativeInMemoryRepository):
    """PyDeequ's ``InMemoryMetricsRepository(spark_session)``."""

    def __init__(self, spark_session: SparkSession) -> None:
        super().__init__()
        self.spark_session = spark_session

    def load(self) -> RepositoryLoader:
        """A loader over the stored results (with PyDeequ's camelCase methods)."""
        return RepositoryLoader(self, LoadQuery(), self.spark_session)

    def loadByKey(self, resultKey: NativeResultKey) -> AnalyzerContext | None:
        """The stored metrics of exactly ``resultKey``, or None."""
        return self.load_by_key(resultKey)


class FileSystemMetricsRepository(NativeFileSystemRepository):
    """PyDeequ's ``FileSystemMetricsRepository(spark_session, path=None)`` (a JSON file; without a path,
    ``metrics.json`` in a new temp folder, as PyDeequ's ``helper_metrics_file``)."""

    def __init__(self, spark_session: SparkSession, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(path if path is not None else self.helper_metrics_file(spark_session))
        self.spark_session = spark_session

    def load(self) -> RepositoryLoader:
        """A loader over the stored results (with PyDeequ's camelCase methods)."""
        return RepositoryLoader(self, LoadQuery(), self.spark_session)

    def loadByKey(self, resultKey: NativeResultKey) -> AnalyzerContext | None:
        """The stored metrics of exactly ``resultKey``, or None."""
        return self.load_by_key(resultKey)

    @staticmethod
    def helper_metrics_file(spark_session: SparkSession | None, filename: str = "metrics.json") -> str:
        """A path for a metrics file in a new temp folder."""
        return os.path.join(tempfile.mkdtemp(prefix="spark_mlops-metrics-"), filename)
