"""The row-checkable half of the Check vocabulary: completeness, uniqueness, predicates, value sets,
ranges, signs, patterns and column comparisons. Each of these also judges single rows (row-level
results and quarantine) with the same NULL semantics as its metric.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import Completeness, Compliance, PatternMatch, Uniqueness
from spark_mlops.quality.analyzers.base import column as column_ref
from spark_mlops.quality.analyzers.base import quote
from spark_mlops.quality.checks import patterns
from spark_mlops.quality.checks._builder import (
    ConstraintBuilder,
    assertion_arg,
    column_arg,
    columns_arg,
    hint_arg,
    label,
    number_arg,
)
from spark_mlops.quality.checks.constraints import Constraint, RowLevel
from spark_mlops.quality.checks.sql import sql_literal

if TYPE_CHECKING:
    from spark_mlops.quality.checks.check import Check

__all__ = ["RowConstraints"]

Assertion = Callable[[float], bool]


def _compliance(
    method: str,
    instance: str,
    predicate: str,
    columns: tuple[str, ...],
    assertion: Assertion | None,
    hint: str | None,
    empty_where_succeeds: bool = False,
    label_parts: Sequence[str] | None = None,
) -> Constraint:
    return Constraint(
        kind="Compliance",
        analyzer=Compliance(instance, predicate, columns=columns),
        assertion=assertion_arg(assertion, default_one=True),
        label=label(method, *(columns if label_parts is None else label_parts)),
        hint=hint_arg(hint),
        row_level=RowLevel(condition=lambda: _expr(predicate)),
        empty_where_succeeds=empty_where_succeeds,
    )


def _expr(predicate: str) -> Any:
    from pyspark.sql import functions as F

    return F.expr(predicate)


def _numeric(column: str) -> str:
    # try_cast: numeric strings are compared as numbers (Deequ casts), other text becomes NULL (a
    # violation) instead of an ANSI cast error failing the whole scan.
    return f"try_cast({quote(column)} AS DOUBLE)"


class RowConstraints(ConstraintBuilder):
    """Constraints that also judge single rows (see :meth:`VerificationResult.row_level_results`)."""

    # -- completeness -------------------------------------------------------------------------------
    def is_complete(self, column: str, hint: str | None = None) -> Check:
        """``column`` is never NULL (Completeness == 1.0)."""
        return self.has_completeness(column, None, hint)

    def has_completeness(
        self, column: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """The share of non-NULL values of ``column`` satisfies ``assertion`` (default ``== 1.0``)."""
        col = column_arg(column)
        return self._add(
            Constraint(
                kind="Completeness",
                analyzer=Completeness(col),
                assertion=assertion_arg(assertion, default_one=True),
                label=label("is_complete" if assertion is None else "has_completeness", col),
                hint=hint_arg(hint),
                row_level=RowLevel(condition=lambda: column_ref(col).isNotNull()),
                empty_where_succeeds=assertion is None,
            )
        )

    def are_complete(self, columns: Sequence[str], hint: str | None = None) -> Check:
        """Every row has all of ``columns`` non-NULL."""
        return self.have_completeness(columns, None, hint)

    def have_completeness(
        self, columns: Sequence[str], assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """The share of rows with all of ``columns`` non-NULL satisfies ``assertion`` (default ``== 1.0``)."""
        cols = columns_arg(columns)
        predicate = " AND ".join(f"{quote(c)} IS NOT NULL" for c in cols)
        return self._add(
            _compliance("are_complete", "Combined Completeness", predicate, cols, assertion, hint)
        )

    def are_any_complete(self, columns: Sequence[str], hint: str | None = None) -> Check:
        """Every row has at least one of ``columns`` non-NULL."""
        return self.have_any_completeness(columns, None, hint)

    def have_any_completeness(
        self, columns: Sequence[str], assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """The share of rows with any of ``columns`` non-NULL satisfies ``assertion`` (default ``== 1.0``)."""
        cols = columns_arg(columns)
        predicate = " OR ".join(f"{quote(c)} IS NOT NULL" for c in cols)
        return self._add(
            _compliance("are_any_complete", "Any Completeness", predicate, cols, assertion, hint)
        )

    # -- uniqueness ---------------------------------------------------------------------------------
    def is_unique(self, column: str, hint: str | None = None) -> Check:
        """Every (non-NULL) value of ``column`` occurs once (Uniqueness == 1.0)."""
        return self.has_uniqueness([column_arg(column)], None, hint)

    def is_primary_key(self, column: str, *columns: str, hint: str | None = None) -> Check:
        """The combination of ``column`` and ``columns`` identifies every row (Uniqueness == 1.0)."""
        return self.has_uniqueness([column_arg(column), *columns], None, hint)

    def has_uniqueness(
        self, columns: str | Sequence[str], assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Groups seen once ÷ rows (all-NULL groups dropped) satisfies ``assertion`` (default ``== 1.0``)."""
        cols = columns_arg(columns)
        return self._add(
            Constraint(
                kind="Uniqueness",
                analyzer=Uniqueness(cols),
                assertion=assertion_arg(assertion, default_one=True),
                label=label("is_unique" if assertion is None else "has_uniqueness", *cols),
                hint=hint_arg(hint),
                row_level=RowLevel(unique_columns=cols),
            )
        )

    # -- predicates ---------------------------------------------------------------------------------
    def satisfies(
        self,
        predicate: str,
        constraint_name: str,
        assertion: Assertion | None = None,
        hint: str | None = None,
        columns: Sequence[str] = (),
    ) -> Check:
        """The share of rows where the SQL ``predicate`` is TRUE satisfies ``assertion`` (default ``== 1.0``).

        A NULL predicate result is a non-match. Quote odd column names in ``predicate`` with backticks;
        list them in ``columns`` to get a "missing column" failure instead of an analysis error.
        """
        if not isinstance(predicate, str) or not predicate.strip():
            raise InvalidArgumentError(f"predicate: expected a SQL boolean expression, got {predicate!r}")
        if not isinstance(constraint_name, str) or not constraint_name:
            raise InvalidArgumentError(f"constraint_name: expected a non-empty name, got {constraint_name!r}")
        cols = columns_arg(columns, "columns") if columns else ()
        return self._add(
            _compliance(
                "satisfies",
                constraint_name,
                predicate,
                cols,
                assertion,
                hint,
                empty_where_succeeds=True,
                label_parts=[constraint_name],
            )
        )

    def is_non_negative(
        self, column: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Values of ``column`` are >= 0; NULL passes, numeric strings are cast, other text fails."""
        col = column_arg(column)
        predicate = f"{quote(col)} IS NULL OR {_numeric(col)} >= 0"
        return self._add(
            _compliance("is_non_negative", f"{col} is non-negative", predicate, (col,), assertion, hint)
        )

    def is_positive(self, column: str, assertion: Assertion | None = None, hint: str | None = None) -> Check:
        """Values of ``column`` are > 0; NULL passes, numeric strings are cast, other text fails."""
        col = column_arg(column)
        predicate = f"{quote(col)} IS NULL OR {_numeric(col)} > 0"
        return self._add(_compliance("is_positive", f"{col} is positive", predicate, (col,), assertion, hint))

    def is_less_than(
        self, column_a: str, column_b: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """``column_a < column_b`` on every row; a NULL comparison is a non-match."""
        return self._compare(column_a, column_b, "<", "is less than", assertion, hint)

    def is_less_than_or_equal_to(
        self, column_a: str, column_b: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """``column_a <= column_b`` on every row; a NULL comparison is a non-match."""
        return self._compare(column_a, column_b, "<=", "is less than or equal to", assertion, hint)

    def is_greater_than(
        self, column_a: str, column_b: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """``column_a > column_b`` on every row; a NULL comparison is a non-match."""
        return self._compare(column_a, column_b, ">", "is greater than", assertion, hint)

    def is_greater_than_or_equal_to(
        self, column_a: str, column_b: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """``column_a >= column_b`` on every row; a NULL comparison is a non-match."""
        return self._compare(column_a, column_b, ">=", "is greater than or equal to", assertion, hint)

    def _compare(
        self, column_a: str, column_b: str, op: str, words: str, assertion: Assertion | None, hint: str | None
    ) -> Check:
        a, b = column_arg(column_a, "column_a"), column_arg(column_b, "column_b")
        method = "is_" + words.removeprefix("is ").replace(" ", "_")
        predicate = f"{quote(a)} {op} {quote(b)}"
        return self._add(_compliance(method, f"{a} {words} {b}", predicate, (a, b), assertion, hint))

    def is_contained_in(
        self,
        column: str,
        values: Sequence[Any] | None = None,
        *,
        lower: float | None = None,
        upper: float | None = None,
        include_lower: bool = True,
        include_upper: bool = True,
        assertion: Assertion | None = None,
        hint: str | None = None,
    ) -> Check:
        """Values of ``column`` are in ``values``, or within ``[lower, upper]`` (bounds inclusive unless
        told otherwise; a missing bound is unbounded). NULL passes.

        Example:
            >>> check.is_contained_in("marketplace", ["US", "UK"]).is_contained_in("votes", lower=0, upper=9)
        """
        col = column_arg(column)
        q = quote(col)
        if values is not None:
            if lower is not None or upper is not None:
                raise InvalidArgumentError("values, lower, upper: give either values or bounds, not both")
            if isinstance(values, str) or not isinstance(values, Sequence) or not values:
                raise InvalidArgumentError(
                    f"values: expected a non-empty list of allowed values, got {values!r}"
                )
            literals = ", ".join(sql_literal(v) for v in values)
            predicate = f"{q} IS NULL OR {q} IN ({literals})"
            instance = f"{col} contained in {','.join(str(v) for v in values)}"
        else:
            if lower is None and upper is None:
                raise InvalidArgumentError(
                    "values, lower, upper: give a list of values or at least one bound"
                )
            parts = []
            if lower is not None:
                parts.append(
                    f"{_numeric(col)} {'>=' if include_lower else '>'} {number_arg(lower, 'lower')!r}"
                )
            if upper is not None:
                parts.append(
                    f"{_numeric(col)} {'<=' if include_upper else '<'} {number_arg(upper, 'upper')!r}"
                )
            if lower is not None and upper is not None and float(lower) > float(upper):
                raise InvalidArgumentError(f"lower, upper: lower bound {lower} is above upper bound {upper}")
            predicate = f"{q} IS NULL OR ({' AND '.join(parts)})"
            low = "-inf" if lower is None else lower
            high = "inf" if upper is None else upper
            instance = (
                f"{col} between {'[' if include_lower else '('}{low}, {high}{']' if include_upper else ')'}"
            )
        return self._add(_compliance("is_contained_in", instance, predicate, (col,), assertion, hint))

    # -- patterns -----------------------------------------------------------------------------------
    def has_pattern(
        self,
        column: str,
        pattern: str,
        assertion: Assertion | None = None,
        name: str | None = None,
        hint: str | None = None,
    ) -> Check:
        """The share of values with a match of the Java regex ``pattern`` (anywhere) satisfies
        ``assertion`` (default ``== 1.0``); NULL is a non-match. ``column`` must be a string column."""
        col = column_arg(column)
        if not isinstance(pattern, str) or not pattern:
            raise InvalidArgumentError(f"pattern: expected a regular expression, got {pattern!r}")
        return self._add(
            Constraint(
                kind="PatternMatch",
                analyzer=PatternMatch(col, pattern),
                assertion=assertion_arg(assertion, default_one=True),
                label=label(name or "has_pattern", col),
                hint=hint_arg(hint),
                row_level=RowLevel(condition=lambda: column_ref(col).rlike(pattern)),
            )
        )

    def contains_email(
        self, column: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Values contain an e-mail address (:data:`~spark_mlops.quality.checks.patterns.EMAIL`)."""
        return self.has_pattern(column, patterns.EMAIL, assertion, "contains_email", hint)

    def contains_url(self, column: str, assertion: Assertion | None = None, hint: str | None = None) -> Check:
        """Values contain a URL (:data:`~spark_mlops.quality.checks.patterns.URL`)."""
        return self.has_pattern(column, patterns.URL, assertion, "contains_url", hint)

    def contains_credit_card_number(
        self, column: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Values contain a card number (:data:`~spark_mlops.quality.checks.patterns.CREDIT_CARD`)."""
        return self.has_pattern(column, patterns.CREDIT_CARD, assertion, "contains_credit_card_number", hint)

    def contains_social_security_number(
        self, column: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Values contain a US SSN (:data:`~spark_mlops.quality.checks.patterns.SOCIAL_SECURITY_NUMBER`)."""
        return self.has_pattern(
            column, patterns.SOCIAL_SECURITY_NUMBER, assertion, "contains_social_security_number", hint
        )
