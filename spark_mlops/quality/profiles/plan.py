"""Plan a profile's scans from what is known before them: a reference profile and the row count.

* A reference (a baseline's profile) says which numeric columns are discrete with known values (counted
  per value in job 1) and which are continuous (sketched, no discreteness bitmap); when job 1 is the
  sampling read it also gives the categories to count in job 1.
* The row count, when the source answers it from metadata (a Delta table's log), sets the sampling
  fraction *before* the scan, so job 1 can take the KLL sample in its own read
  (:func:`~spark_mlops.quality.profiles.scans.sampled_moments_job`).

Every number is still measured on the data; a plan only decides where it is measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pyspark.sql import Column, DataFrame

from spark_mlops.quality.profiles.distributions import (
    DISCRETE_MAX_DISTINCT,
    CategoricalDistribution,
    NumericDistribution,
)
from spark_mlops.spark import is_connect

if TYPE_CHECKING:
    from spark_mlops.quality.profiles.profile import DatasetProfile

__all__ = ["MAX_SAMPLED_VALUES", "known_categories", "metadata_row_count", "prior_domains", "sample_in_job_1"]

#: Most sampled values (rows × columns) job 1 collects in its Observation. The collected sample is held
#: on the heap as one list: 200 000 rows × 50 columns (10 M values) ran out of a 6 GB driver heap at
#: 1 M rows, so larger samples are job 2's (a KLL sketch per column, a bounded size).
MAX_SAMPLED_VALUES = 1_000_000

# Count a reference's categories in job 1 when it is the sampling read (see known_categories).
_COUNT_KNOWN_CATEGORIES = False


def prior_domains(
    reference: DatasetProfile | None, names: Sequence[str], numeric: Mapping[int, Column]
) -> tuple[dict[int, list[Any]], set[int]]:
    """From a reference profile: discrete numeric columns' known values, and the continuous columns."""
    known: dict[int, list[Any]] = {}
    continuous: set[int] = set()
    if reference is None:
        return known, continuous
    for i, name in enumerate(names):
        ref = reference.columns.get(name)
        if i in numeric and isinstance(ref, NumericDistribution):  # categorical: see profile_columns
            if ref.exact and 0 < len(ref.points) <= DISCRETE_MAX_DISTINCT:
                known[i] = [float(p) for p in ref.points]
            elif not ref.exact or len(ref.points) > DISCRETE_MAX_DISTINCT:
                continuous.add(i)
    return known, continuous


def known_categories(
    reference: DatasetProfile | None, names: Sequence[str], categorical: Mapping[int, Column]
) -> dict[int, list[Any]]:
    """Categorical columns whose reference table has at most ``DISCRETE_MAX_DISTINCT`` categories.

    Counted per category in job 1 only when job 1 is the sampling read (an ``Observation``, not a
    code-generated aggregation, where string comparisons measured slower than the frequency table);
    a category the reference never saw sends the column to job 2's exact table.
    """
    known: dict[int, list[Any]] = {}
    if reference is None or not _COUNT_KNOWN_CATEGORIES:
        return known
    for j in categorical:
        ref = reference.columns.get(names[j])
        if isinstance(ref, CategoricalDistribution) and 0 < len(ref.counts) <= DISCRETE_MAX_DISTINCT:
            known[j] = sorted(ref.counts)
    return known


def metadata_row_count(df: DataFrame) -> int | None:
    """Rows of ``df`` when its source answers a count from metadata alone, else None.

    A Delta table read without a filter answers ``count(*)`` from the row counts in its log (Delta's
    metadata-only query optimization: the optimized plan is a ``LocalRelation``, no data is read).
    Anything else — a filter, a join, an in-memory frame, Spark Connect — returns None rather than
    paying for a scan.
    """
    if is_connect(df.sparkSession):
        return None
    counted = df.groupBy().count()
    jdf = getattr(counted, "_jdf", None)
    if jdf is None or jdf.queryExecution().optimizedPlan().getClass().getSimpleName() != "LocalRelation":
        return None
    return int(counted.collect()[0][0])


def sample_in_job_1(
    df: DataFrame,
    reference: DatasetProfile | None,
    names: Sequence[str],
    numeric: Mapping[int, Column],
    known: Mapping[int, Any],
    exact_max_rows: int,
    sample_size: int,
) -> dict[int, tuple[Column, float]]:
    """Numeric columns to sketch from a sample taken in job 1's own read, with their sampling fractions.

    Needs the row count before the scan (:func:`metadata_row_count`); without it (or for small data,
    which is tabulated exactly, when every numeric column has a known domain, or when the sample would
    exceed :data:`MAX_SAMPLED_VALUES`) returns ``{}`` and the sample is job 2's. A column's fraction
    aims at ``sample_size`` present values: ``sample_size`` over the rows times the reference's
    completeness of the column (1 without a reference).
    """
    candidates = [i for i in numeric if i not in known]
    if not candidates or sample_size * len(candidates) > MAX_SAMPLED_VALUES:
        return {}
    rows = metadata_row_count(df)
    if rows is None or rows <= exact_max_rows:
        return {}
    fractions: dict[int, tuple[Column, float]] = {}
    for i in candidates:
        share = 1.0
        ref = reference.columns.get(names[i]) if reference is not None else None
        if (
            isinstance(ref, NumericDistribution)
            and reference is not None
            and reference.row_count
            and ref.count
        ):
            share = ref.count / reference.row_count
        fractions[i] = (numeric[i], min(1.0, sample_size / (rows * share)))
    return fractions
