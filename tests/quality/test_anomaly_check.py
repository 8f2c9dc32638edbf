"""Anomaly checks in verification: history from a repository, the newest point tested, status by level."""

from __future__ import annotations

import uuid

import pytest

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality import CheckLevel, CheckStatus, ConstraintStatus, VerificationSuite
from spark_mlops.quality.analyzers import Size
from spark_mlops.quality.anomaly import OnlineNormalStrategy, RelativeRateOfChangeStrategy
from spark_mlops.quality.anomaly_check import AnomalyCheckConfig
from spark_mlops.quality.checks import Check
from spark_mlops.quality.repository import InMemoryMetricsRepository, ResultKey

DAY = 86_400_000


def _anomaly_result(result):  # type: ignore[no-untyped-def]
    rows = [r for r in result.check_results_as_json() if r["constraint"].startswith("AnomalyConstraint")]
    assert len(rows) == 1
    return rows[0]


def _run_day(spark, repo, day: int, rows: int, **kwargs):  # type: ignore[no-untyped-def]
    config = AnomalyCheckConfig(with_tag_values={"dataset": "reviews"}, **kwargs)
    return (
        VerificationSuite(spark)
        .on_data(spark.range(rows))
        .use_repository(repo)
        .save_or_append_result(ResultKey(day * DAY, {"dataset": "reviews"}))
        .add_anomaly_check(RelativeRateOfChangeStrategy(max_rate_increase=2.0), Size(), config)
        .run()
    )


def test_seed_example_flags_the_day_the_size_more_than_doubles(spark) -> None:  # type: ignore[no-untyped-def]
    repo = InMemoryMetricsRepository()
    sizes = [100, 110, 220, 450, 460]  # ratios: -, 1.1, 2.0 (not more than double), 2.045..., 1.02
    outcomes = [_run_day(spark, repo, day, n) for day, n in enumerate(sizes)]

    first = _anomaly_result(outcomes[0])
    assert first["constraint_status"] == "Failure"
    assert "no previous result" in first["constraint_message"]
    assert outcomes[0].status is CheckStatus.WARNING  # default level WARNING decides the status

    statuses = [o.status for o in outcomes[1:]]
    assert statuses == [CheckStatus.SUCCESS, CheckStatus.SUCCESS, CheckStatus.WARNING, CheckStatus.SUCCESS]
    flagged = _anomaly_result(outcomes[3])
    assert "450" in flagged["constraint_message"] and "Change of 2.045" in flagged["constraint_message"]
    # Metrics are saved whatever the status, with the run's status.
    history = repo.load().with_tag_values({"dataset": "reviews"}).get()
    assert [r.analyzer_context.metric(Size()).value for r in history] == [float(n) for n in sizes]
    assert [r.run_status for r in history] == ["Warning", "Success", "Success", "Warning", "Success"]


def _count_jobs(spark, fn):  # type: ignore[no-untyped-def]
    # Local job counter (the shared count_jobs fixture calls clearJobGroup, gone in PySpark 4.2).
    sc = spark.sparkContext
    group = f"anomaly-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "job counting in a test", interruptOnCancel=False)
    try:
        out = fn()
    finally:
        count = len(sc.statusTracker().getJobIdsForGroup(group))
        sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
    return out, count


def test_level_error_and_one_job(spark) -> None:  # type: ignore[no-untyped-def]
    repo = InMemoryMetricsRepository()
    _run_day(spark, repo, 0, 10)
    result, jobs = _count_jobs(spark, lambda: _run_day(spark, repo, 1, 25, level=CheckLevel.ERROR))
    assert result.status is CheckStatus.ERROR
    assert jobs == 1  # the anomaly metric shares the verification's single scan job


def test_only_if_keeps_error_days_out_of_the_history(spark) -> None:  # type: ignore[no-untyped-def]
    repo = InMemoryMetricsRepository()

    def run(day: int, rows: int):  # type: ignore[no-untyped-def]
        df = spark.range(rows).selectExpr("IF(id % 10 = 0, NULL, id) AS a")
        return (
            VerificationSuite(spark)
            .on_data(df)
            .add_check(Check(CheckLevel.ERROR, "size").has_size(lambda n: n < 1000))
            .use_repository(repo)
            .save_or_append_result(
                ResultKey(day * DAY, {"dataset": "d"}), only_if=lambda r: r.status != CheckStatus.ERROR
            )
            .add_anomaly_check(
                RelativeRateOfChangeStrategy(max_rate_decrease=0.5, max_rate_increase=2.0),
                Size(),
                AnomalyCheckConfig(with_tag_values={"dataset": "d"}),
            )
            .run()
        )

    assert run(0, 100).status is CheckStatus.WARNING  # no history yet
    assert run(1, 1500).status is CheckStatus.ERROR  # a bad day: not saved
    day2 = run(2, 150)  # compared with day 0 (150/100 = 1.5), not with the error day (150/1500 = 0.1)
    assert day2.status is CheckStatus.SUCCESS
    kept = repo.load().get()
    assert [r.result_key.data_set_date_ms for r in kept] == [0, 2 * DAY]


