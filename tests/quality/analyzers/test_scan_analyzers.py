"""Scan-shareable analyzers on real Spark against numpy/pandas references computed here."""

from __future__ import annotations

import math
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from spark_mlops.quality.analyzers import (
    ApproxCountDistinct,
    ApproxQuantile,
    ApproxQuantiles,
    Completeness,
    Compliance,
    Correlation,
    DataType,
    Maximum,
    MaxLength,
    Mean,
    Minimum,
    MinLength,
    PatternMatch,
    Size,
    StandardDeviation,
    Sum,
)
from spark_mlops.quality.engine import compute_metrics

# Odd names on purpose: a space, a dot, a backtick and unicode must all work without user quoting.
AMOUNT, NAME, TAG, CODE = "amount €", "cust.name", "ta`g", "code"
SCHEMA = f"`{AMOUNT}` double, `{NAME}` string, `{TAG.replace('`', '``')}` string, `{CODE}` int"

ROWS = [
    (1.5, "alice@example.com", "1.5", 1),
    (None, "bob", "2", 2),
    (-3.0, None, None, None),
    (4.25, "carol@example.org", "true", 4),
    (10.0, "", "abc", 5),
    (2.0, "dave", "1e-3", None),
    (None, "eve@x.io", "-7", 7),
    (0.5, "frank", "+ 3", 8),
]


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    return spark.createDataFrame(ROWS, SCHEMA)


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=[AMOUNT, NAME, TAG, CODE])


def _value(data, analyzer):  # type: ignore[no-untyped-def]
    metric = compute_metrics(data, [analyzer])[analyzer]
    assert metric.is_success, metric.failure
    return metric.value


def test_size_completeness_and_where(data, ref) -> None:  # type: ignore[no-untyped-def]
    assert _value(data, Size()) == len(ref)
    assert _value(data, Size(where=f"`{CODE}` > 2")) == (ref[CODE] > 2).sum()
    assert _value(data, Completeness(AMOUNT)) == pytest.approx(ref[AMOUNT].notna().mean())
    scoped = ref[ref[CODE] > 1]
    assert _value(data, Completeness(NAME, where=f"`{CODE}` > 1")) == pytest.approx(
        scoped[NAME].notna().mean()
    )
    # An empty string is complete.
    assert _value(data, Completeness(NAME, where="`cust.name` = ''")) == 1.0


def test_numeric_metrics_ignore_null(data, ref) -> None:  # type: ignore[no-untyped-def]
    values = ref[AMOUNT].dropna().to_numpy()
    assert _value(data, Mean(AMOUNT)) == pytest.approx(values.mean())
    assert _value(data, Sum(AMOUNT)) == pytest.approx(values.sum())
    assert _value(data, Minimum(AMOUNT)) == values.min()
    assert _value(data, Maximum(AMOUNT)) == values.max()
    assert _value(data, StandardDeviation(AMOUNT)) == pytest.approx(np.std(values))  # population (ddof=0)
    codes = ref[CODE].dropna().to_numpy(dtype=float)
    assert _value(data, Sum(CODE)) == pytest.approx(codes.sum())
    assert isinstance(_value(data, Sum(CODE)), float)


def test_lengths_and_pattern_find_semantics(data, ref) -> None:  # type: ignore[no-untyped-def]
    names = ref[NAME].dropna()
    assert _value(data, MinLength(NAME)) == names.str.len().min() == 0
    assert _value(data, MaxLength(NAME)) == names.str.len().max()
    # Find semantics: "a" anywhere; NULL is a non-match that stays in the denominator.
    expected = sum(1 for v in ref[NAME] if v is not None and re.search("a", v)) / len(ref)
    assert _value(data, PatternMatch(NAME, "a")) == pytest.approx(expected)
    email = r"[a-z]+@[a-z]+\.[a-z]+"
    expected_email = sum(1 for v in ref[NAME] if v is not None and re.search(email, v)) / len(ref)
    assert _value(data, PatternMatch(NAME, email)) == pytest.approx(expected_email) == 3 / 8


