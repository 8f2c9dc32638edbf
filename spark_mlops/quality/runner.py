"""AnalysisRunner: run a set of analyzers on a DataFrame or a Delta table version, get their metrics.

Example:
    >>> ctx = (AnalysisRunner(spark).on_data(df)
    ...        .add_analyzers([Size(), Completeness("review_id"), Uniqueness("review_id")])
    ...        .run())
    >>> ctx.metric(Size()).value
    3000000.0
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.delta import TableVersion, read_delta_versioned
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers.base import Analyzer
from spark_mlops.quality.engine import compute_metrics
from spark_mlops.quality.metrics import Metric

__all__ = ["METRICS_SCHEMA", "AnalysisRunner", "AnalyzerContext"]

#: Schema of :meth:`AnalyzerContext.success_metrics_as_dataframe` (Deequ's column names).
METRICS_SCHEMA = "entity string, instance string, name string, value double"


@dataclass(frozen=True)
class AnalyzerContext:
    """The metrics of one analysis run, keyed by analyzer.

    Attributes:
        metric_map: Analyzer → Metric (a value or a failure), in the order the analyzers were added.
        source: The Delta table version analyzed, when the data came from :meth:`AnalysisRunner.on_delta`.
    """

    metric_map: dict[Analyzer, Metric] = field(default_factory=dict)
    source: TableVersion | None = None

    def metric(self, analyzer: Analyzer) -> Metric:
        """The metric of ``analyzer``.

        Raises:
            InvalidArgumentError: the analyzer was not part of the run.
        """
        try:
            return self.metric_map[analyzer]
        except KeyError:
            raise InvalidArgumentError(f"analyzer: {analyzer!r} was not part of this analysis") from None

    def all_metrics(self) -> list[Metric]:
        """All metrics, failures included."""
        return list(self.metric_map.values())

    def success_metrics(self) -> list[Metric]:
        """Successful metrics flattened to scalars (histograms and keyed metrics expanded)."""
        return [flat for m in self.metric_map.values() if m.is_success for flat in m.flatten()]

    def success_metrics_as_json(self) -> list[dict[str, Any]]:
        """Successful scalar metrics as ``{"entity", "instance", "name", "value"}`` dicts."""
        return [
            {"entity": m.entity.value, "instance": m.instance, "name": m.name, "value": float(m.value)}  # type: ignore[arg-type]
            for m in self.success_metrics()
        ]

    def success_metrics_as_dataframe(self, spark: SparkSession) -> DataFrame:
        """Successful scalar metrics as a DataFrame (entity, instance, name, value)."""
        rows = [(r["entity"], r["instance"], r["name"], r["value"]) for r in self.success_metrics_as_json()]
        return spark.createDataFrame(rows, METRICS_SCHEMA)

    def __add__(self, other: AnalyzerContext) -> AnalyzerContext:
        """Both contexts' metrics (``other`` wins on the same analyzer)."""
        return AnalyzerContext({**self.metric_map, **other.metric_map}, other.source or self.source)


@dataclass(frozen=True)
class AnalysisRunner:
    """Immutable builder of an analysis run; every call returns a new runner.

    Args:
        spark: The SparkSession (used for Delta reads and result DataFrames).
    """

    spark: SparkSession
    _data: DataFrame | None = None
    _source: TableVersion | None = None
    _analyzers: tuple[Analyzer, ...] = ()

    def on_data(self, df: DataFrame) -> AnalysisRunner:
        """Analyze ``df``."""
        if not isinstance(df, DataFrame):
            raise InvalidArgumentError(f"df: expected a Spark DataFrame, got {type(df).__name__}")
        return dataclasses.replace(self, _data=df, _source=None)

    def on_delta(self, table: str | os.PathLike[str], version: int | None = None) -> AnalysisRunner:
        """Analyze a Delta table (path or name) at ``version`` (default newest) and record that version.

        Raises:
            DeltaTableNotFoundError, DeltaVersionError: the table or version does not exist.
        """
        df, source = read_delta_versioned(self.spark, table, version=version)
        return dataclasses.replace(self, _data=df, _source=source)

    def add_analyzer(self, analyzer: Analyzer) -> AnalysisRunner:
        """Add one analyzer (duplicates are computed once)."""
        if not isinstance(analyzer, Analyzer):
            raise InvalidArgumentError(f"analyzer: expected an Analyzer, got {analyzer!r}")
        return dataclasses.replace(self, _analyzers=(*self._analyzers, analyzer))

    def add_analyzers(self, analyzers: Iterable[Analyzer]) -> AnalysisRunner:
        """Add several analyzers."""
        runner = self
        for analyzer in analyzers:
            runner = runner.add_analyzer(analyzer)
        return runner

    def run(self) -> AnalyzerContext:
        """Compute every metric: one Spark job for all scan-shareable analyzers plus one per grouping.

        Raises:
            InvalidArgumentError: no data was given.
        """
        if self._data is None:
            raise InvalidArgumentError(
                "on_data/on_delta: no data to analyze; call on_data(df) or on_delta(table)"
            )
        metrics = compute_metrics(self._data, self._analyzers)
        ordered = {a: metrics[a] for a in dict.fromkeys(self._analyzers)}
        return AnalyzerContext(ordered, self._source)
