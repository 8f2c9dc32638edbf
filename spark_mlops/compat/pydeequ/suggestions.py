"""PyDeequ's ``pydeequ.suggestions``: ``ConstraintSuggestionRunner(spark).onData(df)
.addConstraintRule(DEFAULT()).run()`` on our suggestion runner, returning PyDeequ's JSON shape
(``{"constraint_suggestions": [{"column_name", "description", "suggesting_rule", "code_for_constraint",
...}]}``). The rules are our Deequ rule functions under PyDeequ's class names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.quality import suggestions as native

__all__ = [
    "DEFAULT",
    "CategoricalRangeRule",
    "CompleteIfCompleteRule",
    "ConstraintSuggestionRunBuilder",
    "ConstraintSuggestionRunner",
    "FractionalCategoricalRangeRule",
    "NonNegativeNumbersRule",
    "RetainCompletenessRule",
    "RetainTypeRule",
    "UniqueIfApproximatelyUniqueRule",
]


class _Rules:
    """A PyDeequ rule object: holds one or more of our rule functions."""

    def __init__(self, *rules: native.Rule) -> None:
        self.rules = rules


def DEFAULT() -> _Rules:
    """Deequ's default rule set."""
    return _Rules(*native.DEFAULT_RULES)


def CompleteIfCompleteRule() -> _Rules:
    """``isComplete`` for columns without NULLs."""
    return _Rules(native.complete_if_complete)


def RetainCompletenessRule() -> _Rules:
    """``hasCompleteness`` at a confidence bound of the observed completeness."""
    return _Rules(native.retain_completeness)


def RetainTypeRule() -> _Rules:
    """``hasDataType`` for string columns whose values all parse as one type."""
    return _Rules(native.retain_type)


def CategoricalRangeRule() -> _Rules:
    """``isContainedIn`` the observed values of low-cardinality columns."""
    return _Rules(native.categorical_range)


def FractionalCategoricalRangeRule() -> _Rules:
    """``isContainedIn`` the values covering most rows, with a ratio assertion."""
    return _Rules(native.fractional_categorical_range)


def NonNegativeNumbersRule() -> _Rules:
    """``isNonNegative`` for numeric columns whose minimum is >= 0."""
    return _Rules(native.non_negative_numbers)


def UniqueIfApproximatelyUniqueRule() -> _Rules:
    """``isUnique`` for columns whose approximate distinct count matches the row count."""
    return _Rules(native.unique_if_approximately_unique)


def _camel(code: str) -> str:
    # ".is_complete(" -> ".isComplete(": PyDeequ users read (and paste) camelCase method names.
    return re.sub(r"\.([a-z]+(?:_[a-z0-9]+)+)\(", lambda m: "." + _to_camel(m.group(1)) + "(", code)


def _to_camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _as_json(result: native.ConstraintSuggestionResult) -> dict[str, Any]:
    items = []
    for s in result.suggestions:
        item: dict[str, Any] = {
            "constraint_name": s.rule,
            "column_name": s.column,
            "description": s.description,
            "suggesting_rule": s.rule,
            "rule_description": s.description,
            "code_for_constraint": _camel(s.code),
        }
        if s.evaluation_status is not None:
            item["constraint_result_on_test_set"] = s.evaluation_status
        items.append(item)
    return {"constraint_suggestions": items}


class ConstraintSuggestionRunBuilder:
    """PyDeequ's ``ConstraintSuggestionRunBuilder``; each call updates the builder and returns it."""

    def __init__(self, spark_session: SparkSession, df: DataFrame) -> None:
        self._runner = native.ConstraintSuggestionRunner(spark_session).on_data(df)

    def addConstraintRule(self, constraintRule: _Rules) -> ConstraintSuggestionRunBuilder:
        """Add a rule (``DEFAULT()`` or one of the rule classes)."""
        self._runner = self._runner.add_constraint_rules(constraintRule.rules)
        return self

    def restrictToColumns(self, restrict: Sequence[str]) -> ConstraintSuggestionRunBuilder:
        """Suggest only for these columns."""
        self._runner = self._runner.restrict_to_columns(restrict)
        return self

    def useTrainTestSplitWithTestsetRatio(
        self, testsetRatio: float, testsetSplitRandomSeed: int | None = None
    ) -> ConstraintSuggestionRunBuilder:
        """Suggest on a train part and evaluate the suggestions on the test part."""
        self._runner = self._runner.use_train_test_split(testsetRatio, testsetSplitRandomSeed or 0)
        return self

    def run(self) -> dict[str, Any]:
        """PyDeequ's JSON result (a dict)."""
        return _as_json(self._runner.run())


class ConstraintSuggestionRunner:
    """PyDeequ's ``ConstraintSuggestionRunner(spark_session)``: ``.onData(df)`` starts a run."""

    def __init__(self, spark_session: SparkSession) -> None:
        self._spark = spark_session

    def onData(self, df: DataFrame) -> ConstraintSuggestionRunBuilder:
        """Suggest constraints for ``df``."""
        return ConstraintSuggestionRunBuilder(self._spark, df)
