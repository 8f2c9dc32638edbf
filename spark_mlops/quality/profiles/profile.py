"""Compute the distributions of many columns in two Spark jobs (job 1 in chunks of <= 100 aggregates),
each reading a column at most once.

* **Job 1, moments** — declarative aggregates only, so whole-stage codegen stays on: row count; per
  numeric column count, sum, population variance, min, max and a 64-bit hash bitmap (discreteness);
  per categorical column the non-NULL count and a linear-counting bitmap (tabulate or not). On a plain
  Delta read, the count, min and max of numeric columns whose file statistics are exact come from the
  Delta log instead (:mod:`.file_stats`: one small job over the file list, no data read). With a
  reference profile, categorical columns it tabulated are not in job 1 at all (read once, by job 2).
  Without one, on large data, a probe of the first rows (:mod:`.probe`, one small ``limit`` job)
  sends the categorical columns with few values straight to job 2 and spares job 1 the bitmaps of
  numeric columns it proves continuous.
* **Job 2, distributions** — one ``union`` of: the stacked group-by
  (``inline(array(struct(column_id, text, number), …))`` → ``GROUP BY column_id, text, number``) giving
  the frequency table of every categorical column with at most ``max_categories`` distinct values and
  the exact value counts of numeric columns when the data is small (``exact_max_rows``) or the column is
  discrete (≤ 20 distinct values); KLL sketches (``kll_sketch_agg_double``) of the other numeric columns
  over a uniform Bernoulli sample of about ``sample_size`` present values each; HLL distinct counts
  where no table gives them. :mod:`.scans` explains (with measurements) why the work is split so.

**Exact vs sketch mode** (per numeric column): exact when its value counts came from a table — then
every CDF statistic equals SciPy's on the raw data; otherwise sketch mode: the KLL sketch's retained
items with their weights (scaled to the column's count). Its CDF error (``cdf_error``, from
:func:`~spark_mlops.quality.profiles.distributions.sketch_cdf_error`) is the KLL normalized rank error
(Apache DataSketches' published fit: 1.33 % at k = 200, 0.35 % at k = 800, with 99 % confidence;
``sketch_k``) plus, when the column was sampled (more than ``sample_size`` present values), the
sampling error of the empirical CDF of ``S`` uniform draws, which the Dvoretzky–Kiefer–Wolfowitz
inequality (with Massart's constant, 1990) bounds by ``sqrt(ln(2/α) / (2S))`` with probability 1 − α:
0.0036 at S = 200 000 and α = 0.01. Moments, counts, min and max are always exact (job 1 or the
Delta log). Categorical columns are always exact; columns above ``max_categories`` get no table (marked
``truncated``, with an HLL distinct count — or the exact one when the table was tried, as for a column a
reference tabulated) and are skipped by drift.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import types as T

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.quality.analyzers.base import sql_column
from spark_mlops.quality.profiles import probe
from spark_mlops.quality.profiles.distributions import (
    DEFAULT_SKETCH_K,
    DISCRETE_MAX_DISTINCT,
    CategoricalDistribution,
    ColumnDistribution,
    NumericDistribution,
    sketch_cdf_error,
)
from spark_mlops.quality.profiles.file_stats import delta_file_statistics
from spark_mlops.quality.profiles.kll import KllSketch, decode_kll_doubles
from spark_mlops.quality.profiles.scans import (
    distinct_from_bitmap,
    distribution_job,
    known_counts,
    moments_job,
)
from spark_mlops.spark import plan_bytes

__all__ = [
    "DEFAULT_EXACT_MAX_ROWS",
    "DEFAULT_MAX_CATEGORIES",
    "DEFAULT_PROBE_ROWS",
    "DEFAULT_SAMPLE_SIZE",
    "DEFAULT_SKETCH_K",
    "DatasetProfile",
    "inferred_type",
    "profile_columns",
]

log = logging.getLogger(__name__)

DEFAULT_EXACT_MAX_ROWS = 10_000
DEFAULT_MAX_CATEGORIES = 1000
#: Sketch mode reads a uniform sample of about this many present values per numeric column.
DEFAULT_SAMPLE_SIZE = 200_000
# The bitmap estimate (≈ 20 % error at 1000) decides whether a table is worth trying; a table found
# to be above the cut is dropped (the column is then truncated with its exact distinct count).
_ESTIMATE_MARGIN = 2.0
#: Without a reference, categorical columns with few values in the first rows are read once, by job 2.
DEFAULT_PROBE_ROWS = 10_000

_NUMERIC = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType, T.DecimalType)
_INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)


def inferred_type(data_type: T.DataType) -> str:
    """SageMaker Model Monitor's inferred type of a Spark type: Integral, Fractional, String or Unknown."""
    if isinstance(data_type, T.DecimalType):
        return "Integral" if data_type.scale == 0 else "Fractional"
    if isinstance(data_type, _INTEGRAL):
        return "Integral"
    if isinstance(data_type, _NUMERIC):
        return "Fractional"
    if isinstance(data_type, (T.StringType, T.BooleanType, T.CharType, T.VarcharType)):
        return "String"
    return "Unknown"


