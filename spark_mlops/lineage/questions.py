"""Answers to the everyday lineage questions, built on :class:`LineageQuery`.

* :func:`upstream_data` — which data sets (with their Delta versions) feed this model or deployment?
* :func:`contributing_trials` — which experiment trials contributed to it?
* :func:`path` — every step between a raw data set and a deployment.
* :func:`reproduce_inputs` — the exact table versions, parameters and code versions needed to re-run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pyspark.sql import functions as F

from spark_mlops.delta import TableVersion
from spark_mlops.errors import LineageError
from spark_mlops.lineage.entities import (
    Action,
    ArtifactType,
    Association,
    AssociationType,
    ContextType,
    EntityKind,
    LineageEntity,
)
from spark_mlops.lineage.query import LineageQuery, LineageQueryDirection
from spark_mlops.lineage.store import LineageStore, resolve_store
from spark_mlops.spark import job_description

__all__ = [
    "LineagePath",
    "Reproduction",
    "ReproductionStep",
    "contributing_trials",
    "path",
    "reproduce_inputs",
    "topological_order",
    "upstream_data",
]

#: Walks for the questions are bounded only by the graph (a walk ends when nothing new is found).
_DEEP = 1000
#: Action property prefix under which the tracking layer stores run parameters.
PARAM_PREFIX = "param."


def upstream_data(entity: LineageEntity | str, store: LineageStore | None = None) -> list[LineageEntity]:
    """Every data set artifact upstream of ``entity`` (nearest first), each with source URI and version."""
    result = LineageQuery(store).query(
        entity,
        LineageQueryDirection.ASCENDANTS,
        include_edges=False,
        entities=[EntityKind.ARTIFACT],
        sources=[ArtifactType.DATASET],
        max_depth=_DEEP,
    )
    return result.entities()


def contributing_trials(
    entity: LineageEntity | str, store: LineageStore | None = None
) -> list[LineageEntity]:
    """The trial contexts whose trial components (actions) are upstream of ``entity``, by name.

    The tracking layer associates each run's action with its trial (``action -AssociatedWith-> trial``).
    """
    st = resolve_store(store)
    actions = LineageQuery(st).query(
        entity,
        LineageQueryDirection.ASCENDANTS,
        include_edges=False,
        entities=[EntityKind.ACTION],
        max_depth=_DEEP,
    )
    ids = actions.vertices_dataframe.select("id")
    with job_description(st.spark, "lineage: contributing trials"):
        rows = (
            st.edges()
            .where(F.col("destination_type") == ContextType.TRIAL)
            .join(ids.withColumnRenamed("id", "source_id"), "source_id", "left_semi")
            .select("destination_id")
            .distinct()
            .collect()
        )
    found = st.lookup(r["destination_id"] for r in rows)
    return sorted(found.values(), key=lambda e: (e.name, e.id))


def topological_order(entities: Iterable[LineageEntity], edges: Iterable[Association]) -> list[LineageEntity]:
    """Entities ordered so every edge points forward (ties by type and name; cycle members last)."""
    by_id = {e.id: e for e in entities}
    indegree = dict.fromkeys(by_id, 0)
    out: dict[str, list[str]] = {i: [] for i in by_id}
    for edge in edges:
        if edge.source_id in by_id and edge.destination_id in by_id:
            out[edge.source_id].append(edge.destination_id)
            indegree[edge.destination_id] += 1
    key = lambda i: (by_id[i].type, by_id[i].name, i)  # noqa: E731
    ready = sorted((i for i, d in indegree.items() if d == 0), key=key)
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for nxt in out[node]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
        ready.sort(key=key)
    order += sorted((i for i in by_id if i not in set(order)), key=key)
    return [by_id[i] for i in order]


@dataclass(frozen=True)
class LineagePath:
    """Every vertex on some path between two entities (topological order) and the edges between them."""

    vertices: list[LineageEntity]
    edges: list[Association]

    @property
    def starts(self) -> list[LineageEntity]:
        """The first vertex (for exporters)."""
        return self.vertices[:1]


def path(
    from_entity: LineageEntity | str, to_entity: LineageEntity | str, store: LineageStore | None = None
) -> LineagePath:
    """All steps from ``from_entity`` (e.g. a raw data set) down to ``to_entity`` (e.g. a deployment).

    Raises:
        LineageError: an id is unknown or ``to_entity`` is not downstream of ``from_entity``.
    """
    st = resolve_store(store)
    query = LineageQuery(st)
    down = query.query(from_entity, LineageQueryDirection.DESCENDANTS, include_edges=False, max_depth=_DEEP)
    up = query.query(to_entity, LineageQueryDirection.ASCENDANTS, include_edges=False, max_depth=_DEEP)
    src, dst = down.starts[0], up.starts[0]
    with job_description(st.spark, "lineage: path"):
        middle = {
            r["id"]
            for r in down.vertices_dataframe.select("id")
            .intersect(up.vertices_dataframe.select("id"))
            .collect()
        }
        reaches = down.vertices_dataframe.where(F.col("id") == dst.id).limit(1).count() > 0
    if not reaches:
        raise LineageError(f"no path from '{src.id}' ({src.name}) to '{dst.id}' ({dst.name})")
    on_path = middle | {src.id, dst.id}
    entities = st.lookup(on_path)
    with job_description(st.spark, "lineage: path edges"):
        rows = (
            st.edges()
            .where(F.col("source_id").isin(sorted(on_path)) & F.col("destination_id").isin(sorted(on_path)))
            .collect()
        )
    edges = [Association.from_row(r.asDict()) for r in rows]
    return LineagePath(topological_order(entities.values(), edges), edges)


@dataclass(frozen=True)
class ReproductionStep:
    """One upstream action with what it needs to run again."""

    action: LineageEntity
    parameters: dict[str, str]
    code_version: str | None
    inputs: list[TableVersion] = field(default_factory=list)
    outputs: list[TableVersion] = field(default_factory=list)


@dataclass(frozen=True)
class Reproduction:
    """Everything needed to re-run the lineage of an entity.

    Attributes:
        inputs: Every upstream data set as an exact ``TableVersion`` (read them with time travel).
        source_inputs: The subset no upstream action produced (the raw inputs of the whole chain).
        steps: Upstream actions in run order, each with parameters, code version, inputs and outputs.
        code: Upstream code artifacts (e.g. a git URL at a commit).
    """

    inputs: list[TableVersion]
    source_inputs: list[TableVersion]
    steps: list[ReproductionStep]
    code: list[LineageEntity]

    @property
    def parameters(self) -> dict[str, dict[str, str]]:
        """Parameters by action name."""
        return {s.action.name: s.parameters for s in self.steps}


def _table_version(entity: LineageEntity) -> TableVersion | None:
    if entity.type != ArtifactType.DATASET or entity.version is None:
        return None
    return TableVersion(entity.source_uri or entity.name, entity.version)


def reproduce_inputs(entity: LineageEntity | str, store: LineageStore | None = None) -> Reproduction:
    """The exact Delta input versions, parameters and code versions behind ``entity`` (e.g. a model)."""
    result = LineageQuery(store).query(
        entity, LineageQueryDirection.ASCENDANTS, include_edges=True, max_depth=_DEEP
    )
    reached = {v.id: v.entity for v in result.vertices}
    edges = result.edges
    produced = {e.destination_id for e in edges if e.association_type is AssociationType.PRODUCED}
    inputs: list[TableVersion] = []
    sources: list[TableVersion] = []
    for ent in reached.values():
        tv = _table_version(ent)
        if tv is not None:
            inputs.append(tv)
            if ent.id not in produced:
                sources.append(tv)
    steps = []
    for ent in topological_order(reached.values(), edges):
        if not isinstance(ent, Action):
            continue
        ins = [
            _table_version(reached[e.source_id])
            for e in edges
            if e.destination_id == ent.id and e.source_id in reached
        ]
        outs = [
            _table_version(reached[e.destination_id])
            for e in edges
            if e.source_id == ent.id and e.destination_id in reached
        ]
        params = {k[len(PARAM_PREFIX) :]: v for k, v in ent.properties.items() if k.startswith(PARAM_PREFIX)}
        steps.append(
            ReproductionStep(
                ent,
                params,
                ent.properties.get("code_version"),
                sorted(t for t in ins if t is not None),
                sorted(t for t in outs if t is not None),
            )
        )
    code = sorted((e for e in reached.values() if e.type == ArtifactType.CODE), key=lambda e: e.name)
    return Reproduction(sorted(set(inputs)), sorted(set(sources)), steps, code)
