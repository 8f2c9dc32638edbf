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
  Job 1 runs as the fewest jobs of about equal size, each one codegen'd aggregation of at most
  ``_CODEGEN_MAX_AGGREGATES`` (100) aggregates — about 16 numeric or 33 string columns. Above ~340 the
  generated method passes the JVM's 64 KB limit and the one aggregation would run interpreted (a
  200-column profile, 1,201 aggregates: 29.1 s interpreted in one job, 10.6 s as five codegen'd chunks
  of <= 300; 100 k rows, cached). Below that, smaller chunks are still faster per row: drift's job 1
  at 10 M rows × (50 numeric + 10 categorical), 281 aggregates, as 1 / 2 / 3 chunks cost 80.5 / 78.5 /
  67.6 CPU s for the whole drift profile (41.5 / 41.2 / 35.9 s wall, one process, bench lock) — the
  per-row update code of ~100 aggregates is small enough for the JIT to compile as one unit. Every chunk
  reads only its own columns (the same bytes in all), so over all jobs each column is still read at
  most twice. (One job with the chunks as branches of a ``union`` ran out of a 6 GB heap.)
* **Job 2, distributions** — one ``union`` whose branches read disjoint column sets, so each column is
  read at most twice over both jobs: the stacked group-by giving the frequency tables; the KLL sketches
  of the continuous numeric columns on a uniform Bernoulli sample of about ``sample_size`` present
  values per column; HLL distinct counts only where no table gives the exact count and a caller wants
  them (high-cardinality strings; numeric columns for the column profiler).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops.quality.analyzers.base import sql_string
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
# Most aggregates of one codegen'd aggregation (job 1 is chunked to this size). ~340 is the most that
# compiles (1200, a 200-column profile, exceeded the JVM's 64 KB method limit); 281 aggregates in chunks
# of <= 100 measured 16 % less CPU than in one chunk, and chunks of <= 200 no better than one (module doc).
_CODEGEN_MAX_AGGREGATES = 100
_PACKED = "array<struct<kind:int,i:int,c:bigint,q:binary>>"
# An aggregate of job 1: (alias, SQL text) or a caller's aliased Column.
_Aggregate = tuple[str, str] | Column


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
    numeric: Mapping[int, str],
    categorical: Mapping[int, str],
    extra: Sequence[Column] | Mapping[str, str],
    label: str,
    *,
    known: Mapping[int, Sequence[Any]] | None = None,
    continuous: Collection[int] = (),
    from_log: Collection[int] = (),
) -> dict[str, Any]:
    """Job 1: declarative aggregates only, whole-stage codegen kept on: one Spark job per chunk of at
    most 100 aggregates (one job up to about 16 numeric columns; chunks of about equal size).

    Args:
        source: The data.
        numeric: Column index → SQL text of its value as a double (NaN → NULL).
        categorical: Column index → SQL text of its value as a string.
        extra: The caller's declarative aggregates: Columns (aliased), or alias → SQL text (cheaper:
            no Py4J round trip per function).
        label: Job description prefix.
        known: Numeric column index → the values a reference saw (≤ 20): counted here per value
            (:func:`known_counts` reads them back), the bitmap then only covers the other values.
        continuous: Numeric columns known to be continuous: no discreteness bitmap.
        from_log: Numeric columns whose count, min and max the caller has (Delta file statistics):
            only their sum and ``var_pop`` are aggregated.

    Returns:
        The result as one dict: alias → value.
    """
    # The bit expressions stay inside the aggregates (a projection of them below the aggregate measured
    # 4x slower at 50 columns); whole-stage codegen shares each column's hash between its aggregates.
    known = known or {}
    groups: list[Sequence[_Aggregate]] = [[("n", "count(1)")]]
    if isinstance(extra, Mapping):
        groups += [[(alias, sql)] for alias, sql in extra.items()]
    else:
        groups += [[c] for c in extra]
    for i, x in numeric.items():
        group = [(f"s{i}", f"sum({x})"), (f"v{i}", f"var_pop({x})")]
        if i not in from_log:
            group += [(f"c{i}", f"count({x})"), (f"lo{i}", f"min({x})"), (f"hi{i}", f"max({x})")]
        if i in known:
            other = _known_aggregates(x, i, known[i], group)
            group.append((f"b{i}", f"bit_or(CASE WHEN {other} THEN {_bit(f'hash({x}) & 63')} END)"))
        elif i not in continuous:
            group.append((f"b{i}", f"bit_or(CASE WHEN {x} IS NOT NULL THEN {_bit(f'hash({x}) & 63')} END)"))
        groups.append(group)
    for j, x in categorical.items():
        group = [(f"c{j}", f"count({x})")]
        other = _known_aggregates(x, j, known[j], group) if j in known else f"{x} IS NOT NULL"
        h = f"hash({x})"
        sampled = f"{other} AND (shiftright({h}, 6) & {_SAMPLED_RATE - 1}) = 0"
        group += [
            (f"b{j}", f"bit_or(CASE WHEN {other} THEN {_bit(f'{h} & 63')} END)"),
            (f"w{j}", f"bit_or(CASE WHEN {sampled} THEN {_bit(f'shiftright({h}, 11) & 63')} END)"),
        ]
        groups.append(group)
    # Columns whose count/min/max come from the Delta log keep the chunk count they would have without
    # it: the same aggregates in 3 chunks ran 9.3-12.7 s against 11.9-14.5 s in 2 (10 M x 50, module doc).
    logged = 3 * len(set(from_log) & set(numeric))
    chunks = _chunks(groups, math.ceil((sum(len(g) for g in groups) + logged) / _CODEGEN_MAX_AGGREGATES))
    spark = source.sparkSession
    total = sum(len(g) for g in groups)
    row: dict[str, Any] = {}
    for k, chunk in enumerate(chunks):
        # One named_struct of SQL text per chunk: a few Py4J calls whatever the number of aggregates.
        texts = [f"'{a[0]}', {a[1]}" for a in chunk if isinstance(a, tuple)]
        columns = [a for a in chunk if not isinstance(a, tuple)]
        if texts:
            columns.insert(0, F.expr("named_struct(" + ", ".join(texts) + ") AS _m"))
        part = f", part {k + 1} of {len(chunks)}" if len(chunks) > 1 else ""
        # Only one column with more aggregates than the limit makes a chunk that large: it then runs
        # interpreted from the start (Spark would fall back only after a long failed compile).
        raised = codegen_fields_raised(spark) if len(chunk) <= _CODEGEN_MAX_AGGREGATES else nullcontext()
        with raised, job_description(spark, f"{label}: moments ({total} aggregates{part})"):
            result = source.agg(*columns).collect()[0].asDict()  # a global aggregation: one row
        row.update(result.pop("_m").asDict() if texts else {})
        row.update(result)
    return row


