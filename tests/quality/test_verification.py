"""VerificationSuite: the seed suite in the fewest Spark jobs, results as tables/JSON, Delta versions."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from spark_mlops.datasets import MARKETPLACES, ReviewDefects, generate_reviews
from spark_mlops.delta import TableVersion, normalize_table, write_delta
from spark_mlops.errors import DeltaVersionError, InvalidArgumentError
from spark_mlops.quality import (
    Check,
    CheckLevel,
    CheckStatus,
    ConstraintStatus,
    VerificationResult,
    VerificationSuite,
)
from spark_mlops.quality.analyzers import Completeness, Correlation, Mean, Size, Uniqueness

ROWS = 1200
DEFECTS = ReviewDefects(
    null_rates={"review_id": 0.01, "year": 0.02},
    duplicate_id_rate=0.03,
    out_of_range_star_rate=0.005,
    unknown_marketplace_rate=0.02,
    negative_year_rate=0.01,
)


def seed_check(with_uniqueness: bool = True) -> Check:
    """The seed's review check (DESIGN.md), with the size threshold scaled to test data."""
    check = (
        Check(CheckLevel.ERROR, "review check")
        .has_size(lambda n: n >= 1000)
        .has_min("star_rating", lambda v: v == 1.0)
        .has_max("star_rating", lambda v: v == 5.0)
        .is_complete("review_id")
    )
    if with_uniqueness:
        check = check.is_unique("review_id")
    return (
        check.is_complete("marketplace")
        .is_contained_in("marketplace", list(MARKETPLACES))
        .is_contained_in("total_votes", lower=30, upper=300)
        .is_non_negative("year")
    )


@pytest.fixture(scope="module")
def reviews(spark):  # type: ignore[no-untyped-def]
    df = generate_reviews(spark, ROWS, seed=21, defects=DEFECTS).cache()
    return df, df.toPandas()


def test_seed_suite_without_uniqueness_is_one_spark_job(spark, reviews, count_jobs) -> None:  # type: ignore[no-untyped-def]
    df, _ = reviews
    df.count()  # materialize the cache outside the measured block
    suite = VerificationSuite(spark).on_data(df).add_check(seed_check(with_uniqueness=False))
    with count_jobs() as jobs:
        result = suite.run()
    assert jobs.count == 1
    assert len(result.check_results[suite.checks[0]].constraint_results) == 8


def test_seed_suite_with_uniqueness_is_two_jobs_and_matches_pandas(spark, reviews, count_jobs) -> None:  # type: ignore[no-untyped-def]
    df, p = reviews
    df.count()
    check = seed_check()
    with count_jobs() as jobs:
        result = VerificationSuite(spark).on_data(df).add_check(check).run()
    assert jobs.count == 2  # one fused scan + one grouping job for uniqueness

    ids = p["review_id"].dropna()
    counts = ids.value_counts()
    expected = {
        "Size": float(len(p)),
        "Minimum": float(p["star_rating"].min()),
        "Maximum": float(p["star_rating"].max()),
        "Completeness:review_id": p["review_id"].notna().mean(),
        "Uniqueness": (counts == 1).sum() / len(ids),
        "Completeness:marketplace": 1.0,
        "Compliance:marketplace": (p["marketplace"].isin(MARKETPLACES)).mean(),
        "Compliance:total_votes": p["total_votes"].between(30, 300).mean(),
        "Compliance:year": (p["year"].isna() | (p["year"] >= 0)).mean(),
    }
    results = result.check_results[check].constraint_results
    got = [r.metric.value for r in results]  # type: ignore[union-attr]
    assert got == pytest.approx(list(expected.values()), rel=1e-12)
    statuses = [r.status for r in results]
    F, S = ConstraintStatus.FAILURE, ConstraintStatus.SUCCESS
    # Defects: out-of-range stars (min 0, max 6), NULL and duplicated ids, unknown markets, negative years.
    assert statuses == [S, F, F, F, F, S, F, S, F]
    assert result.status is CheckStatus.ERROR
    assert results[1].message == "Value: 0.0 does not meet the constraint requirement!"
    assert results[3].message == (
        f"Value: {p['review_id'].notna().mean()} does not meet the constraint requirement!"
    )


