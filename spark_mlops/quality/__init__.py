"""Data quality: analyzers with mergeable states fused into the fewest Spark jobs, metrics, checks and
verification.
"""

from __future__ import annotations

from spark_mlops.quality.anomaly_check import AnomalyCheckConfig
from spark_mlops.quality.checks import Check, CheckLevel, CheckResult, CheckStatus, ConstraintStatus
from spark_mlops.quality.engine import compute_metrics, compute_states
from spark_mlops.quality.incremental import DeltaStateRepository, IncrementalInfo
from spark_mlops.quality.metrics import Distribution, DistributionValue, Entity, Metric
from spark_mlops.quality.profiling import ColumnProfilerRunner
from spark_mlops.quality.repository import (
    DeltaMetricsRepository,
    FileSystemMetricsRepository,
    InMemoryMetricsRepository,
    ResultKey,
)
from spark_mlops.quality.runner import AnalysisRunner, AnalyzerContext
from spark_mlops.quality.suggestions import ConstraintSuggestionRunner
from spark_mlops.quality.verification import VerificationResult, VerificationSuite

__all__ = [
    "AnalysisRunner",
    "AnalyzerContext",
    "AnomalyCheckConfig",
    "Check",
    "CheckLevel",
    "CheckResult",
    "CheckStatus",
    "ColumnProfilerRunner",
    "ConstraintStatus",
    "ConstraintSuggestionRunner",
    "DeltaMetricsRepository",
    "DeltaStateRepository",
    "Distribution",
    "DistributionValue",
    "Entity",
    "FileSystemMetricsRepository",
    "InMemoryMetricsRepository",
    "IncrementalInfo",
    "Metric",
    "ResultKey",
    "VerificationResult",
    "VerificationSuite",
    "compute_metrics",
    "compute_states",
]
