"""The dataset-level half of the Check vocabulary: size, statistics, lengths, quantiles, distinct
counts, histograms, entropy, mutual information, correlation and data types. These judge a metric of
the whole dataset, so they have no row-level result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import (
    Analyzer,
    ApproxCountDistinct,
    ApproxQuantile,
    Correlation,
    DataType,
    Distinctness,
    Entropy,
    Histogram,
    Maximum,
    MaxLength,
    Mean,
    Minimum,
    MinLength,
    MutualInformation,
    Size,
    StandardDeviation,
    Sum,
    UniqueValueRatio,
)
from spark_mlops.quality.checks._builder import (
    ConstraintBuilder,
    assertion_arg,
    column_arg,
    columns_arg,
    hint_arg,
    label,
    number_arg,
)
from spark_mlops.quality.checks.constraints import Constraint
from spark_mlops.quality.metrics import Distribution, MetricValue

if TYPE_CHECKING:
    from spark_mlops.quality.checks.check import Check

__all__ = ["ConstrainableDataType", "MetricConstraints"]

Assertion = Callable[[float], bool]


class ConstrainableDataType(str, Enum):
    """Types ``has_data_type`` can assert on (Deequ's ConstrainableDataTypes)."""

    NULL = "Null"
    FRACTIONAL = "Fractional"
    INTEGRAL = "Integral"
    BOOLEAN = "Boolean"
    STRING = "String"
    NUMERIC = "Numeric"


# DataType metric keys counted for each constrainable type (NULL values are the "Unknown" type).
_TYPE_KEYS = {
    ConstrainableDataType.NULL: ("Unknown",),
    ConstrainableDataType.FRACTIONAL: ("Fractional",),
    ConstrainableDataType.INTEGRAL: ("Integral",),
    ConstrainableDataType.BOOLEAN: ("Boolean",),
    ConstrainableDataType.STRING: ("String",),
    ConstrainableDataType.NUMERIC: ("Fractional", "Integral"),
}


def _ratio_of(data_type: ConstrainableDataType) -> Callable[[MetricValue], float]:
    def pick(value: MetricValue) -> float:
        counts = value if isinstance(value, dict) else {}
        total = sum(counts.values())
        if total == 0:
            raise ValueError("no values in scope to infer a data type from")
        return sum(counts.get(k, 0.0) for k in _TYPE_KEYS[data_type]) / total

    return pick


def _bins(value: MetricValue) -> int:
    assert isinstance(value, Distribution)
    return value.number_of_bins


def _as_int(value: MetricValue) -> int:
    return int(value)  # type: ignore[arg-type]


class MetricConstraints(ConstraintBuilder):
    """Constraints on dataset-level metrics."""

    def _metric(
        self,
        kind: str,
        analyzer: Analyzer,
        assertion: Any,
        hint: str | None,
        method: str,
        parts: Sequence[str],
        pick: Callable[[MetricValue], Any] | None = None,
        default_one: bool = False,
        empty_where_succeeds: bool = False,
    ) -> Check:
        constraint = Constraint(
            kind=kind,
            analyzer=analyzer,
            assertion=assertion_arg(assertion, default_one=default_one),
            label=label(method, *parts),
            hint=hint_arg(hint),
            empty_where_succeeds=empty_where_succeeds,
        )
        if pick is not None:
            constraint = dataclasses.replace(constraint, pick=pick)
        return self._add(constraint)

    def has_size(self, assertion: Callable[[int], bool], hint: str | None = None) -> Check:
        """The number of rows (an int) satisfies ``assertion``, e.g. ``lambda n: n >= 3_000_000``."""
        return self._metric("Size", Size(), assertion, hint, "has_size", (), pick=_as_int)

    def has_min(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The minimum of ``column`` (NULL ignored) satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric(
            "Minimum", Minimum(col), assertion, hint, "has_min", (col,), empty_where_succeeds=True
        )

    def has_max(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The maximum of ``column`` (NULL ignored) satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric(
            "Maximum", Maximum(col), assertion, hint, "has_max", (col,), empty_where_succeeds=True
        )

    def has_mean(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The mean of ``column`` (NULL ignored) satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric("Mean", Mean(col), assertion, hint, "has_mean", (col,))

    def has_sum(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The sum of ``column`` (NULL ignored) satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric("Sum", Sum(col), assertion, hint, "has_sum", (col,))

    def has_standard_deviation(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The population standard deviation of ``column`` satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric(
            "StandardDeviation", StandardDeviation(col), assertion, hint, "has_standard_deviation", (col,)
        )

    def has_min_length(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The shortest string length of ``column`` satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric("MinLength", MinLength(col), assertion, hint, "has_min_length", (col,))

    def has_max_length(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The longest string length of ``column`` satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric("MaxLength", MaxLength(col), assertion, hint, "has_max_length", (col,))

    def has_approx_quantile(
        self, column: str, quantile: float, assertion: Assertion, hint: str | None = None
    ) -> Check:
        """The approximate ``quantile`` (KLL sketch, a data value) of ``column`` satisfies ``assertion``."""
        col = column_arg(column)
        q = number_arg(quantile, "quantile")
        if not 0.0 <= q <= 1.0:
            raise InvalidArgumentError(f"quantile: expected a value in [0, 1], got {quantile!r}")
        return self._metric(
            "ApproxQuantile", ApproxQuantile(col, q), assertion, hint, "has_approx_quantile", (col,)
        )

    def has_approx_count_distinct(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The approximate number of distinct non-NULL values (HLL sketch) satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric(
            "ApproxCountDistinct",
            ApproxCountDistinct(col),
            assertion,
            hint,
            "has_approx_count_distinct",
            (col,),
        )

    def has_number_of_distinct_values(
        self, column: str, assertion: Callable[[int], bool], max_bins: int = 1000, hint: str | None = None
    ) -> Check:
        """The number of distinct values of ``column`` (NULL counts as a value) satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric(
            "Histogram",
            Histogram(col, max_bins),
            assertion,
            hint,
            "has_number_of_distinct_values",
            (col,),
            pick=_bins,
        )

    def has_histogram_values(
        self,
        column: str,
        assertion: Callable[[Distribution], bool],
        max_bins: int = 1000,
        hint: str | None = None,
    ) -> Check:
        """``assertion`` holds for the histogram of ``column`` (a Distribution; ``d["US"].ratio``)."""
        col = column_arg(column)
        return self._metric(
            "Histogram", Histogram(col, max_bins), assertion, hint, "has_histogram_values", (col,)
        )

    def has_entropy(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The entropy (natural log) of ``column``'s value distribution satisfies ``assertion``."""
        col = column_arg(column)
        return self._metric("Entropy", Entropy(col), assertion, hint, "has_entropy", (col,))

    def has_mutual_information(
        self, column_a: str, column_b: str, assertion: Assertion, hint: str | None = None
    ) -> Check:
        """The mutual information (natural log) of the two columns satisfies ``assertion``."""
        a, b = column_arg(column_a, "column_a"), column_arg(column_b, "column_b")
        return self._metric(
            "MutualInformation", MutualInformation((a, b)), assertion, hint, "has_mutual_information", (a, b)
        )

    def has_correlation(
        self, column_a: str, column_b: str, assertion: Assertion, hint: str | None = None
    ) -> Check:
        """The Pearson correlation of the columns (rows where both are non-NULL) satisfies ``assertion``."""
        a, b = column_arg(column_a, "column_a"), column_arg(column_b, "column_b")
        return self._metric("Correlation", Correlation(a, b), assertion, hint, "has_correlation", (a, b))

    def has_distinctness(
        self, columns: str | Sequence[str], assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Distinct groups ÷ rows (all-NULL groups dropped) satisfies ``assertion`` (default ``== 1.0``)."""
        cols = columns_arg(columns)
        return self._metric(
            "Distinctness", Distinctness(cols), assertion, hint, "has_distinctness", cols, default_one=True
        )

    def has_unique_value_ratio(
        self, columns: str | Sequence[str], assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Groups seen once ÷ distinct groups satisfies ``assertion`` (default ``== 1.0``)."""
        cols = columns_arg(columns)
        return self._metric(
            "UniqueValueRatio",
            UniqueValueRatio(cols),
            assertion,
            hint,
            "has_unique_value_ratio",
            cols,
            default_one=True,
        )

    def has_data_type(
        self,
        column: str,
        data_type: ConstrainableDataType | str,
        assertion: Assertion | None = None,
        hint: str | None = None,
    ) -> Check:
        """The share of values of ``column`` whose text looks like ``data_type`` satisfies ``assertion``
        (default ``== 1.0``). ``Numeric`` = Fractional + Integral; ``Null`` = NULL values."""
        col = column_arg(column)
        try:
            dtype = ConstrainableDataType(data_type.title() if isinstance(data_type, str) else data_type)
        except ValueError:
            names = ", ".join(t.value for t in ConstrainableDataType)
            raise InvalidArgumentError(f"data_type: expected one of {names}, got {data_type!r}") from None
        return self._metric(
            "DataType",
            DataType(col),
            assertion,
            hint,
            "has_data_type",
            (col, dtype.value),
            pick=_ratio_of(dtype),
            default_one=True,
        )
