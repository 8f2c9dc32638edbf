"""Comparison assertions parsed from text or mappings (no eval)."""

from __future__ import annotations

import math

import pytest

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.checks import Comparison, parse_assertion


@pytest.mark.parametrize(
    ("spec", "true_for", "false_for", "text"),
    [
        (">= 3", [3, 4.5], [2.999], ">= 3.0"),
        ("'>= 3'".strip("'"), [3], [2], ">= 3.0"),
        ("== 1.0", [1.0], [0.99], "== 1.0"),
        ("= 2", [2], [3], "== 2.0"),
        ("!= 0", [1], [0], "!= 0.0"),
        ("< 1e-3", [0.0005], [0.001], "< 0.001"),
        ("<= -2", [-2], [-1.5], "<= -2.0"),
        ("> .5", [0.6], [0.5], "> 0.5"),
        ("between 1 and 5", [1, 5, 3], [0.9, 5.1], "between 1.0 and 5.0"),
        ({"op": ">=", "value": 3_000_000}, [3_000_000], [2_999_999], ">= 3000000"),
        ({"op": "between", "value": [0, 1]}, [0, 1], [-0.1], "between 0.0 and 1.0"),
        (2, [2.0], [2.5], "== 2.0"),
    ],
)
def test_parse_assertion(spec, true_for, false_for, text: str) -> None:  # type: ignore[no-untyped-def]
    assertion = parse_assertion(spec)
    assert all(assertion(v) for v in true_for)
    assert not any(assertion(v) for v in false_for)
    assert repr(assertion) == text


def test_nan_never_satisfies_a_comparison() -> None:
    assert not Comparison(">=", 0)(math.nan)
    assert not Comparison("==", 1.0)(math.nan)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("__import__('os')", "assertion: expected a comparison like '>= 3'"),
        (">= three", "assertion: expected a comparison"),
        ({"op": "~", "value": 1}, "assertion.op: expected one of ==, !=, >, >=, <, <=, between"),
        ({"op": ">="}, "assertion: expected a mapping with exactly 'op' and 'value'"),
        ({"op": ">=", "value": 1, "x": 2}, "assertion: expected a mapping"),
        ({"op": ">=", "value": "3"}, "assertion.value: expected a number"),
        ({"op": "between", "value": [5, 1]}, "assertion.value: 'between' expects"),
        ([1, 2], "assertion: expected a comparison string or mapping"),
    ],
)
def test_bad_assertions_name_the_field(spec, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        parse_assertion(spec)


def test_argument_name_is_used_in_messages() -> None:
    with pytest.raises(InvalidArgumentError, match=r"checks\[0\].assertion: expected"):
        parse_assertion("nope", "checks[0].assertion")
