"""Where a quality-check step keeps its registered baseline, and how it reads and writes it.

A baseline is the pair of SageMaker Model Monitor documents ``statistics.json`` and ``constraints.json``:

* data quality and data drift: a :class:`~spark_mlops.monitoring.baseline.DataBaseline` (per-column
  distributions with mergeable sketches, and suggested constraints);
* model quality: the baseline run's metrics (:meth:`ModelQualityMetrics.to_json`) and the constraints
  :func:`~spark_mlops.monitoring.suggest_model_quality_constraints` derived from them.

Two storage formats: ``folder`` (the two JSON files, replaced when a new baseline is registered) or
``delta`` (one row per registered baseline appended to a Delta table with
:data:`~spark_mlops.monitoring.baseline.BASELINE_TABLE_SCHEMA`; the newest row is the baseline in force
and the table's history keeps every earlier one for time travel).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_mlops.delta import TableVersion, read_delta, write_delta
from spark_mlops.errors import DeltaTableNotFoundError, PipelineDefinitionError
from spark_mlops.monitoring.baseline import BASELINE_TABLE_SCHEMA, DataBaseline

__all__ = ["BASELINE_FORMATS", "BaselineStore", "ModelQualityBaseline"]

#: Storage formats of a registered baseline.
BASELINE_FORMATS = ("folder", "delta")
_STATISTICS, _CONSTRAINTS = "statistics.json", "constraints.json"


@dataclass(frozen=True)
class ModelQualityBaseline:
    """Metrics and constraints of a model-quality baseline run (Model Monitor's two documents).

    Attributes:
        statistics: ``{"version", "dataset", "<problem_type>_metrics": {name: {value, standard_deviation}}}``.
        constraints: ``{"version", "<problem_type>_constraints": {name: {threshold, comparison_operator}}}``.
        source: The predictions table version the baseline was computed from.
        created_at: ISO-8601 UTC time of registration.
    """

    statistics: dict[str, Any]
    constraints: dict[str, Any]
    source: TableVersion | None = None
    created_at: str = ""


class BaselineStore:
    """The registered baseline of one step, in a folder or a Delta table.

    Args:
        spark: The session.
        location: Folder (``folder``) or Delta table path/name (``delta``).
        fmt: ``"folder"`` or ``"delta"``.
    """

    def __init__(self, spark: SparkSession, location: str | os.PathLike[str], fmt: str = "folder") -> None:
        if fmt not in BASELINE_FORMATS:
            raise PipelineDefinitionError(f"baseline_format: expected one of {BASELINE_FORMATS}, got {fmt!r}")
        self.spark = spark
        self.location = os.fspath(location)
        self.fmt = fmt

    def describe(
        self, created_at: str, source: TableVersion | None, version: int | None = None
    ) -> dict[str, Any]:
        """JSON description of a stored baseline (the ``baseline`` / ``new_baseline`` step properties)."""
        out: dict[str, Any] = {"location": self.location, "format": self.fmt, "created_at": created_at}
        out["source"] = source.to_dict() if source is not None else None
        if version is not None:
            out["version"] = version  # the Delta version of the baseline table holding it
        return out

    # ---- raw documents --------------------------------------------------------------------------------
    def _read(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        if self.fmt == "folder":
            folder = Path(self.location)
            stats, cons = folder / _STATISTICS, folder / _CONSTRAINTS
            if not (stats.is_file() and cons.is_file()):
                return None
            return json.loads(stats.read_text("utf-8")), json.loads(cons.read_text("utf-8"))
        try:  # read_delta looks the version up once; is_delta_table first would do it twice
            table = read_delta(self.spark, self.location)
        except DeltaTableNotFoundError:
            return None
        row = table.orderBy(F.col("created_at").desc()).select("statistics_json", "constraints_json").first()
        if row is None:
            return None
        return json.loads(row["statistics_json"]), json.loads(row["constraints_json"])

    def _write(
        self,
        statistics: dict[str, Any],
        constraints: dict[str, Any],
        created_at: str,
        source: TableVersion | None,
    ) -> int | None:
        if self.fmt == "folder":
            folder = Path(self.location)
            folder.mkdir(parents=True, exist_ok=True)
            for name, doc in ((_STATISTICS, statistics), (_CONSTRAINTS, constraints)):
                tmp = folder / f".{name}.tmp"
                tmp.write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")
                os.replace(tmp, folder / name)  # a reader never sees half a document
            return None
        row = (
            datetime.fromisoformat(created_at).astimezone(timezone.utc).replace(tzinfo=None),
            source.table if source else None,
            source.version if source else None,
            json.dumps(statistics),
            json.dumps(constraints),
        )
        df = self.spark.createDataFrame([row], BASELINE_TABLE_SCHEMA)
        return write_delta(df, self.location, mode="append").version

    # ---- data baselines -------------------------------------------------------------------------------
    def load_data(self) -> DataBaseline | None:
        """The registered data baseline, or None when none is registered yet."""
        docs = self._read()
        return None if docs is None else DataBaseline.from_json(*docs)

    def save_data(self, baseline: DataBaseline) -> dict[str, Any]:
        """Register ``baseline``; returns its description."""
        version = self._write(
            baseline.statistics_json(), baseline.constraints_json(), baseline.created_at, baseline.source
        )
        return self.describe(baseline.created_at, baseline.source, version)

    # ---- model-quality baselines ----------------------------------------------------------------------
    def load_model(self) -> ModelQualityBaseline | None:
        """The registered model-quality baseline, or None."""
        docs = self._read()
        if docs is None:
            return None
        statistics, constraints = docs
        src = statistics.get("dataset", {}).get("source")
        return ModelQualityBaseline(
            statistics,
            constraints,
            TableVersion.from_dict(src) if src else None,
            str(statistics.get("created_at", "")),
        )

    def save_model(self, baseline: ModelQualityBaseline) -> dict[str, Any]:
        """Register a model-quality baseline; returns its description."""
        statistics = {**baseline.statistics, "created_at": baseline.created_at}
        statistics["dataset"] = {
            **statistics.get("dataset", {}),
            "source": baseline.source.to_dict() if baseline.source else None,
        }
        version = self._write(statistics, baseline.constraints, baseline.created_at, baseline.source)
        return self.describe(baseline.created_at, baseline.source, version)
