"""Grouping analyzers: Uniqueness, Distinctness, UniqueValueRatio, CountDistinct, Entropy,
MutualInformation, Histogram.

Deequ semantics: rows whose grouping columns are *all* NULL are dropped (a partial NULL in a
multi-column group is a value); n = rows left after that and the ``where``. Histogram instead keeps NULL
as its own ``NullValue`` bin and divides by all rows in scope. Entropy uses the natural log.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from pyspark.sql.types import StructType

from spark_mlops.quality.analyzers.base import Analyzer, empty_state_message, has_column, normalize_columns
from spark_mlops.quality.analyzers.grouping import NULL_VALUE, FrequencyState, GroupSummary
from spark_mlops.quality.metrics import Distribution, DistributionValue, Entity, Metric

__all__ = [
    "MAX_DETAIL_BINS",
    "CountDistinct",
    "Distinctness",
    "Entropy",
    "GroupingAnalyzer",
    "Histogram",
    "MutualInformation",
    "UniqueValueRatio",
    "Uniqueness",
]

#: Deequ's limit on the detail bins a Histogram returns.
MAX_DETAIL_BINS = 1000


class GroupingAnalyzer(Analyzer):
    """An analyzer whose metric is a function of the per-group counts of its columns."""

    columns: tuple[str, ...]

    @property
    def grouping_columns(self) -> tuple[str, ...]:
        """The columns grouped on."""
        return self.columns

    @property
    def top_k(self) -> int:
        """How many of the largest groups (with values) the metric needs; 0 for none."""
        return 0

    @property
    def needs_mutual_information(self) -> bool:
        """Whether the metric needs the mutual-information term of two columns."""
        return False

    @property
    def entity(self) -> Entity:
        return Entity.COLUMN if len(self.grouping_columns) == 1 else Entity.MULTICOLUMN

    @property
    def instance(self) -> str:
        return ",".join(self.grouping_columns)

    def preconditions(self, schema: StructType) -> str | None:
        for name in self.grouping_columns:
            missing = has_column(schema, name)
            if missing:
                return missing
        return None

    def metric_from_summary(self, summary: GroupSummary) -> Metric:
        """The metric from the summary of this analyzer's grouping."""
        value = self._value_from_summary(summary)
        if value is None:
            return self.failure(empty_state_message(self))
        return self.success(value)

    @abstractmethod
    def _value_from_summary(self, summary: GroupSummary) -> float | Distribution | None:
        """The metric value (None for the empty-state failure)."""

    def _metric_value(self, state: FrequencyState) -> Metric:
        return self.metric_from_summary(state.summary(self.top_k, self.needs_mutual_information))


@dataclass(frozen=True, init=False)
class _ColumnsGrouping(GroupingAnalyzer):
    columns: tuple[str, ...]
    where: str | None = None

    def __init__(self, columns: str | Sequence[str], where: str | None = None) -> None:
        object.__setattr__(self, "columns", normalize_columns(columns))
        object.__setattr__(self, "where", where)


@dataclass(frozen=True, init=False)
class Uniqueness(_ColumnsGrouping):
    """Groups seen exactly once ÷ n."""

    name: ClassVar[str] = "Uniqueness"

    def _value_from_summary(self, summary: GroupSummary) -> float | None:
        return summary.num_singletons / summary.num_rows if summary.num_rows else None


@dataclass(frozen=True, init=False)
class Distinctness(_ColumnsGrouping):
    """Distinct groups ÷ n."""

    name: ClassVar[str] = "Distinctness"

    def _value_from_summary(self, summary: GroupSummary) -> float | None:
        return summary.num_groups / summary.num_rows if summary.num_rows else None


@dataclass(frozen=True, init=False)
class UniqueValueRatio(_ColumnsGrouping):
    """Groups seen exactly once ÷ distinct groups."""

    name: ClassVar[str] = "UniqueValueRatio"

    def _value_from_summary(self, summary: GroupSummary) -> float | None:
        return summary.num_singletons / summary.num_groups if summary.num_groups else None


@dataclass(frozen=True, init=False)
class CountDistinct(_ColumnsGrouping):
    """Exact number of distinct groups, NULL ignored (0.0 when all values are NULL)."""

    name: ClassVar[str] = "CountDistinct"

    def _value_from_summary(self, summary: GroupSummary) -> float:
        return float(summary.num_groups)


@dataclass(frozen=True, init=False)
class Entropy(GroupingAnalyzer):
    """Shannon entropy (natural log) of the value distribution of one column."""

    column: str
    where: str | None = None
    name: ClassVar[str] = "Entropy"

    def __init__(self, column: str, where: str | None = None) -> None:
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "where", where)

    @property
    def grouping_columns(self) -> tuple[str, ...]:
        return (self.column,)

    def _value_from_summary(self, summary: GroupSummary) -> float | None:
        n = summary.num_rows
        if n == 0:
            return None
        # −Σ (c/n)·ln(c/n) = ln n − Σ c·ln c / n
        return max(0.0, math.log(n) - summary.sum_c_ln_c / n)


@dataclass(frozen=True, init=False)
class MutualInformation(_ColumnsGrouping):
    """Mutual information (natural log) of exactly two columns; MI(X, X) = Entropy(X)."""

    name: ClassVar[str] = "MutualInformation"

    @property
    def needs_mutual_information(self) -> bool:
        return len(self.columns) == 2

    def preconditions(self, schema: StructType) -> str | None:
        if len(self.columns) != 2:
            got = f"{len(self.columns)}: {list(self.columns)}"
            return f"MutualInformation requires exactly 2 columns, but got {got}"
        return super().preconditions(schema)

    def _value_from_summary(self, summary: GroupSummary) -> float | None:
        n = summary.num_rows
        if n == 0 or summary.mi_term is None:
            return None
        # Σ (c/n)·ln(c·n / (c_x·c_y)) = Σ c·(ln c − ln c_x − ln c_y) / n + ln n
        return max(0.0, summary.mi_term / n + math.log(n))


@dataclass(frozen=True, init=False)
class Histogram(GroupingAnalyzer):
    """Value distribution of one column: NULL is the ``NullValue`` bin, ratios divide by all rows.

    At most ``max_detail_bins`` (≤ 1000) bins are returned, largest first; ``number_of_bins`` is the
    full distinct count including ``NullValue``.
    """

    column: str
    max_detail_bins: int = MAX_DETAIL_BINS
    where: str | None = None
    name: ClassVar[str] = "Histogram"

    def __init__(self, column: str, max_detail_bins: int = MAX_DETAIL_BINS, where: str | None = None) -> None:
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "max_detail_bins", max_detail_bins)
        object.__setattr__(self, "where", where)

    @property
    def grouping_columns(self) -> tuple[str, ...]:
        return (self.column,)

    @property
    def top_k(self) -> int:
        return self.max_detail_bins

    def preconditions(self, schema: StructType) -> str | None:
        if self.max_detail_bins > MAX_DETAIL_BINS:
            return f"Cannot return histogram values for more than {MAX_DETAIL_BINS} values"
        if self.max_detail_bins < 1:
            return f"max_detail_bins must be at least 1, but got {self.max_detail_bins}"
        return super().preconditions(schema)

    def _value_from_summary(self, summary: GroupSummary) -> Distribution:
        total = summary.num_rows + summary.null_rows
        bins = summary.num_groups + (1 if summary.null_rows else 0)
        values: dict[str, DistributionValue] = {}
        for key, count in (summary.top or ())[: self.max_detail_bins]:
            values[NULL_VALUE if key is None else key] = DistributionValue(count, count / total)
        return Distribution(values, bins)
