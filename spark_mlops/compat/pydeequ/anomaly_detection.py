"""PyDeequ's ``pydeequ.anomaly_detection``: our strategies under PyDeequ's camelCase keyword names.

Each constructor returns our own strategy (same semantics, see :mod:`spark_mlops.quality.anomaly`).
"""

from __future__ import annotations

from spark_mlops.quality import anomaly as native
from spark_mlops.quality.anomaly import MetricInterval as NativeMetricInterval
from spark_mlops.quality.anomaly import SeriesSeasonality as NativeSeriesSeasonality

__all__ = [
    "AbsoluteChangeStrategy",
    "BatchNormalStrategy",
    "HoltWinters",
    "MetricInterval",
    "OnlineNormalStrategy",
    "RelativeRateOfChangeStrategy",
    "SeriesSeasonality",
    "SimpleThresholdStrategy",
]


class MetricInterval:
    """PyDeequ's ``MetricInterval.Daily`` / ``MetricInterval.Monthly``."""

    Daily = NativeMetricInterval.DAILY
    Monthly = NativeMetricInterval.MONTHLY


class SeriesSeasonality:
    """PyDeequ's ``SeriesSeasonality.Weekly`` / ``SeriesSeasonality.Yearly``."""

    Weekly = NativeSeriesSeasonality.WEEKLY
    Yearly = NativeSeriesSeasonality.YEARLY


def RelativeRateOfChangeStrategy(
    maxRateDecrease: float | None = None, maxRateIncrease: float | None = None, order: int = 1
) -> native.RelativeRateOfChangeStrategy:
    """PyDeequ's ``RelativeRateOfChangeStrategy(maxRateDecrease=None, maxRateIncrease=None, order=1)``."""
    return native.RelativeRateOfChangeStrategy(maxRateDecrease, maxRateIncrease, order)


def AbsoluteChangeStrategy(
    maxRateDecrease: float | None = None, maxRateIncrease: float | None = None, order: int = 1
) -> native.AbsoluteChangeStrategy:
    """PyDeequ's ``AbsoluteChangeStrategy(maxRateDecrease=None, maxRateIncrease=None, order=1)``."""
    return native.AbsoluteChangeStrategy(maxRateDecrease, maxRateIncrease, order)


def SimpleThresholdStrategy(
    lowerBound: float | None = None, upperBound: float | None = None
) -> native.SimpleThresholdStrategy:
    """PyDeequ's ``SimpleThresholdStrategy(lowerBound, upperBound)``."""
    return native.SimpleThresholdStrategy(lowerBound, upperBound)


def OnlineNormalStrategy(
    lowerDeviationFactor: float | None = 3.0,
    upperDeviationFactor: float | None = 3.0,
    ignoreStartPercentage: float = 0.1,
    ignoreAnomalies: bool = True,
) -> native.OnlineNormalStrategy:
    """PyDeequ's ``OnlineNormalStrategy(lowerDeviationFactor=3.0, upperDeviationFactor=3.0,
    ignoreStartPercentage=0.1, ignoreAnomalies=True)``."""
    return native.OnlineNormalStrategy(
        lowerDeviationFactor, upperDeviationFactor, ignoreStartPercentage, ignoreAnomalies
    )


def BatchNormalStrategy(
    lowerDeviationFactor: float | None = 3.0,
    upperDeviationFactor: float | None = 3.0,
    includeInterval: bool = False,
) -> native.BatchNormalStrategy:
    """PyDeequ's ``BatchNormalStrategy(lowerDeviationFactor=3.0, upperDeviationFactor=3.0,
    includeInterval=False)``."""
    return native.BatchNormalStrategy(lowerDeviationFactor, upperDeviationFactor, includeInterval)


def HoltWinters(
    metricsInterval: NativeMetricInterval | str, seasonality: NativeSeriesSeasonality | str
) -> native.HoltWinters:
    """PyDeequ's ``HoltWinters(metricsInterval, seasonality)``."""
    return native.HoltWinters(metricsInterval, seasonality)
