"""The state repository of incremental verification: analyzer states per (table, version, analyzer).

``<root>/states`` is a Delta table ``source_table, version, analyzer, state`` (state as JSON), one row per
analyzer and verified version, written with one blind append per run. Grouping analyzers store a small
pointer to their frequency table under ``<root>/frequencies/`` plus its running summary
(:mod:`spark_mlops.quality.incremental_groups`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_mlops.delta import normalize_table
from spark_mlops.errors import InvalidArgumentError, RepositoryError
from spark_mlops.quality.incremental_groups import GroupingPlan
from spark_mlops.quality.incremental_log import latest_log_version
from spark_mlops.spark import job_description

__all__ = ["DeltaStateRepository"]

_STATES_SCHEMA = "source_table string, version bigint, analyzer string, state string"
_SAVED_NS = "saved_ns"


class DeltaStateRepository:
    """Analyzer states per (table, version, analyzer spec), in Delta tables under ``root``.

    Args:
        spark: The session.
        root: A folder (path or URI) for the repository's Delta tables.

    Raises:
        InvalidArgumentError: an empty ``root``.
    """

    def __init__(self, spark: SparkSession, root: str | os.PathLike[str]) -> None:
        text = os.fspath(root)
        if not text.strip():
            raise InvalidArgumentError("root: expected a folder for the state repository, got ''")
        self.spark = spark
        self.root = os.path.abspath(text) if "://" not in text else text.rstrip("/")
        self.states_table = f"{self.root}/states"

    def __repr__(self) -> str:
        return f"DeltaStateRepository('{self.root}')"

    def frequency_table(self, source: str, plan: GroupingPlan) -> str:
        """The path of the frequency table of one grouping of ``source``."""
        ident = json.dumps([source, list(plan.columns), plan.where, plan.keys])
        return f"{self.root}/frequencies/{hashlib.sha1(ident.encode()).hexdigest()[:20]}"

    def _exists(self) -> bool:
        try:
            latest_log_version(self.spark, self.states_table)
        except Exception:  # noqa: BLE001 - no table yet means no stored state
            return False
        return True

    def latest(self, source: str, specs: Sequence[str]) -> tuple[int, dict[str, dict[str, Any]]] | None:
        """The newest stored version of ``source`` with a state for every spec, and those states."""
        if not specs or not self._exists():
            return None
        frame = self.spark.read.format("delta").load(self.states_table)
        mine = frame.where((F.col("source_table") == source) & F.col("analyzer").isin(list(specs)))
        with job_description(self.spark, f"spark_mlops: load stored states of {source}"):
            complete = (
                mine.groupBy("version")
                .agg(F.count_distinct("analyzer").alias("n"))
                .where(F.col("n") == len(set(specs)))
                .agg(F.max("version"))
                .first()
            )
            if complete is None or complete[0] is None:
                return None
            version = int(complete[0])
            rows = mine.where(F.col("version") == version).select("analyzer", "state").collect()
        # A version verified twice (e.g. full scans after a rebuild) has several rows: the newest wins.
        states: dict[str, dict[str, Any]] = {}
        for row in rows:
            state = json.loads(row["state"])
            known = states.get(row["analyzer"])
            if known is None or state.get(_SAVED_NS, 0) >= known.get(_SAVED_NS, 0):
                states[row["analyzer"]] = state
        return version, {spec: {k: v for k, v in s.items() if k != _SAVED_NS} for spec, s in states.items()}

    def frequency_table_paths(self, source: str) -> list[str]:
        """The frequency tables stored for groupings of ``source`` (sorted; e.g. to inspect or vacuum)."""
        if not self._exists():
            return []
        frame = self.spark.read.format("delta").load(self.states_table)
        with job_description(self.spark, f"spark_mlops: frequency tables of {source}"):
            rows = (
                frame.where(F.col("source_table") == normalize_table(source))
                .select(F.get_json_object("state", "$.type").alias("t"), F.get_json_object("state", "$.path"))
                .where(F.col("t") == "DeltaGrouping")
                .distinct()
                .collect()
            )
        return sorted(str(r[1]) for r in rows)

    def save(self, source: str, version: int, states: dict[str, dict[str, Any]]) -> None:
        """Store the states of ``source`` at ``version`` (one Delta append).

        Raises:
            RepositoryError: the append failed.
        """
        now = time.time_ns()
        rows = [
            (source, version, spec, json.dumps({**state, _SAVED_NS: now})) for spec, state in states.items()
        ]
        frame = self.spark.createDataFrame(rows, _STATES_SCHEMA)
        try:
            with job_description(self.spark, f"spark_mlops: store {len(rows)} states of {source}@v{version}"):
                frame.write.format("delta").mode("append").save(self.states_table)
        except Exception as exc:  # noqa: BLE001
            raise RepositoryError(f"state repository '{self.root}': saving states failed: {exc}") from None
