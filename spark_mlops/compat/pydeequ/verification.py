"""PyDeequ's ``pydeequ.verification`` on our engine: ``VerificationSuite(spark).onData(df).addCheck(...)
.run()`` and the ``VerificationResult`` views with PyDeequ's column names.

``run()`` returns our :class:`~spark_mlops.quality.verification.VerificationResult` (its ``status``
compares equal to PyDeequ's strings ``"Success"``, ``"Warning"``, ``"Error"``); the static views of
:class:`VerificationResult` take it as PyDeequ's do.

Example (PyDeequ code; only the imports changed):
    >>> result = (VerificationSuite(spark).onData(df)
    ...     .addCheck(Check(spark, CheckLevel.Error, "Review Check").hasSize(lambda x: x >= 3))
    ...     .run())
    >>> VerificationResult.checkResultsAsDataFrame(spark, result).show()
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.compat.pydeequ._output import as_output, only_analyzers
from spark_mlops.compat.pydeequ.checks import Check
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import Analyzer
from spark_mlops.quality.anomaly import AnomalyDetectionStrategy
from spark_mlops.quality.anomaly_check import AnomalyCheckConfig as NativeAnomalyCheckConfig
from spark_mlops.quality.checks import Check as NativeCheck
from spark_mlops.quality.checks import CheckLevel as NativeCheckLevel
from spark_mlops.quality.repository import MetricsRepository, ResultKey
from spark_mlops.quality.verification import VerificationResult as NativeVerificationResult
from spark_mlops.quality.verification import VerificationSuite as NativeVerificationSuite

__all__ = ["AnomalyCheckConfig", "VerificationResult", "VerificationRunBuilder", "VerificationSuite"]


def _native_check(check: Check | NativeCheck, argument: str = "check") -> NativeCheck:
    if isinstance(check, Check):
        return check.native
    if isinstance(check, NativeCheck):
        return check
    raise InvalidArgumentError(f"{argument}: expected a Check, got {check!r}")


class VerificationRunBuilder:
    """PyDeequ's ``VerificationRunBuilder``; each call updates the builder and returns it."""

    def __init__(self, spark_session: SparkSession, df: DataFrame) -> None:
        self._spark = spark_session
        self._suite = NativeVerificationSuite(spark_session).on_data(df)

    def addCheck(self, check: Check | NativeCheck) -> VerificationRunBuilder:
        """Add a check (the constraints it holds now; later additions to it are not seen)."""
        self._suite = self._suite.add_check(_native_check(check))
        return self

    def addChecks(self, checks: Sequence[Check | NativeCheck]) -> VerificationRunBuilder:
        """Add several checks."""
        for check in checks:
            self.addCheck(check)
        return self

    def addRequiredAnalyzer(self, analyzer: Analyzer) -> VerificationRunBuilder:
        """Compute ``analyzer`` as well (its metric lands in the result)."""
        self._suite = self._suite.add_required_analyzer(analyzer)
        return self

    def useRepository(self, repository: MetricsRepository) -> VerificationRunBuilder:
        """Store the metrics of this run in ``repository`` (with :meth:`saveOrAppendResult`) and read
        anomaly-check history from it."""
        self._suite = self._suite.use_repository(repository)
        return self

    def saveOrAppendResult(self, resultKey: ResultKey) -> VerificationRunBuilder:
        """Save the metrics under ``resultKey`` (adding to what is stored under it already)."""
        self._suite = self._suite.save_or_append_result(resultKey)
        return self

    def addAnomalyCheck(
        self,
        anomaly: AnomalyDetectionStrategy,
        analyzer: Analyzer,
        anomalyCheckConfig: NativeAnomalyCheckConfig | None = None,
    ) -> VerificationRunBuilder:
        """Check the analyzer's metric against its history in the repository with ``anomaly``."""
        self._suite = self._suite.add_anomaly_check(anomaly, analyzer, anomalyCheckConfig)
        return self

    def run(self) -> NativeVerificationResult:
        """Compute every metric in one engine call, evaluate the checks, store the metrics if asked.

        Raises:
            InvalidArgumentError: ``saveOrAppendResult`` or ``addAnomalyCheck`` without ``useRepository``.
        """
        return self._suite.run()


