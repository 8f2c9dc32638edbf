"""VerificationResult: status, per-check and per-constraint results, metrics and the data version."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.delta import TableVersion
from spark_mlops.quality.analyzers import Analyzer
from spark_mlops.quality.checks import Check, CheckResult, CheckStatus, ConstraintResult
from spark_mlops.quality.metrics import Metric
from spark_mlops.quality.row_level import QuarantineResult, add_row_level_results, quarantine_rows
from spark_mlops.quality.runner import METRICS_SCHEMA, AnalyzerContext

__all__ = ["CHECK_RESULTS_SCHEMA", "VerificationResult"]

#: Schema of :meth:`VerificationResult.check_results_as_dataframe` (Deequ's column names, snake_case).
CHECK_RESULTS_SCHEMA = (
    "check string, check_level string, check_status string, constraint string, "
    "constraint_status string, constraint_message string"
)


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of :meth:`VerificationSuite.run`.

    Attributes:
        status: The worst status of all checks (SUCCESS when there are none).
        check_results: Check → its result, in the order the checks were added.
        metrics: Analyzer → Metric for every analyzer computed (values and failures).
        source: The Delta table version verified (``on_delta``), else None.
    """

    status: CheckStatus
    check_results: dict[Check, CheckResult]
    metrics: dict[Analyzer, Metric]
    source: TableVersion | None = None
    spark: SparkSession | None = field(default=None, repr=False, compare=False)

    # -- tabular views ------------------------------------------------------------------------------
    def constraint_results(self) -> list[tuple[Check, ConstraintResult]]:
        """Every constraint result with its check, in order."""
        return [(c, r) for c, res in self.check_results.items() for r in res.constraint_results]

    def check_results_as_json(self) -> list[dict[str, str]]:
        """One dict per constraint: check, check_level, check_status, constraint, constraint_status,
        constraint_message (empty on success)."""
        return [
            {
                "check": check.description,
                "check_level": check.level.value,
                "check_status": self.check_results[check].status.value,
                "constraint": r.constraint.name,
                "constraint_status": r.status.value,
                "constraint_message": r.message or "",
            }
            for check, r in self.constraint_results()
        ]

    def check_results_as_dataframe(self, spark: SparkSession | None = None) -> DataFrame:
        """:meth:`check_results_as_json` as a DataFrame (a small local relation; no Spark job)."""
        rows = [tuple(d.values()) for d in self.check_results_as_json()]
        return self._spark(spark).createDataFrame(rows, CHECK_RESULTS_SCHEMA)

    def success_metrics_as_json(self) -> list[dict[str, Any]]:
        """Successful metrics flattened to scalars: entity, instance, name, value."""
        return AnalyzerContext(self.metrics, self.source).success_metrics_as_json()

    def success_metrics_as_dataframe(self, spark: SparkSession | None = None) -> DataFrame:
        """:meth:`success_metrics_as_json` as a DataFrame (entity, instance, name, value)."""
        rows = [(m["entity"], m["instance"], m["name"], m["value"]) for m in self.success_metrics_as_json()]
        return self._spark(spark).createDataFrame(rows, METRICS_SCHEMA)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict: status, source, checks (with constraints and their metrics), metrics."""
        return {
            "status": self.status.value,
            "source": None if self.source is None else self.source.to_dict(),
            "checks": [r.to_dict() for r in self.check_results.values()],
            "metrics": [m.to_dict() for m in self.metrics.values()],
        }

    def to_json(self, indent: int | None = None) -> str:
        """:meth:`to_dict` as strict JSON (NaN and ±Infinity written as the strings ``"NaN"``, ...)."""
        return json.dumps(_finite(self.to_dict()), indent=indent, allow_nan=False)

    def _spark(self, spark: SparkSession | None) -> SparkSession:
        session = spark or self.spark or SparkSession.getActiveSession()
        if session is None:
            from spark_mlops.errors import InvalidArgumentError

            raise InvalidArgumentError("spark: no SparkSession given and none is active")
        return session

    # -- rows -----------------------------------------------------------------------------------------
    def row_level_results(self, df: DataFrame) -> DataFrame:
        """``df`` plus one boolean column per row-level constraint (TRUE = the row passes).

        Columns are named after the constraints (``is_complete_review_id``, ``is_unique_review_id``,
        ...; a suffix ``_2`` makes repeats unique). NULL semantics follow each metric: NULL passes
        containment, range and sign constraints and fails completeness, predicates, comparisons and
        patterns; rows outside a constraint's ``where`` pass. Constraints about the whole dataset
        (size, min, mean, ...) and those whose columns are missing from ``df`` get no column.
        """
        return add_row_level_results(df, self._row_constraints())

    def quarantine(
        self,
        df: DataFrame,
        good: str | os.PathLike[str],
        bad: str | os.PathLike[str],
        mode: str = "append",
        failures_column: str = "failed_constraints",
    ) -> QuarantineResult:
        """Split ``df`` into rows passing every row-level constraint (written to Delta ``good``) and
        the others (written to Delta ``bad`` with an array ``failures_column`` of the failing
        constraint names). Nothing is dropped: good rows + bad rows = rows of ``df``.
        """
        return quarantine_rows(
            df, self._row_constraints(), good, bad, mode=mode, failures_column=failures_column
        )

    def _row_constraints(self) -> list[Any]:
        return [r.constraint for _, r in self.constraint_results() if r.constraint.row_level is not None]


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
