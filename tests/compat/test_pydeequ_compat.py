"""The PyDeequ README flow ("Amazon reviews" style) run through the compat layer gives the same results
as the native API, and the numbers match an independent pandas reference on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spark_mlops.compat.pydeequ import (
    AnalysisRunner,
    AnalyzerContext,
    ApproxCountDistinct,
    ApproxQuantile,
    Check,
    CheckLevel,
    Completeness,
    Compliance,
    Correlation,
    FileSystemMetricsRepository,
    Histogram,
    InMemoryMetricsRepository,
    Mean,
    RelativeRateOfChangeStrategy,
    ResultKey,
    Size,
    StandardDeviation,
    Uniqueness,
    VerificationResult,
    VerificationSuite,
)
from spark_mlops.datasets import ReviewDefects, generate_reviews
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality import AnalysisRunner as NativeAnalysisRunner
from spark_mlops.quality import analyzers as A
from spark_mlops.quality import anomaly as native_anomaly
from spark_mlops.quality.checks import Check as NativeCheck
from spark_mlops.quality.checks import CheckLevel as NativeLevel
from spark_mlops.quality.repository import FileSystemMetricsRepository as NativeFileRepository
from spark_mlops.quality.repository import ResultKey as NativeResultKey
from spark_mlops.quality.verification import VerificationSuite as NativeSuite

ROWS = 600
DEFECTS = ReviewDefects(
    null_rates={"review_body": 0.05},
    duplicate_id_rate=0.01,
    unknown_marketplace_rate=0.02,
    negative_year_rate=0.01,
)
MARKETS = ["US", "UK", "DE", "JP", "FR"]


@pytest.fixture(scope="module")
def reviews(spark):  # type: ignore[no-untyped-def]
    return generate_reviews(spark, ROWS, seed=11, defects=DEFECTS).cache()


@pytest.fixture(scope="module")
def reference(reviews) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    # 600 rows: a small, test-only copy for the independent reference.
    return reviews.toPandas()


def _rows(df) -> list[tuple]:  # type: ignore[no-untyped-def]
    return sorted(tuple(r) for r in df.collect())


def test_analysis_runner_matches_native_and_pandas(spark, reviews, reference) -> None:  # type: ignore[no-untyped-def]
    ctx = (
        AnalysisRunner(spark)
        .onData(reviews)
        .addAnalyzer(Size())
        .addAnalyzer(Completeness("review_body"))
        .addAnalyzer(Uniqueness(["review_id"]))
        .addAnalyzer(Mean("star_rating"))
        .addAnalyzer(StandardDeviation("total_votes"))
        .addAnalyzer(Compliance("top rating", "star_rating >= 4"))
        .addAnalyzer(Correlation("total_votes", "helpful_votes"))
        .addAnalyzer(ApproxQuantile("star_rating", 0.5, relativeError=0.0))
        .addAnalyzer(Histogram("marketplace"))
        .run()
    )
    compat_df = AnalyzerContext.successMetricsAsDataFrame(spark, ctx)
    assert compat_df.columns == ["entity", "instance", "name", "value"]

    native = (
        NativeAnalysisRunner(spark)
        .on_data(reviews)
        .add_analyzers(
            [
                A.Size(),
                A.Completeness("review_body"),
                A.Uniqueness(("review_id",)),
                A.Mean("star_rating"),
                A.StandardDeviation("total_votes"),
                A.Compliance("top rating", "star_rating >= 4"),
                A.Correlation("total_votes", "helpful_votes"),
                A.ApproxQuantile("star_rating", 0.5, 0.0),
                A.Histogram("marketplace"),
            ]
        )
        .run()
    )
    assert _rows(compat_df) == _rows(native.success_metrics_as_dataframe(spark))

    got = {(m["name"], m["instance"]): m["value"] for m in AnalyzerContext.successMetricsAsJson(spark, ctx)}
    ref = reference
    counts = ref["review_id"].value_counts()
    assert got[("Size", "*")] == ROWS
    assert got[("Completeness", "review_body")] == pytest.approx(ref["review_body"].notna().mean())
    assert got[("Completeness", "review_body")] == pytest.approx(1 - 0.05)
    assert got[("Uniqueness", "review_id")] == pytest.approx((counts == 1).sum() / ROWS)
    assert got[("Mean", "star_rating")] == pytest.approx(ref["star_rating"].mean())
    # Deequ's StandardDeviation is the population std (ddof=0).
    assert got[("StandardDeviation", "total_votes")] == pytest.approx(np.std(ref["total_votes"], ddof=0))
    assert got[("Compliance", "top rating")] == pytest.approx((ref["star_rating"] >= 4).mean())
    assert got[("Correlation", "total_votes,helpful_votes")] == pytest.approx(
        ref["total_votes"].corr(ref["helpful_votes"])
    )
    # 58 % of ratings are 5, so any value within the sketch's rank error of the median is 5.
    assert got[("ApproxQuantile", "star_rating")] == ref["star_rating"].median() == 5
    share = ref["marketplace"].value_counts(normalize=True)
    for market, ratio in share.items():
        assert got[(f"Histogram.ratio.{market}", "marketplace")] == pytest.approx(ratio)

    only = AnalyzerContext.successMetricsAsJson(spark, ctx, forAnalyzers=[Size()])
    assert only == [{"entity": "Dataset", "instance": "*", "name": "Size", "value": float(ROWS)}]
    pdf = AnalyzerContext.successMetricsAsDataFrame(spark, ctx, forAnalyzers=[Size()], pandas=True)
    assert list(pdf.columns) == ["entity", "instance", "name", "value"] and pdf["value"].tolist() == [ROWS]


def _readme_check(spark):  # type: ignore[no-untyped-def]
    # The PyDeequ README's check, on the reviews columns: mutable builder, methods chained.
    check = Check(spark, CheckLevel.Warning, "Review Check")
    return (
        check.hasSize(lambda x: x >= 3)
        .hasMin("star_rating", lambda x: x == 1.0)
        .hasMax("star_rating", lambda x: x == 5.0)
        .isComplete("review_id")
        .isComplete("review_body")
        .isUnique("review_id")
        .isContainedIn("marketplace", MARKETS)
        .isNonNegative("year")
        .hasCompleteness("review_body", lambda x: x >= 0.9)
    )


def _native_check() -> NativeCheck:
    return (
        NativeCheck(NativeLevel.WARNING, "Review Check")
        .has_size(lambda x: x >= 3)
        .has_min("star_rating", lambda x: x == 1.0)
        .has_max("star_rating", lambda x: x == 5.0)
        .is_complete("review_id")
        .is_complete("review_body")
        .is_unique("review_id")
        .is_contained_in("marketplace", MARKETS)
        .is_non_negative("year")
        .has_completeness("review_body", lambda x: x >= 0.9)
    )


def test_verification_matches_native_and_pandas(spark, reviews, reference) -> None:  # type: ignore[no-untyped-def]
    result = VerificationSuite(spark).onData(reviews).addCheck(_readme_check(spark)).run()
    native = NativeSuite(spark).on_data(reviews).add_check(_native_check()).run()

    compat_df = VerificationResult.checkResultsAsDataFrame(spark, result)
    assert compat_df.columns == [
        "check",
        "check_level",
        "check_status",
        "constraint",
        "constraint_status",
        "constraint_message",
    ]
    assert _rows(compat_df) == _rows(native.check_results_as_dataframe(spark))
    assert _rows(VerificationResult.successMetricsAsDataFrame(spark, result)) == _rows(
        native.success_metrics_as_dataframe(spark)
    )

    # The verdicts, from pandas: ids are duplicated, bodies are 5 % NULL, 2 % unknown marketplaces and
    # 1 % negative years fail; size, min/max star rating, id completeness and the 0.9 threshold pass.
    ref = reference
    assert result.status == "Warning"
    by_constraint = [
        (r["constraint"], r["constraint_status"])
        for r in VerificationResult.checkResultsAsJson(spark, result)
    ]
    statuses = [s for _, s in by_constraint]
    expected = [
        len(ref) >= 3,
        ref["star_rating"].min() == 1,
        ref["star_rating"].max() == 5,
        ref["review_id"].notna().all(),
        ref["review_body"].notna().all(),
        ref["review_id"].is_unique,
        (ref["marketplace"].isna() | ref["marketplace"].isin(MARKETS)).all(),
        (ref["year"].isna() | (ref["year"] >= 0)).all(),
        ref["review_body"].notna().mean() >= 0.9,
    ]
    assert statuses == ["Success" if ok else "Failure" for ok in expected]
    assert expected == [True, True, True, True, False, False, False, False, True]
    uniqueness = (ref["review_id"].value_counts() == 1).sum() / len(ref)
    message = next(
        r["constraint_message"]
        for r in VerificationResult.checkResultsAsJson(spark, result)
        if r["constraint"].startswith("UniquenessConstraint")
    )
    assert message == f"Value: {uniqueness} does not meet the constraint requirement!"


def test_repository_flow_matches_native(spark, reviews, reference, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "compat-metrics.json")
    repository = FileSystemMetricsRepository(spark, path)
    key = ResultKey(spark, ResultKey.current_milli_time(), {"tag": "pydeequ hello world"})
    assert key == NativeResultKey(key.data_set_date_ms, {"tag": "pydeequ hello world"})
    AnalysisRunner(spark).onData(reviews).addAnalyzer(ApproxCountDistinct("review_id")).useRepository(
        repository
    ).saveOrAppendResult(key).run()
    VerificationSuite(spark).onData(reviews).addCheck(
        Check(spark, CheckLevel.Error, "size").hasSize(lambda n: n == ROWS)
    ).useRepository(repository).saveOrAppendResult(key).run()

    loaded = (
        repository.load()
        .before(ResultKey.current_milli_time())
        .forAnalyzers([ApproxCountDistinct("review_id")])
        .getSuccessMetricsAsDataFrame()
    )
    assert loaded.columns == ["entity", "instance", "name", "value", "dataset_date", "tag"]
    rows = loaded.collect()
    assert len(rows) == 1 and rows[0]["tag"] == "pydeequ hello world"
    # HLL estimate of the distinct ids: within 5 % of the exact pandas count.
    assert rows[0]["value"] == pytest.approx(reference["review_id"].nunique(), rel=0.05)

    # The same flow on the native repository stores the same metrics.
    native_repo = NativeFileRepository(tmp_path / "native-metrics.json")
    ctx = NativeAnalysisRunner(spark).on_data(reviews).add_analyzer(A.ApproxCountDistinct("review_id")).run()
    native_repo.save(key, ctx)
    native_json = (
        native_repo.load().for_analyzers([A.ApproxCountDistinct("review_id")]).get_success_metrics_as_json()
    )
    assert repository.load().forAnalyzers([ApproxCountDistinct("review_id")]).getSuccessMetricsAsJson() == (
        native_json
    )
    stored = repository.loadByKey(key)
    assert stored is not None
    assert stored.metric(Size()).value == ROWS  # the verification run appended its Size under the key

    memory = InMemoryMetricsRepository(spark)
    with pytest.raises(InvalidArgumentError, match="useRepository"):
        AnalysisRunner(spark).onData(reviews).addAnalyzer(Size()).saveOrAppendResult(key).run()
    assert memory.load().getSuccessMetricsAsJson() == []


def test_anomaly_strategies_take_pydeequ_keywords() -> None:
    sizes = [100.0, 110.0, 105.0, 400.0, 410.0]
    compat = RelativeRateOfChangeStrategy(maxRateIncrease=2.0)
    native = native_anomaly.RelativeRateOfChangeStrategy(max_rate_increase=2.0)
    # Reference by hand: ratios 1.1, 0.95, 3.81, 1.03 → only index 3 is above 2.0.
    ratios = [sizes[i] / sizes[i - 1] for i in range(1, len(sizes))]
    expected = [i + 1 for i, r in enumerate(ratios) if r > 2.0]
    assert [i for i, _ in compat.detect(sizes, (0, len(sizes)))] == expected == [3]
    assert compat.detect(sizes, (0, 5)) == native.detect(sizes, (0, 5))


def test_bad_arguments_name_the_argument(spark, reviews) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError, match="binningUdf"):
        Histogram("marketplace", binningUdf=lambda v: v)
    with pytest.raises(InvalidArgumentError, match="verificationResult"):
        VerificationResult.checkResultsAsDataFrame(spark, "not a result")
    with pytest.raises(InvalidArgumentError, match="level"):
        Check(spark, "fatal", "x")


def test_anomaly_check_tutorial_flow_matches_native(spark) -> None:  # type: ignore[no-untyped-def]
    # PyDeequ's anomaly-detection tutorial: yesterday 100 rows, today 300 rows, max rate increase 2.0.
    from spark_mlops.compat.pydeequ import AnomalyCheckConfig
    from spark_mlops.quality.anomaly_check import AnomalyCheckConfig as NativeConfig
    from spark_mlops.quality.repository import InMemoryMetricsRepository as NativeMemory

    yesterday_df = generate_reviews(spark, 100, seed=1)
    today_df = generate_reviews(spark, 300, seed=2)
    now = ResultKey.current_milli_time()
    day = 24 * 60 * 60 * 1000

    repository = InMemoryMetricsRepository(spark)
    config = AnomalyCheckConfig(CheckLevel.Warning, "size anomaly", withTagValues={"ds": "reviews"})
    results = []
    for df, when in ((yesterday_df, now - day), (today_df, now)):
        results.append(
            VerificationSuite(spark)
            .onData(df)
            .useRepository(repository)
            .saveOrAppendResult(ResultKey(spark, when, {"ds": "reviews"}))
            .addAnomalyCheck(RelativeRateOfChangeStrategy(maxRateIncrease=2.0), Size(), config)
            .run()
        )

    native_repo = NativeMemory()
    native_config = NativeConfig(NativeLevel.WARNING, "size anomaly", {"ds": "reviews"})
    native_results = [
        NativeSuite(spark)
        .on_data(df)
        .use_repository(native_repo)
        .save_or_append_result(NativeResultKey(when, {"ds": "reviews"}))
        .add_anomaly_check(
            native_anomaly.RelativeRateOfChangeStrategy(max_rate_increase=2.0), A.Size(), native_config
        )
        .run()
        for df, when in ((yesterday_df, now - day), (today_df, now))
    ]
    for compat, native in zip(results, native_results, strict=True):
        assert VerificationResult.checkResultsAsJson(spark, compat) == native.check_results_as_json()
    # Today: 300 / 100 = 3.0 > 2.0, so the newest point is an anomaly and the warning check fails.
    assert 300 / 100 > 2.0
    today = VerificationResult.checkResultsAsJson(spark, results[1])
    assert [(r["check"], r["constraint_status"]) for r in today] == [("size anomaly", "Failure")]
    assert results[1].status == "Warning"
    history = (
        repository.load().withTagValues({"ds": "reviews"}).forAnalyzers([Size()]).getSuccessMetricsAsJson()
    )
    assert [m["value"] for m in history] == [100.0, 300.0]
