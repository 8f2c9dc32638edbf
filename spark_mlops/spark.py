"""The SparkSession: reuse the one a platform gives us, or build a local one with Delta.

On Databricks, EMR or under ``spark-submit`` a session is already active and is returned untouched.
Locally, :func:`get_spark` builds one with the Delta SQL extension and catalog and the Delta jars from
the cache on ``spark.jars`` (fetched once by ``make setup``), so a start needs no network.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_mlops.jars import delta_jars

__all__ = ["LOCAL_DEFAULTS", "get_spark", "is_connect", "job_description", "plan_bytes", "session_conf"]

log = logging.getLogger(__name__)

#: Settings applied to a locally built session (callers' ``conf`` wins).
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    # A laptop or CI box has few cores: the default of 200 shuffle partitions is pure overhead.
    "spark.sql.shuffle.partitions": "8",
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.databricks.delta.retentionDurationCheck.enabled": "false",
}


def _active_session() -> SparkSession | None:
    session = SparkSession.getActiveSession()
    if session is not None:
        return session
    # The JVM's active session is per thread: a worker thread (a pipeline step, a Py4J callback) sees
    # none although the process has one. Building a new one there would push our defaults onto that
    # running session's runtime conf, so reuse the process's default session instead.
    default = SparkSession._instantiatedSession
    if default is not None and getattr(default, "_sc", None) is not None and default._sc._jsc is not None:
        return default
    # A Spark Connect session is not seen by the classic getActiveSession. Only look when the Connect
    # client is already imported: if it is not, no Connect session can exist (and importing it without
    # its grpc extras has side effects).
    connect = sys.modules.get("pyspark.sql.connect.session")
    if connect is None:
        return None
    return connect.SparkSession.getActiveSession()


def get_spark(
    app_name: str = "spark_mlops",
    master: str | None = None,
    conf: Mapping[str, Any] | None = None,
) -> SparkSession:
    """Return the active SparkSession, or build a local one configured for Delta.

    Args:
        app_name: Application name of a newly built session.
        master: Spark master of a newly built session (default ``local[*]``).
        conf: Extra Spark settings for a newly built session; they override :data:`LOCAL_DEFAULTS`.
            Ignored (with a debug log) when a session is already active.

    Returns:
        The SparkSession.

    Raises:
        SparkSetupError: no session is active and the Delta jars are not in the cache.
    """
    active = _active_session()
    if active is not None:
        if conf:
            log.debug("an active SparkSession exists; ignoring conf %s", sorted(conf))
        return active
    jars = delta_jars()
    settings: dict[str, Any] = dict(LOCAL_DEFAULTS)
    settings.update(conf or {})
    if not os.environ.get("PYSPARK_PYTHON") and (master or "local").startswith("local"):
        # Python workers of a local session run on this machine: use this interpreter (and its
        # NumPy/PyArrow, which the engine's unique-key path needs), not whatever `python3` is on PATH.
        # (PySpark reads the variable, not spark.pyspark.python, when it starts the context.)
        os.environ["PYSPARK_PYTHON"] = sys.executable
    existing = [j for j in str(settings.get("spark.jars", "")).split(",") if j]
    settings["spark.jars"] = ",".join([str(j) for j in jars] + existing)
    builder = SparkSession.builder.appName(app_name).master(master or "local[*]")
    for key, value in settings.items():
        builder = builder.config(key, value)
    log.info("starting a local SparkSession (%s) with Delta", master or "local[*]")
    return builder.getOrCreate()


def is_connect(spark: SparkSession) -> bool:
    """True when ``spark`` is a Spark Connect session (no JVM, no ``sparkContext``)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


# No real plan is an exabyte: at or above this Spark had no estimate (see plan_bytes).
_UNSIZED_BYTES = 2**60


def plan_bytes(df: DataFrame, *, sized_only: bool = True) -> int | None:
    """Catalyst's size estimate of ``df``'s optimized plan, in bytes (no Spark job).

    None over Spark Connect (no JVM handle), when the estimate cannot be read, or when Spark could not
    size the plan (an RDD-backed DataFrame, e.g. ``createDataFrame`` of a list, gets
    ``spark.sql.defaultSizeInBytes``, Long.MaxValue by default, maybe scaled by a projection): callers
    then take their default path. For a Delta or Parquet read it is the files' size; a local relation's
    (``createDataFrame`` of pandas) or a ``range``'s is its rows' size.

    Args:
        df: The DataFrame.
        sized_only: False returns the unsized plan's default size too (read as "large", e.g. by the
            unique-key path, which then looks at the data itself).
    """
    if is_connect(df.sparkSession):
        return None
    try:
        size = df._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()  # a Scala BigInt
        size = int(size if isinstance(size, int) else size.toString())
    except Exception:  # noqa: BLE001 - an estimate we cannot read means "use the default path"
        return None
    return None if sized_only and size >= _UNSIZED_BYTES else size


@contextlib.contextmanager
def session_conf(spark: SparkSession, conf: Mapping[str, str]) -> Iterator[None]:
    """Set session SQL ``conf`` for the block, then put back each previous value (or its absence).

    Restored in ``finally``, so a failing query leaves the session as it was; works over Spark Connect.
    """
    previous = {key: spark.conf.get(key, None) for key in conf}
    for key, value in conf.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, old in previous.items():
            if old is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, old)


@contextlib.contextmanager
def job_description(spark: SparkSession, text: str) -> Iterator[None]:
    """Label the Spark jobs run inside the block (shown in the Spark UI and event log).

    Uses ``setJobDescription``, never ``setJobGroup``, so a caller's job group (used by tests and
    schedulers to count or cancel jobs) is left alone. A no-op on Spark Connect.
    """
    if is_connect(spark):
        yield
        return
    sc = spark.sparkContext
    previous = sc.getLocalProperty("spark.job.description")
    sc.setJobDescription(text)
    try:
        yield
    finally:
        sc.setLocalProperty("spark.job.description", previous)  # type: ignore[arg-type]
