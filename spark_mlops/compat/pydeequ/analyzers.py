"""PyDeequ's ``pydeequ.analyzers`` on our engine: analyzer constructors with PyDeequ's argument names,
``AnalysisRunner`` and ``AnalyzerContext``.

Each constructor returns our own analyzer (the same object the native API builds), so metrics, repository
records and equality are exactly those of :mod:`spark_mlops.quality.analyzers`.

Example (PyDeequ code; only the import changed):
    >>> from spark_mlops.compat.pydeequ.analyzers import AnalysisRunner, AnalyzerContext, Size, Completeness
    >>> ctx = AnalysisRunner(spark).onData(df).addAnalyzer(Size()).addAnalyzer(Completeness("b")).run()
    >>> AnalyzerContext.successMetricsAsDataFrame(spark, ctx).show()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.compat.pydeequ._output import as_output, only_analyzers
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality import analyzers as native
from spark_mlops.quality.analyzers import Analyzer
from spark_mlops.quality.repository import MetricsRepository, ResultKey
from spark_mlops.quality.runner import AnalysisRunner as NativeAnalysisRunner
from spark_mlops.quality.runner import AnalyzerContext as NativeAnalyzerContext

__all__ = [
    "AnalysisRunBuilder",
    "AnalysisRunner",
    "AnalyzerContext",
    "ApproxCountDistinct",
    "ApproxQuantile",
    "ApproxQuantiles",
    "Completeness",
    "Compliance",
    "Correlation",
    "CountDistinct",
    "DataType",
    "Distinctness",
    "Entropy",
    "Histogram",
    "MaxLength",
    "Maximum",
    "Mean",
    "MinLength",
    "Minimum",
    "MutualInformation",
    "PatternMatch",
    "Size",
    "StandardDeviation",
    "Sum",
    "UniqueValueRatio",
    "Uniqueness",
]

# Analyzers whose PyDeequ arguments are already ours (column/columns, where): re-exported as they are.
Size = native.Size
Completeness = native.Completeness
Mean = native.Mean
Sum = native.Sum
Minimum = native.Minimum
Maximum = native.Maximum
MinLength = native.MinLength
MaxLength = native.MaxLength
StandardDeviation = native.StandardDeviation
ApproxCountDistinct = native.ApproxCountDistinct
CountDistinct = native.CountDistinct
DataType = native.DataType
Distinctness = native.Distinctness
Entropy = native.Entropy
MutualInformation = native.MutualInformation
Uniqueness = native.Uniqueness
UniqueValueRatio = native.UniqueValueRatio


def Compliance(instance: str, predicate: str, where: str | None = None) -> native.Compliance:
    """PyDeequ's ``Compliance(instance, predicate, where=None)``: share of rows where ``predicate`` holds."""
    return native.Compliance(instance, predicate, where)


def Correlation(column1: str, column2: str, where: str | None = None) -> native.Correlation:
    """PyDeequ's ``Correlation(column1, column2, where=None)``: Pearson correlation."""
    return native.Correlation(column1, column2, where)


def PatternMatch(column: str, pattern_regex: str, where: str | None = None) -> native.PatternMatch:
    """PyDeequ's ``PatternMatch(column, pattern_regex, where=None)``: share of values with a match."""
    return native.PatternMatch(column, pattern_regex, where)


def ApproxQuantile(
    column: str, quantile: float, relativeError: float = 0.01, where: str | None = None
) -> native.ApproxQuantile:
    """PyDeequ's ``ApproxQuantile(column, quantile, relativeError=0.01, where=None)``."""
    return native.ApproxQuantile(column, quantile, relativeError, where)


def ApproxQuantiles(
    column: str, quantiles: Sequence[float], relativeError: float = 0.01, where: str | None = None
) -> native.ApproxQuantiles:
    """PyDeequ's ``ApproxQuantiles(column, quantiles, relativeError=0.01)``."""
    return native.ApproxQuantiles(column, tuple(quantiles), relativeError, where)


