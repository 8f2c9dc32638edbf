"""PyDeequ's suggestion API on our runner: same suggestions as the native run, PyDeequ's JSON shape."""

from __future__ import annotations

from spark_mlops.compat.pydeequ.suggestions import DEFAULT, ConstraintSuggestionRunner, NonNegativeNumbersRule
from spark_mlops.quality import ConstraintSuggestionRunner as NativeRunner


def test_suggestions_match_native_run_in_pydeequ_shape(spark):
    rows = [(i, "US" if i % 3 else "DE", float(i % 7)) for i in range(300)]
    df = spark.createDataFrame(rows, ["id", "marketplace", "votes"])

    result = ConstraintSuggestionRunner(spark).onData(df).addConstraintRule(DEFAULT()).run()
    native = NativeRunner(spark).on_data(df).run()

    got = {(s["column_name"], s["suggesting_rule"]) for s in result["constraint_suggestions"]}
    assert got == {(s.column, s.rule) for s in native.suggestions}
    # Known facts of this frame: every column is complete, ids are unique, votes are non-negative and
    # the marketplace has two values.
    assert {("id", "complete_if_complete"), ("id", "unique_if_approximately_unique")} <= got
    assert ("votes", "non_negative_numbers") in got
    assert ("marketplace", "categorical_range") in got
    codes = {s["code_for_constraint"] for s in result["constraint_suggestions"]}
    assert '.isComplete("id")' in codes and '.isNonNegative("votes")' in codes

    only = ConstraintSuggestionRunner(spark).onData(df).addConstraintRule(NonNegativeNumbersRule()).run()
    assert {s["suggesting_rule"] for s in only["constraint_suggestions"]} == {"non_negative_numbers"}
