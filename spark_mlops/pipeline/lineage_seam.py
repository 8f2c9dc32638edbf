"""Lineage of each step through :mod:`spark_mlops.lineage`: inputs (Delta table at a version)
ContributedTo the step's action, the action Produced its outputs (tables at their new versions, model
URIs), and the action is AssociatedWith the pipeline-execution context.

Steps only collect their entities and edges; :meth:`PipelineLineage.flush` writes those of the whole
execution in one batch when it ends (one vertex MERGE, one edge MERGE — not two per step). Ids are
deterministic and writes insert-if-absent, so a resumed execution re-adds the lineage of the steps that
succeeded before a crash without duplicating anything.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pyspark.sql import SparkSession

from spark_mlops.delta import TableVersion
from spark_mlops.lineage import (
    Action,
    ActionType,
    Artifact,
    ArtifactType,
    Association,
    AssociationType,
    Context,
    ContextType,
    LineageStore,
    get_default_store,
)

__all__ = ["PipelineLineage"]

log = logging.getLogger(__name__)

_ACTION_TYPES = {
    "Training": ActionType.TRAINING_JOB,
    "Tuning": ActionType.TRAINING_JOB,
    "Transform": ActionType.TRANSFORM_JOB,
    "Callback": ActionType.APPROVAL,
    "RegisterModel": ActionType.APPROVAL,
}


class PipelineLineage:
    """Writes step lineage of one execution (thread-safe: concurrent steps share it).

    Args:
        spark: The session.
        location: Lineage folder; ``None`` uses the default store (``set_default_store``).
        pipeline_name: The pipeline.
        execution_id: The execution.
    """

    def __init__(
        self, spark: SparkSession, location: str | None, pipeline_name: str, execution_id: str
    ) -> None:
        self.spark = spark
        self.location = location
        self._store: LineageStore | None = None
        self._lock = threading.Lock()
        self.context = Context.build(
            f"{pipeline_name}/{execution_id}",
            ContextType.PIPELINE_EXECUTION,
            properties={"pipeline": pipeline_name, "execution_id": execution_id},
        )
        self.pipeline_name = pipeline_name
        self.execution_id = execution_id
        self._entities: list[Any] = []
        self._edges: list[Any] = []

    def store(self) -> LineageStore:
        """The lineage store, opened (its tables created) on first use: at the end of the execution."""
        if self._store is None:
            default = get_default_store()
            use_default = self.location is None and default is not None
            self._store = default if use_default else LineageStore(self.spark, str(self.location))
        assert self._store is not None
        return self._store

    def record_step(
        self,
        step_name: str,
        step_type: str,
        inputs: dict[str, TableVersion],
        outputs: dict[str, TableVersion],
        model_uris: list[str],
        properties: dict[str, Any] | None = None,
    ) -> str:
        """Collect the step's lineage (written by :meth:`flush`); returns the action id."""
        action = Action.build(
            f"{self.pipeline_name}/{self.execution_id}/{step_name}",
            _ACTION_TYPES.get(step_type, ActionType.PROCESSING_JOB),
            properties={"step": step_name, "step_type": step_type, **(properties or {})},
        )
        read = {(tv.table, tv.version) for tv in inputs.values()}
        entities: list[Any] = [self.context, action]
        edges = [Association.build(action, self.context, AssociationType.ASSOCIATED_WITH)]
        for tv in inputs.values():
            art = Artifact.build(tv.table, ArtifactType.DATASET, tv.table, tv.version)
            entities.append(art)
            edges.append(Association.build(art, action, AssociationType.CONTRIBUTED_TO))
        for tv in outputs.values():
            if (
                tv.table,
                tv.version,
            ) in read:  # a skipped (already committed) write of an input: no self-loop
                continue
            art = Artifact.build(tv.table, ArtifactType.DATASET, tv.table, tv.version)
            entities.append(art)
            edges.append(Association.build(action, art, AssociationType.PRODUCED))
        for uri in model_uris:
            art = Artifact.build(uri, ArtifactType.MODEL, uri)
            entities.append(art)
            edges.append(Association.build(action, art, AssociationType.PRODUCED))
        with self._lock:
            self._entities.extend(entities)
            self._edges.extend(edges)
        return action.id

    def record_recorded(self, step_name: str, step_type: str, properties: dict[str, Any]) -> None:
        """Collect the lineage of a step from its recorded properties (a step that succeeded before)."""
        inputs = {k: TableVersion.from_dict(v) for k, v in properties.get("inputs", {}).items()}
        outputs = {k: TableVersion.from_dict(v) for k, v in properties.get("outputs", {}).items()}
        models = [str(v) for k, v in properties.items() if k.endswith("model_uri") and v]
        self.record_step(step_name, step_type, inputs, outputs, models)

    def flush(self) -> int:
        """Write the collected lineage in one batch; returns the number of edges written."""
        with self._lock:
            entities, edges = self._entities, self._edges
            self._entities, self._edges = [], []
            if edges:
                with self.store().batch():
                    self.store().add_entities(entities)
                    self.store().add_associations(edges)
        return len(edges)