@dataclass(frozen=True)
class DatasetProfile:
    """Row count, per-column distributions and inferred types of one dataset.

    Attributes:
        row_count: Rows in the dataset.
        columns: Distribution per profiled column (in the order asked for).
        types: SageMaker inferred type per column of the dataset's schema.
        truncated: Categorical columns with more than ``max_categories`` distinct values (no table).
        approx_distinct: HLL distinct count per profiled column.
        extra: Values of the caller's ``extra`` aggregate expressions, by alias.
    """

    row_count: int
    columns: dict[str, ColumnDistribution]
    types: dict[str, str]
    truncated: dict[str, int] = field(default_factory=dict)
    approx_distinct: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


# Value expressions are SQL text (see scans): built with pyspark.sql.functions they cost ~4 Py4J round
# trips per call, ~11 s for the ~1,500 expressions of a 200-column profile.
def _as_double(name: str, data_type: T.DataType | None = None) -> str:
    x = f"CAST({sql_column(name)} AS DOUBLE)"
    if isinstance(data_type, (*_INTEGRAL, T.DecimalType)):
        return x  # cannot be NaN: skip the test
    return f"CASE WHEN NOT isnan({x}) THEN {x} END"


def _as_string(name: str) -> str:
    return f"CAST({sql_column(name)} AS STRING)"