def test_compliance_null_predicate_is_a_non_match_in_the_denominator(data, ref) -> None:  # type: ignore[no-untyped-def]
    expected = (ref[AMOUNT] > 1).sum() / len(ref)  # NaN > 1 is False in pandas, like NULL here
    assert _value(data, Compliance("big", f"`{AMOUNT}` > 1")) == pytest.approx(expected)
    where = _value(data, Compliance("big", f"`{AMOUNT}` > 1", where=f"`{CODE}` >= 4"))
    scoped = ref[ref[CODE] >= 4]
    assert where == pytest.approx((scoped[AMOUNT] > 1).sum() / len(scoped))


def test_correlation_is_pearson_over_rows_where_both_are_present(data, ref) -> None:  # type: ignore[no-untyped-def]
    both = ref[[AMOUNT, CODE]].dropna()
    expected = np.corrcoef(both[AMOUNT].to_numpy(), both[CODE].to_numpy(dtype=float))[0, 1]
    assert _value(data, Correlation(AMOUNT, CODE)) == pytest.approx(expected)


def test_correlation_with_a_constant_column_is_nan_as_a_value(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(1.0, 5.0), (2.0, 5.0), (3.0, 5.0)], "x double, y double")
    assert math.isnan(_value(df, Correlation("x", "y")))


def test_data_type_inference_on_text(data) -> None:  # type: ignore[no-untyped-def]
    # "1.5", "1e-3" Fractional; "2", "-7", "+ 3" Integral; "true" Boolean; "abc" String; NULL Unknown.
    assert _value(data, DataType(TAG)) == {
        "Unknown": 1.0,
        "Fractional": 2.0,
        "Integral": 3.0,
        "Boolean": 1.0,
        "String": 1.0,
    }
    # A numeric column is classified by its text.
    assert _value(data, DataType(CODE))["Integral"] == ref_count_not_null(CODE)


def ref_count_not_null(column: str) -> float:
    return float(pd.DataFrame(ROWS, columns=[AMOUNT, NAME, TAG, CODE])[column].notna().sum())


