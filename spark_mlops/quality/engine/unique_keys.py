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
semi-join; those rows are grouped on the driver through Arrow when they are few and of a type whose
Arrow equality is Spark's, else by a Spark group-by), so the summary is exact whatever the hash does;
the tests force collisions by cutting the hash to 1–3 bits. A single integral column needs no hash:
the value itself is the key (``injective``), its counts are final and nothing is re-counted.

It is only worth it on large, nearly unique keys, so :func:`looks_unique` decides first: the plan's
size estimate must be large (no extra job otherwise) and the first ``PROBE_ROWS`` keys must be
nearly all distinct (one ``limit`` job reading the first partitions). Otherwise, or if the re-count
would be large (``MAX_RECOUNT_KEYS``), the caller uses the Spark group-by.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BinaryType,
    BooleanType,
    ByteType,
    DataType,
    DateType,
    IntegerType,
    LongType,
    ShortType,
    StringType,
)

from spark_mlops.quality.analyzers.base import column
from spark_mlops.quality.analyzers.grouping import GroupSummary, frequencies, key_name, summarize
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
#: Re-counted rows up to this number are grouped on the driver (Arrow); more are grouped by Spark.
MAX_ARROW_RECOUNT_ROWS = 2_000_000
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


def _packer(buckets: int, mix: bool) -> Any:
    """Map side: a partition's keys packed into one byte string per bucket (built here so cloudpickle
    ships it by value; executors need NumPy and PyArrow, as any PySpark Arrow function).

    Why: Spark's shuffle costs per row (row serialization, partition sort) and a row here is 8 bytes;
    shuffling a few large byte strings per map partition instead moves the same bytes for a fraction
    of the CPU (measured in bench/results/uniqueness.md). A key always lands in the same bucket, so
    every copy of it meets in one reduce partition whatever Spark's partitioner does with the buckets.
    ``mix`` multiplies raw integer keys by an odd constant (a bijection of 64-bit words, Knuth's
    multiplicative hashing) so that sequential ids spread over the buckets (the top bits).
    """
    shift = 64 - (buckets - 1).bit_length()

    def pack(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa

        chunks = [b.column(0).to_numpy(zero_copy_only=False) for b in batches]
        keys = np.concatenate(chunks).view(np.uint64) if chunks else np.zeros(0, dtype=np.uint64)
        if mix:
            keys *= np.uint64(0x9E3779B97F4A7C15)  # wraps modulo 2^64: still one-to-one
        # A full sort (NumPy's SIMD sort: 5 M keys in ≈ 0.08 s) is cheaper than a radix argsort of
        # the bucket plus two gathers, lays every bucket out as one contiguous range (the bucket is the
        # top bits), and hands the reduce side sorted runs it merges in linear time.
        keys.sort()
        edges = np.arange(buckets, dtype=np.uint64) << np.uint64(shift)
        bounds = np.append(np.searchsorted(keys, edges), len(keys))
        ids = np.flatnonzero(bounds[1:] > bounds[:-1])
        blobs = [keys[bounds[b] : bounds[b + 1]].tobytes() for b in ids]
        yield pa.RecordBatch.from_arrays(
            [pa.array(ids.astype(np.int32)), pa.array(blobs, pa.large_binary())], names=["bucket", "blob"]
        )

    return pack


_COUNTED = f"{_HASH} long, n long, rows long, groups long, clc double"


def _partition_counter(max_keys: int, injective: bool) -> Any:
    """Reduce side: counts the keys of a partition's byte strings with one NumPy sort.

    Yields one summary row (``h`` NULL) with the rows, groups, groups seen once (``n``; -1 when the
    repeated keys are too many to list) and Σ c·ln c that are final, then — unless ``injective`` (the
    key is the value itself, so its counts are the values' counts) — the repeated keys and their counts.
    """

    def count(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa

        # Blobs in bucket order: each map partition's blob is a sorted run and buckets are disjoint
        # ranges, so a stable (Timsort) sort of the concatenation only merges runs.
        pairs = [
            (bucket.as_py(), blob)
            for b in batches
            for bucket, blob in zip(b.column(0), b.column(1), strict=True)
            if blob.is_valid
        ]
        pairs.sort(key=lambda pair: pair[0])
        parts = [np.frombuffer(blob.as_buffer(), dtype=np.uint64) for _, blob in pairs]
        hashes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
        hashes.sort(kind="stable")
        first = np.ones(len(hashes), dtype=bool)
        np.not_equal(hashes[1:], hashes[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        keys = hashes[starts].view(np.int64)
        counts = np.diff(np.append(starts, len(hashes)))
        repeated = counts > 1
        singles = int(len(keys) - repeated.sum())
        listed = not injective and int(repeated.sum()) <= max_keys
        if injective:
            c = counts[repeated]
            row = [None, singles, len(hashes), len(keys), float((c * np.log(c)).sum())]
        else:
            row = [None, singles if listed else -1, singles, singles, 0.0]  # c = 1: c·ln c = 0
        names = [_HASH, "n", "rows", "groups", "clc"]
        schema = pa.schema([(name, pa.float64() if name == "clc" else pa.int64()) for name in names])
        yield pa.RecordBatch.from_pylist([dict(zip(names, row, strict=True))], schema=schema)
        if listed and repeated.any():
            none = pa.nulls(int(repeated.sum()), pa.int64())
            yield pa.RecordBatch.from_arrays(
                [pa.array(keys[repeated]), pa.array(counts[repeated]), none, none, none.cast(pa.float64())],
                schema=schema,
            )

    return count


def _arrow_groupable(dtype: DataType) -> bool:
    """Types whose Arrow equality is Spark's grouping equality (not floats: Spark groups -0.0 with 0.0
    and every NaN together; not collated strings: they group by collation key)."""
    if isinstance(dtype, StringType):
        return dtype == StringType()  # the default UTF8_BINARY collation
    return isinstance(dtype, (BinaryType, BooleanType, DateType, ByteType, ShortType, IntegerType, LongType))


def _recount(rows: DataFrame, columns: tuple[str, ...], num_rows: int) -> GroupSummary:
    """The exact summary of the rows whose hash repeated, grouped on the real values.

    Few rows of simple types come to the driver as Arrow and are grouped there (one scan job; a Spark
    group-by adds a shuffle and a second job: 1.37 s vs 0.89 s for 20 k of 10 M rows, measured);
    otherwise Spark groups them.
    """
    keys = rows.select(*[column(c).alias(key_name(i)) for i, c in enumerate(columns)])
    if num_rows > MAX_ARROW_RECOUNT_ROWS or not all(_arrow_groupable(f.dataType) for f in keys.schema):
        return summarize(frequencies(rows, columns, None), len(columns))
    table = keys.toArrow()
    names = [key_name(i) for i in range(len(columns))]
    counts = table.group_by(names).aggregate([([], "count_all")]).column("count_all").to_numpy()
    return GroupSummary(
        num_rows=int(counts.sum()),
        num_groups=len(counts),
        num_singletons=int((counts == 1).sum()),
        sum_c_ln_c=float((counts * np.log(counts)).sum()),
        null_rows=0,
    )


def exact_unique_summary(
    scoped: DataFrame, columns: tuple[str, ...], key: Column, partitions: int, injective: bool = False
) -> GroupSummary | None:
    """The exact :class:`GroupSummary` of ``columns`` over ``scoped`` (rows with a present key),
    or None when too many hashes repeat for the re-count to be small (then use the group-by).

    Args:
        scoped: Rows in scope whose grouping columns are not all NULL.
        columns: The grouping columns.
        key: A 64-bit hash of the grouping columns (any hash: collisions are re-counted), or with
            ``injective`` the value itself as a long.
        partitions: Shuffle partitions for the keys.
        injective: ``key`` is one-to-one (a single integral column): its counts are final, nothing
            is re-counted.
    """
    counter = _partition_counter(MAX_RECOUNT_KEYS // max(partitions, 1) + 1, injective)
    packed = scoped.select(key.alias(_HASH)).mapInArrow(
        _packer(_BUCKETS, injective), "bucket int, blob binary"
    )
    # The default 10,000-row Arrow batches cost ≈ 20 % here; the rows are 8 bytes each.
    batch = {"spark.sql.execution.arrow.maxRecordsPerBatch": str(_ARROW_BATCH_ROWS)}
    with session_conf(scoped.sparkSession, batch):
        shuffled = packed.repartition(partitions, "bucket")
        # Arrow to the driver: up to MAX_RECOUNT_KEYS rows, no Row objects.
        counted = shuffled.mapInArrow(counter, _COUNTED).toArrow()
    summary_rows = pc.is_null(counted.column(_HASH))
    final = counted.filter(summary_rows)
    if any(n < 0 for n in final.column("n").to_pylist()):
        log.info("unique-key path: too many repeated hashes to re-count, using the group-by")
        return None
    repeated = counted.filter(pc.invert(summary_rows))
    if len(repeated) > MAX_RECOUNT_KEYS:
        log.info("unique-key path: %d repeated hashes, using the group-by", len(repeated))
        return None

    def total(name: str) -> Any:
        return pc.sum(final.column(name)).as_py() or 0

    summary = GroupSummary(total("rows"), total("groups"), total("n"), float(total("clc")), 0)
    if len(repeated):
        # A broadcast semi-join, not `key.isin(repeated)`: PySpark builds an IN list with one Py4J call
        # per value (10 k values ≈ 7 s, more than the whole count). The hashes stay an Arrow array
        # (10 k rows: 0.16 s vs 0.23 s as pickled tuples, measured).
        suspects = scoped.sparkSession.createDataFrame(pa.table({_HASH: repeated.column(_HASH)}))
        rows = scoped.join(F.broadcast(suspects), key == F.col(_HASH), "left_semi")
        summary = summary + _recount(rows, columns, int(pc.sum(repeated.column("n")).as_py()))
    log.debug("unique-key path: %s, %d hashes re-counted", summary, len(repeated))
    return summary
