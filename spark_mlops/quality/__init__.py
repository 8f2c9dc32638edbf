"""Data quality: analyzers with mergeable states fused into the fewest Spark jobs, metrics, checks and
verification.
"""

from __future__ import annotations

from spark_mlops.quality.engine import compute_metrics, compute_states
from spark_mlops.quality.metrics import Distribution, DistributionValue, Entity, Metric
from spark_mlops.quality.runner import AnalysisRunner, AnalyzerContext

__all__ = [
    "AnalysisRunner",
    "AnalyzerContext",
    "Distribution",
    "DistributionValue",
    "Entity",
    "Metric",
    "compute_metrics",
    "compute_states",
]
