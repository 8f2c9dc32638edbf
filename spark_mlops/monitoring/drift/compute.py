"""``compute_drift``: compare a current dataset to a reference dataset or a baseline, column by column.

Spark work: at most two scans of the current data (see :mod:`.profile`); none of the reference when a
baseline (or a precomputed :class:`DatasetProfile`) is given, two when it is a DataFrame. Everything
after that is NumPy on small distributions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.monitoring.drift.methods import DEFAULT_THRESHOLDS, check_method, default_methods, evaluate
from spark_mlops.monitoring.drift.statistics import ROBUST_C
from spark_mlops.quality.profiles.distributions import CategoricalDistribution, NumericDistribution
from spark_mlops.quality.profiles.profile import (
    DEFAULT_EXACT_MAX_ROWS,
    DEFAULT_MAX_CATEGORIES,
    DEFAULT_SAMPLE_SIZE,
    DEFAULT_SKETCH_K,
    DatasetProfile,
    profile_columns,
)

__all__ = ["DRIFT_SCHEMA", "ColumnDrift", "DriftResult", "compute_drift"]

log = logging.getLogger(__name__)

#: Schema of :meth:`DriftResult.to_dataframe`.
DRIFT_SCHEMA = T.StructType(
    [
        T.StructField("column", T.StringType(), False),
        T.StructField("method", T.StringType(), False),
        T.StructField("statistic", T.DoubleType(), True),
        T.StructField("p_value", T.DoubleType(), True),
        T.StructField("threshold", T.DoubleType(), False),
        T.StructField("drifted", T.BooleanType(), False),
        T.StructField("mode", T.StringType(), False),
    ]
)

# Any: an object with a ``profile`` attribute (a DataBaseline), duck-typed to keep imports one-way.
Reference = DataFrame | DatasetProfile | Any
MethodSpec = str | Sequence[str] | Mapping[str, str | Sequence[str]] | None


@dataclass(frozen=True)
class ColumnDrift:
    """One (column, method) outcome; ``mode`` is ``exact`` or ``sketch`` (of the numeric CDFs)."""

    column: str
    method: str
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool
    mode: str


@dataclass(frozen=True)
class DriftResult:
    """Drift of every compared column.

    Attributes:
        rows: One entry per (column, method).
        skipped: Columns not compared, with the reason (type change, too many categories, …).
        share_threshold: Share of drifted columns from which the dataset drifts (Evidently: 0.5).
        current: Profile of the current data (reused by violation checks and the monitor tables).
    """

    rows: tuple[ColumnDrift, ...]
    skipped: dict[str, str] = field(default_factory=dict)
    share_threshold: float = 0.5
    current: DatasetProfile | None = None

    @property
    def drifted_columns(self) -> list[str]:
        """Columns where at least one method drifted."""
        return sorted({r.column for r in self.rows if r.drifted})

    @property
    def share_drifted(self) -> float:
        """Drifted columns ÷ compared columns (0.0 when nothing was compared)."""
        compared = {r.column for r in self.rows}
        return len(self.drifted_columns) / len(compared) if compared else 0.0

    @property
    def dataset_drift(self) -> bool:
        """True when ``share_drifted >= share_threshold`` and something was compared."""
        return bool(self.rows) and self.share_drifted >= self.share_threshold

    def to_dicts(self) -> list[dict[str, Any]]:
        """Rows as plain dicts."""
        return [asdict(r) for r in self.rows]

    def to_pandas(self) -> pd.DataFrame:
        """Rows as a pandas DataFrame (small: one row per column and method)."""
        return pd.DataFrame(self.to_dicts(), columns=[f.name for f in DRIFT_SCHEMA.fields])

    def to_dataframe(self, spark: SparkSession | None = None) -> DataFrame:
        """Rows as a Spark DataFrame with :data:`DRIFT_SCHEMA`."""
        session = spark or SparkSession.getActiveSession()
        if session is None:
            raise InvalidArgumentError("spark: no active SparkSession; pass one to to_dataframe()")
        data = [
            (r.column, r.method, _nullable(r.statistic), _nullable(r.p_value), r.threshold, r.drifted, r.mode)
            for r in self.rows
        ]
        return session.createDataFrame(data, DRIFT_SCHEMA)


def _nullable(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _reference_profile(reference: Reference, columns: Sequence[str] | None, **opts: Any) -> DatasetProfile:
    if isinstance(reference, DatasetProfile):
        return reference
    if isinstance(reference, DataFrame):
        return profile_columns(reference, columns, label="drift reference", **opts)
    profile = getattr(reference, "profile", None)
    if isinstance(profile, DatasetProfile):
        return profile
    raise InvalidArgumentError(
        f"reference: expected a DataFrame, a DataBaseline or a DatasetProfile, got {type(reference).__name__}"
    )


def _methods_for(spec: MethodSpec, column: str) -> Sequence[str] | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        return (spec,)
    if isinstance(spec, Mapping):
        chosen = spec.get(column)
        return (chosen,) if isinstance(chosen, str) else chosen
    return tuple(spec)


def compute_drift(
    reference: Reference,
    current: DataFrame | DatasetProfile,
    columns: Sequence[str] | None = None,
    methods: MethodSpec = None,
    *,
    thresholds: Mapping[str, float] | None = None,
    share_threshold: float = 0.5,
    robust_c: float = ROBUST_C,
    exact_max_rows: int = DEFAULT_EXACT_MAX_ROWS,
    sketch_k: int = DEFAULT_SKETCH_K,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
) -> DriftResult:
    """Drift of each column of ``current`` against ``reference``.

    Args:
        reference: A reference DataFrame (profiled here, 2 scans), a ``DataBaseline`` or a
            ``DatasetProfile`` (no scan of the reference).
        current: The current DataFrame (≤ 2 scans) or its precomputed profile.
        columns: Columns to compare (default: every profiled reference column present in ``current``).
        methods: ``None`` (per-column defaults, see :mod:`.methods`), a method name or list for every
            column, or a mapping column → method(s) (columns not in it get their default).
        thresholds: Per-method thresholds overriding :data:`DEFAULT_THRESHOLDS`.
        share_threshold: Share of drifted columns from which ``dataset_drift`` is True.
        robust_c: Constant of ``linf_robust`` (SageMaker's 1.8).
        exact_max_rows: Up to this many rows numeric columns use exact value counts.
        sketch_k: KLL ``k`` in sketch mode.
        max_categories: Categorical columns with more distinct values are skipped.
        sample_size: Sketch mode sketches a uniform sample of about this many values per numeric
            column (CDF error: the KLL rank error plus the DKW bound ``sqrt(ln(2/α)/(2·sample_size))``).

    Returns:
        A :class:`DriftResult`; ``.to_dataframe()`` gives ``column, method, statistic, p_value,
        threshold, drifted, mode``.

    Raises:
        ColumnNotFoundError: a named column is missing from the reference or the current data.
        InvalidArgumentError: an unknown method, or a method that does not fit the column's type.
    """
    opts: dict[str, Any] = {
        "exact_max_rows": exact_max_rows,
        "sketch_k": sketch_k,
        "max_categories": max_categories,
        "sample_size": sample_size,
    }
    if not 0.0 < share_threshold <= 1.0:
        raise InvalidArgumentError(f"share_threshold: expected a share in (0, 1], got {share_threshold}")
    for method in thresholds or {}:
        if method not in DEFAULT_THRESHOLDS:
            raise InvalidArgumentError(f"thresholds: unknown drift method {method!r}")
    ref = _reference_profile(reference, columns, **opts)
    cur_types = (
        current.types
        if isinstance(current, DatasetProfile)
        else {f.name: f.dataType for f in current.schema.fields}
    )
    skipped: dict[str, str] = {}
    if columns is None:
        names = []
        for name in ref.columns:
            if name in cur_types:
                names.append(name)
            else:
                skipped[name] = "missing from the current data"
    else:
        names = list(columns)
        for name in names:
            if name not in ref.columns:
                raise ColumnNotFoundError(f"columns: column '{name}' is not in the reference")
            if name not in cur_types:
                raise ColumnNotFoundError(f"columns: column '{name}' is not in the current data")
    if isinstance(current, DatasetProfile):
        cur = current
    else:
        # The reference's domains and continuous columns plan the current scans (see profile_columns).
        cur = profile_columns(current, names, label="drift current", reference=ref, **opts)
    rows: list[ColumnDrift] = []
    for name in names:
        r, c = ref.columns[name], cur.columns.get(name)
        if c is None:
            skipped[name] = "not profiled in the current data"
            continue
        if type(r) is not type(c):
            skipped[name] = f"type changed: reference {r.kind}, current {c.kind}"
            continue
        if isinstance(r, CategoricalDistribution) and (r.truncated or c.truncated):  # type: ignore[union-attr]
            skipped[name] = "too many distinct values for a frequency table (max_categories)"
            continue
        chosen = _methods_for(methods, name) or default_methods(r)
        for method in chosen:
            check_method(method, name, r)
        mode = "exact" if (not isinstance(r, NumericDistribution) or (r.exact and c.exact)) else "sketch"
        if mode == "sketch" and "chi2" in chosen:
            # Binned KLL weights are off by up to the rank error per bin edge, which χ² at large n turns
            # into false alarms: the test needs exact counts.
            raise InvalidArgumentError(
                f"methods: 'chi2' on numeric column '{name}' needs exact value counts; it has "
                f"{max(r.count, c.count)} values (raise exact_max_rows or use ks/psi/js/wasserstein)"
            )
        for method in chosen:
            threshold = (thresholds or {}).get(method)
            outcome = evaluate(method, r, c, threshold, robust_c)
            rows.append(
                ColumnDrift(
                    name, method, outcome.statistic, outcome.p_value, outcome.threshold, outcome.drifted, mode
                )
            )
    for name, reason in skipped.items():
        log.warning("drift: column '%s' skipped: %s", name, reason)
    return DriftResult(tuple(rows), skipped, share_threshold, cur)
