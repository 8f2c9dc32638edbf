"""Delta helpers on real Delta tables: time travel, history metadata, idempotent writes, bad input."""

from __future__ import annotations

import os

import pytest

from spark_mlops.delta import (
    TableVersion,
    current_version,
    history,
    is_delta_table,
    read_delta,
    read_delta_versioned,
    write_delta,
)
from spark_mlops.errors import (
    DeltaTableNotFoundError,
    DeltaVersionError,
    InvalidArgumentError,
    SparkMlopsError,
)


def test_write_append_time_travel_and_history(spark, tmp_delta_path):
    v0 = write_delta(spark.range(0, 5), tmp_delta_path, mode="overwrite", user_metadata="initial load")
    v1 = write_delta(spark.range(5, 8), tmp_delta_path, user_metadata="day 2")
    assert v0 == TableVersion(tmp_delta_path, 0)
    assert v1 == TableVersion(tmp_delta_path, 1)
    assert current_version(spark, tmp_delta_path) == 1

    ids_v0 = sorted(r.id for r in read_delta(spark, tmp_delta_path, version=0).collect())
    ids_v1 = sorted(r.id for r in read_delta(spark, tmp_delta_path, version=1).collect())
    assert ids_v0 == list(range(5))
    assert ids_v1 == list(range(8))

    meta = {r.version: r.userMetadata for r in history(spark, tmp_delta_path).collect()}
    assert meta == {0: "initial load", 1: "day 2"}

    df, read_version = read_delta_versioned(spark, tmp_delta_path)
    assert read_version == TableVersion(tmp_delta_path, 1)
    assert df.count() == 8


def test_idempotent_write_with_same_txn_is_not_duplicated(spark, tmp_delta_path):
    write_delta(spark.range(3), tmp_delta_path, txn_app_id="daily-load", txn_version=20261125)
    again = write_delta(spark.range(3), tmp_delta_path, txn_app_id="daily-load", txn_version=20261125)
    assert again.version == 0  # the retry committed nothing
    assert read_delta(spark, tmp_delta_path).count() == 3
    write_delta(spark.range(3), tmp_delta_path, txn_app_id="daily-load", txn_version=20261126)
    assert read_delta(spark, tmp_delta_path).count() == 6


def test_read_at_timestamp_resolves_version(spark, tmp_delta_path):
    write_delta(spark.range(2), tmp_delta_path)
    ts = history(spark, tmp_delta_path).first()["timestamp"]
    write_delta(spark.range(2), tmp_delta_path)
    df, tv = read_delta_versioned(spark, tmp_delta_path, timestamp=str(ts))
    assert tv.version == 0
    assert df.count() == 2


def test_table_version_round_trips_and_prints():
    tv = TableVersion("/data/reviews", 3)
    assert TableVersion.from_dict(tv.to_dict()) == tv
    assert str(tv) == "/data/reviews@v3"


def test_unknown_path_is_a_clear_error(spark, tmp_path):
    missing = str(tmp_path / "no_such_table")
    with pytest.raises(DeltaTableNotFoundError, match="no_such_table"):
        read_delta(spark, missing)
    assert not is_delta_table(spark, missing)


def test_non_delta_path_is_a_clear_error(spark, tmp_path):
    parquet_path = str(tmp_path / "plain_parquet")
    spark.range(3).write.parquet(parquet_path)
    with pytest.raises(DeltaTableNotFoundError, match=r"plain_parquet.*not a Delta table"):
        current_version(spark, parquet_path)


@pytest.mark.parametrize("version", [-1, 7])
def test_negative_or_future_version_names_path_and_version(spark, tmp_delta_path, version):
    write_delta(spark.range(2), tmp_delta_path)
    with pytest.raises(SparkMlopsError) as info:
        read_delta(spark, tmp_delta_path, version=version)
    assert isinstance(info.value, (InvalidArgumentError, DeltaVersionError))
    assert tmp_delta_path in str(info.value)
    assert str(version) in str(info.value)
    assert "Py4J" not in str(info.value) and "java." not in str(info.value)


