"""Monitoring: data baselines, drift and violations; model quality, bias and attribution drift.

Shared package: each name comes from the module that owns it (drift/baseline/violations/monitor
tables — data monitoring; model_quality/bias/attribution/report — model monitoring).
"""

from __future__ import annotations

from spark_mlops.monitoring.attribution import AttributionDrift, attribution_drift, feature_attributions
from spark_mlops.monitoring.baseline import DataBaseline
from spark_mlops.monitoring.bias import BiasMetrics, bias_metrics
from spark_mlops.monitoring.drift import DriftResult, compute_drift
from spark_mlops.monitoring.model_quality import ModelQualityMetrics, merge_ground_truth, model_quality
from spark_mlops.monitoring.model_quality_constraints import (
    check_model_quality,
    suggest_model_quality_constraints,
)
from spark_mlops.monitoring.violations import check_violations

__all__ = [
    "AttributionDrift",
    "BiasMetrics",
    "DataBaseline",
    "DriftResult",
    "ModelQualityMetrics",
    "attribution_drift",
    "bias_metrics",
    "check_model_quality",
    "check_violations",
    "compute_drift",
    "feature_attributions",
    "merge_ground_truth",
    "model_quality",
    "suggest_model_quality_constraints",
]