def test_approx_quantile_returns_a_data_value(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.range(1, 7).selectExpr("cast(id as double) x")
    # Deequ: the approximate median of 1..6 is the data value 3 (exact interpolation would give 3.5).
    assert _value(df, ApproxQuantile("x", 0.5)) == 3.0
    assert _value(df, ApproxQuantiles("x", (0.0, 0.5, 1.0))) == {"0.0": 1.0, "0.5": 3.0, "1.0": 6.0}


def test_approx_quantiles_within_rank_error_on_larger_data(spark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    values = rng.normal(size=3000)
    df = spark.createDataFrame([(float(v),) for v in values], "x double")
    result = _value(df, ApproxQuantiles("x", (0.1, 0.5, 0.9), relative_error=0.01))
    ordered = np.sort(values)
    for q in (0.1, 0.5, 0.9):
        rank = np.searchsorted(ordered, result[str(q)], side="right") / len(values)
        assert abs(rank - q) <= 0.01 + 1 / len(values)


def test_approx_count_distinct_close_to_exact(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.range(0, 3000).selectExpr(
        "cast(id % 1234 as string) s", "id % 777 as n", "cast(id % 50 as double) d"
    )
    assert _value(df, ApproxCountDistinct("s")) == pytest.approx(1234, rel=0.05)
    assert _value(df, ApproxCountDistinct("n")) == pytest.approx(777, rel=0.05)
    assert _value(df, ApproxCountDistinct("d")) == pytest.approx(50, rel=0.05)
    assert _value(df, ApproxCountDistinct("s", where="n < 0")) == 0.0


FAILURES = [
    (Mean("nope"), "Input data does not include column nope!"),
    (Mean(NAME), f"Expected type of column {NAME} to be one of (ByteType,ShortType,IntegerType,LongType,"),
    (MinLength(CODE), f"Expected type of column {CODE} to be StringType, but found IntegerType instead!"),
    (PatternMatch(AMOUNT, "x"), "to be StringType, but found DoubleType instead!"),
    (Correlation(AMOUNT, NAME), f"Expected type of column {NAME}"),
    (
        ApproxQuantile(AMOUNT, 1.5),
        "Quantile parameter must be in the closed interval [0, 1]. Currently, the value is: 1.5!",
    ),
    (
        ApproxQuantile(AMOUNT, 0.5, relative_error=-0.1),
        "Relative error parameter must be in the closed interval",
    ),
    (Compliance("c", "x > 1", columns=["x"]), "Input data does not include column x!"),
]


def test_failures_carry_deequ_style_messages(data) -> None:  # type: ignore[no-untyped-def]
    metrics = compute_metrics(data, [a for a, _ in FAILURES])
    for analyzer, message in FAILURES:
        assert not metrics[analyzer].is_success, analyzer
        assert message in (metrics[analyzer].failure or ""), (analyzer, metrics[analyzer].failure)


EMPTY = [
    Mean(AMOUNT, where=f"`{CODE}` > 100"),
    Sum(AMOUNT, where=f"`{CODE}` > 100"),
    Minimum(AMOUNT, where=f"`{CODE}` > 100"),
    Maximum(AMOUNT, where=f"`{CODE}` > 100"),
    StandardDeviation(AMOUNT, where=f"`{CODE}` > 100"),
    MinLength(NAME, where=f"`{CODE}` > 100"),
    Completeness(AMOUNT, where=f"`{CODE}` > 100"),
    Compliance("never evaluated", f"`{AMOUNT}` > 1", where=f"`{CODE}` > 100"),
    PatternMatch(NAME, "a", where=f"`{CODE}` > 100"),
    ApproxQuantile(AMOUNT, 0.5, where=f"`{CODE}` > 100"),
    Correlation(AMOUNT, CODE, where=f"`{CODE}` > 100"),
    Mean(AMOUNT, where=f"`{AMOUNT}` IS NULL"),
    Compliance("all null", f"CAST(NULL AS BOOLEAN) OR `{CODE}` < 0", where=f"`{CODE}` IS NULL"),
]


def test_empty_scope_is_an_empty_state_failure(data) -> None:  # type: ignore[no-untyped-def]
    metrics = compute_metrics(data, EMPTY)
    for analyzer in EMPTY:
        assert (
            metrics[analyzer].failure == f"Empty state for analyzer {analyzer!r}, all input values were NULL."
        )


def test_all_null_column_completeness_is_zero_not_a_failure(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(None,), (None,)], "x string")
    assert _value(df, Completeness("x")) == 0.0
    assert _value(df, ApproxCountDistinct("x")) == 0.0
    assert _value(df.where("false"), Size()) == 0.0


def test_decimal_min_max_and_nan_is_a_value(spark) -> None:  # type: ignore[no-untyped-def]
    rows = [(Decimal("1.25"), 2.0), (Decimal("3.50"), float("nan")), (None, 1.0)]
    df = spark.createDataFrame(rows, "d decimal(10,2), f double")
    assert _value(df, Minimum("d")) == 1.25
    assert _value(df, Maximum("d")) == 3.5
    assert math.isnan(_value(df, Maximum("f")))  # Spark orders NaN above every number
    assert _value(df, Minimum("f")) == 1.0
    assert math.isnan(_value(df, Mean("f")))


def test_bad_where_and_bad_predicate_are_failures_not_crashes(data) -> None:  # type: ignore[no-untyped-def]
    bad_where = Mean(AMOUNT, where="code >")
    bad_predicate = Compliance("broken", "no_such_column > 1")
    good = Size()
    metrics = compute_metrics(data, [bad_where, bad_predicate, good])
    assert "PARSE_SYNTAX_ERROR" in (metrics[bad_where].failure or "")
    assert "no_such_column" in (metrics[bad_predicate].failure or "")
    assert "Traceback" not in (metrics[bad_predicate].failure or "")
    assert metrics[good].value == len(ROWS)


def test_runtime_error_in_one_predicate_does_not_sink_the_others(data) -> None:  # type: ignore[no-untyped-def]
    # ANSI mode (Spark 4 default): casting "bob" to int fails at run time, inside the fused job.
    failing = Compliance("cast", f"CAST(`{NAME}` AS INT) > 0")
    good = Completeness(NAME)
    metrics = compute_metrics(data, [failing, good])
    assert not metrics[failing].is_success and "CAST" in (metrics[failing].failure or "").upper()
    assert metrics[good].value == pytest.approx(7 / 8)
