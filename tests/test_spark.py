"""get_spark: reuse of an active session, Delta configured, a clear error without the jars."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from spark_mlops import get_spark
from spark_mlops.errors import SparkSetupError
from spark_mlops.jars import delta_coordinate, delta_jars


def test_get_spark_returns_the_active_session_untouched(spark):
    again = get_spark(app_name="other", conf={"spark.sql.shuffle.partitions": "99"})
    assert again is spark
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"


def test_session_has_delta_configured(spark):
    assert spark.conf.get("spark.sql.extensions") == "io.delta.sql.DeltaSparkSessionExtension"
    jars = spark.sparkContext.getConf().get("spark.jars")
    assert "delta-spark_4.2_2.13" in jars
    assert "delta-storage" in jars


def test_delta_coordinate_follows_pip_utils_naming():
    from importlib import metadata

    spark_mm = ".".join(metadata.version("pyspark").split(".")[:2])
    assert delta_coordinate() == f"io.delta:delta-spark_{spark_mm}_2.13:{metadata.version('delta-spark')}"


def test_missing_jar_folder_says_run_make_setup(tmp_path, monkeypatch):
    monkeypatch.setenv("SPARK_MLOPS_JARS_DIR", str(tmp_path / "empty"))
    with pytest.raises(SparkSetupError, match="make setup"):
        delta_jars()


def test_get_spark_without_jars_fails_clearly_in_a_fresh_process(tmp_path):
    # A fresh interpreter has no active session, so get_spark must build one and needs the jars.
    env = dict(os.environ, SPARK_MLOPS_JARS_DIR=str(tmp_path / "empty"))
    code = (
        "from spark_mlops import get_spark\n"
        "from spark_mlops.errors import SparkSetupError\n"
        "try:\n    get_spark()\nexcept SparkSetupError as e:\n    print('CLEAR:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert "CLEAR:" in out.stdout, out.stderr[-2000:]
    assert "make setup" in out.stdout


def test_get_spark_in_another_thread_reuses_the_session_without_changing_its_conf(spark):
    # The JVM active session is thread-local: a step run in a worker thread must not rebuild the
    # session (which would push LOCAL_DEFAULTS such as 8 shuffle partitions onto the running one).
    import threading

    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(get_spark(app_name="worker")))
    worker.start()
    worker.join()
    assert seen == [spark]
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
    assert spark.conf.get("spark.sql.adaptive.enabled") == "false"


def test_plan_bytes_is_the_size_of_the_files_a_read_would_scan(spark, tmp_path):
    from spark_mlops.spark import plan_bytes

    path = str(tmp_path / "t")
    spark.range(5000).selectExpr("id", "CAST(id AS STRING) AS s").coalesce(2).write.parquet(path)
    files = sum(p.stat().st_size for p in (tmp_path / "t").glob("*.parquet"))
    assert plan_bytes(spark.read.parquet(path)) == files  # Catalyst's estimate of a file scan: their bytes
    # A filter keeps the estimate (Catalyst cannot shrink it without column statistics).
    assert plan_bytes(spark.read.parquet(path).where("id > 10")) == files
    # An RDD-backed DataFrame has no estimate (Spark says spark.sql.defaultSizeInBytes, Long.MaxValue).
    unsized = spark.createDataFrame([(1, "a")], "id int, s string")
    assert plan_bytes(unsized) is None
    assert plan_bytes(unsized, sized_only=False) == 2**63 - 1  # spark.sql.defaultSizeInBytes' default
    assert plan_bytes(spark.range(1000)) == 8 * 1000  # a range's rows: one 8-byte long each
