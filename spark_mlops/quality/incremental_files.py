"""Frequency counts as plain Parquet files listed by the stored state (no Delta table, no commit).

Each run writes its counts into a new, uniquely named sub-folder of a grouping's folder, and the stored
state lists the files that hold exactly the counts of the verified version: the state document is the
only commit point. Concurrent or interrupted runs never collide, and files no state lists are never
read. A Delta commit (snapshot, commit, post-commit hooks: ≈ 0.3-1 s each on a small box) was the
largest fixed cost of a small append; reading listed files also needs no Delta snapshot and no listing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.spark import job_description, session_conf

__all__ = ["is_local", "local_path", "missing_files", "read_files", "write_arrow", "write_files"]

# Spark lists more than 32 paths in a Spark job; the state names every file, so list them in the driver.
_LISTING = "spark.sql.sources.parallelPartitionDiscovery.threshold"


def _local(path: str) -> str | None:
    local = path[len("file:") :] if path.startswith("file:") else path
    return None if "://" in local else local


def local_path(folder: str) -> str | None:
    """The driver's file-system path of a local ``folder`` (``file:`` stripped); None for a URI."""
    return _local(folder)


def is_local(folder: str) -> bool:
    """True for a folder on the driver's local file system (which the driver can write directly)."""
    return _local(folder) is not None


def read_files(spark: SparkSession, folder: str, files: Sequence[str], schema: StructType | str) -> DataFrame:
    """The rows of the listed files (paths relative to ``folder``) with the given schema."""
    paths = [f if "://" in f else f"{folder}/{f}" for f in files]
    with session_conf(spark, {_LISTING: str(max(32, len(paths) + 1))}):
        return spark.read.schema(schema).parquet(*paths)


def missing_files(folder: str, files: Sequence[str]) -> list[str]:
    """Listed files that do not exist (checked for local folders only; [] for other file systems)."""
    local = _local(folder)
    if local is None:
        return []
    return [f for f in files if not os.path.exists(os.path.join(local, f))]


def write_files(
    spark: SparkSession, folder: str, frame: DataFrame, prefix: str, what: str, single_file: bool = False
) -> tuple[str, ...]:
    """Write ``frame`` into a new sub-folder ``<prefix>-<uuid>`` of ``folder`` (one Spark job); the
    written Parquet files relative to ``folder``. ``single_file`` for small counts (short file lists)."""
    sub = f"{prefix}-{uuid.uuid4().hex}"
    with job_description(spark, f"spark_mlops: {what}"):
        (frame.coalesce(1) if single_file else frame).write.parquet(f"{folder}/{sub}")
    local = _local(folder)
    if local is not None:
        names = os.listdir(os.path.join(local, sub))
    else:
        found = spark.read.schema(frame.schema).parquet(f"{folder}/{sub}").inputFiles()
        names = [p.rsplit("/", 1)[-1] for p in found]
    return tuple(sorted(f"{sub}/{n}" for n in names if n.endswith(".parquet") and n[0] not in "._"))


def write_arrow(folder: str, table: pa.Table, prefix: str) -> tuple[str, ...]:
    """Write a small Arrow table the driver holds into a new sub-folder ``<prefix>-<uuid>`` of a local
    ``folder`` as one Parquet file (none for an empty table); the files relative to ``folder``.

    A Spark write of a small result costs ≈ 0.3 s more than the job that computes it (write planning,
    the output committer's setup, task and job commits, the success marker); this is one local file,
    written under a temporary name and renamed, so a reader never sees half of it.
    """
    local = _local(folder)
    if local is None:
        raise InvalidArgumentError(f"folder: expected a local folder for write_arrow, got '{folder}'")
    if table.num_rows == 0:
        return ()
    sub = f"{prefix}-{uuid.uuid4().hex}"
    os.makedirs(os.path.join(local, sub))
    name = f"part-00000-{uuid.uuid4().hex}.parquet"
    temp = os.path.join(local, sub, f".{name}.tmp")
    pq.write_table(table, temp)
    os.replace(temp, os.path.join(local, sub, name))
    return (f"{sub}/{name}",)
