"""Exact grouping summaries of (nearly) unique keys: count 64-bit hashes, re-count only the collisions.

Why this path exists: on keys that are nearly all distinct (ids), ``groupBy(...).count()`` spends most
of its time in Spark's map-side partial aggregation, which cannot shrink anything when every key is
new, and then in a second hash aggregation after the shuffle. Here each row becomes one 64-bit
``xxhash64``; each map partition packs its hashes into one byte string per hash bucket (so Spark
shuffles a few thousand byte strings, not one row per value), and every shuffle partition counts its
hashes with one NumPy sort (hand-written because it is ≈ 2× faster than the two Spark hash
aggregations on 10 M ids, ``bench/results/uniqueness.md``). A hash seen once is a value seen once:
those rows are final. The few hashes seen more than once — real duplicates or hash collisions, the
two cannot be told apart from the hash — are **re-counted on the real values** (a broadcast
semi-join and a group-by of those rows only), so the summary is exact whatever the hash does; the
tests force collisions by cutting the hash to 1–3 bits.

It is only worth it on large, nearly unique keys, so :func:`looks_unique` decides first: the plan's
size estimate must be large (no extra job otherwise) and the first ``PROBE_ROWS`` keys must be
nearly all distinct (one ``limit`` job reading the first partitions). Otherwise, or if the re-count
would be large (``MAX_RECOUNT_KEYS``), the caller uses the Spark group-by.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_mlops.quality.analyzers.grouping import GroupSummary, frequencies, summarize
from spark_mlops.spark import is_connect, session_conf

__all__ = ["MAX_RECOUNT_KEYS", "MIN_PLAN_BYTES", "PROBE_ROWS", "exact_unique_summary", "looks_unique"]

log = logging.getLogger(__name__)

#: Plans estimated below this size go straight to the Spark group-by (cheap there; no probe job).
MIN_PLAN_BYTES = 64 * 1024 * 1024
#: Keys read by the probe, and the share of them that must be distinct.
PROBE_ROWS = 20_000
PROBE_MIN_DISTINCT_SHARE = 0.99
#: Above this many repeated hashes the re-count is no longer small: fall back to the group-by. The
#: re-count costs one scan whatever the number (a broadcast of 8 bytes per hash); 3 % duplicated ids
#: in 10 M rows are 300 k hashes.
MAX_RECOUNT_KEYS = 1_000_000
_HASH = "h"
_ARROW_BATCH_ROWS = 500_000
#: Hash buckets per map partition (a power of two): enough that Spark's hash partitioner spreads
#: them evenly over the shuffle partitions.
_BUCKETS = 1024


def _plan_bytes(df: DataFrame) -> int | None:
    """Catalyst's size estimate of the plan (classic sessions only; no job)."""
    if is_connect(df.sparkSession):
        return None
    try:
        size = df._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()  # a Scala BigInt
        return int(size if isinstance(size, int) else size.toString())
    except Exception:  # noqa: BLE001 - an estimate we cannot read means "use the default path"
        return None


def looks_unique(scoped: DataFrame, key: Column) -> bool:
    """Whether ``scoped`` is large and its ``key`` nearly unique (at most one small probe job)."""
    size = _plan_bytes(scoped)
    if size is None or size < MIN_PLAN_BYTES:
        return False
    probe = [r[0] for r in scoped.select(key).limit(PROBE_ROWS).collect()]
    if len(probe) < PROBE_ROWS:
        return False  # small after all: the group-by is cheap
    return len(set(probe)) >= PROBE_MIN_DISTINCT_SHARE * len(probe)


