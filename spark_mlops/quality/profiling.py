"""Column profiling (Deequ's ``ColumnProfilerRunner``) in a fixed number of Spark jobs.

``ColumnProfilerRunner(spark).on_data(df).run()`` profiles every column in **two Spark jobs up to 100
aggregates (about 16 numeric columns), one more per further 100** (codegen'd chunks, docs/profiling.md):
one aggregation (completeness, HLL distinct count, numeric moments and a
KLL sketch per numeric column, and for string columns the counts of integral / fractional / boolean /
other values by regular expression) and, only when some column has few enough distinct values, one
stacked group-by for the histograms. Deequ runs three passes (generic, numeric, histograms); the
numeric pass is folded into the first here because the types come from the schema.

Semantics (Deequ): completeness = non-NULL ÷ rows; population standard deviation; string type
inference — ``"2"`` Integral, ``"1.0"``/``"1e-3"`` Fractional, ``"true"``/``"false"`` Boolean, NULL
Unknown; a column is String when any value is, Boolean+numbers is String, else Fractional over
Integral. Histograms (columns with ≤ ``low_cardinality_histogram_threshold`` distinct values) count NULL
in a ``NullValue`` bin and divide by all rows. Percentiles are 1 %..100 % read from the KLL sketch
(rank error ≈ 1.65 % at k = 200).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from pyspark.sql import DataFrame, SparkSession

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.quality.analyzers.base import sql_column, sql_string
from spark_mlops.quality.profiles.distributions import CategoricalDistribution, NumericDistribution
from spark_mlops.quality.profiles.profile import inferred_type, profile_columns

__all__ = ["ColumnProfile", "ColumnProfilerRunner", "ColumnProfiles", "infer_string_type"]

# Deequ's DataType patterns (the semantics, written here independently).
_INTEGRAL = r"^\s*[-+]?\d+\s*$"
_FRACTIONAL = r"^\s*[-+]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)\s*$"
_BOOLEAN = r"^\s*(?i:true|false)\s*$"
NULL_VALUE = "NullValue"


def infer_string_type(counts: dict[str, int]) -> str:
    """Deequ's type decision from value-type counts (keys Integral/Fractional/Boolean/String/Unknown)."""
    if counts.get("String", 0) > 0:
        return "String"
    numbers = counts.get("Integral", 0) + counts.get("Fractional", 0)
    if counts.get("Boolean", 0) > 0:
        return "String" if numbers else "Boolean"
    if counts.get("Fractional", 0) > 0:
        return "Fractional"
    if counts.get("Integral", 0) > 0:
        return "Integral"
    return "Unknown"


@dataclass(frozen=True)
class ColumnProfile:
    """Profile of one column (Deequ's ``StandardColumnProfile``/``NumericColumnProfile`` merged).

    Numeric fields are None for non-numeric columns; ``histogram`` is None above the threshold.
    """

    column: str
    completeness: float
    approximate_num_distinct_values: int
    data_type: str
    is_data_type_inferred: bool
    type_counts: dict[str, int]
    histogram: dict[str, tuple[int, float]] | None
    mean: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    sum: float | None = None
    std_dev: float | None = None
    approx_percentiles: tuple[float, ...] | None = None


@dataclass(frozen=True)
class ColumnProfiles:
    """All column profiles and the row count."""

    profiles: dict[str, ColumnProfile]
    num_records: int

    def __getitem__(self, column: str) -> ColumnProfile:
        return self.profiles[column]


def _opt(value: float) -> float | None:
    return None if math.isnan(value) else value


def _percentiles(d: NumericDistribution) -> tuple[float, ...] | None:
    if d.count == 0 or len(d.points) == 0:
        return None
    cum = np.cumsum(d.weights) / np.sum(d.weights)
    idx = np.searchsorted(cum, np.arange(1, 101) / 100.0 - 1e-12, side="left")
    return tuple(float(d.points[min(i, len(d.points) - 1)]) for i in idx)


