"""Monitoring: data baselines, drift and violations; model quality, bias and attribution drift.

Shared package: each name comes from the module that owns it (drift/baseline/violations/monitor
tables — data monitoring; model_quality/bias/attribution/report — model monitoring).
"""

from __future__ import annotations

from spark_mlops.monitoring.attribution import attribution_drift
from spark_mlops.monitoring.bias import bias_metrics
from spark_mlops.monitoring.drift import DriftResult, compute_drift
from spark_mlops.monitoring.model_quality import model_quality

__all__ = [
    "DriftResult",
    "attribution_drift",
    "bias_metrics",
    "compute_drift",
    "model_quality",
]
