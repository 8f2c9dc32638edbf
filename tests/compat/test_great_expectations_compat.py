"""A GE 1.x suite run by Great Expectations itself (ephemeral context, Spark datasource, batch from the
same DataFrame) and by us after conversion gives the same verdict for every expectation, including
deliberately failing ones and the cases where the semantics differ (mostly over non-NULL rows, strict
bounds, sample standard deviation)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spark_mlops.compat.great_expectations import (
    SUPPORTED_EXPECTATIONS,
    checks_from_expectation_suite,
    to_expectation_suite,
)
from spark_mlops.datasets import MARKETPLACES, ReviewDefects, generate_reviews
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.checks import Check, CheckLevel, parse_assertion
from spark_mlops.quality.verification import VerificationSuite

ROWS = 500
MARKETS = list(MARKETPLACES)


@pytest.fixture(scope="module")
def reviews(spark):  # type: ignore[no-untyped-def]
    defects = ReviewDefects(
        null_rates={"review_body": 0.05, "marketplace": 0.1},
        duplicate_id_rate=0.01,
        unknown_marketplace_rate=0.04,
        negative_year_rate=0.01,
    )
    return generate_reviews(spark, ROWS, seed=5, defects=defects).cache()


@pytest.fixture(scope="module")
def reference(reviews) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return reviews.toPandas()  # 500 rows, test-only reference copy


@pytest.fixture(scope="module")
def gx():  # type: ignore[no-untyped-def]
    return pytest.importorskip("great_expectations")


def _expectations(gx, ref: pd.DataFrame) -> list:  # type: ignore[no-untyped-def]
    E = gx.expectations
    market = ref["marketplace"]
    known = market.isin(MARKETS)
    # mostly between the two readings of "share in set": over non-NULL rows (GE) and over all rows with
    # NULL passing (is_contained_in). GE's reading fails here; the naive one would pass.
    share_nonnull = known[market.notna()].mean()
    share_all = (known | market.isna()).mean()
    assert share_nonnull < share_all
    in_set_mostly = float((share_nonnull + share_all) / 2)
    # A stdev bound between the population and the sample std: only GE's sample std passes.
    votes = ref["total_votes"].to_numpy(dtype=float)
    pop, sample = np.std(votes, ddof=0), np.std(votes, ddof=1)
    assert pop < sample
    stdev_min = float((pop + sample) / 2)
    cases = [
        E.ExpectColumnValuesToNotBeNull(column="review_id"),
        E.ExpectColumnValuesToNotBeNull(column="review_body", mostly=0.97),
        E.ExpectColumnValuesToNotBeNull(column="review_body", mostly=0.9),
        E.ExpectColumnValuesToBeUnique(column="review_id"),
        E.ExpectColumnValuesToBeUnique(column="review_id", mostly=0.95),
        E.ExpectColumnValuesToBeInSet(column="marketplace", value_set=MARKETS),
        E.ExpectColumnValuesToBeInSet(column="marketplace", value_set=MARKETS, mostly=in_set_mostly),
        E.ExpectColumnValuesToBeInSet(column="marketplace", value_set=MARKETS, mostly=0.9),
        E.ExpectColumnValuesToNotBeInSet(column="marketplace", value_set=["CA", "MX"]),
        E.ExpectColumnValuesToBeBetween(column="star_rating", min_value=1, max_value=5),
        E.ExpectColumnValuesToBeBetween(column="star_rating", min_value=1, max_value=5, strict_max=True),
        E.ExpectColumnValuesToBeBetween(column="year", min_value=2005, mostly=0.95),
        E.ExpectColumnMinToBeBetween(column="star_rating", min_value=1, max_value=1),
        E.ExpectColumnMinToBeBetween(column="year", min_value=2005, max_value=2015),
        E.ExpectColumnMaxToBeBetween(column="total_votes", max_value=300),
        E.ExpectColumnMeanToBeBetween(column="star_rating", min_value=3.5, max_value=4.8),
        E.ExpectColumnSumToBeBetween(column="total_votes", min_value=0, max_value=10),
        E.ExpectColumnStdevToBeBetween(column="total_votes", min_value=stdev_min),
        E.ExpectColumnMedianToBeBetween(column="star_rating", min_value=4.5, max_value=5),
        E.ExpectTableRowCountToBeBetween(min_value=100, max_value=1000),
        E.ExpectTableRowCountToEqual(value=ROWS + 1),
        E.ExpectColumnValuesToMatchRegex(column="product_id", regex="^B0[0-9A-F]{8}$"),
        E.ExpectColumnValuesToMatchRegex(column="marketplace", regex="U", mostly=0.5),
        E.ExpectColumnValuesToMatchRegex(column="marketplace", regex="U", mostly=0.8),
        E.ExpectColumnValuesToNotMatchRegex(column="review_id", regex="^X"),
        E.ExpectColumnValueLengthsToBeBetween(column="marketplace", min_value=2, max_value=2),
        E.ExpectColumnValueLengthsToBeBetween(column="review_headline", min_value=1, max_value=5),
        E.ExpectColumnUniqueValueCountToBeBetween(column="marketplace", min_value=5, max_value=5),
        E.ExpectColumnUniqueValueCountToBeBetween(column="star_rating", min_value=1, max_value=5),
        E.ExpectColumnProportionOfUniqueValuesToBeBetween(column="star_rating", min_value=0, max_value=0.5),
        E.ExpectColumnProportionOfUniqueValuesToBeBetween(column="review_id", min_value=1, max_value=1),
        E.ExpectCompoundColumnsToBeUnique(column_list=["customer_id", "product_id"]),
        E.ExpectCompoundColumnsToBeUnique(column_list=["marketplace", "star_rating"]),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="total_votes", column_B="helpful_votes", or_equal=True
        ),
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="helpful_votes", column_B="total_votes"),
        # Not convertible: listed with a reason.
        E.ExpectColumnValuesToBeOfType(column="star_rating", type_="IntegerType"),
        E.ExpectTableColumnCountToEqual(value=14),
    ]
    for i, case in enumerate(cases):
        case.meta = {"case": i}  # GE reports it back with each result: the key to pair verdicts
    return cases


def _ge_verdicts(gx, spark, df, suite) -> list[tuple[str, dict, bool, dict]]:  # type: ignore[no-untyped-def]
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_spark(name="reviews_source")
    asset = source.add_dataframe_asset(name="reviews")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": df})
    run = batch.validate(suite)
    return [
        (
            r.expectation_config.type,
            dict(r.expectation_config.kwargs),
            bool(r.success),
            r.expectation_config.meta,
        )
        for r in run.results
    ]


def test_same_verdict_per_expectation_as_great_expectations(gx, spark, reviews, reference) -> None:  # type: ignore[no-untyped-def]
    suite = gx.ExpectationSuite(name="reviews suite", expectations=_expectations(gx, reference))
    conversion = checks_from_expectation_suite(suite)

    # Everything listed is either converted or explained; nothing is dropped.
    assert len(conversion.converted) + len(conversion.unconverted) == len(suite.expectations)
    assert [e["type"] for e, _ in conversion.unconverted] == [
        "expect_column_values_to_be_of_type",
        "expect_table_column_count_to_equal",
    ]
    assert all("no equivalent" in reason for _, reason in conversion.unconverted)
    assert all(e["type"] in SUPPORTED_EXPECTATIONS for e in (c.expectation for c in conversion.converted))

    ours = VerificationSuite(spark).on_data(reviews).add_checks(conversion.checks).run()
    our_verdicts = [(e["type"], e["kwargs"], ok) for e, ok in conversion.verdicts(ours)]

    ge = _ge_verdicts(gx, spark, reviews, suite)

    ge_by_case = {meta["case"]: ok for *_, ok, meta in ge}
    assert len(ge_by_case) == len(suite.expectations)
    compared = [
        (t, kw, ok, ge_by_case[e["meta"]["case"]])
        for (t, kw, ok), (e, _) in zip(our_verdicts, conversion.verdicts(ours), strict=True)
    ]
    mismatches = [(t, kw, ok, ge_ok) for t, kw, ok, ge_ok in compared if ok != ge_ok]
    assert mismatches == []

    # The suite has both outcomes, and the semantic traps went GE's way.
    verdict = {(t, json.dumps(kw, sort_keys=True, default=str)): ok for t, kw, ok in our_verdicts}
    assert 10 <= sum(ok for *_, ok in our_verdicts) < len(our_verdicts) - 10
    stdev = [ok for t, _, ok in our_verdicts if t == "expect_column_stdev_to_be_between"]
    assert stdev == [True]  # sample std (GE) is above the bound; the population std is below it
    in_set = [ok for t, kw, ok in our_verdicts if t == "expect_column_values_to_be_in_set"]
    assert in_set == [False, False, True]
    strict = [
        ok
        for t, kw, ok in our_verdicts
        if t == "expect_column_values_to_be_between" and kw["column"] == "star_rating"
    ]
    assert strict == [True, False]
    assert verdict  # keyed view used above for debugging output on failure


def test_suite_json_round_trip_and_export(gx, spark, reviews, reference) -> None:  # type: ignore[no-untyped-def]
    suite = gx.ExpectationSuite(name="round trip", expectations=_expectations(gx, reference)[:10])
    text = json.dumps(suite.to_json_dict())
    conversion = checks_from_expectation_suite(text)
    assert len(conversion.converted) == 10
    # Converted checks give their expectations back unchanged.
    export = to_expectation_suite(conversion.checks)
    assert export.unconverted == []
    assert [(e["type"], e["kwargs"]) for e in export.suite["expectations"]] == [
        (c.expectation["type"], c.expectation["kwargs"]) for c in conversion.converted
    ]

    # A native check with readable assertions exports; lambdas and population std are listed.
    check = (
        Check(CheckLevel.WARNING, "native")
        .has_size(parse_assertion("between 100 and 1000"))
        .has_completeness("review_body", parse_assertion(">= 0.9"))
        .is_unique("review_id")
        .has_mean("star_rating", parse_assertion("> 3.5"))
        .has_min("year", lambda v: v > 0)
        .has_standard_deviation("total_votes", parse_assertion("< 100"))
        .is_contained_in("marketplace", MARKETS)
    )
    native_export = to_expectation_suite(check)
    kinds = [(e["type"], e["kwargs"], e["severity"]) for e in native_export.suite["expectations"]]
    assert kinds == [
        ("expect_table_row_count_to_be_between", {"min_value": 100.0, "max_value": 1000.0}, "warning"),
        ("expect_column_values_to_not_be_null", {"column": "review_body", "mostly": 0.9}, "warning"),
        ("expect_column_values_to_be_unique", {"column": "review_id"}, "warning"),
        (
            "expect_column_mean_to_be_between",
            {"column": "star_rating", "min_value": 3.5, "max_value": None, "strict_min": True},
            "warning",
        ),
    ]
    reasons = [r for _, r in native_export.unconverted]
    assert len(reasons) == 3
    assert "Python callable" in reasons[0] and "population" in reasons[1] and "Compliance" in reasons[2]

    # The exported suite is a valid GE suite, and GE and we agree on it.
    ge_suite = native_export.to_gx()
    ge = _ge_verdicts(gx, spark, reviews, ge_suite)
    ours = VerificationSuite(spark).on_data(reviews).add_check(check).run()
    ours_by_kind = [r.status.value == "Success" for _, r in ours.constraint_results()][:4]
    assert [ok for _, _, ok, _ in ge] == ours_by_kind
    ref = reference
    assert ours_by_kind == [
        100 <= len(ref) <= 1000,
        ref["review_body"].notna().mean() >= 0.9,
        ref["review_id"].is_unique,
        ref["star_rating"].mean() > 3.5,
    ]


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="suite_or_json"):
        checks_from_expectation_suite({"no": "expectations"})
    with pytest.raises(InvalidArgumentError, match="suite_or_json"):
        checks_from_expectation_suite("{not json")
    conversion = checks_from_expectation_suite(
        {
            "name": "s",
            "expectations": [
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": "a"}},
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "mostly": 2}},
                {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "a", "weird": 1}},
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {
                        "column": "a",
                        "row_condition": 'col("a")>1',
                        "condition_parser": "great_expectations",
                    },
                },
            ],
        }
    )
    assert conversion.checks == []
    reasons = [r for _, r in conversion.unconverted]
    assert "min_value and max_value are both missing" in reasons[0]
    assert "mostly=2" in reasons[1]
    assert "weird" in reasons[2]
    assert "condition_parser" in reasons[3]
