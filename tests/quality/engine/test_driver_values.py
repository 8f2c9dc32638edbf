"""Exact grouping of one text column on the driver (engine.driver_values): equal to pandas in one job, also
when every hash collides or a value is too long to ship."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyspark.sql.types import BinaryType, DoubleType, IntegerType, StringType
from scipy.stats import entropy as scipy_entropy

import spark_mlops.quality.engine as engine
import spark_mlops.quality.engine.driver_values as driver_values
import spark_mlops.quality.engine.grouping as grouping_engine
from spark_mlops.quality.analyzers import (
    Completeness,
    CountDistinct,
    Distinctness,
    Entropy,
    Size,
    Uniqueness,
    UniqueValueRatio,
)
from spark_mlops.quality.engine import compute_metrics


@pytest.fixture(scope="module")
def texts(spark):  # type: ignore[no-untyped-def]
    # 4,000 rows: mostly distinct ids, some repeated 2-5 times, some NULL, and a few long values (120
    # bytes, more than MAX_VALUE_BYTES) of which three repeat. Cached and materialized.
    rng = np.random.default_rng(23)
    values: list[str | None] = [f"id-{v:05d}" for v in rng.integers(0, 3_500, size=3_900)]
    long_values = ["L" * 110 + f"{i:010d}" for i in range(40)]
    values += long_values + long_values[:3] + long_values[:1]
    values += [None] * 56
    rng.shuffle(values)  # type: ignore[arg-type]
    df = spark.createDataFrame([(v,) for v in values], "id string").cache()
    assert df.count() == 4_000
    return df, pd.Series(values, dtype=object)


def _family() -> list[Any]:
    return [Uniqueness("id"), Distinctness("id"), UniqueValueRatio("id"), CountDistinct("id"), Entropy("id")]


def _reference(values: pd.Series) -> dict[str, float]:
    counts = values.dropna().value_counts().to_numpy()
    n = counts.sum()
    return {
        "Uniqueness": (counts == 1).sum() / n,
        "Distinctness": len(counts) / n,
        "UniqueValueRatio": (counts == 1).sum() / len(counts),
        "CountDistinct": float(len(counts)),
        "Entropy": float(scipy_entropy(counts)),
    }


def _spy_on_spark_recount(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows of every re-count the driver path hands to Spark."""
    calls: list[int] = []
    real = driver_values.recount_repeated

    def spy(scoped, columns, key, hashes, rows):  # type: ignore[no-untyped-def]
        calls.append(rows)
        return real(scoped, columns, key, hashes, rows)

    monkeypatch.setattr(driver_values, "recount_repeated", spy)
    return calls


