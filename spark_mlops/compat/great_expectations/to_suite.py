"""Our Checks → a Great Expectations 1.x suite, where the meaning carries over exactly.

A constraint converts when its assertion is readable (an :class:`ExpectationBounds` or a
:class:`~spark_mlops.quality.checks.Comparison`, e.g. from ``parse_assertion(">= 0.95")``) and its metric
has a GE expectation with the same meaning. Constraints converted *from* GE give back their original
expectation. Everything else is listed with the reason (a Python lambda is opaque; Deequ's population
standard deviation is not GE's sample one; SQL predicates have no GE expectation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spark_mlops.compat.great_expectations.bounds import ExpectationBounds
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality import analyzers as A
from spark_mlops.quality.checks import Check, CheckLevel, Comparison, Constraint

__all__ = ["SuiteExport", "to_expectation_suite"]


class _Unconvertible(Exception):
    """Internal: the constraint has no exact GE equivalent; the message is the reason."""


@dataclass(frozen=True)
class SuiteExport:
    """What :func:`to_expectation_suite` produced.

    Attributes:
        suite: The suite as GE's JSON dict (``{"name", "expectations": [{"type", "kwargs", ...}]}``).
        unconverted: ``(constraint name, reason)`` for every constraint left out.
    """

    suite: dict[str, Any]
    unconverted: list[tuple[str, str]]

    def to_gx(self) -> Any:
        """The suite as a ``great_expectations.core.ExpectationSuite`` (needs great-expectations)."""
        from great_expectations.core import ExpectationSuite

        return ExpectationSuite(name=self.suite["name"], expectations=list(self.suite["expectations"]))


def to_expectation_suite(checks: Check | Iterable[Check], name: str | None = None) -> SuiteExport:
    """Convert checks into a Great Expectations suite.

    Args:
        checks: A Check or several.
        name: The suite name (default: the first check's description).

    Raises:
        InvalidArgumentError: ``checks`` holds something that is not a Check.
    """
    items = [checks] if isinstance(checks, Check) else list(checks)
    for c in items:
        if not isinstance(c, Check):
            raise InvalidArgumentError(f"checks: expected Check objects, got {c!r}")
    expectations: list[dict[str, Any]] = []
    unconverted: list[tuple[str, str]] = []
    for check in items:
        severity = "critical" if check.level is CheckLevel.ERROR else "warning"
        for constraint in check.constraints:
            try:
                expectations.append(_expectation(constraint, severity))
            except _Unconvertible as exc:
                unconverted.append((constraint.name, str(exc)))
    suite_name = name or (items[0].description if items else "spark_mlops checks")
    return SuiteExport({"name": suite_name, "expectations": expectations, "meta": {}}, unconverted)


def _bounds(assertion: Any) -> ExpectationBounds:
    if isinstance(assertion, ExpectationBounds):
        return assertion
    if isinstance(assertion, Comparison):
        op, v = assertion.op, assertion.operand
        if op == "between":
            low, high = v  # type: ignore[misc]
            return ExpectationBounds(low, high)
        table = {
            "==": ExpectationBounds(v, v),  # type: ignore[arg-type]
            ">=": ExpectationBounds(min_value=v),  # type: ignore[arg-type]
            ">": ExpectationBounds(min_value=v, strict_min=True),  # type: ignore[arg-type]
            "<=": ExpectationBounds(max_value=v),  # type: ignore[arg-type]
            "<": ExpectationBounds(max_value=v, strict_max=True),  # type: ignore[arg-type]
        }
        if op in table:
            return table[op]
        raise _Unconvertible(f"assertion '{assertion!r}' has no GE bound")
    raise _Unconvertible(
        "the assertion is a Python callable; use parse_assertion('>= 0.95') (a Comparison) "
        "to make it portable"
    )


def _range_kwargs(bounds: ExpectationBounds) -> dict[str, Any]:
    kw: dict[str, Any] = {"min_value": bounds.min_value, "max_value": bounds.max_value}
    if bounds.strict_min:
        kw["strict_min"] = True
    if bounds.strict_max:
        kw["strict_max"] = True
    return kw


def _mostly(bounds: ExpectationBounds) -> dict[str, Any]:
    # A ratio constraint converts when it only bounds the share from below (GE's mostly is >=).
    if bounds.max_value not in (None, 1.0) or bounds.strict_min or bounds.min_value is None:
        raise _Unconvertible(f"assertion '{bounds!r}' is not a lower bound on the share (GE's mostly)")
    return {} if bounds.min_value == 1.0 else {"mostly": bounds.min_value}


_AGGREGATES: dict[type[A.Analyzer], str] = {
    A.Minimum: "expect_column_min_to_be_between",
    A.Maximum: "expect_column_max_to_be_between",
    A.Mean: "expect_column_mean_to_be_between",
    A.Sum: "expect_column_sum_to_be_between",
}


def _expectation(constraint: Constraint, severity: str) -> dict[str, Any]:
    assertion = constraint.assertion
    if isinstance(assertion, ExpectationBounds) and assertion.expectation is not None:
        return dict(assertion.expectation)  # converted from GE: give the original back
    analyzer = constraint.analyzer
    bounds = _bounds(assertion)
    kind: str
    kwargs: dict[str, Any]
    if isinstance(analyzer, A.Size):
        if bounds.min_value is not None and bounds.min_value == bounds.max_value:
            kind, kwargs = "expect_table_row_count_to_equal", {"value": int(bounds.min_value)}
        else:
            kind, kwargs = "expect_table_row_count_to_be_between", _range_kwargs(bounds)
    elif isinstance(analyzer, A.Completeness):
        kind, kwargs = "expect_column_values_to_not_be_null", {"column": analyzer.column, **_mostly(bounds)}
    elif isinstance(analyzer, A.Uniqueness) and len(analyzer.columns) == 1:
        kind, kwargs = "expect_column_values_to_be_unique", {"column": analyzer.columns[0], **_mostly(bounds)}
    elif isinstance(analyzer, A.Uniqueness):
        kind, kwargs = (
            "expect_compound_columns_to_be_unique",
            {
                "column_list": list(analyzer.columns),
                **_mostly(bounds),
            },
        )
    elif isinstance(analyzer, A.Distinctness) and len(analyzer.columns) == 1:
        kind = "expect_column_proportion_of_unique_values_to_be_between"
        kwargs = {"column": analyzer.columns[0], **_range_kwargs(bounds)}
    elif isinstance(analyzer, A.CountDistinct) and len(analyzer.columns) == 1:
        kind = "expect_column_unique_value_count_to_be_between"
        kwargs = {"column": analyzer.columns[0], **_range_kwargs(bounds)}
    elif type(analyzer) in _AGGREGATES:
        kind = _AGGREGATES[type(analyzer)]
        kwargs = {"column": analyzer.column, **_range_kwargs(bounds)}  # type: ignore[attr-defined]
    elif isinstance(analyzer, A.StandardDeviation):
        raise _Unconvertible("Deequ's StandardDeviation is the population std; GE's stdev is the sample std")
    else:
        raise _Unconvertible(f"no GE expectation for a {constraint.kind} constraint")
    if analyzer.where is not None:
        kwargs.update(row_condition=analyzer.where, condition_parser="spark")
    return {"type": kind, "kwargs": kwargs, "meta": {}, "severity": severity}