def AnomalyCheckConfig(
    level: NativeCheckLevel = NativeCheckLevel.WARNING,
    description: str | None = None,
    withTagValues: Mapping[str, str] | None = None,
    afterDate: int | None = None,
    beforeDate: int | None = None,
) -> NativeAnomalyCheckConfig:
    """PyDeequ's ``AnomalyCheckConfig(level, description, withTagValues=None, afterDate=None,
    beforeDate=None)``: how an anomaly check reads its history and how bad an anomaly is."""
    return NativeAnomalyCheckConfig(level, description, dict(withTagValues or {}), afterDate, beforeDate)


class VerificationSuite:
    """PyDeequ's ``VerificationSuite(spark_session)``: ``.onData(df)`` starts a run."""

    def __init__(self, spark_session: SparkSession) -> None:
        self._spark = spark_session

    def onData(self, df: DataFrame) -> VerificationRunBuilder:
        """Verify ``df``."""
        return VerificationRunBuilder(self._spark, df)


class VerificationResult:
    """PyDeequ's ``VerificationResult`` views (static methods taking the result of ``run()``)."""

    @staticmethod
    def checkResultsAsDataFrame(
        spark_session: SparkSession,
        verificationResult: NativeVerificationResult,
        forChecks: Sequence[Check | NativeCheck] | None = None,
        pandas: bool = False,
    ) -> Any:
        """One row per constraint: check, check_level, check_status, constraint, constraint_status,
        constraint_message."""
        result = _for_checks(verificationResult, forChecks)
        return as_output(result.check_results_as_dataframe(spark_session), pandas)

    @staticmethod
    def checkResultsAsJson(
        spark_session: SparkSession,
        verificationResult: NativeVerificationResult,
        forChecks: Sequence[Check | NativeCheck] | None = None,
    ) -> list[dict[str, str]]:
        """The rows of :meth:`checkResultsAsDataFrame` as dicts."""
        return _for_checks(verificationResult, forChecks).check_results_as_json()

    @staticmethod
    def successMetricsAsDataFrame(
        spark_session: SparkSession,
        verificationResult: NativeVerificationResult,
        forAnalyzers: Sequence[Analyzer] | None = None,
        pandas: bool = False,
    ) -> Any:
        """Successful metrics: entity, instance, name, value."""
        result = _for_analyzers(verificationResult, forAnalyzers)
        return as_output(result.success_metrics_as_dataframe(spark_session), pandas)

    @staticmethod
    def successMetricsAsJson(
        spark_session: SparkSession,
        verificationResult: NativeVerificationResult,
        forAnalyzers: Sequence[Analyzer] | None = None,
    ) -> list[dict[str, Any]]:
        """The rows of :meth:`successMetricsAsDataFrame` as dicts."""
        return _for_analyzers(verificationResult, forAnalyzers).success_metrics_as_json()


def _result(value: Any) -> NativeVerificationResult:
    if not isinstance(value, NativeVerificationResult):
        raise InvalidArgumentError(
            "verificationResult: expected the result of VerificationSuite(...).run(), "
            f"got {type(value).__name__}"
        )
    return value


def _for_checks(value: Any, for_checks: Sequence[Check | NativeCheck] | None) -> NativeVerificationResult:
    result = _result(value)
    if for_checks is None:
        return result
    wanted = [_native_check(c, "forChecks") for c in for_checks]
    kept = {c: r for c, r in result.check_results.items() if c in wanted}
    return dataclasses.replace(result, check_results=kept)


def _for_analyzers(value: Any, for_analyzers: Sequence[Analyzer] | None) -> NativeVerificationResult:
    result = _result(value)
    return dataclasses.replace(result, metrics=only_analyzers(result.metrics, for_analyzers))
