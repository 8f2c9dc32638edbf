"""Delta helpers on real Delta tables: time travel, history metadata, idempotent writes, bad input."""

from __future__ import annotations

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
