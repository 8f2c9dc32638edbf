"""Anomaly checks: judge today's metric against its history in a metrics repository.

``VerificationSuite.add_anomaly_check(strategy, analyzer, AnomalyCheckConfig(...))`` becomes a
:class:`~spark_mlops.quality.checks.Check` with one :class:`AnomalyConstraint` (Deequ's
``isNewestPointNonAnomalous``): the analyzer's metric history is loaded from the repository (tag and date
filters of the config), the current metric is appended as the newest point, and the strategy tests that
point only. No or too little history fails the constraint with a message that says so; the check's level
decides the run status. The suite computes the metric in its one engine call like any other.

Differences from Deequ, on purpose: the history holds only results dated strictly before the key the run
is saved under (so a re-run or a backfill does not compare a day with itself or with later days), and the
minimum history a strategy needs is checked (a change strategy of order k needs k points, Holt-Winters
two seasonal periods) instead of silently passing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_mlops.errors import InvalidArgumentError, SparkMlopsError
from spark_mlops.quality.analyzers import Analyzer
from spark_mlops.quality.anomaly import AnomalyDetectionStrategy, HoltWinters
from spark_mlops.quality.anomaly.change import AbsoluteChangeStrategy, RelativeRateOfChangeStrategy
from spark_mlops.quality.checks import Check, CheckLevel, Constraint, ConstraintResult, ConstraintStatus
from spark_mlops.quality.metrics import Metric
from spark_mlops.quality.repository import MetricsRepository, ResultKey

__all__ = ["AnomalyCheckConfig", "AnomalyConstraint", "anomaly_check", "min_history"]


@dataclass(frozen=True)
class AnomalyCheckConfig:
    """How an anomaly check reads its history and how bad an anomaly is.

    Args:
        level: The check's level (default WARNING, as Deequ): decides the run status on an anomaly.
        description: The check's description (default: names the strategy and the analyzer).
        with_tag_values: Only history whose result key has these tags.
        after_date: Only history with ``data_set_date_ms >= after_date``.
        before_date: Only history with ``data_set_date_ms <= before_date``.
    """

    level: CheckLevel = CheckLevel.WARNING
    description: str | None = None
    with_tag_values: Mapping[str, str] = field(default_factory=dict)
    after_date: int | None = None
    before_date: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.level, CheckLevel):
            try:
                object.__setattr__(self, "level", CheckLevel(str(self.level).capitalize()))
            except ValueError:
                raise InvalidArgumentError(f"level: expected a CheckLevel, got {self.level!r}") from None
        for name in ("after_date", "before_date"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidArgumentError(f"{name}: expected epoch milliseconds (int), got {value!r}")
        object.__setattr__(self, "with_tag_values", dict(self.with_tag_values))


def min_history(strategy: AnomalyDetectionStrategy) -> int:
    """The fewest historic points the strategy needs to judge one new point."""
    if isinstance(strategy, AbsoluteChangeStrategy | RelativeRateOfChangeStrategy):
        return max(strategy.order, 1)
    if isinstance(strategy, HoltWinters):
        return 2 * strategy.period
    return 1


@dataclass(frozen=True, eq=False)
class AnomalyConstraint(Constraint):
    """A constraint that passes when the newest point of the metric's history is not anomalous."""

    repository: MetricsRepository | None = field(default=None, repr=False)
    strategy: AnomalyDetectionStrategy | None = field(default=None, repr=False)
    config: AnomalyCheckConfig = field(default_factory=AnomalyCheckConfig, repr=False)
    current_key: ResultKey | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """e.g. ``AnomalyConstraint(Size(None))`` — with the strategy, Deequ style."""
        spec = self.analyzer.spec()
        parts = [str(v) for k, v in spec.items() if k != "type"]
        return f"AnomalyConstraint({self.analyzer.name}({','.join(parts)}), {self.strategy!r})"

    def history(self) -> list[float]:
        """The metric's stored values, oldest first (only dates before the current key, if any)."""
        assert self.repository is not None
        loader = self.repository.load().for_analyzers([self.analyzer])
        if self.config.with_tag_values:
            loader = loader.with_tag_values(self.config.with_tag_values)
        if self.config.after_date is not None:
            loader = loader.after(self.config.after_date)
        before = self.config.before_date
        if self.current_key is not None:
            newest_allowed = self.current_key.data_set_date_ms - 1
            before = newest_allowed if before is None else min(before, newest_allowed)
        if before is not None:
            loader = loader.before(before)
        values = []
        for result in loader.get():
            metric = result.analyzer_context.metric_map.get(self.analyzer)
            if metric is not None and metric.is_success and isinstance(metric.value, int | float):
                values.append(float(metric.value))
        return values

    def evaluate(self, metrics: Mapping[Analyzer, Metric]) -> ConstraintResult:
        """Load the history, append the current metric and test the newest point."""
        metric = metrics.get(self.analyzer)
        if metric is None or not metric.is_success:
            reason = "Missing Analysis, can't run the constraint!" if metric is None else metric.failure
            return ConstraintResult(self, ConstraintStatus.FAILURE, reason, metric)
        if not isinstance(metric.value, int | float):
            return self._fail(f"anomaly detection needs a scalar metric, {metric.name} is not one", metric)
        assert self.strategy is not None
        try:
            history = self.history()
        except SparkMlopsError as exc:
            return self._fail(f"cannot load the metric history from the repository: {exc}", metric)
        needed = min_history(self.strategy)
        if len(history) < needed:
            what = "no" if not history else f"only {len(history)}"
            return self._fail(
                f"There is {what} previous result of {self.analyzer.name} in the metrics repository "
                f"(tags {dict(self.config.with_tag_values)}); {self.strategy!r} needs at least {needed}",
                metric,
            )
        series = [*history, float(metric.value)]
        try:
            anomalies = self.strategy.detect(series, (len(series) - 1, len(series)))
        except InvalidArgumentError as exc:
            return self._fail(f"too little usable history for {self.strategy!r}: {exc}", metric)
        if not anomalies:
            return ConstraintResult(self, ConstraintStatus.SUCCESS, None, metric)
        detail = anomalies[0][1].detail or "anomalous"
        value = metric.value
        shown = value if not (isinstance(value, float) and math.isnan(value)) else "NaN"
        message = f"Value: {shown} is anomalous against {len(history)} previous results: {detail}"
        return self._fail(message + (f" {self.hint}" if self.hint else ""), metric)

    def _fail(self, message: str, metric: Metric) -> ConstraintResult:
        return ConstraintResult(self, ConstraintStatus.FAILURE, message, metric)


