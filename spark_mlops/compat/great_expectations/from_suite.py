"""Great Expectations 1.x suite → our Checks.

Each convertible expectation becomes one constraint whose assertion (:class:`ExpectationBounds`) keeps
GE's semantics; every other expectation is listed in :attr:`ConversionResult.unconverted` with the
reason, never dropped silently. Semantic care (see docs/compat.md):

* GE's ``mostly`` on column-map expectations is a share of the *non-NULL* rows (NULLs are ignored), so
  they become ``satisfies(predicate).where("col IS NOT NULL")``: the ratio has GE's denominator and an
  all-NULL column passes, as in GE. ``expect_column_values_to_not_be_null``/``to_be_null`` count all rows.
* ``between`` is inclusive unless ``strict_min``/``strict_max``; a missing bound is unbounded.
* ``expect_column_stdev_to_be_between`` is GE's *sample* standard deviation (ddof 1): it uses
  :class:`SampleStandardDeviation`, not Deequ's population StandardDeviation.
* ``expect_column_median_to_be_between``: GE computes the exact median (mean of the middle two values);
  we bound the 0.5 ApproxQuantile (a data value from a KLL sketch), so a bound within one value step of
  the median can give a different verdict.
* A ``row_condition`` with ``condition_parser="spark"`` (a Spark SQL predicate) becomes the ``where``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from spark_mlops.compat.great_expectations.bounds import ExpectationBounds
from spark_mlops.compat.great_expectations.sample_stdev import SampleStandardDeviation
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import CountDistinct
from spark_mlops.quality.analyzers.base import quote
from spark_mlops.quality.checks import Check, CheckLevel, Constraint, ConstraintStatus
from spark_mlops.quality.checks.sql import sql_literal
from spark_mlops.quality.verification import VerificationResult

__all__ = [
    "SUPPORTED_EXPECTATIONS",
    "ConversionResult",
    "ConvertedExpectation",
    "checks_from_expectation_suite",
    "expectation_dicts",
]

# kwargs every expectation may carry that do not change the verdict.
_NEUTRAL = {
    "result_format",
    "catch_exceptions",
    "include_config",
    "meta",
    "row_condition",
    "condition_parser",
}


class _Unconvertible(Exception):
    """Internal: this expectation cannot be expressed; the message is the reason."""


@dataclass(frozen=True)
class ConvertedExpectation:
    """One converted expectation: the GE configuration and the constraint that judges it."""

    expectation: dict[str, Any]
    constraint: Constraint


@dataclass(frozen=True)
class ConversionResult:
    """What :func:`checks_from_expectation_suite` produced.

    Attributes:
        checks: One Check per severity present (``critical`` → ERROR, ``warning``/``info`` → WARNING),
            described by the suite name.
        unconverted: ``(expectation, reason)`` for every expectation that could not be converted.
        converted: Every converted expectation with its constraint, in suite order.
    """

    checks: list[Check]
    unconverted: list[tuple[dict[str, Any], str]]
    converted: list[ConvertedExpectation]

    def verdicts(self, result: VerificationResult) -> list[tuple[dict[str, Any], bool]]:
        """``(expectation, success)`` for every converted expectation, from a run of :attr:`checks`.

        Raises:
            InvalidArgumentError: ``result`` is not a run of these checks.
        """
        status = {id(r.constraint): r.status for _, r in result.constraint_results()}
        out = []
        for item in self.converted:
            if id(item.constraint) not in status:
                raise InvalidArgumentError("result: not a verification run of this conversion's checks")
            out.append((item.expectation, status[id(item.constraint)] is ConstraintStatus.SUCCESS))
        return out


def expectation_dicts(suite_or_json: Any) -> tuple[str, list[dict[str, Any]]]:
    """The suite name and its expectations as ``{"type", "kwargs", ...}`` dicts.

    Accepts a GE ``ExpectationSuite``, its ``to_json_dict()`` output or that dict as a JSON string
    (GE 0.x ``expectation_type``/``expectation_suite_name`` keys are read too).

    Raises:
        InvalidArgumentError: the argument is none of these.
    """
    data = suite_or_json
    if hasattr(data, "to_json_dict"):
        data = data.to_json_dict()
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise InvalidArgumentError(f"suite_or_json: not valid JSON ({exc})") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("expectations"), list):
        raise InvalidArgumentError(
            "suite_or_json: expected a GE ExpectationSuite, its JSON dict or JSON text with 'expectations'"
        )
    name = str(data.get("name") or data.get("expectation_suite_name") or "expectation suite")
    out = []
    for i, raw in enumerate(data["expectations"]):
        if not isinstance(raw, Mapping):
            raise InvalidArgumentError(f"suite_or_json: expectations[{i}] is not a mapping: {raw!r}")
        entry = dict(raw)
        if "type" not in entry and "expectation_type" in entry:
            entry["type"] = entry.pop("expectation_type")
        entry["kwargs"] = dict(entry.get("kwargs") or {})
        out.append(entry)
    return name, out


def checks_from_expectation_suite(suite_or_json: Any) -> ConversionResult:
    """Convert a Great Expectations 1.x suite into Checks.

    Args:
        suite_or_json: A GE ``ExpectationSuite``, its JSON dict or JSON text.

    Returns:
        The checks, the converted expectations with their constraints, and the unconverted ones with
        their reasons.

    Example:
        >>> conv = checks_from_expectation_suite(suite)
        >>> result = VerificationSuite(spark).on_data(df).add_checks(conv.checks).run()
        >>> conv.verdicts(result)   # [(expectation, True/False), ...] in suite order
    """
    name, expectations = expectation_dicts(suite_or_json)
    checks = {level: Check(level, name) for level in (CheckLevel.ERROR, CheckLevel.WARNING)}
    converted: list[ConvertedExpectation] = []
    unconverted: list[tuple[dict[str, Any], str]] = []
    for e in expectations:
        level = CheckLevel.ERROR if e.get("severity", "critical") == "critical" else CheckLevel.WARNING
        try:
            constraint = _convert(Check(level, name), e).constraints[-1]
        except (_Unconvertible, InvalidArgumentError) as exc:
            unconverted.append((e, str(exc)))
            continue
        checks[level] = checks[level].add_constraint(constraint)
        converted.append(ConvertedExpectation(e, constraint))
    return ConversionResult([c for c in checks.values() if c.constraints], unconverted, converted)


# -- one expectation ----------------------------------------------------------------------------------


def _convert(check: Check, e: dict[str, Any]) -> Check:
    kind = e.get("type")
    converter = _CONVERTERS.get(str(kind))
    if converter is None:
        raise _Unconvertible(f"no equivalent for {kind!r} in our checks")
    kw: dict[str, Any] = e["kwargs"]
    allowed, fn = converter
    unknown = sorted(set(kw) - allowed - _NEUTRAL)
    if unknown:
        raise _Unconvertible(f"unsupported argument(s) {', '.join(unknown)}")
    for key, value in kw.items():
        if isinstance(value, Mapping) and "$PARAMETER" in value:
            raise _Unconvertible(f"{key} is a suite parameter ({value['$PARAMETER']}); resolve it first")
    out = fn(check, kw, e)
    scope = _row_condition(kw)
    if scope is not None:
        last = out.constraints[-1]
        where = last.analyzer.where
        out = out.where(f"({scope}) AND ({where})" if where else scope)
    return out


def _row_condition(kw: Mapping[str, Any]) -> str | None:
    condition = kw.get("row_condition")
    if not condition:
        return None
    parser = kw.get("condition_parser")
    if parser != "spark":
        raise _Unconvertible(
            f"row_condition with condition_parser={parser!r}; only 'spark' (a Spark SQL predicate) "
            "maps to a where"
        )
    return str(condition)


def _column(kw: Mapping[str, Any], key: str = "column") -> str:
    value = kw.get(key)
    if not isinstance(value, str) or not value:
        raise _Unconvertible(f"{key} is missing")
    return value


def _bounds(kw: Mapping[str, Any], e: Mapping[str, Any]) -> ExpectationBounds:
    low, high = kw.get("min_value"), kw.get("max_value")
    for key, value in (("min_value", low), ("max_value", high)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise _Unconvertible(f"{key}={value!r} is not a number")
    if low is None and high is None:
        raise _Unconvertible("min_value and max_value are both missing")
    return ExpectationBounds(low, high, bool(kw.get("strict_min")), bool(kw.get("strict_max")), expectation=e)


def _mostly(kw: Mapping[str, Any], e: Mapping[str, Any]) -> ExpectationBounds:
    mostly = kw.get("mostly", 1.0)
    if isinstance(mostly, bool) or not isinstance(mostly, (int, float)) or not 0.0 <= mostly <= 1.0:
        raise _Unconvertible(f"mostly={mostly!r} is not a share in [0, 1]")
    return ExpectationBounds(min_value=float(mostly), expectation=e)


def _values(kw: Mapping[str, Any], key: str) -> str:
    values = kw.get(key)
    if not isinstance(values, (list, tuple, set)):
        raise _Unconvertible(f"{key} is not a list of values")
    return ", ".join(sql_literal(v, key) for v in values) if values else ""


def _nonnull_map(predicate: Callable[[str, Mapping[str, Any]], str]) -> Callable[..., Check]:
    """A column-map expectation: share of non-NULL rows where ``predicate`` holds >= mostly."""

    def build(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
        col = _column(kw)
        q = quote(col)
        name = f"{e['type']}({col})"
        return check.satisfies(predicate(q, kw), name, _mostly(kw, e), columns=[col]).where(
            f"{q} IS NOT NULL"
        )

    return build


def _in_set(q: str, kw: Mapping[str, Any]) -> str:
    values = _values(kw, "value_set")
    return f"{q} IN ({values})" if values else "FALSE"


def _range(expr: str, kw: Mapping[str, Any], strict: bool = True) -> str:
    bounds = _bounds(kw, {})
    parts = []
    if bounds.min_value is not None:
        parts.append(f"{expr} {'>' if strict and bounds.strict_min else '>='} {bounds.min_value!r}")
    if bounds.max_value is not None:
        parts.append(f"{expr} {'<' if strict and bounds.strict_max else '<='} {bounds.max_value!r}")
    return " AND ".join(parts)


def _regex(q: str, kw: Mapping[str, Any]) -> str:
    regex = kw.get("regex")
    if not isinstance(regex, str):
        raise _Unconvertible("regex is missing")
    return f"{q} RLIKE {sql_literal(regex, 'regex')}"


def _not_null(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    return check.has_completeness(_column(kw), _mostly(kw, e))


def _null(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    col = _column(kw)
    return check.satisfies(f"{quote(col)} IS NULL", f"{e['type']}({col})", _mostly(kw, e), columns=[col])


def _unique(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    return check.has_uniqueness([_column(kw)], _mostly(kw, e))


def _compound_unique(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    cols = kw.get("column_list")
    if not isinstance(cols, (list, tuple)) or not cols:
        raise _Unconvertible("column_list is missing")
    # Our Uniqueness drops rows whose columns are all NULL: GE's default ignore_row_if.
    if kw.get("ignore_row_if", "all_values_are_missing") != "all_values_are_missing":
        raise _Unconvertible(f"ignore_row_if={kw['ignore_row_if']!r}; only 'all_values_are_missing' maps")
    return check.has_uniqueness(list(cols), _mostly(kw, e))


def _pair_greater(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    a, b = _column(kw, "column_A"), _column(kw, "column_B")
    qa, qb = quote(a), quote(b)
    op = ">=" if kw.get("or_equal") else ">"
    ignore = kw.get("ignore_row_if", "both_values_are_missing")
    wheres = {
        "both_values_are_missing": f"NOT ({qa} IS NULL AND {qb} IS NULL)",
        "either_value_is_missing": f"{qa} IS NOT NULL AND {qb} IS NOT NULL",
        "neither": None,
    }
    if ignore not in wheres:
        raise _Unconvertible(f"ignore_row_if={ignore!r} is not one of {', '.join(wheres)}")
    # A comparison with one NULL side is NULL: a non-match (GE's map condition is NULL there too).
    out = check.satisfies(f"{qa} {op} {qb}", f"{e['type']}({a},{b})", _mostly(kw, e), columns=[a, b])
    where = wheres[ignore]
    return out.where(where) if where else out


def _aggregate(method: str) -> Callable[..., Check]:
    def build(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
        return getattr(check, method)(_column(kw), _bounds(kw, e))

    return build


def _stdev(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    col = _column(kw)
    return check.add_constraint(
        Constraint("StandardDeviation", SampleStandardDeviation(col), _bounds(kw, e), f"stdev_{col}")
    )


def _median(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    return check.has_approx_quantile(_column(kw), 0.5, _bounds(kw, e))


def _row_count(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    return check.has_size(_bounds(kw, e))


def _row_count_equal(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    value = kw.get("value")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Unconvertible(f"value={value!r} is not a row count")
    return check.has_size(ExpectationBounds(value, value, expectation=e))


def _unique_count(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    # GE counts distinct non-NULL values: our CountDistinct (not the Histogram, whose bins include NULL).
    col = _column(kw)
    return check.add_constraint(
        Constraint("CountDistinct", CountDistinct((col,)), _bounds(kw, e), f"unique_value_count_{col}")
    )


def _unique_proportion(check: Check, kw: Mapping[str, Any], e: Mapping[str, Any]) -> Check:
    # Distinct non-NULL values ÷ non-NULL rows: our Distinctness.
    return check.has_distinctness([_column(kw)], _bounds(kw, e))


_MAP = {"column", "mostly"}
_BETWEEN = {"column", "min_value", "max_value", "strict_min", "strict_max"}
_CONVERTERS: dict[str, tuple[set[str], Callable[..., Check]]] = {
    "expect_column_values_to_not_be_null": (_MAP, _not_null),
    "expect_column_values_to_be_null": (_MAP, _null),
    "expect_column_values_to_be_unique": (_MAP, _unique),
    "expect_column_values_to_be_in_set": (_MAP | {"value_set"}, _nonnull_map(_in_set)),
    "expect_column_values_to_not_be_in_set": (
        _MAP | {"value_set"},
        _nonnull_map(lambda q, kw: f"NOT ({_in_set(q, kw)})"),
    ),
    "expect_column_values_to_be_between": (
        _MAP | _BETWEEN,
        _nonnull_map(lambda q, kw: _range(q, kw)),
    ),
    "expect_column_values_to_match_regex": (_MAP | {"regex"}, _nonnull_map(_regex)),
    "expect_column_values_to_not_match_regex": (
        _MAP | {"regex"},
        _nonnull_map(lambda q, kw: f"NOT ({_regex(q, kw)})"),
    ),
    "expect_column_value_lengths_to_be_between": (
        _MAP | _BETWEEN,
        _nonnull_map(lambda q, kw: _range(f"char_length({q})", kw)),
    ),
    "expect_column_value_lengths_to_equal": (
        _MAP | {"value"},
        _nonnull_map(lambda q, kw: f"char_length({q}) = {int(kw['value'])}"),
    ),
    "expect_column_min_to_be_between": (_BETWEEN, _aggregate("has_min")),
    "expect_column_max_to_be_between": (_BETWEEN, _aggregate("has_max")),
    "expect_column_mean_to_be_between": (_BETWEEN, _aggregate("has_mean")),
    "expect_column_sum_to_be_between": (_BETWEEN, _aggregate("has_sum")),
    "expect_column_stdev_to_be_between": (_BETWEEN, _stdev),
    "expect_column_median_to_be_between": (_BETWEEN, _median),
    "expect_table_row_count_to_be_between": (_BETWEEN - {"column"}, _row_count),
    "expect_table_row_count_to_equal": ({"value"}, _row_count_equal),
    "expect_column_unique_value_count_to_be_between": (_BETWEEN, _unique_count),
    "expect_column_proportion_of_unique_values_to_be_between": (_BETWEEN, _unique_proportion),
    "expect_compound_columns_to_be_unique": ({"column_list", "mostly", "ignore_row_if"}, _compound_unique),
    "expect_column_pair_values_a_to_be_greater_than_b": (
        {"column_A", "column_B", "or_equal", "mostly", "ignore_row_if"},
        _pair_greater,
    ),
}

#: Expectation types :func:`checks_from_expectation_suite` converts.
SUPPORTED_EXPECTATIONS: tuple[str, ...] = tuple(_CONVERTERS)
