"""Model and data lineage as a graph in Delta tables, pinned to table versions.

Vertices are :class:`Artifact` (data sets at a Delta version, models, code, …), :class:`Action` (jobs,
approvals) and :class:`Context` (deployments, pipeline executions, experiments, trials); edges are
:class:`Association` s. :class:`LineageQuery` walks the graph with iterative Spark joins. The tracking
layer writes lineage automatically when a store is given or set with :func:`set_default_store`.
"""

from __future__ import annotations

from spark_mlops.lineage.entities import (
    Action,
    ActionType,
    Artifact,
    ArtifactType,
    Association,
    AssociationType,
    Context,
    ContextType,
    EntityKind,
    LineageEntity,
)
from spark_mlops.lineage.export import to_dot, to_mermaid, to_png
from spark_mlops.lineage.query import (
    LineageFilter,
    LineageQuery,
    LineageQueryDirection,
    LineageQueryResult,
    Vertex,
)
from spark_mlops.lineage.questions import (
    LineagePath,
    Reproduction,
    ReproductionStep,
    contributing_trials,
    path,
    reproduce_inputs,
    upstream_data,
)
from spark_mlops.lineage.store import LineageStore, get_default_store, set_default_store

#: SageMaker-style aliases so seed code reads naturally.
LineageEntityEnum = EntityKind
LineageSourceEnum = ArtifactType
LineageQueryDirectionEnum = LineageQueryDirection
ASCENDANTS = LineageQueryDirection.ASCENDANTS
DESCENDANTS = LineageQueryDirection.DESCENDANTS
BOTH = LineageQueryDirection.BOTH

__all__ = [
    "ASCENDANTS",
    "BOTH",
    "DESCENDANTS",
    "Action",
    "ActionType",
    "Artifact",
    "ArtifactType",
    "Association",
    "AssociationType",
    "Context",
    "ContextType",
    "EntityKind",
    "LineageEntity",
    "LineageEntityEnum",
    "LineageFilter",
    "LineagePath",
    "LineageQuery",
    "LineageQueryDirection",
    "LineageQueryDirectionEnum",
    "LineageQueryResult",
    "LineageSourceEnum",
    "LineageStore",
    "Reproduction",
    "ReproductionStep",
    "Vertex",
    "contributing_trials",
    "get_default_store",
    "path",
    "reproduce_inputs",
    "set_default_store",
    "to_dot",
    "to_mermaid",
    "to_png",
    "upstream_data",
]
