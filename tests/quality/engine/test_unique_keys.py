"""The unique-key path of the grouping engine: exact against pandas, also when every hash collides."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from scipy.stats import entropy as scipy_entropy

import spark_mlops.quality.engine as engine
import spark_mlops.quality.engine.grouping as grouping_engine
import spark_mlops.quality.engine.unique_keys as unique_keys
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
from spark_mlops.quality.engine.row_bound import cached_row_bound


@pytest.fixture(scope="module")
def ids(spark):  # type: ignore[no-untyped-def]
    # 3,000 mostly distinct ids, some repeated 2–4 times, some NULL; a second column for two-column keys.
    rng = np.random.default_rng(11)
    values = [f"review-{v:06d}" for v in rng.integers(0, 2_600, size=3_000)]
    values = [None if i % 97 == 0 else v for i, v in enumerate(values)]
    other = [None if i % 13 == 0 else int(i % 3) for i in range(3_000)]
    pdf = pd.DataFrame({"id": values, "other": other}, dtype=object)
    df = spark.createDataFrame(list(zip(values, other, strict=True)), "id string, other int").cache()
    df.count()  # materialized: the cache knows its rows (engine.row_bound), whatever test runs first
    return df, pdf


def _reference(pdf: pd.DataFrame, columns: list[str]) -> dict[str, float]:
    kept = pdf[columns].dropna(how="all").fillna("<null>").astype(str)
    return _metrics_of_counts(kept.groupby(columns).size().to_numpy())


def _uniqueness_family(col: str) -> list[Any]:
    return [Uniqueness(col), Distinctness(col), UniqueValueRatio(col), CountDistinct(col), Entropy(col)]


def _take_the_unique_key_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend any frame is large and its key unique enough, so the engine probes and takes the path."""
    monkeypatch.setattr(unique_keys, "MIN_PLAN_BYTES", 0)
    monkeypatch.setattr(unique_keys, "PROBE_ROWS", 500)
    monkeypatch.setattr(unique_keys, "PROBE_MIN_DISTINCT_SHARE", 0.5)


def _metrics_of_counts(counts: np.ndarray) -> dict[str, float]:
    n = counts.sum()
    return {
        "Uniqueness": (counts == 1).sum() / n,
        "Distinctness": len(counts) / n,
        "UniqueValueRatio": (counts == 1).sum() / len(counts),
        "CountDistinct": float(len(counts)),
        "Entropy": float(scipy_entropy(counts)),
    }


@pytest.mark.parametrize(
    ("on_driver", "driver_recount"),
    [(True, True), (False, True), (False, False)],
    ids=["driver-count", "shuffle-count", "shuffle-count-spark-recount"],
)
@pytest.mark.parametrize(
    ("columns", "bits"), [(["id"], 1), (["id"], 3), (["id"], 64), (["id", "other"], 1), (["id", "other"], 64)]
)
def test_summary_is_exact_whatever_the_hash(  # type: ignore[no-untyped-def]
    spark, ids, bits, columns, on_driver, driver_recount, monkeypatch
) -> None:
    # A hash cut to 1 or 3 bits makes nearly every different value collide: whether the keys are counted
    # on the driver or in a shuffle, the re-count on the real values (on the driver through Arrow, or by
    # a Spark group-by) must still give pandas' numbers.
    df, pdf = ids
    if not driver_recount:
        monkeypatch.setattr(unique_keys, "MAX_ARROW_RECOUNT_ROWS", 0)
    present = F.col(columns[0]).isNotNull()
    for c in columns[1:]:
        present = present | F.col(c).isNotNull()
    key = F.xxhash64(*[F.col(c) for c in columns]).bitwiseAND(
        F.lit((1 << bits) - 1) if bits < 64 else F.lit(-1)
    )
    summary = unique_keys.exact_unique_summary(
        df.where(present), tuple(columns), key, partitions=3, on_driver=on_driver
    )
    assert summary is not None
    ref = _reference(pdf, columns)
    assert summary.num_rows == len(pdf[columns].dropna(how="all"))
    assert summary.num_singletons / summary.num_rows == pytest.approx(ref["Uniqueness"])
    assert summary.num_groups == ref["CountDistinct"]
    assert summary.null_rows == 0


