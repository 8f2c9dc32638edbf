"""The two Spark jobs behind :func:`~spark_mlops.quality.profiles.profile.profile_columns`.

Why two jobs shaped like this (measured on Spark 4.2, 50 double columns × 2 M cached rows, local[2]): a
bare ``count`` scan took 1.85 s; ``sum``/``var_pop``/``min``/``max``/``count`` per column 10.4 s with the
default ``spark.sql.codegen.maxFields`` (100: more aggregate buffer fields switch whole-stage codegen
off) and 3.2 s with it raised; any typed imperative aggregate (KLL, HLL) in the same ``agg`` turns the
whole node into a non-codegen ``ObjectHashAggregate`` — all of them mixed took 42 s. So:

* **Job 1, moments** — only declarative aggregates, with ``maxFields`` raised for that one query (and
  restored after): row count; per numeric column count, sum, ``var_pop``, min, max and a 64-bit hash
  bitmap (``bit_or`` of ``1 << (hash & 63)``) whose set bits are a lower bound of its distinct values
  (≤ 20 set bits: treated as discrete and tabulated exactly); per categorical column the non-NULL count
  and a two-word multi-resolution bitmap (:func:`distinct_from_bitmap`) estimating whether it has few
  enough values to be worth a frequency table.
* **Job 2, distributions** — one ``union`` whose branches read disjoint column sets, so each column is
  read at most twice over both jobs: the stacked group-by giving the frequency tables; the KLL sketches
  of the continuous numeric columns on a uniform Bernoulli sample of about ``sample_size`` present
  values per column; HLL distinct counts only where no table gives the exact count and a caller wants
  them (high-cardinality strings; numeric columns for the column profiler).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops.spark import job_description, session_conf

__all__ = [
    "CODEGEN_MAX_FIELDS",
    "codegen_fields_raised",
    "distinct_from_bitmap",
    "distribution_job",
    "known_counts",
    "moments_job",
]

CODEGEN_MAX_FIELDS = "spark.sql.codegen.maxFields"
# Large enough for a few thousand profiled columns; the generated code splits per aggregate function.
_RAISED_MAX_FIELDS = 100_000
_HLL_LG_K = 12
_SAMPLED_RATE = 32
_HIGH = 2**32
# Most aggregates of one codegen'd aggregation: 300 (50 numeric columns) compiled and ran at 1.3x a
# bare scan; 1200 (a 200-column profile) exceeded the JVM's 64 KB method limit.
_CODEGEN_MAX_AGGREGATES = 340
_PACKED = "array<struct<kind:int,i:int,c:bigint,q:binary>>"


@contextmanager
def codegen_fields_raised(spark: SparkSession, fields: int = _RAISED_MAX_FIELDS) -> Iterator[None]:
    """Raise ``spark.sql.codegen.maxFields`` to at least ``fields`` for the block, then restore it.

    A session-wide SQL conf (works over Spark Connect too); the previous value — or its absence — is
    put back in ``finally``, so a failing query leaves the session as it was.
    """
    previous = spark.conf.get(CODEGEN_MAX_FIELDS, None)
    if previous is not None and int(previous) >= fields:
        yield
        return
    with session_conf(spark, {CODEGEN_MAX_FIELDS: str(fields)}):
        yield


def distinct_from_bitmap(every: int | None, sampled: int | None) -> float:
    """Distinct-count estimate from a categorical column's two 64-bit words (``inf``: too many to tell).

    ``every`` has bit ``hash & 63`` set for every value, ``sampled`` bit ``(hash >> 11) & 63`` for the
    values whose ``(hash >> 6) & 31`` is 0 (1 in 32) — a multi-resolution bitmap (Estan, Varghese & Fisk
    2003). Each word is read by linear counting (Whang, Vander-Zanden & Taylor 1990: ``m·ln(m / zero
    bits)``): the full word while it has ≥ 8 zero bits (up to ≈ 130 values), else 32 × the sampled word
    (up to ≈ 4000 values; ≈ 20 % error at 1000).
    """
    full = 64 - _ones(every)
    if full >= 8:
        return 64 * math.log(64 / full)
    rest = 64 - _ones(sampled)
    return math.inf if rest == 0 else _SAMPLED_RATE * 64 * math.log(64 / rest)


def _ones(word: int | None) -> int:
    return 0 if word is None else bin(word & (2**64 - 1)).count("1")


def moments_job(
    source: DataFrame,
    numeric: Mapping[int, Column],
    categorical: Mapping[int, Column],
    extra: Sequence[Column],
    label: str,
    *,
    known: Mapping[int, Sequence[Any]] | None = None,
    continuous: Collection[int] = (),
) -> dict[str, Any]:
    """Job 1: declarative aggregates only, whole-stage codegen kept on.

    Args:
        source: The data.
        numeric: Column index → its value as a double (NaN → NULL).
        categorical: Column index → its value as a string.
        extra: The caller's declarative aggregates.
        label: Job description prefix.
        known: Numeric column index → the values a reference saw (≤ 20): counted here per value
            (:func:`known_counts` reads them back), the bitmap then only covers the other values.
        continuous: Numeric columns known to be continuous: no discreteness bitmap.

    Returns:
        The one result row as a dict.
    """
    # The bit expressions stay inside the aggregates (a projection of them below the aggregate measured
    # 4x slower at 50 columns); whole-stage codegen shares each column's hash between its aggregates.
    one = F.lit(1).cast("long")
    exprs: list[Column] = [F.count(F.lit(1)).alias("n"), *extra]
    known = known or {}
    for i, v in numeric.items():
        x = v
        exprs += [
            F.count(x).alias(f"c{i}"),
            F.sum(x).alias(f"s{i}"),
            F.var_pop(x).alias(f"v{i}"),
            F.min(x).alias(f"lo{i}"),
            F.max(x).alias(f"hi{i}"),
        ]
        if i in known:
            other = _known_aggregates(x, i, known[i], exprs)
            exprs.append(F.bit_or(F.when(other, _bit(one, F.hash(x).bitwiseAND(63)))).alias(f"b{i}"))
        elif i not in continuous:
            exprs.append(F.bit_or(F.when(x.isNotNull(), _bit(one, F.hash(x).bitwiseAND(63)))).alias(f"b{i}"))
    for j, t in categorical.items():
        x = t
        exprs.append(F.count(x).alias(f"c{j}"))
        other = _known_aggregates(x, j, known[j], exprs) if j in known else x.isNotNull()
        h = F.hash(x)
        sampled = other & (F.call_function("shiftright", h, F.lit(6)).bitwiseAND(_SAMPLED_RATE - 1) == 0)
        high = F.call_function("shiftright", h, F.lit(11)).bitwiseAND(63)
        exprs += [
            F.bit_or(F.when(other, _bit(one, h.bitwiseAND(63)))).alias(f"b{j}"),
            F.bit_or(F.when(sampled, _bit(one, high))).alias(f"w{j}"),
        ]
    spark = source.sparkSession
    what = f"{label}: moments ({len(exprs)} aggregates)"
    if len(exprs) > _CODEGEN_MAX_AGGREGATES:
        # Generated code above 64 KB per method does not compile (Spark falls back to interpreted code
        # after a long failed compile): a wide table's one aggregation runs interpreted from the start.
        with job_description(spark, what):
            return source.agg(*exprs).collect()[0].asDict()
    with codegen_fields_raised(spark), job_description(spark, what):
        return source.agg(*exprs).collect()[0].asDict()  # a global aggregation returns one row


def _bit(one: Column, position: Column) -> Column:
    return F.call_function("shiftleft", one, position)


def _known_aggregates(x: Column, i: int, values: Sequence[Any], exprs: list[Column]) -> Column:
    """Append the packed per-value counts of column ``i`` to ``exprs``; return "x is another value".

    Two values share one 64-bit sum (low and high 32 bits), halving the aggregates: whole-stage codegen
    compiles only up to a few hundred of them (``_CODEGEN_MAX_AGGREGATES``). ``try_sum`` turns an
    overflow into NULL instead of an ANSI error; :func:`known_counts` then reports the counts unknown.
    """
    key, targets = x, [F.lit(v) for v in values]
    for p in range(0, len(values), 2):
        slot = F.when(key == targets[p], F.lit(1).cast("long"))
        if p + 1 < len(values):
            slot = slot.when(key == targets[p + 1], F.lit(_HIGH).cast("long"))
        exprs.append(F.try_sum(slot.otherwise(F.lit(0).cast("long"))).alias(f"k{i}_{p // 2}"))
    return x.isNotNull() & ~key.isin(targets)


def known_counts(
    row: Mapping[str, Any], i: int, values: Sequence[Any], present: int
) -> dict[Any, int] | None:
    """The exact counts of column ``i``'s known values from job 1, or None when they cannot be trusted.

    None when the column has other values too (its bitmap is not 0), a packed sum overflowed, or the
    data has ≥ 2^32 rows (a low half could carry into the high half); the caller tabulates it instead.
    """
    if int(row.get(f"b{i}") or 0) != 0 or present >= _HIGH:
        return None
    counts: dict[Any, int] = {}
    for p in range(0, len(values), 2):
        packed = row.get(f"k{i}_{p // 2}")
        if packed is None:
            return None
        packed = int(packed)
        counts[values[p]] = packed & (_HIGH - 1)
        if p + 1 < len(values):
            counts[values[p + 1]] = packed >> 32
    if sum(counts.values()) != present:
        return None
    return {v: c for v, c in counts.items() if c}


def _packed(aggregates: Mapping[int, Column], kind: int) -> Column:
    """One array of ``(kind, i, c, q)`` structs from a one-row aggregate: a KLL sketch ``q`` (kind 1) or an
    HLL estimate ``c`` (kind 2) per column. Kept as one array (not ``inline``-d) because Spark plans a
    generator over a global aggregate as a scalar subquery, i.e. one more job."""
    structs = []
    for i, value in aggregates.items():
        structs.append(
            F.struct(
                F.lit(kind).alias("kind"),
                F.lit(i).alias("i"),
                (value.cast("long") if kind == 2 else F.lit(None).cast("long")).alias("c"),
                (value if kind == 1 else F.lit(None).cast("binary")).alias("q"),
            )
        )
    return F.array(*structs)


def distribution_job(
    source: DataFrame,
    tables: Mapping[int, tuple[Column, bool]],
    kll: Mapping[int, tuple[Column, float]],
    hll: Mapping[int, tuple[Column, bool]],
    *,
    sketch_k: int,
    seed: int,
    label: str,
) -> list[Any]:
    """Job 2: frequency tables, sampled KLL sketches and HLL counts as one ``union``.

    Args:
        source: The data.
        tables: Column index → (its value, numeric?) to tabulate exactly.
        kll: Column index → (its double value, sampling fraction of its present values).
        hll: Column index → (its value, numeric?) needing an approximate distinct count.
        sketch_k: KLL ``k``.
        seed: Seed of the Bernoulli sample.
        label: Job description prefix.

    Returns:
        Rows ``(i, s, d, c, packed)``: a table cell of column ``i`` (value ``s``/``d``, count ``c``), or
        a ``packed`` array of ``(kind, i, c, q)``: kind 1 a KLL sketch ``q``, kind 2 an HLL estimate ``c``.
    """
    parts: list[DataFrame] = []
    if tables:
        structs = [
            F.struct(
                F.lit(i).alias("i"),
                (F.lit(None).cast("string") if numeric else v).alias("s"),
                (v if numeric else F.lit(None).cast("double")).alias("d"),
            )
            for i, (v, numeric) in tables.items()
        ]
        stacked = source.select(F.inline(F.array(*structs))).where("s IS NOT NULL OR d IS NOT NULL")
        cells = stacked.groupBy("i", "s", "d").count()
        parts.append(
            cells.select("i", "s", "d", F.col("count").alias("c"), F.lit(None).cast(_PACKED).alias("packed"))
        )
    k = F.lit(sketch_k)
    if hll:
        # HLL needs every row: the KLL inputs join this aggregate, thinned per column by a uniform draw.
        u = F.rand(seed).alias("_u")
        full = source.select("*", u)
        sketches = {
            i: F.kll_sketch_agg_double(v if f >= 1.0 else F.when(F.col("_u") < f, v), k)
            for i, (v, f) in kll.items()
        }
        counts = {i: _distinct(v, numeric) for i, (v, numeric) in hll.items()}
        packed = F.concat(_packed(sketches, 1), _packed(counts, 2)) if sketches else _packed(counts, 2)
        parts.append(full.agg(*_no_cell(), packed.alias("packed")))
    elif kll:
        # Sample once at the largest fraction any column needs, then thin each column to its own.
        top = max(f for _, f in kll.values())
        sampled = source if top >= 1.0 else source.sample(fraction=top, seed=seed)
        sampled = sampled.select("*", F.rand(seed + 1).alias("_u"))
        exprs = {}
        for i, (v, f) in kll.items():
            x = v if f >= top else F.when(F.col("_u") < f / top, v)
            exprs[i] = F.kll_sketch_agg_double(x, k)
        parts.append(sampled.agg(*_no_cell(), _packed(exprs, 1).alias("packed")))
    if not parts:
        return []
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    spark = source.sparkSession
    what = f"{len(tables)} tables, {len(kll)} KLL sketches, {len(hll)} HLL counts"
    with job_description(spark, f"{label}: {what}"):
        return union.collect()


def _no_cell() -> list[Column]:
    return [
        F.lit(None).cast("int").alias("i"),
        F.lit(None).cast("string").alias("s"),
        F.lit(None).cast("double").alias("d"),
        F.lit(None).cast("long").alias("c"),
    ]


def _distinct(values: Column, numeric: bool) -> Column:
    # DataSketches HLL (lgK 12: ≈ 1.6 % relative standard error, 1.04/√4096 — Flajolet et al. 2007);
    # about a third of the CPU of approx_count_distinct's HLL++ on Spark 4.2. Doubles go in as their
    # 64-bit xxhash (NULL stays NULL, not counted).
    hashed = F.when(values.isNotNull(), F.xxhash64(values)) if numeric else values
    return F.hll_sketch_estimate(F.hll_sketch_agg(hashed, F.lit(_HLL_LG_K)))
