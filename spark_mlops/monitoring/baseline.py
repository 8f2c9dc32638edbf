"""Data baselines in SageMaker Model Monitor's file shapes, saved to a folder or a Delta table.

``DataBaseline.from_dataframe(df)`` profiles every numeric, string and boolean column in two Spark jobs
(:func:`~spark_mlops.quality.profiles.profile_columns`: one codegen'd aggregation of the exact moments,
then frequency tables and KLL sketches of a uniform sample) and suggests constraints.

* ``statistics_json()`` — Model Monitor's ``statistics.json``: ``dataset.item_count``; per feature
  ``inferred_type`` and ``numerical_statistics`` (``common.num_present/num_missing``, ``mean``, ``sum``,
  ``std_dev``, ``min``, ``max``, ``distribution.kll.buckets`` over 10 equal-width buckets and
  ``distribution.kll.sketch``) or ``string_statistics`` (``distinct_count``,
  ``distribution.categorical.buckets``). Our ``sketch.data`` holds one list of points with a parallel
  ``sketch.weights`` list (the KLL items and their weights, or in exact mode each distinct value and
  its count) so the baseline can be read back and compared without rescanning the reference.
* ``constraints_json()`` — ``completeness``, ``num_constraints.is_non_negative``,
  ``string_constraints.domains`` (columns with at most :data:`MAX_DOMAIN_VALUES` values) and
  ``monitoring_config`` with ``distribution_constraints`` (``comparison_threshold`` 0.1,
  ``comparison_method`` Robust, ``categorical_drift_method`` LInfinity — Model Monitor's defaults).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_mlops.delta import TableVersion, read_delta, read_delta_versioned, write_delta
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.profiles.distributions import (
    CategoricalDistribution,
    ColumnDistribution,
    NumericDistribution,
    stored_cdf_error,
)
from spark_mlops.quality.profiles.profile import (
    DEFAULT_PROBE_ROWS,
    DEFAULT_SAMPLE_SIZE,
    DatasetProfile,
    profile_columns,
)

__all__ = ["BASELINE_TABLE_SCHEMA", "MAX_DOMAIN_VALUES", "DataBaseline", "default_monitoring_config"]

log = logging.getLogger(__name__)

#: String columns with at most this many distinct values get a ``domains`` constraint.
MAX_DOMAIN_VALUES = 100
_KLL_BUCKETS = 10
STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"

#: Schema of the Delta table baselines are appended to.
BASELINE_TABLE_SCHEMA = T.StructType(
    [
        T.StructField("created_at", T.TimestampType(), False),
        T.StructField("source_table", T.StringType(), True),
        T.StructField("source_version", T.LongType(), True),
        T.StructField("statistics_json", T.StringType(), False),
        T.StructField("constraints_json", T.StringType(), False),
    ]
)


def default_monitoring_config() -> dict[str, Any]:
    """Model Monitor's default ``monitoring_config`` block."""
    return {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1,
            "categorical_drift_method": "LInfinity",
        },
    }


def _clean(value: float) -> float | None:
    return None if value is None or math.isnan(value) or math.isinf(value) else float(value)


def _kll_buckets(d: NumericDistribution) -> list[dict[str, float]]:
    if d.count == 0:
        return []
    lo, hi = d.minimum, d.maximum
    edges = np.linspace(lo, hi, _KLL_BUCKETS + 1) if hi > lo else np.array([lo, hi])
    counts = np.histogram(d.points, bins=edges if hi > lo else 1, weights=d.weights)[0]
    return [
        {"lower_bound": float(a), "upper_bound": float(b), "count": float(c)}
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=False)
    ]


