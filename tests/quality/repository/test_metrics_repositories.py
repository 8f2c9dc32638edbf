"""The three repositories behave the same: save, load_by_key, loader filters, metric tables."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from spark_mlops.delta import TableVersion
from spark_mlops.errors import InvalidArgumentError, RepositoryError
from spark_mlops.quality.analyzers import ApproxQuantiles, Completeness, Histogram, Mean, Size
from spark_mlops.quality.metrics import Distribution, DistributionValue, Entity, Metric
from spark_mlops.quality.repository import (
    DeltaMetricsRepository,
    FileSystemMetricsRepository,
    InMemoryMetricsRepository,
    MetricsRepository,
    ResultKey,
)
from spark_mlops.quality.runner import AnalyzerContext

DAY = 86_400_000
SIZE = Size()
COMPLETENESS = Completeness("a")
MEAN = Mean("price")
HIST = Histogram("country")
QUANTILES = ApproxQuantiles("price", (0.5, 0.9))


def context(size: float, completeness: float = 1.0, mean_failed: bool = False) -> AnalyzerContext:
    """A context with scalar, distribution and keyed metrics (and optionally a failed one)."""
    metric_map = {
        SIZE: Metric(Entity.DATASET, "*", "Size", float(size)),
        COMPLETENESS: Metric(Entity.COLUMN, "a", "Completeness", completeness),
        HIST: Metric(
            Entity.COLUMN,
            "country",
            "Histogram",
            Distribution({"US": DistributionValue(3, 0.75), "DE": DistributionValue(1, 0.25)}, 2),
        ),
        QUANTILES: Metric(Entity.COLUMN, "price", "ApproxQuantiles", {"0.5": 10.0, "0.9": 42.0}),
    }
    if mean_failed:
        metric_map[MEAN] = Metric.failed(
            Entity.COLUMN, "price", "Mean", "Input data does not include column price!"
        )
    else:
        metric_map[MEAN] = Metric(Entity.COLUMN, "price", "Mean", 12.5)
    return AnalyzerContext(metric_map=metric_map)


@pytest.fixture(params=["memory", "file", "delta"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> MetricsRepository:
    if request.param == "memory":
        return InMemoryMetricsRepository()
    if request.param == "file":
        return FileSystemMetricsRepository(tmp_path / "metrics.json")
    spark = request.getfixturevalue("spark")
    return DeltaMetricsRepository(spark, str(tmp_path / "metrics_delta"))


def _fill(repo: MetricsRepository) -> None:
    for day, size in enumerate([100, 110, 95, 300]):
        repo.save(
            ResultKey(day * DAY, {"dataset": "reviews", "region": "EU"}), context(size), run_status="Success"
        )
    repo.save(ResultKey(2 * DAY, {"dataset": "orders"}), context(7, mean_failed=True), run_status="Error")


def test_roundtrip_and_filters(repo: MetricsRepository) -> None:
    assert repo.load().get() == []
    assert repo.load_by_key(ResultKey(0, {})) is None
    _fill(repo)

    reviews = repo.load().with_tag_values({"dataset": "reviews"}).get()
    assert [r.result_key.data_set_date_ms for r in reviews] == [0, DAY, 2 * DAY, 3 * DAY]
    assert [r.analyzer_context.metric(SIZE).value for r in reviews] == [100.0, 110.0, 95.0, 300.0]
    first = reviews[0].analyzer_context
    assert first.metric(HIST).value["US"].absolute == 3  # type: ignore[index]
    assert first.metric(HIST).value.number_of_bins == 2  # type: ignore[union-attr]
    assert first.metric(QUANTILES).value == {"0.5": 10.0, "0.9": 42.0}
    assert first.metric(MEAN).value == 12.5
    assert reviews[0].run_status == "Success"

    # Dates are inclusive on both ends (Deequ): [DAY, 2·DAY] holds two reviews runs and one orders run.
    window = repo.load().after(DAY).before(2 * DAY).get()
    assert sorted((r.result_key.data_set_date_ms, r.result_key.tags.get("dataset")) for r in window) == [
        (DAY, "reviews"),
        (2 * DAY, "orders"),
        (2 * DAY, "reviews"),
    ]
    only_size = repo.load().with_tag_values({"region": "EU"}).for_analyzers([SIZE]).get()
    assert len(only_size) == 4
    assert all(set(r.analyzer_context.metric_map) == {SIZE} for r in only_size)

    # Only successful metrics are stored; the run status travels with them.
    orders = repo.load_by_key(ResultKey(2 * DAY, {"dataset": "orders"}))
    assert orders is not None and MEAN not in orders.metric_map and orders.metric(SIZE).value == 7.0
    assert [r.run_status for r in repo.load().with_run_statuses(["Error"]).get()] == ["Error"]
    assert len(repo.load().with_run_statuses(["Success"]).get()) == 4
    # load_by_key needs the exact tags.
    assert repo.load_by_key(ResultKey(2 * DAY, {"dataset": "reviews"})) is None


def test_saving_a_key_again_appends_and_replaces_same_analyzers(repo: MetricsRepository) -> None:
    key = ResultKey(5 * DAY, {"dataset": "x"})
    repo.save(key, context(10))
    from spark_mlops.quality.analyzers import Maximum

    extra = AnalyzerContext(
        metric_map={
            SIZE: Metric(Entity.DATASET, "*", "Size", 11.0),
            Maximum("p"): Metric(Entity.COLUMN, "p", "Maximum", 9.0),
        }
    )
    repo.save(key, extra, source=TableVersion("/tmp/t", 4))
    loaded = repo.load_by_key(key)
    assert loaded is not None
    assert loaded.metric(SIZE).value == 11.0  # replaced by the newer save
    assert loaded.metric(Maximum("p")).value == 9.0  # added
    assert loaded.metric(COMPLETENESS).value == 1.0  # kept
    assert repo.load().get()[0].source == TableVersion("/tmp/t", 4)


def test_success_metrics_table(repo: MetricsRepository, spark) -> None:  # type: ignore[no-untyped-def]
    _fill(repo)
    rows = repo.load().with_tag_values({"dataset": "reviews"}).before(0).get_success_metrics_as_json()
    by_name = {(r["name"], r["instance"]): r for r in rows}
    # Distribution and keyed metrics are flattened Deequ style.
    assert by_name[("Histogram.abs.US", "country")]["value"] == 3.0
    assert by_name[("Histogram.ratio.DE", "country")]["value"] == 0.25
    assert by_name[("Histogram.bins", "country")]["value"] == 2.0
    assert by_name[("ApproxQuantiles-0.9", "price")]["value"] == 42.0
    assert by_name[("Size", "*")] == {
        "entity": "Dataset",
        "instance": "*",
        "name": "Size",
        "value": 100.0,
        "dataset_date": 0,
        "dataset": "reviews",
        "region": "EU",
    }
    frame = repo.load().with_tag_values({"dataset": "reviews"}).get_success_metrics_as_dataframe(spark)
    assert frame.columns == ["entity", "instance", "name", "value", "dataset_date", "dataset", "region"]
    sizes = sorted(r["value"] for r in frame.where("name = 'Size'").collect())
    assert sizes == [95.0, 100.0, 110.0, 300.0]


def test_non_finite_values_survive(repo: MetricsRepository) -> None:
    from spark_mlops.quality.analyzers import Correlation

    corr = Correlation("a", "b")
    key = ResultKey(0, {})
    repo.save(
        key,
        AnalyzerContext(
            metric_map={
                corr: Metric(Entity.MULTICOLUMN, "a,b", "Correlation", math.nan),
                SIZE: Metric(Entity.DATASET, "*", "Size", math.inf),
            }
        ),
    )
    loaded = repo.load_by_key(key)
    assert (
        loaded is not None and math.isnan(loaded.metric(corr).value) and loaded.metric(SIZE).value == math.inf
    )  # type: ignore[arg-type]


def test_bad_arguments() -> None:
    with pytest.raises(InvalidArgumentError, match="data_set_date_ms"):
        ResultKey("2024-01-01", {})  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="tags"):
        ResultKey(0, {"a": 1})  # type: ignore[dict-item]
    with pytest.raises(InvalidArgumentError, match="after"):
        InMemoryMetricsRepository().load().after(1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="result_key"):
        InMemoryMetricsRepository().save("k", context(1))  # type: ignore[arg-type]


def test_corrupt_file_is_reported_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text('{"format": "spark_mlops.metrics_repository/1", "records": [', encoding="utf-8")
    before = path.read_bytes()
    repo = FileSystemMetricsRepository(path)
    with pytest.raises(RepositoryError, match=str(path)):
        repo.load().get()
    with pytest.raises(RepositoryError, match="corrupt"):
        repo.save(ResultKey(0, {}), context(1))
    assert path.read_bytes() == before
    with pytest.raises(InvalidArgumentError, match="folder"):
        FileSystemMetricsRepository(tmp_path)


def test_delta_table_is_sql_queryable(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    table = str(tmp_path / "repo_sql")
    repo = DeltaMetricsRepository(spark, table)
    _fill(repo)
    rows = spark.sql(
        f"SELECT dataset_date_ms, value FROM delta.`{table}` "
        "WHERE name = 'Size' AND tags['dataset'] = 'reviews' ORDER BY dataset_date_ms"
    ).collect()
    assert [(r[0], r[1]) for r in rows] == [(0, 100.0), (DAY, 110.0), (2 * DAY, 95.0), (3 * DAY, 300.0)]
    statuses = spark.sql(f"SELECT DISTINCT run_status FROM delta.`{table}` ORDER BY run_status").collect()
    assert [r[0] for r in statuses] == ["Error", "Success"]


def test_delta_repository_on_a_foreign_table_fails_clearly(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    table = str(tmp_path / "not_metrics")
    spark.range(3).write.format("delta").save(table)
    with pytest.raises(RepositoryError, match="missing columns"):
        DeltaMetricsRepository(spark, table).load().get()
