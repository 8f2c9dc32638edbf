"""Read a DataSketches KLL doubles sketch (the bytes of Spark's ``kll_sketch_agg_double``) in Python.

A KLL sketch *is* a weighted sample: the items retained at compaction level ``h`` each stand for
``2^h`` input values. Reading them on the driver gives every CDF statistic straight from the sketch,
without another Spark job, and is the ``sketch.data`` (one list per level) SageMaker's statistics show.

Compact serialization (Apache DataSketches ``KllSketch`` layout, little-endian): byte 0 preamble
ints, 1 serial version, 2 family id (15), 3 flags (bit 0 empty, bit 2 single item), bytes 4–5 ``k``,
6 ``m``; a single-item sketch then holds one double at byte 8; a full one holds ``n`` (int64, byte 8),
min ``k`` (16–17), number of levels (18), then the level offsets (int32 each), min, max (doubles)
and the retained items (doubles), level 0 first.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from spark_mlops.errors import InvalidArgumentError

__all__ = ["KllSketch", "decode_kll_doubles"]

_FAMILY_KLL = 15
_FLAG_EMPTY = 1
_FLAG_SINGLE = 4


@dataclass(frozen=True)
class KllSketch:
    """The content of a KLL doubles sketch.

    Attributes:
        k: Accuracy parameter.
        n: Number of input values.
        levels: Retained items per compaction level (level ``h`` items weigh ``2^h``).
        minimum: Exact smallest input value (NaN when empty).
        maximum: Exact largest input value (NaN when empty).
    """

    k: int
    n: int
    levels: tuple[np.ndarray, ...]
    minimum: float
    maximum: float

    def weighted_items(self) -> tuple[np.ndarray, np.ndarray]:
        """All retained items and their weights (the weights sum to ``n``)."""
        if not self.levels:
            return np.zeros(0), np.zeros(0)
        items = np.concatenate(self.levels)
        weights = np.concatenate([np.full(len(lv), 2.0**h) for h, lv in enumerate(self.levels)])
        return items, weights


def decode_kll_doubles(data: bytes | bytearray) -> KllSketch:
    """Decode the compact bytes of a KLL doubles sketch.

    Raises:
        InvalidArgumentError: the bytes are not a KLL sketch.
    """
    b = bytes(data)
    if len(b) < 8 or b[2] != _FAMILY_KLL:
        raise InvalidArgumentError(
            f"data: not a KLL sketch ({len(b)} bytes, family {b[2] if len(b) > 2 else None})"
        )
    flags = b[3]
    k = struct.unpack_from("<H", b, 4)[0]
    if flags & _FLAG_EMPTY:
        return KllSketch(k, 0, (), float("nan"), float("nan"))
    if flags & _FLAG_SINGLE:
        (value,) = struct.unpack_from("<d", b, 8)
        return KllSketch(k, 1, (np.array([value]),), value, value)
    (n,) = struct.unpack_from("<q", b, 8)
    num_levels = b[18]
    offsets = list(struct.unpack_from(f"<{num_levels}I", b, 20))
    pos = 20 + 4 * num_levels
    minimum, maximum = struct.unpack_from("<dd", b, pos)
    items = np.frombuffer(b, dtype="<f8", offset=pos + 16)
    bounds = [o - offsets[0] for o in offsets] + [len(items)]
    levels = tuple(np.array(items[bounds[h] : bounds[h + 1]]) for h in range(num_levels))
    total = sum(len(lv) * 2**h for h, lv in enumerate(levels))
    if total != n:
        raise InvalidArgumentError(f"data: KLL sketch levels weigh {total}, but the sketch says n={n}")
    return KllSketch(k, int(n), levels, float(minimum), float(maximum))
