"""ConstraintSuggestionRunner: Deequ's rules on data with known properties; suggested checks run and pass."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spark_mlops.quality.suggestions import DEFAULT_RULES, ConstraintSuggestionRunner
from spark_mlops.quality.verification import VerificationSuite


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(8)
    n = 300
    mixed = ["x"] * 135 + ["y"] * 135 + [f"u{i}" for i in range(30)]  # x, y cover exactly 90 %
    rows = []
    for i in range(n):
        amount = None if i % 10 == 0 else float(rng.uniform(0, 100))
        rows.append((i, ["a", "b", "c"][i % 3], str(1 + i % 9), amount, mixed[i]))
    return rows, spark.createDataFrame(
        rows, "id long, status string, code string, amount double, mixed string"
    )


def test_rules_and_code(spark, data) -> None:  # type: ignore[no-untyped-def]
    rows, df = data
    result = ConstraintSuggestionRunner(spark).on_data(df).add_constraint_rules(DEFAULT_RULES).run()
    got = {(s.column, s.rule): s for s in result.suggestions}
    assert set(got) == {
        ("id", "complete_if_complete"),
        ("id", "non_negative_numbers"),
        ("id", "unique_if_approximately_unique"),
        ("status", "complete_if_complete"),
        ("status", "categorical_range"),
        ("code", "complete_if_complete"),
        ("code", "retain_type"),
        ("code", "categorical_range"),
        ("amount", "retain_completeness"),
        ("amount", "non_negative_numbers"),
        ("mixed", "complete_if_complete"),
        ("mixed", "fractional_categorical_range"),
    }
    p = sum(r[3] is not None for r in rows) / len(rows)
    bound = math.floor((p - 1.96 * math.sqrt(p * (1 - p) / len(rows))) * 100) / 100  # 95 % lower bound
    assert (
        got[("amount", "retain_completeness")].code == f'.has_completeness("amount", lambda v: v >= {bound})'
    )
    assert got[("code", "retain_type")].code == '.has_data_type("code", "Integral")'
    assert got[("status", "categorical_range")].code == ".is_contained_in(\"status\", ['a', 'b', 'c'])"
    frac = got[("mixed", "fractional_categorical_range")]
    assert frac.code == ".is_contained_in(\"mixed\", ['x', 'y'], assertion=lambda v: v >= 0.9)"
    # Every suggested check holds on the data it was suggested from.
    checks = [s.check for s in result.suggestions]
    verification = VerificationSuite(spark).on_data(df).add_checks(checks).run()
    assert verification.status.value == "Success"


def test_train_test_split_evaluates_each_suggestion(spark, data) -> None:  # type: ignore[no-untyped-def]
    _, df = data
    result = ConstraintSuggestionRunner(spark).on_data(df).use_train_test_split(0.3, seed=1).run()
    assert result.suggestions and all(
        s.evaluation_status in ("Success", "Failure") for s in result.suggestions
    )
    status = {(s.column, s.rule): s.evaluation_status for s in result.suggestions}
    assert status[("status", "complete_if_complete")] == "Success"
    assert status[("id", "non_negative_numbers")] == "Success"
    assert result.num_records < 300  # rules saw only the train part
