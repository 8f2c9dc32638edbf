"""The Check builder as a data structure: immutability, where, names, argument errors (no Spark)."""

from __future__ import annotations

import pytest

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import (
    Completeness,
    Compliance,
    Histogram,
    Maximum,
    Minimum,
    PatternMatch,
    Size,
    Uniqueness,
)
from spark_mlops.quality.checks import Check, CheckLevel, Comparison, ConstrainableDataType


def test_every_call_returns_a_new_check_and_leaves_the_old_one_alone() -> None:
    base = Check(CheckLevel.ERROR, "reviews").is_complete("review_id")
    extended = base.is_unique("review_id")
    filtered = extended.where("marketplace = 'US'")
    assert len(base.constraints) == 1 and len(extended.constraints) == 2 and len(filtered.constraints) == 2
    assert extended.constraints[1].analyzer == Uniqueness(["review_id"])
    assert filtered.constraints[1].analyzer == Uniqueness(["review_id"], where="marketplace = 'US'")
    assert filtered.constraints[0] is extended.constraints[0]  # where binds to the last constraint only
    with pytest.raises(AttributeError):
        base.description = "x"  # type: ignore[misc]


def test_level_accepts_strings_and_rejects_others() -> None:
    assert Check("warning", "w").level is CheckLevel.WARNING
    assert Check("Error", "e").level is CheckLevel.ERROR
    with pytest.raises(InvalidArgumentError, match="level: expected 'error' or 'warning', got 'fatal'"):
        Check("fatal", "x")
    with pytest.raises(InvalidArgumentError, match="level"):
        Check(3, "x")  # type: ignore[arg-type]


def test_constraint_names_have_deequs_shape() -> None:
    check = (
        Check(CheckLevel.ERROR, "c")
        .has_size(lambda n: n > 0)
        .is_complete("review_id")
        .has_min("star rating", lambda v: v == 1)
        .where("`year` > 2000")
        .is_unique("review_id")
    )
    names = [c.name for c in check.constraints]
    assert names == [
        "SizeConstraint(Size(None))",
        "CompletenessConstraint(Completeness(review_id,None))",
        "MinimumConstraint(Minimum(star rating,`year` > 2000))",
        "UniquenessConstraint(Uniqueness([review_id],None))",
    ]


def test_required_analyzers_are_deduplicated_and_add_the_size_of_a_where() -> None:
    check = (
        Check(CheckLevel.ERROR, "c")
        .is_complete("a")
        .has_completeness("a", lambda r: r > 0.5)
        .has_min("b", lambda v: v > 0)
        .where("c = 1")
        .has_max("b", lambda v: v > 0)
        .where("c = 1")
        .has_mean("b", lambda v: v > 0)
    )
    analyzers = check.required_analyzers()
    # has_min/has_max with a where also need Size(where) to tell "no rows" from "all NULL".
    assert analyzers[:4] == (Completeness("a"), Minimum("b", "c = 1"), Size("c = 1"), Maximum("b", "c = 1"))
    assert len(analyzers) == 5


def test_predicates_quote_odd_column_names() -> None:
    check = (
        Check(CheckLevel.ERROR, "c")
        .is_contained_in("market place", ["US", "it's"])
        .is_contained_in("a.b", lower=1, upper=5, include_lower=False)
        .is_non_negative("we`ird")
        .is_less_than("x y", "ü")
        .are_complete(["p q", "r"])
    )
    predicates = [c.analyzer.predicate for c in check.constraints]  # type: ignore[attr-defined]
    assert predicates == [
        r"`market place` IS NULL OR `market place` IN ('US', 'it\'s')",
        "`a.b` IS NULL OR (try_cast(`a.b` AS DOUBLE) > 1.0 AND try_cast(`a.b` AS DOUBLE) <= 5.0)",
        "`we``ird` IS NULL OR try_cast(`we``ird` AS DOUBLE) >= 0",
        "`x y` < `ü`",
        "`p q` IS NOT NULL AND `r` IS NOT NULL",
    ]
    assert isinstance(check.constraints[0].analyzer, Compliance)
    assert check.constraints[0].analyzer.columns == ("market place",)  # type: ignore[attr-defined]