@pytest.mark.parametrize("bits", [1, 4, 64])
def test_exact_against_pandas_in_one_job(spark, texts, bits, monkeypatch, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # A hash cut to 1 or 4 bits makes nearly every row a suspect: the values shipped beside the hashes
    # must still give pandas' numbers. Long values ship only their hash; only the hashes that repeat
    # AND hold a long value go to Spark's re-count.
    df, values = texts
    monkeypatch.setattr(driver_values, "MIN_ROWS", 1_000)
    monkeypatch.setattr(grouping_engine, "HASH_BITS", bits)
    recounts = _spy_on_spark_recount(monkeypatch)
    probes: list[bool] = []
    monkeypatch.setattr(grouping_engine, "looks_unique", lambda *a: probes.append(True) or False)
    analyzers = _family()
    with count_jobs() as jobs:
        metrics = compute_metrics(df, analyzers)
    ref = _reference(values)
    for analyzer in analyzers:
        assert metrics[analyzer].value == pytest.approx(ref[analyzer.name]), analyzer
    assert probes == []  # no probe job: the cache's row bound is enough
    if bits == 64:
        # Three long values repeat (3, 2 and 2 times): their hashes hold unshipped values, so their 7
        # rows (and no others) are re-counted by Spark: broadcast + re-count jobs after the collect.
        assert recounts == [7]
        assert jobs.count == 3
    else:
        # Every long value shares its few hashes with short ones: all rows of those hashes are re-counted.
        assert recounts and recounts[0] > 44
        assert jobs.count == 3


def test_short_values_need_no_spark_recount(spark, monkeypatch, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # Duplicates, all short: the whole grouping is one Spark job (the collect of hashes and values).
    values = [f"r{i % 1_700}" for i in range(2_000)] + [None] * 5
    df = spark.createDataFrame([(v,) for v in values], "id string").cache()
    df.count()
    monkeypatch.setattr(driver_values, "MIN_ROWS", 1_000)
    recounts = _spy_on_spark_recount(monkeypatch)
    with count_jobs() as jobs:
        metrics = compute_metrics(df, _family())
    assert jobs.count == 1
    assert recounts == []
    ref = _reference(pd.Series(values, dtype=object))
    for analyzer, metric in metrics.items():
        assert metric.value == pytest.approx(ref[analyzer.name]), analyzer


def test_binary_and_low_cardinality_columns(spark, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A binary column groups by its bytes as Spark does; a column of 3 values makes every row a suspect
    # and is still counted exactly on the driver (no probe needed to keep it off this path).
    rows = [(bytes([i % 250, (i // 250) % 5]), ["a", "b", "c"][i % 3]) for i in range(1_500)]
    df = spark.createDataFrame(rows, "b binary, c string").cache()
    df.count()
    monkeypatch.setattr(driver_values, "MIN_ROWS", 1_000)
    recounts = _spy_on_spark_recount(monkeypatch)
    metrics = compute_metrics(df, [CountDistinct("b"), Uniqueness("b"), Entropy("c"), CountDistinct("c")])
    by_bytes = pd.Series([r[0] for r in rows]).value_counts().to_numpy()
    assert metrics[CountDistinct("b")].value == len(by_bytes)
    assert metrics[Uniqueness("b")].value == pytest.approx((by_bytes == 1).sum() / len(rows))
    assert metrics[CountDistinct("c")].value == 3
    assert metrics[Entropy("c")].value == pytest.approx(float(scipy_entropy([500, 500, 500])))
    assert recounts == []


def test_the_scan_runs_beside_on_a_cached_frame(spark, texts, monkeypatch, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # A materialized cache above MIN_ROWS: the scan job runs in the second thread, started when the
    # values job is submitted; 2 jobs for Size, Completeness and the whole uniqueness family (+2 for
    # the re-count of the repeated long values).
    df, values = texts
    monkeypatch.setattr(driver_values, "MIN_ROWS", 1_000)
    threads: list[str] = []
    real_scan = engine.compute_scan_states

    def scan_spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(engine, "compute_scan_states", scan_spy)
    analyzers = [*_family(), Size(), Completeness("id")]
    with count_jobs() as jobs:
        metrics = compute_metrics(df, analyzers)
    assert threads == ["spark_mlops-scan"]
    assert jobs.count == 4
    assert metrics[Size()].value == len(values)
    assert metrics[Completeness("id")].value == pytest.approx(values.notna().mean())
    ref = _reference(values)
    for analyzer in _family():
        assert metrics[analyzer].value == pytest.approx(ref[analyzer.name]), analyzer


def test_integral_columns_ship_themselves_without_a_probe(spark, monkeypatch, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # An integral column above MIN_ROWS with a known row bound is counted on the driver as its own key:
    # one job, no probe, nothing re-counted, whatever its cardinality.
    values = [i % 900 if i % 4 else i for i in range(3_000)]
    df = spark.createDataFrame([(v,) for v in values], "id int").cache()
    df.count()
    monkeypatch.setattr(driver_values, "MIN_ROWS", 1_000)
    with count_jobs() as jobs:
        metrics = compute_metrics(df, _family())
    assert jobs.count == 1
    ref = _reference(pd.Series(values))
    for analyzer, metric in metrics.items():
        assert metric.value == pytest.approx(ref[analyzer.name]), analyzer


def test_small_frames_stay_on_the_group_by(spark, texts, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Below MIN_ROWS (the default 10,000) the one-job Spark group-by is as fast: this path is not taken.
    df, _ = texts
    called: list[bool] = []
    monkeypatch.setattr(driver_values, "values_on_driver_summary", lambda *a: called.append(True))
    compute_metrics(df, [Uniqueness("id")])
    assert called == []


@pytest.mark.parametrize(
    ("dtype", "rows", "max_keys", "cap"),
    [
        (StringType(), 1_000_000, 16_000_000, 64),  # 128 bytes a row: the 64-byte cap
        (StringType(), 4_000_000, 16_000_000, 19),  # 32 bytes a row, less the hash and offset
        (StringType(), 5_000_000, 16_000_000, None),  # 12 bytes a value: too few, the keys path
        (StringType(), 1_000_000, 1_000_000, None),  # a small spark.driver.maxResultSize
        (StringType(), 9_999, 16_000_000, None),  # below MIN_ROWS
        (BinaryType(), 1_000_000, 16_000_000, 64),
        (StringType("UTF8_LCASE"), 1_000_000, 16_000_000, None),  # groups by collation key, not bytes
        (DoubleType(), 1_000_000, 16_000_000, None),  # Spark groups -0.0 with 0.0, NaN with NaN
        (IntegerType(), 1_000_000, 16_000_000, None),  # its own key (unique_keys, injective)
    ],
)
def test_value_cap(dtype, rows, max_keys, cap) -> None:  # type: ignore[no-untyped-def]
    assert driver_values.value_cap(dtype, rows, max_keys) == cap


def test_driver_budget_of_the_session_applies(spark, texts, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The driver budget comes from spark.driver.maxResultSize (unique_keys.driver_max_keys): with a
    # budget too small for the values the engine falls back to its other paths, same numbers.
    df, values = texts
    monkeypatch.setattr(driver_values, "MIN_ROWS", 1_000)
    monkeypatch.setattr(grouping_engine, "driver_max_keys", lambda _spark: 2_000)
    called: list[bool] = []
    real = driver_values.values_on_driver_summary
    monkeypatch.setattr(driver_values, "values_on_driver_summary", lambda *a: called.append(True) or real(*a))
    metrics = compute_metrics(df, [Uniqueness("id")])
    assert called == []
    assert metrics[Uniqueness("id")].value == pytest.approx(_reference(values)["Uniqueness"])


def test_rows_of_finds_exactly_the_wanted_hashes() -> None:
    # Hashes that share their low 20 bits with a wanted one (the pre-filter's table index) but differ
    # above must not pass; every row of a wanted hash must, negative hashes included.
    rng = np.random.default_rng(5)
    hashes = rng.integers(-(2**63), 2**63 - 1, size=50_000, dtype=np.int64)
    wanted = np.unique(hashes[rng.choice(len(hashes), size=300, replace=False)])
    twins = (wanted[:100].view(np.uint64) ^ np.uint64(1 << 40)).view(np.int64)  # same low bits
    hashes = np.concatenate([hashes, twins, wanted[:50]])
    rng.shuffle(hashes)
    found = driver_values._rows_of(hashes, wanted)
    np.testing.assert_array_equal(found, np.flatnonzero(np.isin(hashes, wanted)))
    assert len(found) == 350
    assert len(driver_values._rows_of(hashes, wanted[:0])) == 0