def _chunks(groups: Sequence[Sequence[_Aggregate]], at_least: int = 1) -> list[list[_Aggregate]]:
    """Pack the per-column groups of aggregates into the fewest chunks (but ``at_least``) of at most
    ``_CODEGEN_MAX_AGGREGATES``, of about equal size; a column's aggregates stay together (codegen
    shares its value and hash between them)."""
    total = sum(len(g) for g in groups)
    # Balanced: 281 aggregates at a limit of 200 become 2 chunks of ~140, not 200 + 81.
    target = math.ceil(total / max(1, at_least, math.ceil(total / _CODEGEN_MAX_AGGREGATES)))
    chunks: list[list[_Aggregate]] = [[]]
    for group in groups:
        full = len(chunks[-1]) >= target or len(chunks[-1]) + len(group) > _CODEGEN_MAX_AGGREGATES
        if chunks[-1] and full:
            chunks.append([])
        chunks[-1] += group
    return chunks


def _bit(position: str) -> str:
    return f"shiftleft(1L, {position})"


def _literal(value: Any) -> str:
    """SQL text of a literal with the type ``F.lit(value)`` gives it (double, bigint/int, boolean, string).

    Doubles go through a string cast so every value (infinities, 17 significant digits) is exact.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value):
            return f"CAST('{value!r}' AS DOUBLE)"
        special = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return f"CAST('{special}' AS DOUBLE)"
    if isinstance(value, int):
        return f"{value}" if -(2**31) <= value < 2**31 else f"{value}L"
    if isinstance(value, str):
        return sql_string(value)
    raise TypeError(f"value: no SQL literal for {type(value).__name__}")


def _known_aggregates(x: str, i: int, values: Sequence[Any], group: list[tuple[str, str]]) -> str:
    """Append the packed per-value counts of column ``i`` to ``group``; return "x is another value".

    Two values share one 64-bit sum (low and high 32 bits), halving the aggregates: whole-stage codegen
    compiles only up to a few hundred of them (``_CODEGEN_MAX_AGGREGATES``). ``try_sum`` turns an
    overflow into NULL instead of an ANSI error; :func:`known_counts` then reports the counts unknown.
    """
    targets = [_literal(v) for v in values]
    for p in range(0, len(values), 2):
        slot = f"WHEN {x} = {targets[p]} THEN 1L"
        if p + 1 < len(values):
            slot += f" WHEN {x} = {targets[p + 1]} THEN {_HIGH}L"
        group.append((f"k{i}_{p // 2}", f"try_sum(CASE {slot} ELSE 0L END)"))
    return f"({x} IS NOT NULL AND NOT {x} IN ({', '.join(targets)}))"


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


def _packed(aggregates: Mapping[int, str], kind: int) -> str:
    """SQL text of one array of ``(kind, i, c, q)`` structs from a one-row aggregate: a KLL sketch ``q``
    (kind 1) or an HLL estimate ``c`` (kind 2) per column. Kept as one array (not ``inline``-d) because
    Spark plans a generator over a global aggregate as a scalar subquery, i.e. one more job."""
    structs = []
    for i, value in aggregates.items():
        c, q = (value, "CAST(NULL AS BINARY)") if kind == 2 else ("NULL", value)
        structs.append(f"named_struct('kind', {kind}, 'i', {i}, 'c', CAST({c} AS BIGINT), 'q', {q})")
    return "array(" + ", ".join(structs) + ")"


def distribution_job(
    source: DataFrame,
    tables: Mapping[int, tuple[str, bool]],
    kll: Mapping[int, tuple[str, float]],
    hll: Mapping[int, tuple[str, bool]],
    *,
    sketch_k: int,
    seed: int,
    label: str,
    guarded: Collection[int] = (),
    max_cells: int = 0,
) -> list[Any]:
    """Job 2: frequency tables, sampled KLL sketches and HLL counts as one ``union``.

    Every expression is SQL text: one ``selectExpr`` per branch, however many columns.

    Args:
        source: The data.
        tables: Column index → (SQL text of its value, numeric?) to tabulate exactly.
        kll: Column index → (SQL text of its double value, sampling fraction of its present values).
        hll: Column index → (SQL text of its value, numeric?) needing an approximate distinct count.
        sketch_k: KLL ``k``.
        seed: Seed of the Bernoulli sample.
        label: Job description prefix.
        guarded: Tabulated columns that job 1 did not read (nothing bounds their distinct values): a
            window over the cells counts each one's cells and present values, and a column with more
            than ``max_cells`` cells returns those two numbers instead of its cells (kinds 3 and 4).
        max_cells: The guarded columns' cap.

    Returns:
        Rows ``(i, s, d, c, packed)``: a table cell of column ``i`` (value ``s``/``d``, count ``c``), or
        a ``packed`` array of ``(kind, i, c, q)``: kind 1 a KLL sketch ``q``, kind 2 an HLL estimate ``c``,
        kind 3 the exact distinct count ``c`` and kind 4 the present count ``c`` of a guarded column
        above ``max_cells``.
    """
    parts: list[DataFrame] = []
    if tables:
        structs = ", ".join(
            f"named_struct('i', {i}, 's', {'CAST(NULL AS STRING)' if numeric else v}, "
            f"'d', {v if numeric else 'CAST(NULL AS DOUBLE)'})"
            for i, (v, numeric) in tables.items()
        )
        stacked = source.selectExpr(f"inline(array({structs}))").where("s IS NOT NULL OR d IS NOT NULL")
        cells = stacked.groupBy("i", "s", "d").count()
        if guarded:
            parts.append(_guarded_cells(cells, guarded, max_cells))
        else:
            parts.append(
                cells.selectExpr("i", "s", "d", "`count` AS c", f"CAST(NULL AS {_PACKED}) AS packed")
            )
    if hll:
        # HLL needs every row: the KLL inputs join this aggregate, thinned per column by a uniform draw.
        full = source.selectExpr("*", f"rand({seed}) AS _u")
        sketches = {
            i: _kll(v if f >= 1.0 else f"CASE WHEN _u < {_literal(float(f))} THEN {v} END", sketch_k)
            for i, (v, f) in kll.items()
        }
        counts = {i: _distinct(v, numeric) for i, (v, numeric) in hll.items()}
        packed = _packed(counts, 2)
        if sketches:
            packed = f"concat({_packed(sketches, 1)}, {packed})"
        parts.append(full.selectExpr(*_NO_CELL, f"{packed} AS packed"))
    elif kll:
        # Sample once at the largest fraction any column needs, then thin each column to its own.
        top = max(f for _, f in kll.values())
        sampled = source if top >= 1.0 else source.sample(fraction=top, seed=seed)
        sampled = sampled.selectExpr("*", f"rand({seed + 1}) AS _u")
        exprs = {}
        for i, (v, f) in kll.items():
            x = v if f >= top else f"CASE WHEN _u < {_literal(float(f / top))} THEN {v} END"
            exprs[i] = _kll(x, sketch_k)
        parts.append(sampled.selectExpr(*_NO_CELL, f"{_packed(exprs, 1)} AS packed"))
    if not parts:
        return []
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    spark = source.sparkSession
    what = f"{len(tables)} tables, {len(kll)} KLL sketches, {len(hll)} HLL counts"
    with job_description(spark, f"{label}: {what}"):
        return union.collect()


def _guarded_cells(cells: DataFrame, guarded: Collection[int], cap: int) -> DataFrame:
    """The cells, except that a guarded column with more than ``cap`` cells gives one summary row.

    The window runs over the *cells* (after the group-by's partial and final aggregation), so its cost
    is per cell, not per row: tens of cells per column normally. A column that exploded (millions of
    new strings) is counted in its window partition (spilled like any sort, never collected) and only
    its two numbers reach the driver. The summary rides on the cell with the column's smallest value.
    """
    window = "OVER (PARTITION BY i)"
    over = f"(i IN ({', '.join(str(int(i)) for i in sorted(guarded))}) AND k > {int(cap)})"
    summary = (
        "array(named_struct('kind', 3, 'i', i, 'c', k, 'q', CAST(NULL AS BINARY)), "
        "named_struct('kind', 4, 'i', i, 'c', p, 'q', CAST(NULL AS BINARY)))"
    )
    counted = cells.selectExpr(
        "i",
        "s",
        "d",
        "`count`",
        f"count(1) {window} AS k",
        f"sum(`count`) {window} AS p",
        f"min(s) {window} AS m",
    )
    flagged = counted.selectExpr("*", f"{over} AS x")  # the cap test written once, not per output
    return flagged.where("NOT x OR s = m").selectExpr(
        "i",
        "CASE WHEN NOT x THEN s END AS s",
        "CASE WHEN NOT x THEN d END AS d",
        "CASE WHEN NOT x THEN `count` END AS c",
        f"CAST(CASE WHEN x THEN {summary} END AS {_PACKED}) AS packed",
    )


_NO_CELL = (
    "CAST(NULL AS INT) AS i",
    "CAST(NULL AS STRING) AS s",
    "CAST(NULL AS DOUBLE) AS d",
    "CAST(NULL AS BIGINT) AS c",
)


def _kll(values: str, k: int) -> str:
    return f"kll_sketch_agg_double({values}, {k})"


def _distinct(values: str, numeric: bool) -> str:
    # DataSketches HLL (lgK 12: ≈ 1.6 % relative standard error, 1.04/√4096 — Flajolet et al. 2007);
    # about a third of the CPU of approx_count_distinct's HLL++ on Spark 4.2. Doubles go in as their
    # 64-bit xxhash (NULL stays NULL, not counted).
    hashed = f"CASE WHEN {values} IS NOT NULL THEN xxhash64({values}) END" if numeric else values
    return f"hll_sketch_estimate(hll_sketch_agg({hashed}, {_HLL_LG_K}))"