def test_labels_are_delta_safe_row_level_names() -> None:
    check = (
        Check(CheckLevel.ERROR, "c")
        .is_complete("review id")
        .is_primary_key("a", "b")
        .satisfies("x > 0", "x is (positive)")
        .contains_email("mail")
        .has_data_type("n", "numeric")
    )
    assert [c.label for c in check.constraints] == [
        "is_complete_review_id",
        "is_unique_a_b",
        "satisfies_x_is_positive",
        "contains_email_mail",
        "has_data_type_n_Numeric",
    ]


def test_default_ratio_assertion_is_equal_to_one() -> None:
    check = Check(CheckLevel.ERROR, "c").has_uniqueness(["a"]).contains_url("u").is_positive("p")
    for constraint in check.constraints:
        assert isinstance(constraint.assertion, Comparison)
        assert repr(constraint.assertion) == "== 1.0"
        assert constraint.assertion(1.0) and not constraint.assertion(0.999)


def test_vocabulary_builds_the_expected_analyzers() -> None:
    check = (
        Check(CheckLevel.ERROR, "c")
        .has_number_of_distinct_values("m", lambda n: n < 10, max_bins=50)
        .has_pattern("t", r"\d+")
        .contains_social_security_number("t")
        .has_data_type("n", ConstrainableDataType.INTEGRAL)
    )
    assert check.constraints[0].analyzer == Histogram("m", 50)
    assert check.constraints[1].analyzer == PatternMatch("t", r"\d+")
    assert check.constraints[2].kind == "PatternMatch"


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda c: c.is_complete(""), "column: expected a non-empty column name"),
        (lambda c: c.is_complete(None), "column"),
        (lambda c: c.has_min("a", None), "assertion: this constraint needs an assertion"),
        (lambda c: c.has_min("a", 1.0), "assertion: expected a callable"),
        (lambda c: c.has_uniqueness([]), "columns: expected a column name or a non-empty list"),
        (
            lambda c: c.is_contained_in("a"),
            "values, lower, upper: give a list of values or at least one bound",
        ),
        (lambda c: c.is_contained_in("a", ["x"], lower=1), "give either values or bounds"),
        (lambda c: c.is_contained_in("a", "US"), "values: expected a non-empty list"),
        (lambda c: c.is_contained_in("a", [object()]), "values: expected strings or finite numbers"),
        (
            lambda c: c.is_contained_in("a", lower=5, upper=1),
            "lower, upper: lower bound 5 is above upper bound 1",
        ),
        (lambda c: c.is_contained_in("a", lower="x"), "lower: expected a number"),
        (
            lambda c: c.has_approx_quantile("a", 1.5, lambda v: True),
            r"quantile: expected a value in \[0, 1\]",
        ),
        (lambda c: c.has_data_type("a", "date"), "data_type: expected one of Null, Fractional"),
        (lambda c: c.is_complete("a", hint=3), "hint: expected a string"),
        (lambda c: c.satisfies("", "name"), "predicate: expected a SQL boolean expression"),
        (lambda c: c.satisfies("a > 1", ""), "constraint_name"),
        (lambda c: c.has_pattern("a", ""), "pattern: expected a regular expression"),
        (lambda c: c.is_less_than("a", ""), "column_b"),
        (lambda c: c.where("a > 1"), "where: add a constraint first"),
        (lambda c: c.is_complete("a").where("  "), "predicate: expected a SQL boolean expression"),
        (lambda c: c.add_constraint("x"), "constraint: expected a Constraint"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(build, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError, match=needle):
        build(Check(CheckLevel.ERROR, "c"))
