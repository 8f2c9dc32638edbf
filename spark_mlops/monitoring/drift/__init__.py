"""Distributed data drift: per-column distributions in ≤ 2 Spark scans, drift math on small states.

Methods: ``linf`` / ``linf_robust`` (SageMaker Model Monitor), ``ks``, ``psi``, ``js``, ``wasserstein``
(normalized by the reference std), ``chi2``. See :mod:`.methods` for the defaults and
:mod:`.profile` for when exact and sketch modes are used.
"""

from __future__ import annotations

from spark_mlops.monitoring.drift.compute import DRIFT_SCHEMA, ColumnDrift, DriftResult, compute_drift
from spark_mlops.monitoring.drift.methods import DEFAULT_THRESHOLDS, METHODS, default_methods, evaluate
from spark_mlops.quality.profiles.distributions import (
    CategoricalDistribution,
    ColumnDistribution,
    NumericDistribution,
    distribution_from_json,
)
from spark_mlops.quality.profiles.profile import DatasetProfile, inferred_type, profile_columns

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DRIFT_SCHEMA",
    "METHODS",
    "CategoricalDistribution",
    "ColumnDistribution",
    "ColumnDrift",
    "DatasetProfile",
    "DriftResult",
    "NumericDistribution",
    "compute_drift",
    "default_methods",
    "distribution_from_json",
    "evaluate",
    "inferred_type",
    "profile_columns",
]
