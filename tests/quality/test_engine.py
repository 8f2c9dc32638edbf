"""Engine fusion: Spark job counts (counted with the count_jobs fixture) and parity with a reference."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import (
    ApproxCountDistinct,
    ApproxQuantile,
    Completeness,
    Compliance,
    CountDistinct,
    Distinctness,
    Entropy,
    FrequencyState,
    Histogram,
    Maximum,
    Mean,
    Minimum,
    PatternMatch,
    Size,
    StandardDeviation,
    Uniqueness,
    UniqueValueRatio,
)
from spark_mlops.quality.engine import compute_metrics, compute_states
from spark_mlops.quality.metrics import Metric

N = 2000


@dataclass
class _Jobs:
    count: int = 0


@pytest.fixture
def count_jobs(spark):  # type: ignore[no-untyped-def]
    """Like the conftest ``count_jobs`` (job group + status tracker); that one calls
    ``SparkContext.clearJobGroup``, which pyspark 4.2 does not have, so the group is cleared here by
    resetting the local property."""

    @contextlib.contextmanager
    def _counter() -> Iterator[_Jobs]:
        sc = spark.sparkContext
        group = f"engine-{uuid.uuid4().hex}"
        sc.setJobGroup(group, "job counting in a test", interruptOnCancel=False)
        jobs = _Jobs()
        try:
            yield jobs
        finally:
            jobs.count = len(sc.statusTracker().getJobIdsForGroup(group))
            sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]

    return _counter


@pytest.fixture(scope="module")
def reviews(spark):  # type: ignore[no-untyped-def]
    # Built once; every count below covers only the engine's own jobs.
    return spark.range(0, N).selectExpr(
        "concat('R', lpad(cast(id as string), 12, '0'), repeat('x', 40)) as review_id",
        "cast(id % 5 + 1 as double) as star_rating",
        "case when id % 7 = 0 then null"
        " else element_at(array('US','UK','DE','JP','FR'), cast(id % 5 as int) + 1) end as marketplace",
        "cast(id % 400 as int) as total_votes",
        "cast(1995 + id % 20 as int) as year",
    )


SEED_SUITE = [
    Size(),
    Minimum("star_rating"),
    Maximum("star_rating"),
    Completeness("review_id"),
    Completeness("marketplace"),
    Compliance("marketplace in set", "marketplace IN ('US','UK','DE','JP','FR')"),
    Compliance("votes in range", "total_votes BETWEEN 30 AND 300"),
    Compliance("year non-negative", "year >= 0"),
]


def test_all_scan_shareable_analyzers_run_in_one_job(reviews, count_jobs) -> None:  # type: ignore[no-untyped-def]
    analyzers = [
        *SEED_SUITE,
        Size(where="year > 2000"),
        Mean("star_rating", where="marketplace = 'US'"),
        StandardDeviation("total_votes"),
        PatternMatch("review_id", "^R0+"),
        ApproxCountDistinct("marketplace"),
        ApproxQuantile("total_votes", 0.5),
        Mean("star_rating"),
        Mean("star_rating"),  # a duplicate is computed once
    ]
    with count_jobs() as jobs:
        metrics = compute_metrics(reviews, analyzers)
    assert jobs.count == 1
    assert len(metrics) == len(set(analyzers))
    assert metrics[Size()].value == N
    assert metrics[Size(where="year > 2000")].value == sum(1 for i in range(N) if 1995 + i % 20 > 2000)
    assert metrics[Completeness("marketplace")].value == pytest.approx(sum(1 for i in range(N) if i % 7) / N)
    us = [i % 5 + 1 for i in range(N) if i % 7 and i % 5 == 0]
    assert metrics[Mean("star_rating", where="marketplace = 'US'")].value == pytest.approx(sum(us) / len(us))
    assert metrics[Compliance("votes in range", "total_votes BETWEEN 30 AND 300")].value == pytest.approx(
        sum(1 for i in range(N) if 30 <= i % 400 <= 300) / N
    )


def test_one_grouping_job_shared_by_six_analyzers_on_one_column(reviews, count_jobs) -> None:  # type: ignore[no-untyped-def]
    analyzers = [
        Uniqueness("marketplace"),
        Distinctness("marketplace"),
        UniqueValueRatio("marketplace"),
        CountDistinct("marketplace"),
        Entropy("marketplace"),
        Histogram("marketplace"),
    ]
    with count_jobs() as jobs:
        metrics = compute_metrics(reviews, analyzers)
    assert jobs.count == 1
    assert metrics[CountDistinct("marketplace")].value == 5.0
    assert metrics[Histogram("marketplace")].value.number_of_bins == 6  # five markets + NullValue


def test_hashed_uniqueness_is_one_job_and_exact(reviews, count_jobs) -> None:  # type: ignore[no-untyped-def]
    analyzers = [Uniqueness("review_id"), Distinctness("review_id"), CountDistinct(["review_id", "year"])]
    with count_jobs() as jobs:
        metrics = compute_metrics(reviews, analyzers)
    assert jobs.count == 2  # two distinct groupings
    assert metrics[Uniqueness("review_id")].value == 1.0
    assert metrics[CountDistinct(["review_id", "year"])].value == N


def test_seed_suite_with_uniqueness_is_two_jobs(reviews, count_jobs) -> None:  # type: ignore[no-untyped-def]
    with count_jobs() as jobs:
        metrics = compute_metrics(reviews, [*SEED_SUITE, Uniqueness("review_id")])
    assert jobs.count == 2
    assert all(m.is_success for m in metrics.values())


def test_failures_need_no_job_and_do_not_add_jobs(reviews, count_jobs) -> None:  # type: ignore[no-untyped-def]
    with count_jobs() as jobs:
        metrics = compute_metrics(reviews, [Mean("nope"), Mean("marketplace"), Uniqueness("nope")])
    assert jobs.count == 0
    assert all(not m.is_success for m in metrics.values())


def test_compute_states_is_one_job_and_frequency_states_are_lazy(reviews, count_jobs) -> None:  # type: ignore[no-untyped-def]
    with count_jobs() as jobs:
        states = compute_states(reviews, [*SEED_SUITE, Uniqueness("marketplace"), Histogram("marketplace")])
    assert jobs.count == 1
    frequency = states[Uniqueness("marketplace")]
    assert isinstance(frequency, FrequencyState)
    assert states[Histogram("marketplace")] is frequency  # one shared grouping
    assert not isinstance(states[Size()], Metric)
    assert Size().compute_metric_from(states[Size()]).value == N  # type: ignore[arg-type]


def test_misuse_raises_naming_the_argument(reviews) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError, match="df"):
        compute_metrics("not a frame", [Size()])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="analyzers"):
        compute_metrics(reviews, ["Size"])  # type: ignore[list-item]


def test_completeness_of_a_grouped_column_comes_from_the_grouping(spark, count_jobs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # is_complete(c) + is_unique(c) (a primary-key check): the grouping on c counts its present rows anyway,
    # so the scan job does not read c for the completeness (same jobs, same numbers). A completeness with a
    # where, or of a column nobody groups on, stays in the scan. Reference: pandas.
    import pandas as pd

    import spark_mlops.quality.engine as engine

    ids = [None if i % 9 == 0 else f"id-{i % 700}" for i in range(1_000)]
    pdf = pd.DataFrame({"id": ids, "x": [i % 4 for i in range(1_000)]})
    df = spark.range(0, 1_000).selectExpr(
        "CASE WHEN id % 9 = 0 THEN NULL ELSE concat('id-', CAST(id % 700 AS STRING)) END AS id",
        "CAST(id % 4 AS INT) AS x",
    )
    scanned: list[list[object]] = []
    real_scan = engine.compute_scan_states

    def scan_spy(frame, analyzers):  # type: ignore[no-untyped-def]
        scanned.append(list(analyzers))
        return real_scan(frame, analyzers)

    monkeypatch.setattr(engine, "compute_scan_states", scan_spy)
    asked = [Completeness("id"), Completeness("id", where="x > 0"), Completeness("x"), Uniqueness("id")]
    with count_jobs() as jobs:
        metrics = compute_metrics(df, asked)
    assert jobs.count == 2  # the scan (with the row count) and the grouping
    assert scanned == [[Completeness("id", where="x > 0"), Completeness("x"), Size()]]
    assert list(metrics) == asked  # the order asked in
    assert metrics[Completeness("id")].value == pytest.approx(pdf["id"].notna().mean())
    assert metrics[Completeness("id", where="x > 0")].value == pytest.approx(
        pdf[pdf.x > 0]["id"].notna().mean()
    )
    counts = pdf["id"].dropna().value_counts()
    assert metrics[Uniqueness("id")].value == pytest.approx((counts == 1).sum() / counts.sum())
    # Through the value-table path (a Histogram in the grouping) the present rows are the same.
    with_histogram = compute_metrics(df, [Completeness("id"), Histogram("id")])
    assert with_histogram[Completeness("id")].value == pytest.approx(pdf["id"].notna().mean())
    # No rows: the same "empty state" failure as from the scan.
    empty = compute_metrics(df.limit(0), [Completeness("id"), Uniqueness("id")])[Completeness("id")]
    alone = compute_metrics(df.limit(0), [Completeness("id")])[Completeness("id")]
    assert not empty.is_success
    assert empty.failure == alone.failure


def test_completeness_twin_falls_back_to_its_own_scan_when_the_grouping_fails(spark, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import spark_mlops.quality.engine.grouping as grouping_engine

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("grouping broke")

    monkeypatch.setattr(grouping_engine, "_summary", broken)
    df = spark.createDataFrame([("a",), (None,), ("b",), ("a",)], "id string")
    metrics = compute_metrics(df, [Completeness("id"), Uniqueness("id")])
    assert metrics[Completeness("id")].value == pytest.approx(0.75)
    assert not metrics[Uniqueness("id")].is_success
    assert "grouping broke" in str(metrics[Uniqueness("id")].failure)
