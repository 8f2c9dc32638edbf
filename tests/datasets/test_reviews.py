"""The reviews generator: shape, determinism, exact defect counts, drift — checked with pandas."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from spark_mlops.datasets import (
    MARKETPLACES,
    REVIEW_COLUMNS,
    ReviewDefects,
    ReviewDrift,
    defect_count,
    generate_reviews,
)
from spark_mlops.errors import InvalidArgumentError

ROWS = 1500


@pytest.fixture(scope="module")
def clean(spark) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return generate_reviews(spark, ROWS, seed=11).toPandas()


def test_schema_and_clean_values(spark, clean: pd.DataFrame) -> None:
    df = generate_reviews(spark, 10, seed=11)
    assert tuple(df.columns) == REVIEW_COLUMNS
    types = dict(df.dtypes)
    assert types["star_rating"] == "int" and types["review_date"] == "date" and types["year"] == "int"
    assert len(clean) == ROWS
    assert clean["review_id"].notna().all() and clean["review_id"].is_unique
    assert set(clean["marketplace"]) <= set(MARKETPLACES)
    assert set(clean["star_rating"]) == {1, 2, 3, 4, 5}
    assert clean["total_votes"].between(30, 300).all()
    assert (clean["helpful_votes"] >= 0).all() and (clean["helpful_votes"] <= clean["total_votes"]).all()
    assert clean["year"].between(2005, 2015).all()
    assert (clean["year"] == pd.to_datetime(clean["review_date"]).dt.year).all()
    assert clean.drop(columns=["review_body"]).notna().all().all()
    assert clean["review_body"].str.split(" ").str.len().between(5, 40).all()


def test_deterministic_per_seed_whatever_the_partitioning(spark, clean: pd.DataFrame) -> None:
    again = generate_reviews(spark, ROWS, seed=11, num_partitions=5).toPandas()
    pd.testing.assert_frame_equal(clean, again)
    other = generate_reviews(spark, ROWS, seed=12).toPandas()
    assert (other["star_rating"] != clean["star_rating"]).sum() > ROWS // 4
    # Batches generated with different seeds can be appended to one table without sharing ids.
    assert set(other["review_id"]).isdisjoint(clean["review_id"])


def test_defect_count_is_floor_of_rate_times_rows() -> None:
    assert defect_count(0.013, 1000) == 13
    assert defect_count(0.0, 1000) == 0
    assert defect_count(1 / 3, 10) == 3
    assert defect_count(0.07, 100) == 7  # 0.07 * 100 = 7.000000000000001 in binary floating point


def test_every_defect_is_injected_at_its_exact_count(spark) -> None:
    defects = ReviewDefects(
        null_rates={"marketplace": 0.02, "star_rating": 0.0, "review_body": 0.1, "customer_id": 0.031},
        duplicate_id_rate=0.04,
        out_of_range_star_rate=0.015,
        unknown_marketplace_rate=0.03,
        negative_year_rate=0.025,
    )
    p = generate_reviews(spark, ROWS, seed=5, defects=defects).toPandas()
    assert p["marketplace"].isna().sum() == math.floor(0.02 * ROWS)
    assert p["review_body"].isna().sum() == math.floor(0.1 * ROWS)
    assert p["customer_id"].isna().sum() == math.floor(0.031 * ROWS)
    assert p["star_rating"].isna().sum() == 0
    dups = math.floor(0.04 * ROWS)
    assert p["review_id"].nunique() == ROWS - dups
    assert p["review_id"].duplicated(keep=False).sum() == 2 * dups
    assert (~p["star_rating"].between(1, 5)).sum() == math.floor(0.015 * ROWS)
    assert set(p.loc[~p["star_rating"].between(1, 5), "star_rating"]) == {0, 6}
    known = p["marketplace"].isin(MARKETPLACES) | p["marketplace"].isna()
    # NULLs are applied last, so an unknown marketplace can be overwritten by a NULL: count both ways.
    unknown = math.floor(0.03 * ROWS)
    assert unknown - math.floor(0.02 * ROWS) <= (~known).sum() <= unknown
    assert (p["year"] < 0).sum() == math.floor(0.025 * ROWS)


def test_unknown_marketplaces_exact_without_nulls(spark) -> None:
    p = generate_reviews(spark, 999, seed=1, defects=ReviewDefects(unknown_marketplace_rate=0.1)).toPandas()
    assert (~p["marketplace"].isin(MARKETPLACES)).sum() == 99


def test_defects_touch_only_their_column(spark, clean: pd.DataFrame) -> None:
    p = generate_reviews(spark, ROWS, seed=11, defects=ReviewDefects(negative_year_rate=0.1)).toPandas()
    changed = p["year"] != clean["year"]
    assert changed.sum() == 150
    assert (p.loc[changed, "year"] == -clean.loc[changed, "year"]).all()
    pd.testing.assert_frame_equal(p.drop(columns="year"), clean.drop(columns="year"))


def test_drift_shifts_marketplace_mix_and_ratings(spark, clean: pd.DataFrame) -> None:
    drift = ReviewDrift(
        marketplace_weights={"US": 0.2, "JP": 0.8}, star_weights=(0.5, 0.5, 0, 0, 0), votes_scale=0.5
    )
    p = generate_reviews(spark, ROWS, seed=11, drift=drift).toPandas()
    share_jp = (p["marketplace"] == "JP").mean()
    # Binomial(1500, 0.8): the standard deviation of the share is 0.0103; 5 sigma cannot fail by chance.
    assert abs(share_jp - 0.8) < 5 * math.sqrt(0.8 * 0.2 / ROWS)
    assert set(p["marketplace"]) == {"US", "JP"}
    assert set(p["star_rating"]) == {1, 2}
    assert p["total_votes"].max() <= 30 + 135
    assert p["total_votes"].mean() < clean["total_votes"].mean()


def test_shifted_dates_move_years(spark, clean: pd.DataFrame) -> None:
    p = generate_reviews(spark, ROWS, seed=11, drift=ReviewDrift(date_shift_days=3650)).toPandas()
    delta = pd.to_datetime(p["review_date"]) - pd.to_datetime(clean["review_date"])
    assert (delta.dt.days == 3650).all()
    assert p["year"].min() >= 2014


def test_empty_table(spark) -> None:
    assert generate_reviews(spark, 0, defects=ReviewDefects(duplicate_id_rate=0.5)).count() == 0


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"rows": -1}, "rows"),
        ({"rows": 1.5}, "rows"),
        ({"rows": 10, "seed": "x"}, "seed"),
    ],
)
def test_bad_arguments_name_the_argument(spark, kwargs: dict, needle: str) -> None:
    with pytest.raises(InvalidArgumentError, match=needle):
        generate_reviews(spark, **kwargs)


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: ReviewDefects(null_rates={"nope": 0.1}), "null_rates: unknown column 'nope'"),
        (lambda: ReviewDefects(null_rates={"year": 1.5}), r"null_rates\['year'\]"),
        (lambda: ReviewDefects(duplicate_id_rate=0.6), "duplicate_id_rate"),
        (lambda: ReviewDefects(negative_year_rate=-0.1), "negative_year_rate"),
        (lambda: ReviewDrift(star_weights=(1, 2)), "star_weights: expected 5"),
        (lambda: ReviewDrift(marketplace_weights={"US": -1}), "marketplace_weights"),
        (lambda: ReviewDrift(votes_scale=0), "votes_scale"),
    ],
)
def test_bad_defects_and_drift_name_the_field(build, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError, match=needle):
        build()
