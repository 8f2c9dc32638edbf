"""Anomaly detection strategies: pure functions of a metric series (no Spark).

Each strategy has ``detect(values, search_interval=(start, end)) -> list[(index, Anomaly)]`` with Deequ's
semantics: half-open interval, end clamped, strict bounds, confidence 1.0.
"""

from spark_mlops.quality.anomaly.base import Anomaly, AnomalyDetectionStrategy
from spark_mlops.quality.anomaly.batch_normal import BatchNormalStrategy
from spark_mlops.quality.anomaly.change import AbsoluteChangeStrategy, RelativeRateOfChangeStrategy
from spark_mlops.quality.anomaly.holt_winters import HoltWinters, MetricInterval, SeriesSeasonality
from spark_mlops.quality.anomaly.online_normal import OnlineNormalStrategy
from spark_mlops.quality.anomaly.simple_threshold import SimpleThresholdStrategy

__all__ = [
    "AbsoluteChangeStrategy",
    "Anomaly",
    "AnomalyDetectionStrategy",
    "BatchNormalStrategy",
    "HoltWinters",
    "MetricInterval",
    "OnlineNormalStrategy",
    "RelativeRateOfChangeStrategy",
    "SeriesSeasonality",
    "SimpleThresholdStrategy",
]
