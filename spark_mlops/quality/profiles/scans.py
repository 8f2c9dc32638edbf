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
  and a linear-counting bitmap of ``m`` bits (Whang, Vander-Zanden & Taylor 1990: distinct ≈
  ``m·ln(m / zero bits)``) deciding whether it gets a frequency table.
* **Job 2, distributions** — one ``union`` whose branches read disjoint column sets, so each column is
  read at most twice over both jobs: the stacked group-by giving the frequency tables; the KLL sketches
  of the continuous numeric columns on a uniform Bernoulli sample of about ``sample_size`` present
  values per column; HLL distinct counts only where no table gives the exact count and a caller wants
  them (high-cardinality strings; numeric columns for the column profiler).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops.spark import job_description

__all__ = [
    "CODEGEN_MAX_FIELDS",
    "bitmap_words",
    "codegen_fields_raised",
    "distinct_from_bitmap",
    "distribution_job",
    "moments_job",
]

CODEGEN_MAX_FIELDS = "spark.sql.codegen.maxFields"
# Large enough for a few thousand profiled columns; the generated code splits per aggregate function.
_RAISED_MAX_FIELDS = 100_000
_HLL_LG_K = 12
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
    spark.conf.set(CODEGEN_MAX_FIELDS, str(fields))
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(CODEGEN_MAX_FIELDS)
        else:
            spark.conf.set(CODEGEN_MAX_FIELDS, previous)


def bitmap_words(max_categories: int) -> int:
    """64-bit words of a categorical column's linear-counting bitmap: ``m`` = next power of two ≥ the cut.

    At the cut the load is ≤ 1 bit per value, where linear counting's standard error is ≈ 3 %; a
    column with far more values fills every bit and reads as "too many".
    """
    bits = 64
    while bits < max_categories:
        bits *= 2
    return bits // 64


def distinct_from_bitmap(words: Sequence[int | None]) -> float:
    """Linear-counting estimate ``m·ln(m / V)`` from the bitmap words (``inf`` when no bit is zero)."""
    m = 64 * len(words)
    ones = sum(bin(w & (2**64 - 1)).count("1") for w in words if w is not None)
    zeros = m - ones
    return math.inf if zeros == 0 else m * math.log(m / zeros)


def moments_job(
    source: DataFrame,
    numeric: Mapping[int, str],
    categorical: Mapping[int, str],
    words: int,
    extra: Sequence[Column],
    label: str,
) -> dict[str, Any]:
    """Job 1: declarative aggregates only, whole-stage codegen kept on.

    Args:
        source: The data with the profile's value columns projected (see ``profile_columns``).
        numeric: Column index → name of its double value column in ``source``.
        categorical: Column index → name of its string value column in ``source``.
        words: Bitmap words per categorical column.
        extra: The caller's declarative aggregates.
        label: Job description prefix.

    Returns:
        The one result row as a dict.
    """
    one = F.lit(1).cast("long")
    projected: list[Column] = [*[F.col(f"`{c}`") for c in source.columns]]
    for i, v in numeric.items():
        x = F.col(v)
        # The bit a value sets; NULL stays NULL and is ignored by bit_or.
        projected.append(
            F.when(x.isNotNull(), F.call_function("shiftleft", one, F.hash(x).bitwiseAND(63))).alias(f"_b{i}")
        )
    for j, t in categorical.items():
        h = F.hash(F.col(t))
        projected += [
            F.when(F.col(t).isNotNull(), F.call_function("shiftleft", one, h.bitwiseAND(63))).alias(f"_b{j}"),
            F.call_function("shiftright", h, F.lit(6)).bitwiseAND(words - 1).alias(f"_w{j}"),
        ]
    rows = source.select(*projected)
    exprs: list[Column] = [F.count(F.lit(1)).alias("n"), *extra]
    for i, v in numeric.items():
        x = F.col(v)
        exprs += [
            F.count(x).alias(f"c{i}"),
            F.sum(x).alias(f"s{i}"),
            F.var_pop(x).alias(f"v{i}"),
            F.min(x).alias(f"lo{i}"),
            F.max(x).alias(f"hi{i}"),
            F.bit_or(F.col(f"_b{i}")).alias(f"b{i}"),
        ]
    for j, t in categorical.items():
        exprs.append(F.count(F.col(t)).alias(f"c{j}"))
        bit, word = F.col(f"_b{j}"), F.col(f"_w{j}")
        exprs += [F.bit_or(F.when(word == k, bit)).alias(f"b{j}_{k}") for k in range(words)]
    spark = source.sparkSession
    with codegen_fields_raised(spark), job_description(spark, f"{label}: moments of {len(exprs)} aggregates"):
        return rows.agg(*exprs).collect()[0].asDict()  # a global aggregation returns one row


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
    tables: Mapping[int, tuple[str, bool]],
    kll: Mapping[int, tuple[str, float]],
    hll: Mapping[int, tuple[str, bool]],
    *,
    sketch_k: int,
    seed: int,
    label: str,
) -> list[Any]:
    """Job 2: frequency tables, sampled KLL sketches and HLL counts as one ``union``.

    Args:
        source: The data with the profile's value columns projected.
        tables: Column index → (value column, numeric?) to tabulate exactly.
        kll: Column index → (double value column, sampling fraction of its present values).
        hll: Column index → (value column, numeric?) needing an approximate distinct count.
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
                (F.lit(None).cast("string") if numeric else F.col(v)).alias("s"),
                (F.col(v) if numeric else F.lit(None).cast("double")).alias("d"),
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
            i: F.kll_sketch_agg_double(v if f >= 1.0 else F.when(F.col("_u") < f, F.col(v)), k)
            for i, (v, f) in kll.items()
        }
        counts = {i: _distinct(F.col(v), numeric) for i, (v, numeric) in hll.items()}
        packed = F.concat(_packed(sketches, 1), _packed(counts, 2)) if sketches else _packed(counts, 2)
        parts.append(full.agg(*_no_cell(), packed.alias("packed")))
    elif kll:
        # Sample once at the largest fraction any column needs, then thin each column to its own.
        top = max(f for _, f in kll.values())
        sampled = source if top >= 1.0 else source.sample(fraction=top, seed=seed)
        sampled = sampled.select("*", F.rand(seed + 1).alias("_u"))
        exprs = {}
        for i, (v, f) in kll.items():
            x = F.col(v) if f >= top else F.when(F.col("_u") < f / top, F.col(v))
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
