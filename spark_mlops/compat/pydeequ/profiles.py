"""PyDeequ's ``pydeequ.profiles``: ``ColumnProfilerRunner(spark).onData(df).run()`` on our profiler, with
PyDeequ's result shape (``result.profiles[column].completeness``, ``.approximateNumDistinctValues``,
``.dataType``, ``.mean``, ``.stdDev``, ...)."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.quality.profiling import ColumnProfile as NativeColumnProfile
from spark_mlops.quality.profiling import ColumnProfilerRunner as NativeColumnProfilerRunner
from spark_mlops.quality.profiling import ColumnProfiles

__all__ = ["ColumnProfile", "ColumnProfileRunBuilder", "ColumnProfilerRunner", "ColumnProfilesResult"]


class ColumnProfile:
    """PyDeequ's ``StandardColumnProfile``/``NumericColumnProfile`` view of one native profile.

    Attributes:
        native: Our :class:`~spark_mlops.quality.profiling.ColumnProfile`.
    """

    def __init__(self, native: NativeColumnProfile) -> None:
        self.native = native

    column = property(lambda self: self.native.column, doc="The column name.")
    completeness = property(lambda self: self.native.completeness, doc="Non-NULL share.")
    approximateNumDistinctValues = property(
        lambda self: self.native.approximate_num_distinct_values, doc="HLL distinct count."
    )
    dataType = property(lambda self: self.native.data_type, doc="Schema or inferred type.")
    isDataTypeInferred = property(lambda self: self.native.is_data_type_inferred, doc="Inferred from text.")
    typeCounts = property(lambda self: self.native.type_counts, doc="Value counts per inferred type.")
    histogram = property(lambda self: self.native.histogram, doc="value -> (count, ratio), or None.")
    mean = property(lambda self: self.native.mean, doc="Mean (numeric columns).")
    minimum = property(lambda self: self.native.minimum, doc="Minimum (numeric columns).")
    maximum = property(lambda self: self.native.maximum, doc="Maximum (numeric columns).")
    sum = property(lambda self: self.native.sum, doc="Sum (numeric columns).")
    stdDev = property(lambda self: self.native.std_dev, doc="Population std (numeric columns).")
    approxPercentiles = property(lambda self: self.native.approx_percentiles, doc="1 %..100 % (KLL).")

    def __repr__(self) -> str:
        return f"ColumnProfile({self.native!r})"


class ColumnProfilesResult:
    """The result of ``run()``: ``profiles`` maps each column to its :class:`ColumnProfile`."""

    def __init__(self, native: ColumnProfiles) -> None:
        self.native = native
        self.profiles = {name: ColumnProfile(p) for name, p in native.profiles.items()}
        self.numRecords = native.num_records


class ColumnProfileRunBuilder:
    """PyDeequ's ``ColumnProfilerRunBuilder``; each call updates the builder and returns it."""

    def __init__(self, spark_session: SparkSession, df: DataFrame) -> None:
        self._runner = NativeColumnProfilerRunner(spark_session).on_data(df)

    def restrictToColumns(self, restrict: Sequence[str]) -> ColumnProfileRunBuilder:
        """Profile only these columns."""
        self._runner = self._runner.restrict_to_columns(restrict)
        return self

    def withLowCardinalityHistogramThreshold(
        self, lowCardinalityHistogramThreshold: int
    ) -> ColumnProfileRunBuilder:
        """Histograms for columns with at most this many distinct values (default 120)."""
        self._runner = self._runner.with_low_cardinality_histogram_threshold(lowCardinalityHistogramThreshold)
        return self

    def run(self) -> ColumnProfilesResult:
        """Profile the data (at most two Spark jobs)."""
        return ColumnProfilesResult(self._runner.run())


class ColumnProfilerRunner:
    """PyDeequ's ``ColumnProfilerRunner(spark_session)``: ``.onData(df)`` starts a run."""

    def __init__(self, spark_session: SparkSession) -> None:
        self._spark = spark_session

    def onData(self, df: DataFrame) -> ColumnProfileRunBuilder:
        """Profile ``df``."""
        return ColumnProfileRunBuilder(self._spark, df)
