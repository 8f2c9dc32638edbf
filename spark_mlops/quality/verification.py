"""VerificationSuite: run checks on a DataFrame or a Delta table version in the fewest Spark jobs.

Every check's analyzers (plus any required ones) go to ONE engine call: all scan-shareable metrics in
one Spark job, one more job per distinct grouping (e.g. uniqueness of ``review_id``). The checks then
judge the metrics without touching the data again.

Example:
    >>> result = (VerificationSuite(spark).on_delta("/data/reviews")
    ...     .add_check(Check(CheckLevel.ERROR, "review check")
    ...         .has_size(lambda n: n >= 3_000_000)
    ...         .is_complete("review_id").is_unique("review_id"))
    ...     .run())
    >>> result.status
    <CheckStatus.SUCCESS: 'Success'>
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.delta import TableVersion, read_delta_versioned
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import Analyzer
from spark_mlops.quality.anomaly import AnomalyDetectionStrategy
from spark_mlops.quality.anomaly_check import AnomalyCheckConfig, anomaly_check
from spark_mlops.quality.checks import Check, CheckResult, CheckStatus
from spark_mlops.quality.engine import compute_metrics
from spark_mlops.quality.incremental import (
    DeltaStateRepository,
    IncrementalVerificationResult,
    incremental_metrics,
)
from spark_mlops.quality.metrics import Metric
from spark_mlops.quality.repository import MetricsRepository, ResultKey
from spark_mlops.quality.runner import AnalyzerContext
from spark_mlops.quality.verification_result import VerificationResult
from spark_mlops.spark import job_description

__all__ = ["VerificationResult", "VerificationSuite"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerificationSuite:
    """Immutable builder of a verification run; every call returns a new suite.

    Extension points (used by repository and anomaly features): add a field, a builder method that
    returns ``self._replace(field=...)``, and hook into :meth:`_analyzers`, :meth:`_compute_metrics`
    or :meth:`_evaluate`; :meth:`run` only chains those three.

    Args:
        spark: The SparkSession (Delta reads and result DataFrames).
    """

    spark: SparkSession
    _data: DataFrame | None = None
    _source: TableVersion | None = None
    _checks: tuple[Check, ...] = ()
    _required_analyzers: tuple[Analyzer, ...] = ()
    _repository: MetricsRepository | None = None
    _save_key: ResultKey | None = None
    _save_only_if: Callable[[VerificationResult], bool] | None = None
    _anomaly_checks: tuple[tuple[AnomalyDetectionStrategy, Analyzer, AnomalyCheckConfig], ...] = ()
    _state_repository: DeltaStateRepository | None = None

    def _replace(self, **changes: Any) -> VerificationSuite:
        """A copy with ``changes`` applied (the one way builder methods create the next suite)."""
        return dataclasses.replace(self, **changes)

    # -- builder ------------------------------------------------------------------------------------
    def on_data(self, df: DataFrame) -> VerificationSuite:
        """Verify ``df``."""
        if not isinstance(df, DataFrame):
            raise InvalidArgumentError(f"df: expected a Spark DataFrame, got {type(df).__name__}")
        return self._replace(_data=df, _source=None)

    def on_delta(self, table: str | os.PathLike[str], version: int | None = None) -> VerificationSuite:
        """Verify a Delta table (path or name) at ``version`` (default: newest) and record the version
        read in :attr:`VerificationResult.source`.

        Raises:
            DeltaTableNotFoundError, DeltaVersionError: the table or version does not exist.
        """
        df, source = read_delta_versioned(self.spark, table, version=version)
        return self._replace(_data=df, _source=source)

    def add_check(self, check: Check) -> VerificationSuite:
        """Add a check."""
        if not isinstance(check, Check):
            raise InvalidArgumentError(f"check: expected a Check, got {check!r}")
        return self._replace(_checks=(*self._checks, check))

    def add_checks(self, checks: Iterable[Check]) -> VerificationSuite:
        """Add several checks."""
        suite = self
        for check in checks:
            suite = suite.add_check(check)
        return suite

    def add_required_analyzer(self, analyzer: Analyzer) -> VerificationSuite:
        """Compute ``analyzer`` as well (its metric lands in the result, no constraint on it)."""
        if not isinstance(analyzer, Analyzer):
            raise InvalidArgumentError(f"analyzer: expected an Analyzer, got {analyzer!r}")
        return self._replace(_required_analyzers=(*self._required_analyzers, analyzer))

    def add_required_analyzers(self, analyzers: Iterable[Analyzer]) -> VerificationSuite:
        """Compute several analyzers as well."""
        suite = self
        for analyzer in analyzers:
            suite = suite.add_required_analyzer(analyzer)
        return suite

    def use_repository(self, repository: MetricsRepository) -> VerificationSuite:
        """Keep metrics in ``repository`` (see :meth:`save_or_append_result`) and read anomaly history
        from it."""
        if not isinstance(repository, MetricsRepository):
            raise InvalidArgumentError(f"repository: expected a MetricsRepository, got {repository!r}")
        return self._replace(_repository=repository)

    def save_or_append_result(
        self, key: ResultKey, only_if: Callable[[VerificationResult], bool] | None = None
    ) -> VerificationSuite:
        """Save the run's successful metrics under ``key`` with the run's status (whatever it is).

        Args:
            key: The result key (dataset date and tags).
            only_if: Save only when this returns True for the result, e.g.
                ``lambda r: r.status != CheckStatus.ERROR`` keeps ERROR days out of the history that
                anomaly strategies learn from.
        """
        if not isinstance(key, ResultKey):
            raise InvalidArgumentError(f"key: expected a ResultKey, got {key!r}")
        if only_if is not None and not callable(only_if):
            raise InvalidArgumentError(f"only_if: expected a callable taking the result, got {only_if!r}")
        return self._replace(_save_key=key, _save_only_if=only_if)

    def add_anomaly_check(
        self,
        strategy: AnomalyDetectionStrategy,
        analyzer: Analyzer,
        config: AnomalyCheckConfig | None = None,
    ) -> VerificationSuite:
        """Check the analyzer's metric against its history in the repository (see
        :mod:`spark_mlops.quality.anomaly_check`); needs :meth:`use_repository`."""
        if not isinstance(strategy, AnomalyDetectionStrategy):
            raise InvalidArgumentError(f"strategy: expected an anomaly strategy, got {strategy!r}")
        if not isinstance(analyzer, Analyzer):
            raise InvalidArgumentError(f"analyzer: expected an Analyzer, got {analyzer!r}")
        entry = (strategy, analyzer, config or AnomalyCheckConfig())
        return self._replace(_anomaly_checks=(*self._anomaly_checks, entry))

    def incremental(self, state_repository: DeltaStateRepository) -> VerificationSuite:
        """Compute metrics from stored states plus the files appended since (see
        :mod:`spark_mlops.quality.incremental`); needs :meth:`on_delta`. The result is an
        :class:`IncrementalVerificationResult` whose ``incremental`` says whether it scanned fully."""
        if not isinstance(state_repository, DeltaStateRepository):
            raise InvalidArgumentError(
                f"state_repository: expected a DeltaStateRepository, got {state_repository!r}"
            )
        return self._replace(_state_repository=state_repository)

    @property
    def checks(self) -> tuple[Check, ...]:
        """The checks added so far."""
        return self._checks

    # -- run ----------------------------------------------------------------------------------------
    def run(self) -> VerificationResult:
        """Compute every needed metric in one engine call and evaluate the checks.

        Raises:
            InvalidArgumentError: no data was given (call ``on_data`` or ``on_delta`` first).
        """
        data = self._require_data()
        if self._repository is None and (self._anomaly_checks or self._save_key is not None):
            raise InvalidArgumentError(
                "use_repository: anomaly checks and save_or_append_result need a metrics repository"
            )
        analyzers = self._analyzers()
        if self._state_repository is not None:
            if self._source is None:
                raise InvalidArgumentError("incremental: needs a Delta table; call on_delta(table) first")
            metrics, info = incremental_metrics(
                self.spark, self._source, analyzers, self._state_repository, data=data
            )
            plain = self._evaluate(metrics)
            fields = {f.name: getattr(plain, f.name) for f in dataclasses.fields(plain)}
            result: VerificationResult = IncrementalVerificationResult(**fields, incremental=info)
        else:
            result = self._evaluate(self._compute_metrics(data, analyzers))
        self._save(result)
        return result

    def _all_checks(self) -> tuple[Check, ...]:
        """The added checks plus one check per anomaly check (bound to the repository and key)."""
        if self._repository is None:
            return self._checks
        anomaly = tuple(
            anomaly_check(self._repository, strategy, analyzer, config, self._save_key)
            for strategy, analyzer, config in self._anomaly_checks
        )
        return (*self._checks, *anomaly)

    def _save(self, result: VerificationResult) -> None:
        """Metrics are saved whatever the status (as Deequ), with the status, unless ``only_if`` says no."""
        if self._repository is None or self._save_key is None:
            return
        if self._save_only_if is not None and not self._save_only_if(result):
            log.info("not saving metrics under %s: only_if rejected a %s run", self._save_key, result.status)
            return
        context = AnalyzerContext(dict(result.metrics), self._source)
        self._repository.save(self._save_key, context, run_status=result.status.value, source=self._source)

    def _require_data(self) -> DataFrame:
        if self._data is None:
            raise InvalidArgumentError(
                "on_data/on_delta: no data to verify; call on_data(df) or on_delta(table)"
            )
        return self._data

    def _analyzers(self) -> tuple[Analyzer, ...]:
        """Required analyzers and every check's analyzers, once each, in order."""
        anomaly = [analyzer for _, analyzer, _ in self._anomaly_checks]
        needed = [
            *self._required_analyzers,
            *(a for c in self._checks for a in c.required_analyzers()),
            *anomaly,
        ]
        return tuple(dict.fromkeys(needed))

    def _compute_metrics(self, data: DataFrame, analyzers: tuple[Analyzer, ...]) -> dict[Analyzer, Metric]:
        """One engine call for all analyzers (one scan job + one job per grouping)."""
        what = f"verification of {self._source}" if self._source else "verification"
        with job_description(self.spark, f"spark_mlops: {what} ({len(analyzers)} analyzers)"):
            return compute_metrics(data, analyzers)

    def _evaluate(self, metrics: Mapping[Analyzer, Metric]) -> VerificationResult:
        """Judge every check on ``metrics``; the run's status is the worst check status."""
        results: dict[Check, CheckResult] = {c: c.evaluate(metrics) for c in self._all_checks()}
        status = max(
            (r.status for r in results.values()), key=lambda s: s.severity, default=CheckStatus.SUCCESS
        )
        log.info(
            "verification %s: %s (%d checks)", self._source or "of a DataFrame", status.value, len(results)
        )
        return VerificationResult(
            status=status,
            check_results=results,
            metrics=dict(metrics),
            source=self._source,
            spark=self.spark,
        )
