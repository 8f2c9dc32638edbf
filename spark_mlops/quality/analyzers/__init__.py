"""Analyzers: what to measure on a dataset, each with a mergeable state and a metric.

All are frozen dataclasses (hashable, equal when their specs are equal) with an optional SQL ``where``
filter. Run them with :class:`spark_mlops.quality.AnalysisRunner` or
:func:`spark_mlops.quality.engine.compute_metrics`, which fuse them into the fewest Spark jobs.
"""

from __future__ import annotations

from spark_mlops.quality.analyzers.base import Analyzer, ScanShareableAnalyzer, State
from spark_mlops.quality.analyzers.basic import Completeness, Compliance, PatternMatch, Size
from spark_mlops.quality.analyzers.datatype import DataType
from spark_mlops.quality.analyzers.frequency import (
    CountDistinct,
    Distinctness,
    Entropy,
    GroupingAnalyzer,
    Histogram,
    MutualInformation,
    Uniqueness,
    UniqueValueRatio,
)
from spark_mlops.quality.analyzers.grouping import FrequencyState, GroupSummary
from spark_mlops.quality.analyzers.numeric import (
    Correlation,
    Maximum,
    MaxLength,
    Mean,
    Minimum,
    MinLength,
    StandardDeviation,
    Sum,
)
from spark_mlops.quality.analyzers.sketches import (
    ApproxCountDistinct,
    ApproxQuantile,
    ApproxQuantiles,
    HllState,
    KllState,
)
from spark_mlops.quality.analyzers.states import (
    ComplianceState,
    CorrelationState,
    DataTypeState,
    MaxState,
    MeanState,
    MinState,
    NumMatches,
    NumMatchesAndCount,
    StandardDeviationState,
    SumState,
)

__all__ = [
    "Analyzer",
    "ApproxCountDistinct",
    "ApproxQuantile",
    "ApproxQuantiles",
    "Completeness",
    "Compliance",
    "ComplianceState",
    "Correlation",
    "CorrelationState",
    "CountDistinct",
    "DataType",
    "DataTypeState",
    "Distinctness",
    "Entropy",
    "FrequencyState",
    "GroupSummary",
    "GroupingAnalyzer",
    "Histogram",
    "HllState",
    "KllState",
    "MaxLength",
    "MaxState",
    "Maximum",
    "Mean",
    "MeanState",
    "MinLength",
    "MinState",
    "Minimum",
    "MutualInformation",
    "NumMatches",
    "NumMatchesAndCount",
    "PatternMatch",
    "ScanShareableAnalyzer",
    "Size",
    "StandardDeviation",
    "StandardDeviationState",
    "State",
    "Sum",
    "SumState",
    "UniqueValueRatio",
    "Uniqueness",
]