def _feature_statistics(name: str, inferred: str, d: ColumnDistribution, sketch_k: int) -> dict[str, Any]:
    common = {"num_present": d.count, "num_missing": d.missing}
    if isinstance(d, NumericDistribution):
        return {
            "name": name,
            "inferred_type": inferred,
            "numerical_statistics": {
                "common": common,
                "mean": _clean(d.mean),
                "sum": _clean(d.total),
                "std_dev": _clean(d.std),
                "min": _clean(d.minimum),
                "max": _clean(d.maximum),
                **({} if d.distinct is None else {"distinct_count": d.distinct}),
                "distribution": {
                    "kll": {
                        "buckets": _kll_buckets(d),
                        "sketch": {
                            "parameters": {"k": float(sketch_k)},
                            "exact": d.exact,
                            "cdf_error": d.cdf_error,
                            "data": [[float(p) for p in d.points]],
                            "weights": [float(w) for w in d.weights],
                        },
                    }
                },
            },
        }
    stats: dict[str, Any] = {"common": common, "distinct_count": d.distinct}
    if not d.truncated:
        buckets = [
            {"value": k, "count": v} for k, v in sorted(d.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        stats["distribution"] = {"categorical": {"buckets": buckets}}
    return {"name": name, "inferred_type": inferred, "string_statistics": stats}


def _distribution_from_feature(feature: dict[str, Any]) -> ColumnDistribution:
    if "numerical_statistics" in feature:
        ns = feature["numerical_statistics"]
        sketch = ns["distribution"]["kll"]["sketch"]
        points = [p for level in sketch["data"] for p in level]
        nan = math.nan
        exact = bool(sketch.get("exact", False))
        cdf_error = stored_cdf_error(sketch.get("cdf_error"), exact, int(sketch["parameters"]["k"]))
        return NumericDistribution(
            points=np.asarray(points, dtype=float),
            weights=np.asarray(sketch["weights"], dtype=float),
            count=int(ns["common"]["num_present"]),
            missing=int(ns["common"]["num_missing"]),
            mean=nan if ns["mean"] is None else float(ns["mean"]),
            std=nan if ns["std_dev"] is None else float(ns["std_dev"]),
            minimum=nan if ns["min"] is None else float(ns["min"]),
            maximum=nan if ns["max"] is None else float(ns["max"]),
            total=0.0 if ns["sum"] is None else float(ns["sum"]),
            distinct=_distinct_count(ns, sketch, len(points)),
            exact=exact,
            integral=feature["inferred_type"] == "Integral",
            cdf_error=cdf_error,
        )
    ss = feature["string_statistics"]
    dist = ss.get("distribution")
    counts = {} if dist is None else {b["value"]: int(b["count"]) for b in dist["categorical"]["buckets"]}
    return CategoricalDistribution(
        counts,
        int(ss["common"]["num_missing"]),
        truncated=dist is None,
        present=int(ss["common"]["num_present"]),
        approx_distinct=int(ss["distinct_count"]) if dist is None else None,
    )


def _distinct_count(ns: dict[str, Any], sketch: dict[str, Any], points: int) -> int | None:
    # Sketch-mode numeric columns carry no distinct count (SageMaker's numerical statistics have none).
    if ns.get("distinct_count") is not None:
        return int(ns["distinct_count"])
    return points if sketch.get("exact", False) else None


@dataclass(frozen=True)
class DataBaseline:
    """Statistics and constraints of a reference dataset (a training set), plus where it came from.

    Attributes:
        profile: Per-column distributions (what drift and violation checks compare against).
        constraints: The ``constraints.json`` document (edit it to tune the checks).
        source: The Delta table version the baseline was computed from, when known.
        sketch_k: KLL ``k`` used for numeric sketches.
        created_at: ISO-8601 UTC time of creation.
    """

    profile: DatasetProfile
    constraints: dict[str, Any]
    source: TableVersion | None = None
    sketch_k: int = 200
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    @classmethod
    def from_dataframe(
        cls,
        df: DataFrame,
        columns: Sequence[str] | None = None,
        *,
        source: TableVersion | None = None,
        sketch_k: int = 200,
        exact_max_rows: int = 10_000,
        max_categories: int = 1000,
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        probe_rows: int = DEFAULT_PROBE_ROWS,
    ) -> DataBaseline:
        """Profile ``df`` (≤ 2 Spark scans) and suggest constraints.

        Args:
            df: Reference data.
            columns: Columns to baseline (default: every numeric, string and boolean column).
            source: Provenance to record (set by :meth:`from_delta`).
            sketch_k: KLL ``k`` (accuracy of numeric distributions).
            exact_max_rows: Up to this many rows numeric columns keep exact value counts.
            max_categories: String columns with more distinct values keep no frequency table.
            sample_size: Numeric columns in sketch mode are sketched from a uniform sample of about
                this many values (see :mod:`spark_mlops.quality.profiles.profile` for the error).
            probe_rows: Rows of the first-rows probe on large data (which string columns to tabulate
                straight away, which numeric columns are continuous); 0 turns it off, e.g. for a
                selective filter the scan cannot prune (:mod:`spark_mlops.quality.profiles.probe`).
        """
        profile = profile_columns(
            df,
            columns,
            exact_max_rows=exact_max_rows,
            sketch_k=sketch_k,
            max_categories=max_categories,
            sample_size=sample_size,
            label="baseline",
            probe_rows=probe_rows,
        )
        return cls(profile, _suggest_constraints(profile), source, sketch_k)

    @classmethod
    def from_delta(
        cls, spark: SparkSession, table: str, version: int | None = None, columns: Sequence[str] | None = None
    ) -> DataBaseline:
        """Baseline of a Delta table at ``version`` (default newest), recording that version."""
        df, tv = read_delta_versioned(spark, table, version=version)
        return cls.from_dataframe(df, columns, source=tv)

    def statistics_json(self) -> dict[str, Any]:
        """The ``statistics.json`` document (Model Monitor shape, see the module docstring)."""
        features = [
            _feature_statistics(name, self.profile.types.get(name, "Unknown"), d, self.sketch_k)
            for name, d in self.profile.columns.items()
        ]
        dataset: dict[str, Any] = {"item_count": self.profile.row_count}
        if self.source is not None:
            dataset["source"] = self.source.to_dict()
        return {"version": 0.0, "created_at": self.created_at, "dataset": dataset, "features": features}

    def constraints_json(self) -> dict[str, Any]:
        """The ``constraints.json`` document."""
        return self.constraints

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``statistics.json`` and ``constraints.json`` into ``folder`` (created if needed)."""
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        (path / STATISTICS_FILE).write_text(json.dumps(self.statistics_json(), indent=2))
        (path / CONSTRAINTS_FILE).write_text(json.dumps(self.constraints_json(), indent=2))
        log.info("saved baseline to %s", path)
        return path

    @classmethod
    def from_json(cls, statistics: dict[str, Any], constraints: dict[str, Any]) -> DataBaseline:
        """Rebuild a baseline from its two documents."""
        try:
            features = statistics["features"]
            columns = {f["name"]: _distribution_from_feature(f) for f in features}
            types = {f["name"]: f["inferred_type"] for f in features}
            src = statistics["dataset"].get("source")
            sketch_k = next(
                (
                    int(f["numerical_statistics"]["distribution"]["kll"]["sketch"]["parameters"]["k"])
                    for f in features
                    if "numerical_statistics" in f
                ),
                200,
            )
            profile = DatasetProfile(int(statistics["dataset"]["item_count"]), columns, types)
            created = str(statistics.get("created_at", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"statistics: not a baseline statistics document ({exc!r})") from None
        return cls(profile, constraints, TableVersion.from_dict(src) if src else None, sketch_k, created)

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> DataBaseline:
        """Read a baseline saved by :meth:`save`.

        Raises:
            InvalidArgumentError: the folder lacks ``statistics.json`` or ``constraints.json``.
        """
        path = Path(folder)
        files = [path / STATISTICS_FILE, path / CONSTRAINTS_FILE]
        for f in files:
            if not f.is_file():
                raise InvalidArgumentError(f"folder: '{path}' has no {f.name}")
        return cls.from_json(json.loads(files[0].read_text()), json.loads(files[1].read_text()))

    def save_to_delta(self, spark: SparkSession, table: str) -> TableVersion:
        """Append this baseline as one row to a Delta table (:data:`BASELINE_TABLE_SCHEMA`)."""
        row = (
            datetime.fromisoformat(self.created_at),
            self.source.table if self.source else None,
            self.source.version if self.source else None,
            json.dumps(self.statistics_json()),
            json.dumps(self.constraints_json()),
        )
        return write_delta(spark.createDataFrame([row], BASELINE_TABLE_SCHEMA), table, mode="append")

    @classmethod
    def load_from_delta(cls, spark: SparkSession, table: str, version: int | None = None) -> DataBaseline:
        """The newest baseline in a Delta table written by :meth:`save_to_delta` (at table ``version``)."""
        df = read_delta(spark, table, version=version)
        row = df.orderBy(F.col("created_at").desc()).select("statistics_json", "constraints_json").first()
        if row is None:
            raise InvalidArgumentError(f"table: '{table}' holds no baseline")
        return cls.from_json(json.loads(row["statistics_json"]), json.loads(row["constraints_json"]))


def _suggest_constraints(profile: DatasetProfile) -> dict[str, Any]:
    features = []
    for name, d in profile.columns.items():
        entry: dict[str, Any] = {"name": name, "inferred_type": profile.types.get(name, "Unknown")}
        completeness = d.completeness
        entry["completeness"] = 0.0 if math.isnan(completeness) else completeness
        if isinstance(d, NumericDistribution):
            if d.count:
                entry["num_constraints"] = {"is_non_negative": bool(d.minimum >= 0)}
        elif not d.truncated and 0 < d.distinct <= MAX_DOMAIN_VALUES:
            entry["string_constraints"] = {"domains": sorted(d.counts)}
        features.append(entry)
    return {"version": 0.0, "features": features, "monitoring_config": default_monitoring_config()}
