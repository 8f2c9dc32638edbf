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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.delta import TableVersion, read_delta_versioned
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import Analyzer
from spark_mlops.quality.checks import Check, CheckResult, CheckStatus
from spark_mlops.quality.engine import compute_metrics
from spark_mlops.quality.metrics import Metric
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
        analyzers = self._analyzers()
        metrics = self._compute_metrics(data, analyzers)
        return self._evaluate(metrics)

    def _require_data(self) -> DataFrame:
        if self._data is None:
            raise InvalidArgumentError(
                "on_data/on_delta: no data to verify; call on_data(df) or on_delta(table)"
            )
        return self._data

    def _analyzers(self) -> tuple[Analyzer, ...]:
        """Required analyzers and every check's analyzers, once each, in order."""
        needed = [*self._required_analyzers, *(a for c in self._checks for a in c.required_analyzers())]
        return tuple(dict.fromkeys(needed))

    def _compute_metrics(self, data: DataFrame, analyzers: tuple[Analyzer, ...]) -> dict[Analyzer, Metric]:
        """One engine call for all analyzers (one scan job + one job per grouping)."""
        what = f"verification of {self._source}" if self._source else "verification"
        with job_description(self.spark, f"spark_mlops: {what} ({len(analyzers)} analyzers)"):
            return compute_metrics(data, analyzers)

    def _evaluate(self, metrics: Mapping[Analyzer, Metric]) -> VerificationResult:
        """Judge every check on ``metrics``; the run's status is the worst check status."""
        results: dict[Check, CheckResult] = {c: c.evaluate(metrics) for c in self._checks}
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