@dataclass(frozen=True)
class ColumnProfilerRunner:
    """Immutable builder: ``ColumnProfilerRunner(spark).on_data(df).run()``."""

    spark: SparkSession
    data: DataFrame | None = None
    columns: tuple[str, ...] | None = None
    histogram_threshold: int = 120
    sketch_k: int = 200

    def on_data(self, df: DataFrame) -> ColumnProfilerRunner:
        """Profile ``df``."""
        return replace(self, data=df)

    def restrict_to_columns(self, columns: Sequence[str]) -> ColumnProfilerRunner:
        """Profile only these columns."""
        return replace(self, columns=tuple(columns))

    def with_low_cardinality_histogram_threshold(self, threshold: int) -> ColumnProfilerRunner:
        """Histograms for columns with at most ``threshold`` distinct values (Deequ default 120)."""
        if threshold < 0:
            raise InvalidArgumentError(f"threshold: expected a non-negative number, got {threshold}")
        return replace(self, histogram_threshold=threshold)

    def run(self) -> ColumnProfiles:
        """Profile the data: 2 Spark jobs up to 100 aggregates, one more per further 100."""
        if self.data is None:
            raise InvalidArgumentError("data: call on_data(df) before run()")
        df = self.data
        if self.columns is not None:
            missing = [c for c in self.columns if c not in df.columns]
            if missing:
                raise ColumnNotFoundError(f"columns: {missing} not in the data (has {df.columns})")
        wanted = self.columns if self.columns is not None else tuple(df.columns)
        # Dates, timestamps, arrays, … are not profiled (no numeric or categorical summary applies).
        columns = [
            f.name for f in df.schema.fields if f.name in wanted and inferred_type(f.dataType) != "Unknown"
        ]
        strings = [
            f.name for f in df.schema.fields if f.name in columns and f.dataType.simpleString() == "string"
        ]
        # SQL text, not pyspark.sql.functions: no Py4J round trips per column (docs/profiling.md).
        extra: dict[str, str] = {}
        for i, name in enumerate(strings):
            c = sql_column(name)
            extra[f"x_int{i}"] = f"count_if({c} RLIKE {sql_string(_INTEGRAL)})"
            extra[f"x_frac{i}"] = f"count_if({c} RLIKE {sql_string(_FRACTIONAL)})"
            extra[f"x_bool{i}"] = f"count_if({c} RLIKE {sql_string(_BOOLEAN)})"
        profile = profile_columns(
            df,
            columns,
            exact_max_rows=0,
            sketch_k=self.sketch_k,
            max_categories=max(self.histogram_threshold, 1),
            numeric_distinct=True,
            label="column profiler",
            extra=extra,
            probe_rows=0,  # job 1 reads every string column for its type counts anyway
        )
        n = profile.row_count
        out: dict[str, ColumnProfile] = {}
        for name, d in profile.columns.items():
            approx = profile.approx_distinct.get(name, d.distinct or 0)
            completeness = d.completeness if n else math.nan
            histogram = None
            exact_table = isinstance(d, CategoricalDistribution) and not d.truncated
            exact_table = exact_table or (isinstance(d, NumericDistribution) and d.exact)
            if exact_table and (d.distinct or 0) <= self.histogram_threshold and n:
                counts = {k: int(v) for k, v in d.value_counts().items()}
                if d.missing:
                    counts[NULL_VALUE] = d.missing
                histogram = {k: (v, v / n) for k, v in counts.items()}
            if name in strings:
                i = strings.index(name)
                ints, fracs = int(profile.extra[f"x_int{i}"]), int(profile.extra[f"x_frac{i}"])
                bools = int(profile.extra[f"x_bool{i}"])
                type_counts = {
                    "Integral": ints,
                    "Fractional": fracs,
                    "Boolean": bools,
                    "String": d.count - ints - fracs - bools,
                    "Unknown": d.missing,
                }
                out[name] = ColumnProfile(
                    name, completeness, approx, infer_string_type(type_counts), True, type_counts, histogram
                )
            elif isinstance(d, NumericDistribution):
                out[name] = ColumnProfile(
                    name,
                    completeness,
                    approx,
                    profile.types[name],
                    False,
                    {},
                    histogram,
                    mean=_opt(d.mean),
                    minimum=_opt(d.minimum),
                    maximum=_opt(d.maximum),
                    sum=d.total if d.count else None,
                    std_dev=_opt(d.std),
                    approx_percentiles=_percentiles(d),
                )
            else:
                kind = (
                    "Boolean" if df.schema[name].dataType.simpleString() == "boolean" else profile.types[name]
                )
                out[name] = ColumnProfile(name, completeness, approx, kind, False, {}, histogram)
        return ColumnProfiles(out, n)
