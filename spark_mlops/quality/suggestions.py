"""Constraint suggestion (Deequ's ``ConstraintSuggestionRunner``) from column profiles.

``ConstraintSuggestionRunner(spark).on_data(df).add_constraint_rules(DEFAULT_RULES).run()`` profiles
the data (:class:`~spark_mlops.quality.profiling.ColumnProfilerRunner`, ≤ 2 Spark jobs) and applies
Deequ's rules:

* ``complete_if_complete`` — completeness 1.0 → ``is_complete``.
* ``retain_completeness`` — 0.2 < completeness < 1.0 → ``has_completeness(≥ p − 1.96·√(p(1−p)/n))``,
  the lower end of a 95 % normal-approximation interval, rounded down to 2 decimals.
* ``retain_type`` — a string column whose values all look Integral/Fractional/Boolean → ``has_data_type``.
* ``categorical_range`` — a string/boolean column with a histogram whose values seen once are at most
  10 % of its distinct values → ``is_contained_in(all values)``.
* ``fractional_categorical_range`` — otherwise, the most frequent values covering ≥ 90 % of the rows →
  ``is_contained_in(those values, assertion ≥ their coverage)``.
* ``non_negative_numbers`` — numeric minimum ≥ 0 → ``is_non_negative``.
* ``unique_if_approximately_unique`` — approximate distinct count within 8 % of the row count (the HLL
  error) and complete → ``is_unique``.

With ``use_train_test_split(ratio, seed)`` the rules see only a random train part and every suggested
check is evaluated on the held-out test part with a ``VerificationSuite`` (one extra run).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.checks import Check, CheckLevel
from spark_mlops.quality.profiling import ColumnProfile, ColumnProfilerRunner

__all__ = [
    "DEFAULT_RULES",
    "ConstraintSuggestion",
    "ConstraintSuggestionResult",
    "ConstraintSuggestionRunner",
]

_STRING_TYPES = ("String", "Integral", "Fractional", "Boolean")


@dataclass(frozen=True)
class ConstraintSuggestion:
    """One suggested constraint.

    Attributes:
        column: The column it is about.
        rule: Name of the rule that suggested it.
        description: Why, with the measured numbers.
        code: Python text of the builder call, e.g. ``.is_complete("id")``.
        check: A one-constraint :class:`Check` (level WARNING) that runs it.
        evaluation_status: ``"Success"``/``"Failure"`` on the test split, None without a split.
    """

    column: str
    rule: str
    description: str
    code: str
    check: Check
    evaluation_status: str | None = None


Rule = Callable[[ColumnProfile, int], "ConstraintSuggestion | None"]


def _check(column: str, build: Callable[[Check], Check], rule: str = "") -> Check:
    return build(Check(CheckLevel.WARNING, f"suggested {rule} constraint on {column}".replace("  ", " ")))


def complete_if_complete(p: ColumnProfile, n: int) -> ConstraintSuggestion | None:
    """Completeness 1.0 → ``is_complete``."""
    if n == 0 or p.completeness != 1.0:
        return None
    return ConstraintSuggestion(
        p.column,
        "complete_if_complete",
        f"'{p.column}' is not null",
        f'.is_complete("{p.column}")',
        _check(p.column, lambda c: c.is_complete(p.column), "complete_if_complete"),
    )


def retain_completeness(p: ColumnProfile, n: int) -> ConstraintSuggestion | None:
    """0.2 < completeness < 1.0 → a lower bound at 95 % confidence."""
    c = p.completeness
    if n == 0 or not 0.2 < c < 1.0:
        return None
    bound = math.floor((c - 1.96 * math.sqrt(c * (1 - c) / n)) * 100) / 100
    return ConstraintSuggestion(
        p.column,
        "retain_completeness",
        f"'{p.column}' has less than {100 - round(bound * 100)}% missing values (completeness {c:.4g})",
        f'.has_completeness("{p.column}", lambda v: v >= {bound})',
        _check(
            p.column, lambda ch: ch.has_completeness(p.column, lambda v: v >= bound), "retain_completeness"
        ),
    )


def retain_type(p: ColumnProfile, n: int) -> ConstraintSuggestion | None:
    """A string column of numbers/booleans keeps that type."""
    if not p.is_data_type_inferred or p.data_type not in ("Integral", "Fractional", "Boolean"):
        return None
    return ConstraintSuggestion(
        p.column,
        "retain_type",
        f"'{p.column}' has type {p.data_type}",
        f'.has_data_type("{p.column}", "{p.data_type}")',
        _check(p.column, lambda c: c.has_data_type(p.column, p.data_type), "retain_type"),
    )


def _values(p: ColumnProfile) -> list[tuple[str, int]]:
    hist = p.histogram or {}
    return sorted(((k, v[0]) for k, v in hist.items() if k != "NullValue"), key=lambda kv: (-kv[1], kv[0]))


def _categorical(p: ColumnProfile) -> bool:
    return p.histogram is not None and (p.is_data_type_inferred or p.data_type == "Boolean")


def _unique_share(values: list[tuple[str, int]]) -> float:
    return sum(1 for _, c in values if c == 1) / len(values) if values else 1.0


def categorical_range(p: ColumnProfile, n: int) -> ConstraintSuggestion | None:
    """Few values, rarely seen only once → the column stays within them."""
    values = _values(p)
    if not _categorical(p) or not values or _unique_share(values) > 0.1:
        return None
    allowed = [k for k, _ in values]
    return ConstraintSuggestion(
        p.column,
        "categorical_range",
        f"'{p.column}' has value range {', '.join(allowed)}",
        f'.is_contained_in("{p.column}", {allowed!r})',
        _check(p.column, lambda c: c.is_contained_in(p.column, allowed), "categorical_range"),
    )


def fractional_categorical_range(
    p: ColumnProfile, n: int, target: float = 0.9
) -> ConstraintSuggestion | None:
    """The most frequent values covering ≥ 90 % of the rows → at least that share stays within them."""
    values = _values(p)
    if not _categorical(p) or not values or _unique_share(values) <= 0.1 or n == 0:
        return None
    total, top = 0, []
    for k, c in values:
        top.append(k)
        total += c
        if total / n >= target:
            break
    coverage = math.floor(total / n * 100) / 100
    if total / n < target or len(top) == len(values):
        return None
    return ConstraintSuggestion(
        p.column,
        "fractional_categorical_range",
        f"'{p.column}' has value range {', '.join(top)} for at least {coverage:.0%} of values",
        f'.is_contained_in("{p.column}", {top!r}, assertion=lambda v: v >= {coverage})',
        _check(
            p.column,
            lambda c: c.is_contained_in(p.column, top, assertion=lambda v: v >= coverage),
            "fractional_categorical_range",
        ),
    )


def non_negative_numbers(p: ColumnProfile, n: int) -> ConstraintSuggestion | None:
    """Numeric minimum ≥ 0 → ``is_non_negative``."""
    if p.minimum is None or p.minimum < 0:
        return None
    return ConstraintSuggestion(
        p.column,
        "non_negative_numbers",
        f"'{p.column}' has no negative values (min {p.minimum:g})",
        f'.is_non_negative("{p.column}")',
        _check(p.column, lambda c: c.is_non_negative(p.column), "non_negative_numbers"),
    )


def unique_if_approximately_unique(p: ColumnProfile, n: int) -> ConstraintSuggestion | None:
    """Approximately as many distinct values as rows → ``is_unique``."""
    if n == 0 or p.completeness != 1.0 or abs(p.approximate_num_distinct_values - n) / n > 0.08:
        return None
    return ConstraintSuggestion(
        p.column,
        "unique_if_approximately_unique",
        f"'{p.column}' is unique (≈ {p.approximate_num_distinct_values} distinct of {n} rows)",
        f'.is_unique("{p.column}")',
        _check(p.column, lambda c: c.is_unique(p.column), "unique_if_approximately_unique"),
    )


#: Deequ's default rule set.
DEFAULT_RULES: tuple[Rule, ...] = (
    complete_if_complete,
    retain_completeness,
    retain_type,
    categorical_range,
    fractional_categorical_range,
    non_negative_numbers,
    unique_if_approximately_unique,
)


@dataclass(frozen=True)
class ConstraintSuggestionResult:
    """Profiles, suggestions and (with a split) their evaluation on the test part."""

    column_profiles: dict[str, ColumnProfile]
    num_records: int
    suggestions: tuple[ConstraintSuggestion, ...]

    def by_column(self) -> dict[str, list[ConstraintSuggestion]]:
        """Suggestions grouped by column."""
        out: dict[str, list[ConstraintSuggestion]] = {}
        for s in self.suggestions:
            out.setdefault(s.column, []).append(s)
        return out


@dataclass(frozen=True)
class ConstraintSuggestionRunner:
    """Immutable builder.

    Example:
        >>> ConstraintSuggestionRunner(spark).on_data(df).add_constraint_rules(DEFAULT_RULES).run()
    """

    spark: SparkSession
    data: DataFrame | None = None
    rules: tuple[Rule, ...] = ()
    columns: tuple[str, ...] | None = None
    test_ratio: float | None = None
    seed: int = 0

    def on_data(self, df: DataFrame) -> ConstraintSuggestionRunner:
        """Suggest constraints for ``df``."""
        return replace(self, data=df)

    def add_constraint_rules(self, rules: Sequence[Rule]) -> ConstraintSuggestionRunner:
        """Add rules (e.g. :data:`DEFAULT_RULES`)."""
        return replace(self, rules=self.rules + tuple(rules))

    def restrict_to_columns(self, columns: Sequence[str]) -> ConstraintSuggestionRunner:
        """Only these columns."""
        return replace(self, columns=tuple(columns))

    def use_train_test_split(self, test_ratio: float, seed: int = 0) -> ConstraintSuggestionRunner:
        """Suggest on a random train part and evaluate the suggestions on the rest."""
        if not 0.0 < test_ratio < 1.0:
            raise InvalidArgumentError(f"test_ratio: expected a share in (0, 1), got {test_ratio}")
        return replace(self, test_ratio=test_ratio, seed=seed)

    def run(self) -> ConstraintSuggestionResult:
        """Profile, apply the rules and optionally evaluate on the test split."""
        if self.data is None:
            raise InvalidArgumentError("data: call on_data(df) before run()")
        rules = self.rules or DEFAULT_RULES
        train, test = self.data, None
        if self.test_ratio is not None:
            train, test = self.data.randomSplit([1 - self.test_ratio, self.test_ratio], seed=self.seed)
        profiler = ColumnProfilerRunner(self.spark).on_data(train)
        if self.columns is not None:
            profiler = profiler.restrict_to_columns(self.columns)
        profiles = profiler.run()
        found = [
            s for p in profiles.profiles.values() for rule in rules if (s := rule(p, profiles.num_records))
        ]
        if test is not None and found:
            from spark_mlops.quality.verification import VerificationSuite

            result = VerificationSuite(self.spark).on_data(test).add_checks([s.check for s in found]).run()
            found = [
                replace(
                    s,
                    evaluation_status="Success"
                    if result.check_results[s.check].status.value == "Success"
                    else "Failure",
                )
                for s in found
            ]
        return ConstraintSuggestionResult(profiles.profiles, profiles.num_records, tuple(found))