def test_history_filters_and_too_little_history(spark) -> None:  # type: ignore[no-untyped-def]
    repo = InMemoryMetricsRepository()
    for day, rows in enumerate([10, 11, 12]):
        _run_day(spark, repo, day, rows)
    # Another dataset's history is ignored: 10 rows of "orders" would not be compared with "reviews".
    other = (
        VerificationSuite(spark)
        .on_data(spark.range(1000))
        .use_repository(repo)
        .save_or_append_result(ResultKey(3 * DAY, {"dataset": "orders"}))
        .add_anomaly_check(
            RelativeRateOfChangeStrategy(max_rate_increase=2.0),
            Size(),
            AnomalyCheckConfig(with_tag_values={"dataset": "orders"}),
        )
        .run()
    )
    assert "no previous result" in _anomaly_result(other)["constraint_message"]
    # after_date leaves one point; an order-2 change strategy needs two.
    result = (
        VerificationSuite(spark)
        .on_data(spark.range(13))
        .use_repository(repo)
        .save_or_append_result(ResultKey(3 * DAY, {"dataset": "reviews"}))
        .add_anomaly_check(
            RelativeRateOfChangeStrategy(max_rate_increase=2.0, order=2),
            Size(),
            AnomalyCheckConfig(with_tag_values={"dataset": "reviews"}, after_date=2 * DAY),
        )
        .run()
    )
    row = _anomaly_result(result)
    assert row["constraint_status"] == ConstraintStatus.FAILURE.value
    assert (
        "only 1 previous result" in row["constraint_message"]
        and "needs at least 2" in row["constraint_message"]
    )


def test_online_normal_over_ten_days(spark) -> None:  # type: ignore[no-untyped-def]
    repo = InMemoryMetricsRepository()
    sizes = [100, 102, 98, 101, 99, 100, 103, 97, 100, 180]
    # With n points including the outlier itself, a single outlier's z-score is at most (n-1)/sqrt(n)
    # (2.85 for n = 10), so a factor of 3 could never fire here: use 2.
    strategy = OnlineNormalStrategy(2.0, 2.0, ignore_start_percentage=0.0)
    statuses = []
    for day, rows in enumerate(sizes):
        result = (
            VerificationSuite(spark)
            .on_data(spark.range(rows))
            .use_repository(repo)
            .save_or_append_result(ResultKey(day * DAY, {"t": "x"}))
            .add_anomaly_check(strategy, Size())
            .run()
        )
        statuses.append(result.status)
    # Reference: each day against the mean/population std of all days up to it (numpy).
    import numpy as np

    expected = [CheckStatus.WARNING]  # day 0: no history
    for day in range(1, len(sizes)):
        values = np.array(sizes[: day + 1], dtype=float)
        anomalous = abs(values[-1] - values.mean()) > 2.0 * values.std(ddof=0)
        expected.append(CheckStatus.WARNING if anomalous else CheckStatus.SUCCESS)
    assert expected[-1] is CheckStatus.WARNING and expected[1:-1] == [CheckStatus.SUCCESS] * 8
    assert statuses == expected
    assert len(repo.load().get()) == 10


def test_misuse_raises(spark) -> None:  # type: ignore[no-untyped-def]
    suite = (
        VerificationSuite(spark)
        .on_data(spark.range(3))
        .add_anomaly_check(RelativeRateOfChangeStrategy(max_rate_increase=2.0), Size())
    )
    with pytest.raises(InvalidArgumentError, match="use_repository"):
        suite.run()
    with pytest.raises(InvalidArgumentError, match="strategy"):
        VerificationSuite(spark).add_anomaly_check("ratio", Size())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="key"):
        VerificationSuite(spark).save_or_append_result(123)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="level"):
        AnomalyCheckConfig(level="fatal")  # type: ignore[arg-type]
