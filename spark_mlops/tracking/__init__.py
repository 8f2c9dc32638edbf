"""Experiment tracking on MLflow (no parallel store): experiments, trials, trial components, analytics.

An :class:`Experiment` is an MLflow experiment, a :class:`Trial` a parent run, a :class:`Tracker` a run
nested under it. Delta inputs and outputs are recorded with the exact table version, and lineage is
written automatically when a lineage store is configured.
"""

from __future__ import annotations

from spark_mlops.tracking.analytics import STATISTICS, ExperimentAnalytics
from spark_mlops.tracking.experiment import Experiment, Trial
from spark_mlops.tracking.tracker import Tracker

__all__ = ["STATISTICS", "Experiment", "ExperimentAnalytics", "Tracker", "Trial"]
