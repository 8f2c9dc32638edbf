"""The state repository of incremental verification: analyzer states per (table, version, analyzer).

Grouping analyzers store a small pointer to their frequency table under ``<root>/frequencies/`` plus
their running summary (:mod:`spark_mlops.quality.incremental_groups`); every other analyzer stores its
mergeable state as JSON. A run's states are one document, kept in one of two layouts:

* a local ``root``: ``<root>/states/<source id>/<version>-<ns>.json``, written to a temp file and
  atomically renamed — reading the newest version is a directory listing and one small file, no Spark
  job (this matters: the fixed cost of an incremental run is what a small append pays);
* a URI ``root`` (object stores, DBFS, ``file://``): a Delta table ``<root>/states`` of
  ``source_table, version, analyzer, state``, one blind append per run.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_mlops.delta import current_version, normalize_table
from spark_mlops.errors import InvalidArgumentError, RepositoryError
from spark_mlops.quality.incremental_groups import GroupingPlan
from spark_mlops.spark import job_description

__all__ = ["DeltaStateRepository"]

_STATES_SCHEMA = "source_table string, version bigint, analyzer string, state string"
_SAVED_NS = "saved_ns"

States = dict[str, dict[str, Any]]


class DeltaStateRepository:
    """Analyzer states per (table, version, analyzer spec) under ``root``; frequency tables in Delta.

    Args:
        spark: The session.
        root: A local folder (states as JSON documents) or a URI (states in a Delta table).

    Raises:
        InvalidArgumentError: an empty ``root``.
    """

    def __init__(self, spark: SparkSession, root: str | os.PathLike[str]) -> None:
        text = os.fspath(root)
        if not text.strip():
            raise InvalidArgumentError("root: expected a folder for the state repository, got ''")
        self.spark = spark
        self.local = "://" not in text
        self.root = os.path.abspath(text) if self.local else text.rstrip("/")
        self.states_table = f"{self.root}/states"

    def __repr__(self) -> str:
        return f"DeltaStateRepository('{self.root}')"

    def frequency_table(self, source: str, plans: Sequence[GroupingPlan]) -> str:
        """The path of the frequency table shared by ``plans`` (hashed) or of one value-keyed plan."""
        ident = json.dumps([source, sorted(p.group_id for p in plans), [p.hashed for p in plans]])
        return f"{self.root}/frequencies/{hashlib.sha1(ident.encode()).hexdigest()[:20]}"

    def latest(self, source: str, specs: Sequence[str]) -> tuple[int, States] | None:
        """The newest stored version of ``source`` with a state for every spec, and those states."""
        if not specs:
            return None
        if self.local:
            for version, states in self._documents(source):
                if set(specs) <= set(states):
                    return version, {spec: states[spec] for spec in specs}
            return None
        return self._latest_delta(source, specs)

    def save(self, source: str, version: int, states: States) -> None:
        """Store the states of ``source`` at ``version`` (one file, or one Delta append).

        Raises:
            RepositoryError: the write failed.
        """
        now = time.time_ns()
        try:
            if self.local:
                self._save_document(source, version, states, now)
            else:
                self._save_delta(source, version, states, now)
        except Exception as exc:  # noqa: BLE001
            raise RepositoryError(f"state repository '{self.root}': saving states failed: {exc}") from None

    def frequency_table_paths(self, source: str) -> list[str]:
        """The frequency tables stored for groupings of ``source`` (sorted; e.g. to inspect or vacuum)."""
        paths: set[str] = set()
        if self.local:
            for _, states in self._documents(source):
                paths.update(s["path"] for s in states.values() if s.get("type") == "DeltaGrouping")
            return sorted(paths)
        if not self._delta_exists():
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

    # -- local documents ------------------------------------------------------------------------------
    def _folder(self, source: str) -> str:
        ident = hashlib.sha1(normalize_table(source).encode()).hexdigest()[:20]
        return os.path.join(self.states_table, ident)

    def _documents(self, source: str) -> Iterator[tuple[int, States]]:
        """Stored documents of ``source``, newest version first (newest write first within a version),
        read one at a time: the newest usually answers, and a daily table gathers hundreds."""
        folder = self._folder(source)
        try:
            names = [n for n in os.listdir(folder) if n.endswith(".json") and not n.startswith(".")]
        except FileNotFoundError:
            return
        for name in sorted(names, reverse=True):  # <version:020d>-<ns:020d>.json sorts by both
            try:
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    document = json.load(handle)
            except (OSError, ValueError) as exc:
                raise RepositoryError(f"state repository '{self.root}': cannot read {name}: {exc}") from None
            yield int(document["version"]), document["states"]

    def _save_document(self, source: str, version: int, states: States, now: int) -> None:
        folder = self._folder(source)
        os.makedirs(folder, exist_ok=True)
        document = {"source_table": normalize_table(source), "version": version, "states": states}
        handle, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out)
        os.replace(temp, os.path.join(folder, f"{version:020d}-{now:020d}.json"))

    # -- Delta table (URI roots) ----------------------------------------------------------------------
    def _delta_exists(self) -> bool:
        try:
            current_version(self.spark, self.states_table)
        except Exception:  # noqa: BLE001 - no table yet means no stored state
            return False
        return True

    def _latest_delta(self, source: str, specs: Sequence[str]) -> tuple[int, States] | None:
        if not self._delta_exists():
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
        states: States = {}
        for row in rows:
            state = json.loads(row["state"])
            known = states.get(row["analyzer"])
            if known is None or state.get(_SAVED_NS, 0) >= known.get(_SAVED_NS, 0):
                states[row["analyzer"]] = state
        return version, {spec: {k: v for k, v in s.items() if k != _SAVED_NS} for spec, s in states.items()}

    def _save_delta(self, source: str, version: int, states: States, now: int) -> None:
        rows = [
            (source, version, spec, json.dumps({**state, _SAVED_NS: now})) for spec, state in states.items()
        ]
        frame = self.spark.createDataFrame(rows, _STATES_SCHEMA)
        with job_description(self.spark, f"spark_mlops: store {len(rows)} states of {source}@v{version}"):
            frame.write.format("delta").mode("append").save(self.states_table)