def profile_columns(
    df: DataFrame,
    columns: Sequence[str] | None = None,
    *,
    exact_max_rows: int = DEFAULT_EXACT_MAX_ROWS,
    sketch_k: int = DEFAULT_SKETCH_K,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    numeric_distinct: bool = False,
    seed: int = 42,
    label: str = "profile columns",
    extra: Sequence[Column] | Mapping[str, str] = (),
    reference: DatasetProfile | None = None,
    probe_rows: int = DEFAULT_PROBE_ROWS,
) -> DatasetProfile:
    """Distributions of ``columns`` (default: every numeric, string and boolean column) in 2 Spark jobs
    up to 100 aggregates in job 1 (≈ 16 numeric columns), one more per further 100; on a plain Delta
    read one more small job reads the file statistics (no data rows), which can save job 1 aggregates.

    Args:
        df: The data.
        columns: Columns to profile.
        exact_max_rows: Up to this many rows, numeric columns use exact value counts.
        sketch_k: KLL ``k`` of sketch mode (8..65535; larger is more accurate and slower).
        max_categories: Categorical columns with more distinct values get no frequency table.
        sample_size: Sketch mode reads about this many present values per numeric column (a uniform
            Bernoulli sample; all of them when a column has fewer).
        numeric_distinct: Also estimate the distinct count of continuous numeric columns (HLL over
            every row; the column profiler wants it, baselines and drift do not).
        seed: Seed of the sample.
        label: Spark job description prefix.
        extra: More declarative aggregate expressions for job 1 (e.g. a profiler's type counts),
            aliased with a ``x_`` prefix so they cannot clash with the profile's own aliases: Columns,
            or (cheaper for many: no Py4J round trip per function) a mapping alias → SQL text.
        reference: A profile of earlier data (a baseline's), used only to plan the scans — every
            number is still measured on ``df``: a numeric column the reference tabulated as discrete
            (≤ 20 values) is counted per known value in job 1 (no frequency table unless other values
            occur); one the reference saw as continuous skips the discreteness bitmap and is sketched.
            A categorical column the reference tabulated skips job 1 altogether and is read once, by
            job 2's table, guarded by a window over its cells: above ``max_categories`` distinct values
            it comes back truncated with its exact present and distinct counts, its cells never
            leaving the executors. (Counting each known string in job 1 instead measured slower:
            string comparisons per row, and hashing them risks collisions.)
        probe_rows: Without a reference, on data of at least 64 MB (Catalyst's estimate, e.g. a Delta
            table's files; not over Spark Connect), first read this many rows (one small ``limit``
            job, :mod:`.probe`). A categorical column with at most ``max_categories`` values among
            them, repeated (at most half as many values as rows), is treated like a column a
            reference tabulated: read once, by job 2's guarded table, so a wrong guess costs time,
            never a wrong number. A numeric column showing more than 20 distinct values is proven
            continuous and skips job 1's discreteness bitmap. 0 turns the probe off (callers that
            read every string in job 1 anyway, like the column profiler).

    Raises:
        ColumnNotFoundError: a named column is not in ``df``.
        InvalidArgumentError: a named column has an unsupported type, or a bad parameter.
    """
    if not 8 <= sketch_k <= 65535:
        raise InvalidArgumentError(f"sketch_k: expected 8..65535, got {sketch_k}")
    if max_categories < 1 or exact_max_rows < 0:
        raise InvalidArgumentError("max_categories, exact_max_rows: expected positive numbers")
    if sample_size < 1:
        raise InvalidArgumentError(f"sample_size: expected a positive number of rows, got {sample_size}")
    if probe_rows < 0:
        raise InvalidArgumentError(f"probe_rows: expected 0 (off) or a number of rows, got {probe_rows}")
    types = {f.name: inferred_type(f.dataType) for f in df.schema.fields}
    spark_types = {f.name: f.dataType for f in df.schema.fields}
    if columns is None:
        names = [n for n, t in types.items() if t != "Unknown"]
    else:
        names = list(columns)
        for name in names:
            if name not in types:
                raise ColumnNotFoundError(
                    f"columns: column '{name}' is not in the data (has {sorted(types)})"
                )
            if types[name] == "Unknown":
                raise InvalidArgumentError(
                    f"columns: column '{name}' has type {spark_types[name].simpleString()}; "
                    "drift needs a numeric, string or boolean column"
                )
    # Values are computed inline in the aggregates (cast to double with NaN → NULL, or to string):
    # codegen evaluates each once per row, and every chunk of job 1 stays a small plan over ``df``.
    numeric = {
        i: _as_double(n, spark_types[n])
        for i, n in enumerate(names)
        if types[n] in ("Integral", "Fractional")
    }
    categorical = {i: _as_string(n) for i, n in enumerate(names) if i not in numeric}
    source = df
    known, continuous, tabulated = _prior(reference, names, numeric)
    if reference is None and probe_rows and names and (plan_bytes(source) or 0) >= probe.PROBE_MIN_BYTES:
        tabulated, continuous = probe.first_rows(
            source, categorical, numeric, probe_rows, max_categories, DISCRETE_MAX_DISTINCT, label
        )
    # A categorical column the reference (or the probe) tabulated is read once, by job 2's guarded
    # table: job 1's count and bitmap would only decide "tabulate or not".
    scanned = {j: v for j, v in categorical.items() if j not in tabulated}
    logged = delta_file_statistics(source, {i: names[i] for i in numeric}, label)
    row = moments_job(
        source, numeric, scanned, extra, label, known=known, continuous=continuous, from_log=logged
    )
    for i, (count, low, high) in logged.items():
        row.update({f"c{i}": count, f"lo{i}": low, f"hi{i}": high})
    n = int(row["n"])
    present = {i: int(row.get(f"c{i}") or 0) for i in range(len(names))}
    tables: dict[int, tuple[str, bool]] = {}
    kll: dict[int, tuple[str, float]] = {}
    hll: dict[int, tuple[str, bool]] = {}
    counted: dict[int, dict[object, int]] = {}
    for i, v in numeric.items():
        from_known = known_counts(row, i, known[i], present[i]) if i in known else None
        # Set bits: a lower bound of the distinct values (of the values outside the known domain).
        bits = bin(int(row.get(f"b{i}") or 0) & (2**64 - 1)).count("1") + len(known.get(i, ()))
        if from_known is not None:
            counted[i] = from_known
        elif n <= exact_max_rows or (i not in continuous and bits <= DISCRETE_MAX_DISTINCT):
            tables[i] = (v, True)
        elif present[i]:
            kll[i] = (v, min(1.0, sample_size / present[i]))
            if numeric_distinct:
                hll[i] = (v, True)
    for j, v in categorical.items():
        estimate = distinct_from_bitmap(row.get(f"b{j}"), row.get(f"w{j}"))
        if j in tabulated or estimate <= max_categories * _ESTIMATE_MARGIN:
            tables[j] = (v, False)
        else:
            hll[j] = (v, False)
    cells = distribution_job(
        source,
        tables,
        kll,
        hll,
        sketch_k=sketch_k,
        seed=seed,
        label=label,
        guarded=tabulated,
        max_cells=max_categories,
    )
    counted.update({i: {} for i in tables})
    sketches: dict[int, KllSketch] = {}
    approx: dict[int, int] = {}
    exploded: dict[int, int] = {}  # a guarded column above max_categories: its exact distinct count
    for r in cells:
        if r["packed"] is None:
            counted[int(r["i"])][r["d"] if r["s"] is None else r["s"]] = int(r["c"])
            continue
        for item in r["packed"]:
            if item["kind"] == 1 and item["q"] is not None:
                sketches[int(item["i"])] = decode_kll_doubles(item["q"])
            elif item["kind"] == 2:
                approx[int(item["i"])] = int(item["c"])
            elif item["kind"] == 3:
                exploded[int(item["i"])] = int(item["c"])
            elif item["kind"] == 4:
                present[int(item["i"])] = int(item["c"])
    for i in counted:
        approx[i] = exploded.get(i, len(counted[i]))
    for j in tabulated:
        if j not in exploded:  # job 1 did not count it: its table did
            present[j] = sum(counted[j].values())
    result: dict[str, ColumnDistribution] = {}
    truncated: dict[str, int] = {}
    for i, name in enumerate(names):
        if i in categorical:
            cut = i not in counted or approx[i] > max_categories
            if cut:
                truncated[name] = approx[i]
            counts = {} if cut else {str(k): c for k, c in counted.get(i, {}).items()}
            result[name] = CategoricalDistribution(
                counts, n - present[i], cut, present[i], approx[i] if cut else None
            )
        else:
            integral = types[name] == "Integral"
            dist = _numeric(row, i, n, present[i], counted.get(i), sketches.get(i), approx.get(i), integral)
            result[name] = dist
    own = {"n"} | {f"{p}{i}" for i in range(len(names)) for p in ("c", "s", "v", "lo", "hi", "b")}
    own |= {f"w{j}" for j in categorical} | {k for k in row if k.startswith("k") and "_" in k}
    extra_values = {k: v for k, v in row.items() if k not in own}
    by_name = {names[i]: c for i, c in approx.items()}
    return DatasetProfile(n, result, types, truncated, by_name, extra_values)


