"""Exact grouping summary of one text column counted on the driver, in one Spark job, when the rows are few.

Why this path exists: on a cached frame of a few million rows, exact uniqueness on an id column was either
a Spark group-by (a shuffle of every id: 0.46 s at 1 M cached ids) or the unique-key path
(:mod:`.unique_keys`: a probe job, the 32-bit hashes to the driver, then a broadcast and a re-count job for
the repeated hashes: ≈ 0.4 s). Here each row ships its 64-bit hash **and its value** in one Arrow
collect; the hashes are counted with one NumPy sort and only the rows whose hash repeats are grouped on
their values, on the driver (Arrow's ``value_counts``). Nothing is re-counted by Spark, so the answer is
exact in one job: 1 M cached review ids in 0.18 s against 0.46 s for the group-by and ≈ 0.4 s for the
keys path (min of 7, side by side, 2026-11-26; ``bench/results/README.md`` has the suite's numbers).

It needs a row bound the caller already knows (a materialized cache's statistics or the run's scan job):
the values are only shipped while they fit the driver budget the keys path uses
(:func:`~.unique_keys.driver_max_keys` × 8 bytes), at most :data:`MAX_VALUE_BYTES` bytes a value. A longer
value ships as NULL (only its hash travels); if its hash repeats, the rows of that hash are re-counted on
the real values by Spark, as on the keys path. No probe job is needed: a column of few distinct values
costs one collect of short rows and one ``value_counts`` over them, still exact.

Only for one column of a type whose Arrow equality is Spark's grouping equality (strings in the default
collation, binary); integral columns are their own key (:mod:`.unique_keys`, ``injective``).
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BinaryType, DataType, StringType

from spark_mlops.quality.analyzers.base import sql_column
from spark_mlops.quality.analyzers.grouping import GroupSummary
from spark_mlops.quality.engine.overlap import keys_job_starts
from spark_mlops.quality.engine.unique_keys import recount_repeated

__all__ = ["MAX_VALUE_BYTES", "MIN_ROWS", "MIN_VALUE_BYTES", "value_cap", "values_on_driver_summary"]

log = logging.getLogger(__name__)

#: Below this many rows the grouping stays a Spark group-by (one job, nothing on the driver); most unit
#: tests' frames are smaller. From 10 k cached rows up this path was ≈ 3× faster (0.06 vs 0.24 s at 10 k,
#: 0.09 vs 0.23 s at 300 k, min of 7 side by side).
MIN_ROWS = 10_000
#: Longest value (bytes) shipped to the driver; longer values ship only their hash.
MAX_VALUE_BYTES = 64
#: The path is not taken when the budget leaves less than this per value (then too many values would
#: ship as hashes only and need the Spark re-count).
MIN_VALUE_BYTES = 16
#: Bytes a row costs on the driver besides its value: the 64-bit hash, the string offset, validity.
_ROW_OVERHEAD = 13
_HASH, _VALUE = "h", "v"
#: Low hash bits indexing the pre-filter of :func:`_rows_of`.
_FILTER_BITS = 20


def _shippable(dtype: DataType) -> bool:
    """Types whose Arrow equality is Spark's grouping equality and whose size ``octet_length`` gives."""
    return dtype == StringType() or isinstance(dtype, BinaryType)


def value_cap(dtype: DataType, rows: int, max_keys: int) -> int | None:
    """Bytes a value may have to ship, or None when this path does not apply.

    Args:
        dtype: The grouping column's type.
        rows: An upper bound on the rows.
        max_keys: The driver budget in keys of 8 bytes (:func:`~.unique_keys.driver_max_keys`).
    """
    if not _shippable(dtype) or rows < MIN_ROWS:
        return None
    cap = min(MAX_VALUE_BYTES, (max_keys * 8) // rows - _ROW_OVERHEAD)
    return cap if cap >= MIN_VALUE_BYTES else None


def _rows_of(hashes: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of the entries of ``hashes`` that are in ``wanted`` (sorted, unique).

    Why not ``pyarrow.compute.is_in`` on every row: its hash-set probe costs ≈ 12 ms per million rows.
    A look-up of the low :data:`_FILTER_BITS` bits in a 1 MB table (it stays in the CPU cache) costs
    ≈ 4 ms and lets through only a ``len(wanted) / 2**20`` share of the other rows; only those
    candidates are probed exactly.
    """
    if not len(wanted):
        return np.zeros(0, dtype=np.int64)
    low = np.uint64((1 << _FILTER_BITS) - 1)
    table = np.zeros(1 << _FILTER_BITS, dtype=bool)
    table[wanted.view(np.uint64) & low] = True
    candidates = np.flatnonzero(table[hashes.view(np.uint64) & low])
    exact = pc.is_in(pa.array(hashes[candidates]), value_set=pa.array(wanted))
    return candidates[exact.to_numpy(zero_copy_only=False)]


def values_on_driver_summary(scoped: DataFrame, name: str, key: Column, cap: int) -> GroupSummary:
    """The exact :class:`GroupSummary` of column ``name`` over ``scoped`` (rows where it is present).

    Args:
        scoped: Rows in scope whose grouping column is not NULL.
        name: The grouping column (see :func:`value_cap` for its type and the row budget).
        key: A 64-bit hash of the column (any hash: equal hashes are grouped on the values).
        cap: Values longer than this many bytes ship as NULL (only their hash).
    """
    value = sql_column(name)
    shipped = F.expr(f"CASE WHEN octet_length({value}) <= {int(cap)} THEN {value} END")  # see grouping._key
    keys_job_starts()
    table = scoped.select(key.alias(_HASH), shipped.alias(_VALUE)).toArrow()
    chunks = [c.to_numpy(zero_copy_only=False) for c in table.column(_HASH).chunks]
    hashes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    rows = len(hashes)
    ordered = np.sort(hashes)
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    repeated = np.unique(ordered[same])
    # Rows whose hash is seen once hold a value seen once: final without looking at the value.
    suspects = table.take(pa.array(_rows_of(hashes, repeated)))
    singles = rows - suspects.num_rows
    summary = GroupSummary(singles, singles, singles, 0.0, 0)
    unshipped = pc.is_null(suspects.column(_VALUE))
    recount = pc.unique(suspects.column(_HASH).filter(unshipped))
    if len(recount):
        # A long value among them: the rows of those hashes are grouped by Spark on the real values.
        in_recount = pc.is_in(suspects.column(_HASH), value_set=recount)
        recounted_rows = int(pc.sum(in_recount).as_py() or 0)
        suspects = suspects.filter(pc.invert(in_recount))
        summary = summary + recount_repeated(scoped, (name,), key, recount, recounted_rows)
    if suspects.num_rows:
        summary = summary + GroupSummary.of_counts(suspects.column(_VALUE).value_counts().field("counts"))
    log.debug(
        "values on the driver: %s (%d rows with a repeated hash, %d hashes re-counted by Spark)",
        summary,
        rows - singles,
        len(recount),
    )
    return summary
