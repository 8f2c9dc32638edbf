"""Failure semantics: failed metrics carried into messages, empty `where`, raising assertions."""

from __future__ import annotations

import pytest

from spark_mlops.quality import Check, CheckLevel, CheckStatus, ConstraintStatus, VerificationSuite
from spark_mlops.quality.analyzers import Maximum, Size

S, F = ConstraintStatus.SUCCESS, ConstraintStatus.FAILURE


@pytest.fixture(scope="module")
def df(spark):  # type: ignore[no-untyped-def]
    rows = [(1, "US", None, 2.0), (2, "UK", None, 5.0), (3, None, None, -1.0), (4, "US", None, None)]
    return spark.createDataFrame(rows, "id int, mk string, empty double, v double").cache()


def _run(spark, df, check: Check):  # type: ignore[no-untyped-def]
    result = VerificationSuite(spark).on_data(df).add_check(check).run()
    return result, [(r.status, r.message) for r in result.check_results[check].constraint_results]


def test_failed_metrics_fail_the_constraint_with_their_message(spark, df) -> None:  # type: ignore[no-untyped-def]
    check = (
        Check(CheckLevel.ERROR, "broken")
        .has_min("nope", lambda v: v > 0)
        .has_mean("mk", lambda v: v > 0)
        .has_max("empty", lambda v: v > 0)
        .has_min_length("id", lambda v: v > 0)
        .is_unique("missing col")
        .satisfies("no_such_column > 1", "bad predicate")
    )
    result, outcomes = _run(spark, df, check)
    assert result.status is CheckStatus.ERROR
    assert [s for s, _ in outcomes] == [F] * 6
    messages = [m for _, m in outcomes]
    assert messages[0] == "Input data does not include column nope!"
    assert messages[1].startswith("Expected type of column mk to be one of")
    assert messages[2] == f"Empty state for analyzer {Maximum('empty')!r}, all input values were NULL."
    assert messages[3] == "Expected type of column id to be StringType, but found IntegerType instead!"
    assert messages[4] == "Input data does not include column missing col!"
    assert "no_such_column" in messages[5]  # the analysis error, as a short message (no Py4J trace)
    assert "Traceback" not in messages[5] and "py4j" not in messages[5].lower()


def test_where_selecting_no_rows_passes_min_max_complete_satisfies(spark, df) -> None:  # type: ignore[no-untyped-def]
    nothing = "id > 100"
    check = (
        Check(CheckLevel.ERROR, "empty scope")
        .has_min("v", lambda v: v > 1000)
        .where(nothing)
        .has_max("v", lambda v: v < -1000)
        .where(nothing)
        .is_complete("empty")
        .where(nothing)
        .satisfies("v > 1000", "huge")
        .where(nothing)
        .has_mean("v", lambda v: True)
        .where(nothing)
        .has_min("empty", lambda v: True)
        .where("id > 1")
    )
    result, outcomes = _run(spark, df, check)
    assert [s for s, _ in outcomes] == [S, S, S, S, F, F]
    # The metrics themselves are failures (nothing to measure); the constraints have nothing to violate.
    assert not result.metrics[Maximum("v", nothing)].is_success
    assert result.metrics[Size(nothing)].value == 0.0
    assert outcomes[4][1].startswith("Empty state for analyzer Mean(")
    # With rows in scope but only NULL values, has_min still fails (the where did select rows).
    assert outcomes[5][1].startswith("Empty state for analyzer Minimum(")


def test_where_binds_to_the_last_constraint(spark, df) -> None:  # type: ignore[no-untyped-def]
    check = (
        Check(CheckLevel.ERROR, "where")
        .is_complete("mk")
        .is_contained_in("mk", ["US"])
        .where("id <> 2")
        .has_max("v", lambda v: v == 2.0)
        .where("`mk` = 'US'")
    )
    _, outcomes = _run(spark, df, check)
    assert outcomes == [(F, "Value: 0.75 does not meet the constraint requirement!"), (S, None), (S, None)]


def test_raising_assertion_fails_the_constraint(spark, df) -> None:  # type: ignore[no-untyped-def]
    def boom(_: float) -> bool:
        raise ValueError("boom")

    check = (
        Check(CheckLevel.WARNING, "raises").has_size(boom).has_data_type("empty", "numeric").where("id > 9")
    )
    result, outcomes = _run(spark, df, check)
    assert result.status is CheckStatus.WARNING
    assert outcomes[0] == (F, "Can't execute the assertion: boom!")
    assert outcomes[1] == (
        F,
        "Can't retrieve the value to assert on: no values in scope to infer a data type from",
    )


def test_non_numeric_text_violates_sign_and_range_constraints(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([("5",), ("-1",), ("x",), (None,), ("2.5",)], "s string")
    check = Check(CheckLevel.ERROR, "text").is_non_negative("s").is_contained_in("s", lower=0, upper=3)
    _, outcomes = _run(spark, df, check)
    # NULL passes; "x" cannot be cast and counts as a violation instead of failing the whole scan.
    assert outcomes == [
        (F, "Value: 0.6 does not meet the constraint requirement!"),
        (F, "Value: 0.4 does not meet the constraint requirement!"),
    ]
