"""Row-level results and quarantine, checked row by row against pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from spark_mlops.datasets import MARKETPLACES, ReviewDefects, generate_reviews
from spark_mlops.delta import read_delta
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality import Check, CheckLevel, VerificationSuite

DEFECTS = ReviewDefects(
    null_rates={"review_id": 0.02, "marketplace": 0.02},
    duplicate_id_rate=0.03,
    unknown_marketplace_rate=0.04,
    negative_year_rate=0.02,
)


@pytest.fixture(scope="module")
def reviews(spark):  # type: ignore[no-untyped-def]
    df = generate_reviews(spark, 500, seed=9, defects=DEFECTS).cache()
    check = (
        Check(CheckLevel.ERROR, "rows")
        .has_size(lambda n: n > 0)
        .is_complete("review_id")
        .is_unique("review_id")
        .is_contained_in("marketplace", list(MARKETPLACES))
        .is_non_negative("year")
        .is_contained_in("total_votes", lower=30, upper=300)
        .has_max("star_rating", lambda v: v <= 5)
    )
    result = VerificationSuite(spark).on_data(df).add_check(check).run()
    return df, result


def _expected(p: pd.DataFrame) -> pd.DataFrame:
    ids = p["review_id"]
    counts = ids.map(ids.value_counts())
    return pd.DataFrame(
        {
            "is_complete_review_id": ids.notna(),
            "is_unique_review_id": ids.isna() | (counts == 1),  # NULL ids are not grouped by Uniqueness
            "is_contained_in_marketplace": p["marketplace"].isna() | p["marketplace"].isin(MARKETPLACES),
            "is_non_negative_year": p["year"].isna() | (p["year"] >= 0),
            "is_contained_in_total_votes": p["total_votes"].between(30, 300),
        }
    )


def test_one_boolean_column_per_row_level_constraint(reviews) -> None:  # type: ignore[no-untyped-def]
    df, result = reviews
    out = result.row_level_results(df)
    flags = (
        list(_expected(pd.DataFrame()).columns)
        if False
        else [
            "is_complete_review_id",
            "is_unique_review_id",
            "is_contained_in_marketplace",
            "is_non_negative_year",
            "is_contained_in_total_votes",
        ]
    )
    assert out.columns == [*df.columns, *flags]  # size and max judge the dataset, not rows
    got = out.toPandas().sort_values("product_id", ignore_index=True)
    expected = _expected(got)
    pd.testing.assert_frame_equal(got[flags], expected, check_dtype=False)
    assert (~got["is_unique_review_id"]).sum() > 0 and (~got["is_complete_review_id"]).sum() == 10


def test_row_level_null_semantics_and_where(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame(
        [
            (0, 1, None, 3, "a@b.io", "x"),
            (1, 2, 5, None, None, "x"),
            (2, None, 7, 7, "none", "y"),
            (3, 1, -1, 0, "c@d.org", "y"),
        ],
        "r int, k int, a int, b int, mail string, g string",
    )
    check = (
        Check(CheckLevel.ERROR, "nulls")
        .is_less_than("a", "b")
        .is_positive("a")
        .contains_email("mail")
        .satisfies("a > 0", "a positive")
        .is_unique("k")
        .where("g = 'x'")
        .has_completeness("a", lambda r: r > 0.5)
        .are_any_complete(["a", "b"])
    )
    result = VerificationSuite(spark).on_data(df).add_check(check).run()
    got = result.row_level_results(df).toPandas().sort_values("r")  # the uniqueness window reorders rows
    assert got["is_less_than_a_b"].tolist() == [False, False, False, True]  # NULL comparison fails
    assert got["is_positive_a"].tolist() == [True, True, True, False]  # NULL passes
    assert got["contains_email_mail"].tolist() == [True, False, False, True]  # NULL is a non-match
    assert got["satisfies_a_positive"].tolist() == [False, True, True, False]  # NULL predicate fails
    # where: rows outside pass; inside, k=1 appears once among g='x' rows.
    assert got["is_unique_k"].tolist() == [True, True, True, True]
    assert got["has_completeness_a"].tolist() == [False, True, True, True]
    assert got["are_any_complete_a_b"].tolist() == [True, True, True, True]


def test_repeated_labels_and_clashing_names_get_suffixes(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(1, True)], "a int, is_complete_a boolean")
    check = (
        Check(CheckLevel.ERROR, "dup").is_complete("a").is_complete("a").where("a > 0").is_complete("nope")
    )
    result = VerificationSuite(spark).on_data(df).add_check(check).run()
    assert result.row_level_results(df).columns == [
        "a",
        "is_complete_a",
        "is_complete_a_2",
        "is_complete_a_3",
    ]


def test_quarantine_splits_rows_without_dropping_any(spark, reviews, tmp_path) -> None:  # type: ignore[no-untyped-def]
    df, result = reviews
    good, bad = str(tmp_path / "good"), str(tmp_path / "bad")
    split = result.quarantine(df, good=good, bad=bad)
    good_df, bad_df = read_delta(spark, good).toPandas(), read_delta(spark, bad).toPandas()

    p = df.toPandas()
    expected = _expected(p)
    failing = expected.apply(lambda row: [c for c in expected.columns if not row[c]], axis=1)
    n_bad = int((failing.str.len() > 0).sum())
    assert split.good_rows + split.bad_rows == len(p) == 500
    assert (split.good_rows, split.bad_rows) == (len(good_df), len(bad_df)) == (len(p) - n_bad, n_bad)
    assert split.good.version == 0 and split.bad.version == 0
    assert list(good_df.columns) == df.columns
    assert list(bad_df.columns) == [*df.columns, "failed_constraints"]
    by_product = dict(zip(p["product_id"], failing, strict=True))
    for _, row in bad_df.iterrows():
        assert list(row["failed_constraints"]) == by_product[row["product_id"]]
    assert set(good_df["product_id"]) | set(bad_df["product_id"]) == set(p["product_id"])


def test_quarantine_misuse(spark, reviews, tmp_path) -> None:  # type: ignore[no-untyped-def]
    df, result = reviews
    with pytest.raises(InvalidArgumentError, match="good, bad: expected two different tables"):
        result.quarantine(df, good=str(tmp_path / "x"), bad=str(tmp_path / "x"))
    with pytest.raises(InvalidArgumentError, match="failures_column: 'year' is already a column"):
        result.quarantine(df, good=str(tmp_path / "g"), bad=str(tmp_path / "b"), failures_column="year")
