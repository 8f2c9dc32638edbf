"""Checks: immutable groups of constraints on the metrics of a dataset (Deequ's Check, snake_case)."""

from __future__ import annotations

from spark_mlops.quality.checks.assertions import Comparison, is_one, parse_assertion
from spark_mlops.quality.checks.check import Check, CheckLevel, CheckResult, CheckStatus
from spark_mlops.quality.checks.constraints import Constraint, ConstraintResult, ConstraintStatus, RowLevel
from spark_mlops.quality.checks.metric_constraints import ConstrainableDataType
from spark_mlops.quality.checks.sql import sql_literal

__all__ = [
    "Check",
    "CheckLevel",
    "CheckResult",
    "CheckStatus",
    "Comparison",
    "ConstrainableDataType",
    "Constraint",
    "ConstraintResult",
    "ConstraintStatus",
    "RowLevel",
    "is_one",
    "parse_assertion",
    "sql_literal",
]