def _prior(
    reference: DatasetProfile | None, names: Sequence[str], numeric: Mapping[int, str]
) -> tuple[dict[int, list[Any]], set[int], set[int]]:
    """From a reference profile: discrete numeric columns' known values, the continuous columns, and
    the categorical columns it tabulated (read only by job 2's guarded table)."""
    known: dict[int, list[Any]] = {}
    continuous: set[int] = set()
    tabulated: set[int] = set()
    if reference is None:
        return known, continuous, tabulated
    for i, name in enumerate(names):
        ref = reference.columns.get(name)
        if i in numeric and isinstance(ref, NumericDistribution):
            if ref.exact and 0 < len(ref.points) <= DISCRETE_MAX_DISTINCT:
                known[i] = [float(p) for p in ref.points]
            elif not ref.exact or len(ref.points) > DISCRETE_MAX_DISTINCT:
                continuous.add(i)
        elif i not in numeric and isinstance(ref, CategoricalDistribution) and not ref.truncated:
            tabulated.add(i)
    return known, continuous, tabulated


def _numeric(
    row: dict[str, Any],
    i: int,
    n: int,
    present: int,
    table: dict[object, int] | None,
    sketch: KllSketch | None,
    distinct: int | None,
    integral: bool,
) -> NumericDistribution:
    total = _f(row.get(f"s{i}")) if present else 0.0
    moments = (
        total / present if present else math.nan,  # what Spark's avg computes
        math.sqrt(max(0.0, _f(row.get(f"v{i}")))),
        _f(row.get(f"lo{i}")),
        _f(row.get(f"hi{i}")),
        total,
    )
    cdf_error = 0.0
    if table is not None:
        points = np.array(list(table.keys()), dtype=float)
        weights = np.array(list(table.values()), dtype=float)
        exact = True
    elif sketch is not None and sketch.n:
        points, weights = sketch.weighted_items()
        weights = weights * (present / sketch.n)  # a sample's sketch: scale to the column's count
        exact = False
        cdf_error = sketch_cdf_error(sketch.k, sketch.n, present, compacted=len(sketch.levels) > 1)
    else:
        points, weights, exact = np.zeros(0), np.zeros(0), present == 0
    return NumericDistribution.from_points(
        points,
        weights,
        missing=n - present,
        exact=exact,
        integral=integral,
        moments=moments,
        count=present,
        distinct=distinct,
        cdf_error=cdf_error,
    )


def _f(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]