def test_bad_write_arguments_raise_before_writing(spark, tmp_delta_path):
    with pytest.raises(InvalidArgumentError, match="txn_app_id"):
        write_delta(spark.range(1), tmp_delta_path, txn_app_id="only-one")
    with pytest.raises(InvalidArgumentError, match="mode"):
        write_delta(spark.range(1), tmp_delta_path, mode="upsert")
    assert not is_delta_table(spark, tmp_delta_path)


def test_local_version_comes_from_the_log_listing_and_the_read_is_pinned(spark, tmp_delta_path, count_jobs):
    # Three commits with a checkpoint at version 2 (checkpointInterval = 2, set on the table).
    spark.range(0, 3).write.format("delta").option("delta.checkpointInterval", "2").save(tmp_delta_path)
    for start in (3, 6):
        write_delta(spark.range(start, start + 3), tmp_delta_path)
    assert os.path.exists(f"{tmp_delta_path}/_delta_log/{2:020d}.checkpoint.parquet")
    described = history(spark, tmp_delta_path).agg({"version": "max"}).first()[0]  # independent reference
    with count_jobs() as jobs:
        version = current_version(spark, tmp_delta_path)
    assert version == described == 2 and jobs.count == 0  # a listing: no SQL command, no Spark job

    df, read = read_delta_versioned(spark, tmp_delta_path)
    assert read == TableVersion(tmp_delta_path, 2)
    write_delta(spark.range(100, 102), tmp_delta_path)  # a commit after the lookup ...
    assert sorted(r.id for r in df.collect()) == list(range(9))  # ... is not seen: pinned to v2
    older, at_one = read_delta_versioned(spark, tmp_delta_path, version=1)
    assert at_one.version == 1 and older.count() == 6

    # Log retention deletes the commit files a checkpoint covers; the listing still finds the newest.
    for v in (0, 1):
        os.remove(f"{tmp_delta_path}/_delta_log/{v:020d}.json")
    assert current_version(spark, tmp_delta_path) == 3
    assert read_delta(spark, tmp_delta_path).count() == 11


def test_log_listing_rules(spark, tmp_path):
    # The names the Delta protocol gives commits and checkpoints (classic, multi-part, V2); anything
    # else (checksums, compacted logs, temp files) is not a version. No Spark: only the listing is read.
    log = tmp_path / "t" / "_delta_log"
    log.mkdir(parents=True)
    names = [
        f"{3:020d}.json",
        f"{3:020d}.crc",
        f"{4:020d}.checkpoint.0000000001.0000000002.parquet",
        f".{9:020d}.json.crc",
        f"{1:020d}.{9:020d}.compacted.json",
        f"{8:020d}.json.tmp",
        "_last_checkpoint",
    ]
    for name in names:
        (log / name).write_text("")
    assert current_version(spark, str(tmp_path / "t")) == 4
    (log / f"{5:020d}.checkpoint.0f6c9b6e-4b5a-4d7e-9f1a-2c3d4e5f6a7b.parquet").write_text("")
    assert current_version(spark, str(tmp_path / "t")) == 5


@pytest.mark.parametrize("layout", ["empty log", "staged commits"])
def test_a_log_the_listing_cannot_answer_goes_to_delta(spark, tmp_path, layout):
    # No commit yet, or commits waiting for a coordinator (the listing alone cannot see them): Delta
    # itself is asked, and a folder that is no table gives the usual clear error.
    log = tmp_path / "t" / "_delta_log"
    log.mkdir(parents=True)
    if layout == "staged commits":
        (log / f"{0:020d}.json").write_text("")
        (log / "_staged_commits").mkdir()
        (log / "_staged_commits" / f"{1:020d}.0f6c9b6e-4b5a-4d7e-9f1a-2c3d4e5f6a7b.json").write_text("")
    with pytest.raises(DeltaTableNotFoundError, match=str(tmp_path / "t")):
        current_version(spark, str(tmp_path / "t"))
    assert not is_delta_table(spark, str(tmp_path / "t"))