def test_result_tables_and_json(spark, reviews) -> None:  # type: ignore[no-untyped-def]
    df, p = reviews
    check = seed_check(with_uniqueness=False)
    warn = Check(CheckLevel.WARNING, "soft").has_mean("total_votes", lambda m: m > 0, hint="votes present")
    result = (
        VerificationSuite(spark)
        .on_data(df)
        .add_checks([check, warn])
        .add_required_analyzer(Mean("helpful_votes"))
        .run()
    )
    rows = result.check_results_as_dataframe().collect()
    assert result.check_results_as_dataframe().columns == [
        "check",
        "check_level",
        "check_status",
        "constraint",
        "constraint_status",
        "constraint_message",
    ]
    assert len(rows) == 9
    assert rows[0].asDict() == {
        "check": "review check",
        "check_level": "Error",
        "check_status": "Error",
        "constraint": "SizeConstraint(Size(None))",
        "constraint_status": "Success",
        "constraint_message": "",
    }
    assert rows[-1]["check"] == "soft" and rows[-1]["check_status"] == "Success"

    metrics = {
        (r["instance"], r["name"]): r["value"] for r in result.success_metrics_as_dataframe().collect()
    }
    assert result.success_metrics_as_dataframe().columns == ["entity", "instance", "name", "value"]
    assert metrics[("*", "Size")] == ROWS
    assert metrics[("helpful_votes", "Mean")] == pytest.approx(p["helpful_votes"].mean(), rel=1e-12)
    assert metrics[("total_votes", "Mean")] == pytest.approx(p["total_votes"].mean(), rel=1e-12)

    doc = json.loads(result.to_json())
    assert doc["status"] == "Error" and doc["source"] is None
    assert [c["check"] for c in doc["checks"]] == ["review check", "soft"]
    assert doc["checks"][0]["constraints"][1]["constraint_message"].startswith("Value: 0.0 does not meet")
    assert {
        "entity": "Column",
        "instance": "helpful_votes",
        "name": "Mean",
        "value": pytest.approx(p["helpful_votes"].mean()),
        "failure": None,
    } in doc["metrics"]


def test_status_is_the_worst_check_status(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(1,), (2,), (None,)], "a int")
    ok = Check(CheckLevel.ERROR, "ok").has_size(lambda n: n == 3)
    soft = Check(CheckLevel.WARNING, "soft").is_complete("a")
    hard = Check(CheckLevel.ERROR, "hard").has_max("a", lambda v: v > 5)
    suite = VerificationSuite(spark).on_data(df)
    assert suite.add_check(ok).run().status is CheckStatus.SUCCESS
    warning = suite.add_checks([ok, soft]).run()
    assert warning.status is CheckStatus.WARNING
    assert warning.check_results[soft].status is CheckStatus.WARNING
    assert warning.check_results[soft].constraint_results[0].message == (
        f"Value: {2 / 3} does not meet the constraint requirement!"
    )
    assert suite.add_checks([soft, hard, ok]).run().status is CheckStatus.ERROR
    assert suite.run().status is CheckStatus.SUCCESS  # no checks: nothing failed


def test_nan_metric_survives_strict_json(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(1.0, 5.0), (2.0, 5.0), (3.0, 5.0)], "x double, y double")
    result = VerificationSuite(spark).on_data(df).add_required_analyzer(Correlation("x", "y")).run()
    value = result.metrics[Correlation("x", "y")].value
    assert isinstance(value, float) and math.isnan(value)  # constant column: NaN is a value (Deequ)
    assert json.loads(result.to_json())["metrics"][0]["value"] == "NaN"


def test_on_delta_records_the_version_read(spark, tmp_delta_path) -> None:  # type: ignore[no-untyped-def]
    clean = generate_reviews(spark, 300, seed=4)
    write_delta(clean, tmp_delta_path, mode="overwrite")
    bad = generate_reviews(spark, 100, seed=5, defects=ReviewDefects(negative_year_rate=0.05))
    write_delta(bad, tmp_delta_path, mode="append")
    check = Check(CheckLevel.ERROR, "years").is_non_negative("year").has_size(lambda n: n > 0)
    suite = VerificationSuite(spark).add_check(check)

    latest = suite.on_delta(tmp_delta_path).run()
    assert latest.source == TableVersion(normalize_table(tmp_delta_path), 1)
    assert latest.status is CheckStatus.ERROR
    assert latest.check_results[check].constraint_results[0].metric.value == pytest.approx(395 / 400)  # type: ignore[union-attr]

    first = suite.on_delta(tmp_delta_path, version=0).run()
    assert first.source == TableVersion(normalize_table(tmp_delta_path), 0)
    assert first.status is CheckStatus.SUCCESS
    assert first.metrics[Size()].value == 300.0
    assert json.loads(first.to_json())["source"] == {"table": normalize_table(tmp_delta_path), "version": 0}
    with pytest.raises(DeltaVersionError, match="has no version 7"):
        suite.on_delta(tmp_delta_path, version=7)


def test_suite_is_an_immutable_builder(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(1,)], "a int")
    base = VerificationSuite(spark).on_data(df)
    more = base.add_check(Check(CheckLevel.ERROR, "c").is_complete("a"))
    assert base.checks == () and len(more.checks) == 1
    result = base.add_required_analyzer(Uniqueness("a")).add_required_analyzers([Completeness("a")]).run()
    assert isinstance(result, VerificationResult)
    assert set(result.metrics) == {Uniqueness("a"), Completeness("a")}


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda s: s.run(), "on_data/on_delta: no data to verify"),
        (lambda s: s.on_data(pd.DataFrame({"a": [1]})), "df: expected a Spark DataFrame, got DataFrame"),
        (lambda s: s.add_check("not a check"), "check: expected a Check"),
        (lambda s: s.add_required_analyzer("Size"), "analyzer: expected an Analyzer"),
    ],
)
def test_misuse_raises_naming_the_argument(spark, build, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError, match=needle):
        build(VerificationSuite(spark))