def anomaly_check(
    repository: MetricsRepository,
    strategy: AnomalyDetectionStrategy,
    analyzer: Analyzer,
    config: AnomalyCheckConfig | None = None,
    current_key: ResultKey | None = None,
) -> Check:
    """The Check that an anomaly check of a verification run evaluates.

    Raises:
        InvalidArgumentError: a bad strategy, analyzer or repository.
    """
    if not isinstance(strategy, AnomalyDetectionStrategy):
        raise InvalidArgumentError(f"strategy: expected an anomaly strategy, got {strategy!r}")
    if not isinstance(analyzer, Analyzer):
        raise InvalidArgumentError(f"analyzer: expected an Analyzer, got {analyzer!r}")
    if not isinstance(repository, MetricsRepository):
        raise InvalidArgumentError(f"repository: expected a MetricsRepository, got {repository!r}")
    config = config or AnomalyCheckConfig()
    description = config.description or f"Anomaly check for {analyzer.name}({analyzer.instance})"
    constraint = AnomalyConstraint(
        kind="Anomaly",
        analyzer=analyzer,
        assertion=_never_called,
        label=f"anomaly_{analyzer.name.lower()}",
        repository=repository,
        strategy=strategy,
        config=config,
        current_key=current_key,
    )
    return Check(config.level, description).add_constraint(constraint)


def _never_called(value: Any) -> bool:
    # AnomalyConstraint.evaluate replaces the assertion path of Constraint entirely.
    return True
