"""Model lifecycle helpers: tracked training of Spark ML estimators (more helpers join this package)."""

from __future__ import annotations

from spark_mlops.models.training import TrainingResult, estimator_params, fit_tracked

__all__ = ["TrainingResult", "estimator_params", "fit_tracked"]