def test_float_keys_keep_spark_grouping_semantics(spark) -> None:  # type: ignore[no-untyped-def]
    # Spark groups -0.0 with 0.0 and every NaN together; Arrow would not, so float keys are re-counted by
    # Spark. A 1-bit hash makes every value a suspect. Reference: NumPy's unique with NaNs equal.
    values = [0.0, -0.0, float("nan"), float("nan"), 1.5, 2.5, 2.5, -3.0, 4.0, 0.0]
    df = spark.createDataFrame([(v,) for v in values], "x double")
    key = F.xxhash64(F.col("x")).bitwiseAND(F.lit(1))
    summary = unique_keys.exact_unique_summary(df, ("x",), key, partitions=2)
    assert summary is not None
    normalized = np.array([0.0 if v == 0 else v for v in values])
    _, counts = np.unique(normalized, return_counts=True, equal_nan=True)
    assert (summary.num_rows, summary.num_groups, summary.num_singletons) == (
        len(values),
        len(counts),
        int((counts == 1).sum()),
    )
    assert summary.sum_c_ln_c == pytest.approx(float((counts * np.log(counts)).sum()))


def _spy_on_the_path(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records ``on_driver`` of every call the engine makes to the unique-key path."""
    calls: list[bool] = []
    real = unique_keys.exact_unique_summary

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[5] if len(args) > 5 else kwargs.get("on_driver", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(grouping_engine, "exact_unique_summary", spy)
    return calls


def test_engine_takes_the_path_on_large_unique_keys(spark, ids, monkeypatch, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # Pretend the frame is large (size estimate) so the probe runs; every metric equals pandas'.
    df, pdf = ids
    _take_the_unique_key_path(monkeypatch)
    calls = _spy_on_the_path(monkeypatch)
    analyzers = _uniqueness_family("id")
    with count_jobs() as jobs:
        metrics = compute_metrics(df, analyzers)
    assert calls == [True]  # 3,000 rows fit on the driver
    # probe, the keys to the driver as Arrow, collecting the repeated hashes for the broadcast, re-count
    # on the real values (the suspect rows as Arrow); no count job: the cache knows its 3,000 rows
    assert jobs.count == 4
    ref = _reference(pdf, ["id"])
    for analyzer in analyzers:
        assert metrics[analyzer].value == pytest.approx(ref[analyzer.name]), analyzer


def test_the_scan_job_gives_the_row_count(spark, ids, monkeypatch, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # Not a cache (no free row bound): with a scan analyzer in the run, its job counts the rows too: no
    # count job, and no Size metric appears that was not asked for.
    _, pdf = ids
    df = spark.createDataFrame([tuple(r) for r in pdf.itertuples(index=False)], "id string, other int")
    assert cached_row_bound(df) is None
    _take_the_unique_key_path(monkeypatch)
    calls = _spy_on_the_path(monkeypatch)
    analyzers = [Uniqueness("id"), Completeness("id")]
    with count_jobs() as jobs:
        metrics = compute_metrics(df, analyzers)
    assert calls == [True]
    assert jobs.count == 5  # the scan, probe, keys, broadcast, re-count
    assert set(metrics) == set(analyzers)
    assert metrics[Uniqueness("id")].value == pytest.approx(_reference(pdf, ["id"])["Uniqueness"])
    assert metrics[Completeness("id")].value == pytest.approx(pdf["id"].notna().mean())


def test_a_cache_runs_the_scan_beside_the_uniqueness(spark, ids, monkeypatch, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # A materialized cache knows its rows: the scan job no longer runs first to count them, it runs in a
    # second thread beside the unique-key path (its jobs still in the caller's job group), and every
    # number is the same as pandas'.
    df, pdf = ids
    _take_the_unique_key_path(monkeypatch)
    calls = _spy_on_the_path(monkeypatch)
    threads: list[str] = []
    real_scan = engine.compute_scan_states

    def scan_spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(engine, "compute_scan_states", scan_spy)
    analyzers = [*_uniqueness_family("id"), Completeness("id"), Size()]
    with count_jobs() as jobs:
        metrics = compute_metrics(df, analyzers)
    assert calls == [True]
    assert threads == ["spark_mlops-scan"]
    assert jobs.count == 5  # the scan, probe, keys, broadcast, re-count
    assert list(metrics) == analyzers[-2:] + analyzers[:-2]  # scan metrics first, as before
    assert metrics[Size()].value == len(pdf)
    assert metrics[Completeness("id")].value == pytest.approx(pdf["id"].notna().mean())
    ref = _reference(pdf, ["id"])
    for analyzer in analyzers[:-2]:
        assert metrics[analyzer].value == pytest.approx(ref[analyzer.name]), analyzer


def test_more_rows_than_the_driver_takes_use_the_shuffle(spark, ids, monkeypatch, count_jobs) -> None:  # type: ignore[no-untyped-def]
    df, pdf = ids
    batch_before = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
    _take_the_unique_key_path(monkeypatch)
    monkeypatch.setattr(unique_keys, "MAX_DRIVER_KEYS", len(pdf) - 1)
    calls = _spy_on_the_path(monkeypatch)
    analyzers = [*_uniqueness_family("id"), Size()]
    with count_jobs() as jobs:
        metrics = compute_metrics(df, analyzers)
    assert calls == [False]
    assert metrics[Size()].value == len(pdf)
    # the scan, probe, hash counts (a shuffle), broadcast, re-count
    assert jobs.count == 5
    # The Arrow batch size is raised for the counting job only.
    assert spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch") == batch_before
    ref = _reference(pdf, ["id"])
    for analyzer in analyzers[:-1]:
        assert metrics[analyzer].value == pytest.approx(ref[analyzer.name]), analyzer


@pytest.mark.parametrize(
    ("max_result_size", "keys"),
    [
        (None, 16_000_000),  # Spark's default 1g: 2^30 / 32 = 33.5 M, above MAX_DRIVER_KEYS
        ("1g", 16_000_000),
        ("256m", 256 * 2**20 // 32),  # a quarter of the result size, 8 bytes a key
        ("2048", 64),  # plain bytes
        ("0", 16_000_000),  # 0 means unlimited
        ("lots", 16_000_000),  # unreadable: Spark rejects it at start anyway; keep the constant
    ],
)
def test_driver_budget_follows_max_result_size(max_result_size, keys) -> None:  # type: ignore[no-untyped-def]
    assert unique_keys.max_keys_for(max_result_size) == keys


def test_too_many_repeated_hashes_fall_back(spark, ids, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    df, pdf = ids
    monkeypatch.setattr(unique_keys, "MAX_RECOUNT_KEYS", 10)
    key = F.xxhash64(F.col("id"))
    assert unique_keys.exact_unique_summary(df.where(F.col("id").isNotNull()), ("id",), key, 3) is None
    # ... and the engine then answers through the group-by, still exactly.
    _take_the_unique_key_path(monkeypatch)
    metric = compute_metrics(df, [Uniqueness("id")])[Uniqueness("id")]
    assert metric.value == pytest.approx(_reference(pdf, ["id"])["Uniqueness"])


def test_probe_keeps_small_or_repetitive_data_on_the_group_by(spark, ids, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    df, _ = ids
    key = F.xxhash64(F.col("other"))
    assert not unique_keys.looks_unique(df, key)  # below MIN_PLAN_BYTES: no probe at all
    monkeypatch.setattr(unique_keys, "MIN_PLAN_BYTES", 0)
    monkeypatch.setattr(unique_keys, "PROBE_ROWS", 500)
    assert not unique_keys.looks_unique(df, key)  # three values: not unique
    assert unique_keys.looks_unique(df, F.xxhash64(F.monotonically_increasing_id()))


def test_integral_keys_are_their_own_exact_key(spark, monkeypatch, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # A single integral column needs no hash and no re-count: the counts of the value itself are final.
    # Sequential ids (skewed top bits before the multiplicative mix), the extremes of a long, negative
    # values, repeats of 2-5 and NULLs; reference: pandas value_counts and SciPy's entropy.
    rng = np.random.default_rng(5)
    values: list[int | None] = [*range(2_000), -(2**63), 2**63 - 1, -1, -1, 2**63 - 1]
    values += [int(v) for v in rng.integers(0, 300, size=400)]
    values += [None] * 7
    pdf = pd.DataFrame({"id": pd.array(values, dtype="Int64")})
    df = spark.createDataFrame([(v,) for v in values], "id long").cache()
    _take_the_unique_key_path(monkeypatch)
    analyzers = _uniqueness_family("id")
    with count_jobs() as jobs:
        metrics = compute_metrics(df, analyzers)
    assert jobs.count == 3  # the probe, the row count and the counting job: nothing re-counted
    ref = _metrics_of_counts(pdf["id"].dropna().value_counts().to_numpy())
    for analyzer in analyzers:
        assert metrics[analyzer].value == pytest.approx(ref[analyzer.name]), analyzer
    # An int column takes the same path (widened to long) and gives the same counts.
    small = spark.createDataFrame([(v % 1000,) for v in range(3_000)], "id int")
    summary = unique_keys.exact_unique_summary(small, ("id",), F.col("id").cast("long"), 3, injective=True)
    assert summary is not None
    assert (summary.num_rows, summary.num_groups, summary.num_singletons) == (3_000, 1_000, 0)
    assert summary.sum_c_ln_c == pytest.approx(1_000 * 3 * np.log(3))


def test_a_collision_on_the_shipped_32_bits_is_recounted(spark, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The driver path ships the low 32 bits of each 64-bit hash. "k72481" and "k76631" are two strings
    # whose xxhash64 agree on those bits (found by a birthday search over "k0".."k149999"; checked here):
    # with one of them twice and the other once, the re-count on the real values must tell them apart.
    first, second = "k72481", "k76631"
    hashes = spark.createDataFrame([(first,), (second,)], "v string").select(F.xxhash64("v")).collect()
    assert hashes[0][0] != hashes[1][0]  # different 64-bit hashes ...
    assert hashes[0][0] & 0xFFFFFFFF == hashes[1][0] & 0xFFFFFFFF  # ... equal low 32 bits
    recounted: list[int] = []
    real = unique_keys._recount

    def spy(rows, columns, num_rows):  # type: ignore[no-untyped-def]
        recounted.append(num_rows)
        return real(rows, columns, num_rows)

    monkeypatch.setattr(unique_keys, "_recount", spy)
    values = [first, first, second, *[f"other-{i}" for i in range(200)], "other-7"]
    df = spark.createDataFrame([(v,) for v in values], "v string")
    summary = unique_keys.exact_unique_summary(df, ("v",), F.xxhash64("v"), partitions=2, on_driver=True)
    assert summary is not None
    assert recounted == [5]  # the colliding pair's 3 rows and other-7's 2
    counts = pd.Series(values).value_counts().to_numpy()
    assert (summary.num_rows, summary.num_groups, summary.num_singletons) == (
        len(values),
        len(counts),
        int((counts == 1).sum()),
    )
    assert summary.sum_c_ln_c == pytest.approx(float((counts * np.log(counts)).sum()))