def _packer(buckets: int) -> Any:
    """Map side: a partition's hashes packed into one byte string per hash bucket (built here so
    cloudpickle ships it by value; executors need NumPy and PyArrow, as any PySpark Arrow function).

    Why: Spark's shuffle costs per row (row serialization, partition sort) and a row here is 8 bytes;
    shuffling a few large byte strings per map partition instead moves the same bytes for a fraction
    of the CPU (measured in bench/results/uniqueness.md). A hash always lands in the same bucket, so
    every copy of it meets in one reduce partition whatever Spark's partitioner does with the buckets.
    """
    shift = 64 - (buckets - 1).bit_length()

    def pack(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa

        chunks = [b.column(0).to_numpy(zero_copy_only=False) for b in batches]
        hashes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        bucket = (hashes.view(np.uint64) >> np.uint64(shift)).astype(np.int16)
        order = np.argsort(bucket, kind="stable")  # a radix sort for 16-bit keys: linear time
        hashes, bucket = hashes[order], bucket[order]
        bounds = np.searchsorted(bucket, np.arange(buckets + 1))
        ids = [b for b in range(buckets) if bounds[b + 1] > bounds[b]]
        blobs = [hashes[bounds[b] : bounds[b + 1]].tobytes() for b in ids]
        yield pa.RecordBatch.from_arrays(
            [pa.array(ids, pa.int32()), pa.array(blobs, pa.large_binary())], names=["bucket", "blob"]
        )

    return pack


def _partition_counter(max_keys: int) -> Any:
    """Reduce side: counts the hashes of a partition's byte strings with one NumPy sort."""

    def count(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa

        parts = [
            np.frombuffer(blob.as_buffer(), dtype=np.int64)
            for b in batches
            for blob in b.column(1)
            if blob.is_valid
        ]
        hashes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        keys, counts = np.unique(hashes, return_counts=True)
        repeated = counts > 1
        singles = int(len(keys) - repeated.sum())
        overflow = int(repeated.sum()) > max_keys
        # One summary row (h NULL): rows seen once, or -1 when the repeated hashes are too many to list.
        yield pa.RecordBatch.from_arrays(
            [pa.array([None], pa.int64()), pa.array([-1 if overflow else singles], pa.int64())],
            names=[_HASH, "n"],
        )
        if not overflow and repeated.any():
            yield pa.RecordBatch.from_arrays(
                [pa.array(keys[repeated]), pa.array(counts[repeated])], names=[_HASH, "n"]
            )

    return count


def exact_unique_summary(
    scoped: DataFrame, columns: tuple[str, ...], key: Column, partitions: int
) -> GroupSummary | None:
    """The exact :class:`GroupSummary` of ``columns`` over ``scoped`` (rows with a present key),
    or None when too many hashes repeat for the re-count to be small (then use the group-by).

    Args:
        scoped: Rows in scope whose grouping columns are not all NULL.
        columns: The grouping columns.
        key: A 64-bit hash of the grouping columns (any hash: collisions are re-counted).
        partitions: Shuffle partitions for the hashes.
    """
    counter = _partition_counter(MAX_RECOUNT_KEYS // max(partitions, 1) + 1)
    packed = scoped.select(key.alias(_HASH)).mapInArrow(_packer(_BUCKETS), "bucket int, blob binary")
    # The default 10,000-row Arrow batches cost ≈ 20 % here; the rows are 8 bytes each.
    batch = {"spark.sql.execution.arrow.maxRecordsPerBatch": str(_ARROW_BATCH_ROWS)}
    with session_conf(scoped.sparkSession, batch):
        shuffled = packed.repartition(partitions, "bucket")
        # Arrow to the driver: up to MAX_RECOUNT_KEYS rows of two longs, no Row objects.
        counted = shuffled.mapInArrow(counter, f"{_HASH} long, n long").toArrow()
    summary_rows = pc.is_null(counted.column(_HASH))
    singles = counted.column("n").filter(summary_rows).to_pylist()
    if any(n < 0 for n in singles):
        log.info("unique-key path: too many repeated hashes to re-count, using the group-by")
        return None
    repeated = counted.column(_HASH).filter(pc.invert(summary_rows))
    if len(repeated) > MAX_RECOUNT_KEYS:
        log.info("unique-key path: %d repeated hashes, using the group-by", len(repeated))
        return None
    seen_once = sum(singles)
    summary = GroupSummary(seen_once, seen_once, seen_once, 0.0, 0)  # c = 1: c·ln c = 0
    if len(repeated):
        # A broadcast semi-join, not `key.isin(repeated)`: PySpark builds an IN list with one Py4J call
        # per value (10 k values ≈ 7 s, more than the whole count). The hashes stay an Arrow array
        # (10 k rows: 0.16 s vs 0.23 s as pickled tuples, measured).
        suspects = scoped.sparkSession.createDataFrame(pa.table({_HASH: repeated.cast(pa.int64())}))
        rows = scoped.join(F.broadcast(suspects), key == F.col(_HASH), "left_semi")
        summary = summary + summarize(frequencies(rows, columns, None), len(columns))
    log.debug("unique-key path: %d values seen once, %d hashes re-counted", seen_once, len(repeated))
    return summary
