"""Exact grouping summaries of (nearly) unique keys: count 64-bit hashes, re-count only the collisions.

Why this path exists: on keys that are nearly all distinct (ids), ``groupBy(...).count()`` spends most
of its time in Spark's map-side partial aggregation, which cannot shrink anything when every key is
new, and then in a second hash aggregation after the shuffle. Here each row becomes one 64-bit
``xxhash64`` and the hashes are counted with NumPy sorts, in one of two ways:

* **on the driver** when the rows are known to be few enough (:func:`driver_max_keys`: 16 M keys,
  128 MB, and a quarter of ``spark.driver.maxResultSize``; the caller passes a row bound: a
  materialized cache's statistics, :mod:`.row_bound`, or the scan job's free count): Spark's
  JVM-to-driver Arrow collect brings the low 32 bits of the hashes over, one sort counts them. Like a
  broadcast join's size threshold, it trades a bounded amount of driver memory for a shuffle: 10 M ids
  in 2.5 s against 6.8 s for the group-by (``bench/results/quality_suite.md``).
* **in a shuffle** otherwise: each map partition packs its hashes into one byte string per hash bucket
  (so Spark shuffles a few thousand byte strings, not one row per value), and every shuffle partition
  counts its hashes with one NumPy sort (≈ 2× faster than the group-by on 10 M ids).

A hash seen once is a value seen once: those rows are final. The few hashes seen more than once — real
duplicates or hash collisions, the two cannot be told apart from the hash — are **re-counted on the
real values** (a broadcast semi-join; those rows are grouped on the driver through Arrow when they are
few and of a type whose Arrow equality is Spark's, else by a Spark group-by), so the summary is exact
whatever the hash does; the tests force collisions by cutting the hash to 1–3 bits. A single integral
column needs no hash: the value itself is the key (``injective``), its counts are final and nothing is
re-counted.

It is only worth it on large, nearly unique keys, so :func:`looks_unique` decides first: the plan's
size estimate must be large (no extra job otherwise) and the first ``PROBE_ROWS`` keys must be
nearly all distinct (one ``limit`` job reading the first partitions). Otherwise, or if the re-count
would be large (``MAX_RECOUNT_KEYS``), the caller uses the Spark group-by.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame, SparkSession
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
from spark_mlops.quality.engine.overlap import keys_job_starts
from spark_mlops.spark import plan_bytes, session_conf

__all__ = [
    "DRIVER_HASH_BITS",
    "MAX_DRIVER_KEYS",
    "MAX_RECOUNT_KEYS",
    "MIN_PLAN_BYTES",
    "PROBE_ROWS",
    "driver_max_keys",
    "exact_unique_summary",
    "looks_unique",
    "max_keys_for",
    "recount_repeated",
]

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
#: Up to this many rows (an upper bound the caller knows) the keys are counted on the driver: 8 bytes
#: a key, 128 MB at most (also capped by ``spark.driver.maxResultSize``, see :func:`driver_max_keys`).
MAX_DRIVER_KEYS = 16_000_000
#: Hash buckets per map partition (a power of two): enough that Spark's hash partitioner spreads
#: them evenly over the shuffle partitions.
_BUCKETS = 1024


def looks_unique(scoped: DataFrame, key: Column) -> bool:
    """Whether ``scoped`` is large and its ``key`` nearly unique (at most one small probe job)."""
    size = plan_bytes(scoped, sized_only=False)
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


def _tallier(max_keys: int, injective: bool) -> Any:
    """Counts of a sorted array of 64-bit keys: ``tally(sorted) -> (summary, repeated keys, their counts)``.

    ``summary`` is ``[None, n, rows, groups, clc]``: the rows, groups, groups seen once (``n``; -1 when
    the repeated keys are more than ``max_keys``) and Σ c·ln c that are final. Unless ``injective`` (the
    key is the value itself, so its counts are the values' counts), repeated keys are not final: only
    the singles are counted and the repeated keys are returned for the re-count. A factory, so that
    the executors get the function by value (see :func:`_packer`) and the driver path shares it.
    """

    def tally(hashes: Any) -> tuple[list[Any], Any, Any]:
        import numpy as np

        # Only the few equal neighbours are materialized (a run of c equal keys gives c - 1 consecutive
        # positions): on nearly unique keys this is one vectorized compare instead of several
        # full-length index arrays (≈ 0.3 s less per 10 M keys).
        same = np.flatnonzero(hashes[1:] == hashes[:-1])
        new_run = np.ones(len(same), dtype=bool)
        np.not_equal(same[1:], same[:-1] + 1, out=new_run[1:])
        run_starts = np.flatnonzero(new_run)
        counts = np.diff(np.append(run_starts, len(same))) + 1
        keys = hashes[same[run_starts]].view(np.int64 if hashes.itemsize == 8 else np.int32)
        groups = len(hashes) - len(same)
        singles = groups - len(counts)
        if injective:
            clc = float((counts * np.log(counts)).sum())
            return [None, singles, len(hashes), groups, clc], keys[:0], counts[:0]
        listed = len(counts) <= max_keys
        summary = [None, singles if listed else -1, singles, singles, 0.0]  # c = 1: c·ln c = 0
        if not listed:
            return summary, keys[:0], counts[:0]
        return summary, keys, counts

    return tally


_COUNTED = f"{_HASH} long, n long, rows long, groups long, clc double"


def _partition_counter(max_keys: int, injective: bool) -> Any:
    """Reduce side: counts the keys of a partition's byte strings with one NumPy sort.

    Yields one summary row (``h`` NULL, see :func:`_tallier`), then the repeated keys and their counts.
    """
    tally = _tallier(max_keys, injective)

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
        row, keys, counts = tally(hashes)
        names = [_HASH, "n", "rows", "groups", "clc"]
        schema = pa.schema([(name, pa.float64() if name == "clc" else pa.int64()) for name in names])
        yield pa.RecordBatch.from_pylist([dict(zip(names, row, strict=True))], schema=schema)
        if len(keys):
            none = pa.nulls(len(keys), pa.int64())
            yield pa.RecordBatch.from_arrays(
                [pa.array(keys), pa.array(counts), none, none, none.cast(pa.float64())], schema=schema
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
    return GroupSummary.of_counts(table.group_by(names).aggregate([([], "count_all")]).column("count_all"))


def recount_repeated(
    scoped: DataFrame, columns: tuple[str, ...], key: Column, hashes: pa.Array | pa.ChunkedArray, rows: int
) -> GroupSummary:
    """The exact summary of the rows of ``scoped`` whose ``key`` is one of ``hashes`` (``rows`` of them),
    grouped on the real values of ``columns``.

    A broadcast semi-join, not ``key.isin(hashes)``: PySpark builds an IN list with one Py4J call per
    value (10 k values ≈ 7 s, more than the whole count). The hashes stay an Arrow array (10 k rows:
    0.16 s vs 0.23 s as pickled tuples, measured).
    """
    suspects = scoped.sparkSession.createDataFrame(pa.table({_HASH: hashes}))
    matched = scoped.join(F.broadcast(suspects), key == F.col(_HASH), "left_semi")
    return _recount(matched, columns, rows)


def max_keys_for(max_result_size: str | None) -> int:
    """Most keys the driver path collects under a ``spark.driver.maxResultSize`` setting (Spark's
    default ``1g`` when None): :data:`MAX_DRIVER_KEYS`, and at most a quarter of the result size at 8
    bytes a key, so the collect stays far from the limit Spark enforces (0 = no limit)."""
    match = re.fullmatch(r"\s*(\d+)\s*([kmgt]?)b?\s*", (max_result_size or "1g").lower())
    if match is None:
        return MAX_DRIVER_KEYS
    size = int(match.group(1)) * 1024 ** "_kmgt".index(match.group(2) or "_")
    return MAX_DRIVER_KEYS if size == 0 else min(MAX_DRIVER_KEYS, size // 32)


def driver_max_keys(spark: SparkSession) -> int:
    """:func:`max_keys_for` the session's ``spark.driver.maxResultSize``."""
    return max_keys_for(spark.conf.get("spark.driver.maxResultSize", None))


#: Bits of the hash each row ships to the driver (a test seam; 32 or 64). See :func:`_count_on_driver`.
DRIVER_HASH_BITS = 32


def _narrowed(key: Column) -> Column:
    """The low 32 bits of a 64-bit ``key`` as an ``int`` (shifted into the int range, so the cast
    cannot overflow under ANSI)."""
    return (key.bitwiseAND(F.lit(0xFFFFFFFF)) - F.lit(2**31)).cast("int")


def _count_on_driver(
    scoped: DataFrame, key: Column, injective: bool
) -> tuple[GroupSummary, pa.Table, Column] | None:
    """The keys collected as Arrow and counted with one NumPy sort: (final summary, repeated keys, the
    column they are keys of), or None when too many keys repeat.

    Why: Spark's own JVM-to-driver Arrow path moves 10 M keys in ≈ 0.4 s over a bare scan (0.79 s vs
    0.39 s) and the sort takes ≈ 0.2 s, while the distributed path hands them to Python workers,
    shuffles them and counts them again (its counting job ≈ 2.4 s on 10 M ids; the whole uniqueness
    3.1 s vs 4.4 s side by side, ``bench/results/quality_suite.md``). Only taken when the rows are
    known to be at most :func:`driver_max_keys`.

    A hash (not an injective key) ships only its low :data:`DRIVER_HASH_BITS` bits: a value seen once
    still has a hash seen once, so the counts stay exact; the cost is more repeated hashes to re-count
    (n²/2³³ pairs of different values: ≈ 12 k at 10 M rows, 30 k at the 16 M cap, against the
    :data:`MAX_RECOUNT_KEYS` limit of 1 M) for half the bytes to move and sort.
    """
    narrow = not injective and DRIVER_HASH_BITS == 32
    counted = _narrowed(key) if narrow else key
    keys_job_starts()
    table = scoped.select(counted.alias(_HASH)).toArrow()
    chunks = [c.to_numpy(zero_copy_only=False) for c in table.column(0).chunks]
    unsigned = np.uint32 if narrow else np.uint64
    hashes = np.concatenate(chunks).view(unsigned) if chunks else np.zeros(0, dtype=unsigned)
    del table
    hashes.sort()  # concatenate made a writable copy
    row, keys, counts = _tallier(MAX_RECOUNT_KEYS, injective)(hashes)
    _, n, rows, groups, clc = row
    if n < 0:
        return None
    summary = GroupSummary(rows, groups, n, clc, 0)
    return summary, pa.table({_HASH: pa.array(keys), "n": pa.array(counts)}), counted


def _count_distributed(
    scoped: DataFrame, key: Column, partitions: int, injective: bool
) -> tuple[GroupSummary, pa.Table] | None:
    """Keys packed per map partition, shuffled as byte strings and counted per shuffle partition:
    (final summary, repeated keys), or None when too many keys repeat."""
    counter = _partition_counter(MAX_RECOUNT_KEYS // max(partitions, 1) + 1, injective)
    packed = scoped.select(key.alias(_HASH)).mapInArrow(
        _packer(_BUCKETS, injective), "bucket int, blob binary"
    )
    # The default 10,000-row Arrow batches cost ≈ 20 % here; the rows are 8 bytes each.
    batch = {"spark.sql.execution.arrow.maxRecordsPerBatch": str(_ARROW_BATCH_ROWS)}
    with session_conf(scoped.sparkSession, batch):
        shuffled = packed.repartition(partitions, "bucket")
        keys_job_starts()
        # Arrow to the driver: up to MAX_RECOUNT_KEYS rows, no Row objects.
        counted = shuffled.mapInArrow(counter, _COUNTED).toArrow()
    summary_rows = pc.is_null(counted.column(_HASH))
    final = counted.filter(summary_rows)
    if any(n < 0 for n in final.column("n").to_pylist()):
        return None

    def total(name: str) -> Any:
        return pc.sum(final.column(name)).as_py() or 0

    summary = GroupSummary(total("rows"), total("groups"), total("n"), float(total("clc")), 0)
    return summary, counted.filter(pc.invert(summary_rows)).select([_HASH, "n"])


def exact_unique_summary(
    scoped: DataFrame,
    columns: tuple[str, ...],
    key: Column,
    partitions: int,
    injective: bool = False,
    on_driver: bool = False,
) -> GroupSummary | None:
    """The exact :class:`GroupSummary` of ``columns`` over ``scoped`` (rows with a present key),
    or None when too many hashes repeat for the re-count to be small (then use the group-by).

    Args:
        scoped: Rows in scope whose grouping columns are not all NULL.
        columns: The grouping columns.
        key: A 64-bit hash of the grouping columns (any hash: collisions are re-counted), or with
            ``injective`` the value itself as a long.
        partitions: Shuffle partitions for the keys (distributed path).
        injective: ``key`` is one-to-one (a single integral column): its counts are final, nothing
            is re-counted.
        on_driver: Count the keys on the driver (the caller knows there are at most
            :func:`driver_max_keys` of them) instead of in a shuffle.
    """
    counted: tuple[GroupSummary, pa.Table, Column] | None
    if on_driver:
        counted = _count_on_driver(scoped, key, injective)
    else:
        distributed = _count_distributed(scoped, key, partitions, injective)
        counted = None if distributed is None else (*distributed, key)
    if counted is None or len(counted[1]) > MAX_RECOUNT_KEYS:
        log.info("unique-key path: too many repeated hashes to re-count, using the group-by")
        return None
    summary, repeated, key = counted
    if len(repeated):
        rows = int(pc.sum(repeated.column("n")).as_py())
        summary = summary + recount_repeated(scoped, columns, key, repeated.column(_HASH), rows)
    log.debug(
        "unique-key path (%s): %s, %d hashes re-counted",
        "driver" if on_driver else "shuffle",
        summary,
        len(repeated),
    )
    return summary