def Histogram(
    column: str, binningUdf: Any = None, maxDetailBins: int | None = None, where: str | None = None
) -> native.Histogram:
    """PyDeequ's ``Histogram(column, binningUdf=None, maxDetailBins=None, where=None)``.

    Raises:
        InvalidArgumentError: a ``binningUdf`` is given (a JVM UDF in PyDeequ; bin the column in the
            DataFrame instead, e.g. ``df.withColumn("bin", ...)``, and histogram that column).
    """
    if binningUdf is not None:
        raise InvalidArgumentError(
            "binningUdf: not supported (PyDeequ passes a JVM function); add a binned column to the "
            "DataFrame and compute the Histogram of that column"
        )
    if maxDetailBins is None:
        return native.Histogram(column, where=where)
    return native.Histogram(column, maxDetailBins, where)


class AnalysisRunBuilder:
    """PyDeequ's ``AnalysisRunBuilder`` (from ``AnalysisRunner(spark).onData(df)``); each call updates the
    builder and returns it, as in PyDeequ."""

    def __init__(self, spark_session: SparkSession, df: DataFrame) -> None:
        self._spark = spark_session
        self._runner = NativeAnalysisRunner(spark_session).on_data(df)
        self._repository: MetricsRepository | None = None
        self._key: ResultKey | None = None

    def addAnalyzer(self, analyzer: Analyzer) -> AnalysisRunBuilder:
        """Add an analyzer."""
        self._runner = self._runner.add_analyzer(analyzer)
        return self

    def useRepository(self, repository: MetricsRepository) -> AnalysisRunBuilder:
        """Store the metrics of this run in ``repository`` (with :meth:`saveOrAppendResult`)."""
        if not isinstance(repository, MetricsRepository):
            raise InvalidArgumentError(f"repository: expected a metrics repository, got {repository!r}")
        self._repository = repository
        return self

    def saveOrAppendResult(self, resultKey: ResultKey) -> AnalysisRunBuilder:
        """Save the metrics under ``resultKey`` (adding to what is stored under it already)."""
        if not isinstance(resultKey, ResultKey):
            raise InvalidArgumentError(f"resultKey: expected a ResultKey, got {resultKey!r}")
        self._key = resultKey
        return self

    def run(self) -> NativeAnalyzerContext:
        """Run the analysis (one scan job plus one per grouping) and store it when a repository is set.

        Raises:
            InvalidArgumentError: ``saveOrAppendResult`` without ``useRepository``.
        """
        if self._key is not None and self._repository is None:
            raise InvalidArgumentError("saveOrAppendResult: call useRepository(repository) first")
        context = self._runner.run()
        if self._repository is not None and self._key is not None:
            self._repository.save(self._key, context)
        return context


class AnalysisRunner:
    """PyDeequ's ``AnalysisRunner(spark_session)``: ``.onData(df)`` starts a run."""

    def __init__(self, spark_session: SparkSession) -> None:
        self._spark = spark_session

    def onData(self, df: DataFrame) -> AnalysisRunBuilder:
        """Analyze ``df``."""
        return AnalysisRunBuilder(self._spark, df)


class AnalyzerContext:
    """PyDeequ's ``AnalyzerContext`` result views (static methods taking the result of ``run()``)."""

    @staticmethod
    def successMetricsAsDataFrame(
        spark_session: SparkSession,
        analyzerContext: NativeAnalyzerContext,
        forAnalyzers: Sequence[Analyzer] | None = None,
        pandas: bool = False,
    ) -> Any:
        """Successful metrics as a DataFrame with PyDeequ's columns entity, instance, name, value."""
        context = _context(analyzerContext, forAnalyzers)
        return as_output(context.success_metrics_as_dataframe(spark_session), pandas)

    @staticmethod
    def successMetricsAsJson(
        spark_session: SparkSession,
        analyzerContext: NativeAnalyzerContext,
        forAnalyzers: Sequence[Analyzer] | None = None,
    ) -> list[dict[str, Any]]:
        """Successful metrics as a list of ``{"entity", "instance", "name", "value"}`` dicts."""
        return _context(analyzerContext, forAnalyzers).success_metrics_as_json()


def _context(context: Any, for_analyzers: Sequence[Analyzer] | None) -> NativeAnalyzerContext:
    if not isinstance(context, NativeAnalyzerContext):
        raise InvalidArgumentError(
            f"analyzerContext: expected the result of AnalysisRunner(...).run(), got {type(context).__name__}"
        )
    return NativeAnalyzerContext(only_analyzers(context.metric_map, for_analyzers), context.source)
