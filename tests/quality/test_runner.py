"""AnalysisRunner / AnalyzerContext on real Spark and real Delta."""

from __future__ import annotations

import pytest

from spark_mlops.delta import TableVersion, write_delta
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality import AnalysisRunner, AnalyzerContext
from spark_mlops.quality.analyzers import Completeness, Histogram, Mean, Size


def test_builder_is_immutable_and_run_returns_metrics_in_order(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(1.0, "a"), (3.0, None), (None, "a")], "x double, s string")
    base = AnalysisRunner(spark).on_data(df)
    with_size = base.add_analyzer(Size())
    both = with_size.add_analyzers([Mean("x"), Completeness("s"), Mean("nope")])
    assert base is not with_size and len(base._analyzers) == 0 and len(with_size._analyzers) == 1
    ctx = both.run()
    assert [a for a in ctx.metric_map] == [Size(), Mean("x"), Completeness("s"), Mean("nope")]
    assert ctx.metric(Mean("x")).value == 2.0
    assert ctx.metric(Completeness("s")).value == pytest.approx(2 / 3)
    assert not ctx.metric(Mean("nope")).is_success
    assert len(ctx.all_metrics()) == 4


def test_success_metrics_as_dataframe_and_json(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([("US",), ("US",), (None,), ("UK",)], "m string")
    ctx = AnalysisRunner(spark).on_data(df).add_analyzers([Size(), Histogram("m"), Mean("m")]).run()
    rows = {
        (r.entity, r.instance, r.name): r.value for r in ctx.success_metrics_as_dataframe(spark).collect()
    }
    assert rows == {
        ("Dataset", "*", "Size"): 4.0,
        ("Column", "m", "Histogram.bins"): 3.0,
        ("Column", "m", "Histogram.abs.US"): 2.0,
        ("Column", "m", "Histogram.ratio.US"): 0.5,
        ("Column", "m", "Histogram.abs.UK"): 1.0,
        ("Column", "m", "Histogram.ratio.UK"): 0.25,
        ("Column", "m", "Histogram.abs.NullValue"): 1.0,
        ("Column", "m", "Histogram.ratio.NullValue"): 0.25,
    }
    assert ctx.success_metrics_as_dataframe(spark).columns == ["entity", "instance", "name", "value"]
    assert {
        "entity": "Dataset",
        "instance": "*",
        "name": "Size",
        "value": 4.0,
    } in ctx.success_metrics_as_json()


def test_on_delta_records_the_version_read(spark, tmp_delta_path) -> None:  # type: ignore[no-untyped-def]
    write_delta(spark.range(0, 10), tmp_delta_path, mode="overwrite")
    write_delta(spark.range(0, 5), tmp_delta_path, mode="append")
    latest = AnalysisRunner(spark).on_delta(tmp_delta_path).add_analyzer(Size()).run()
    first = AnalysisRunner(spark).on_delta(tmp_delta_path, version=0).add_analyzer(Size()).run()
    assert latest.metric(Size()).value == 15.0 and latest.source == TableVersion(latest.source.table, 1)
    assert first.metric(Size()).value == 10.0 and first.source is not None and first.source.version == 0


def test_misuse_raises_naming_the_argument(spark) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError, match="on_data"):
        AnalysisRunner(spark).add_analyzer(Size()).run()
    with pytest.raises(InvalidArgumentError, match="analyzer"):
        AnalysisRunner(spark).add_analyzer("Size")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="df"):
        AnalysisRunner(spark).on_data([1, 2])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="analyzer"):
        AnalyzerContext().metric(Size())
