"""Lineage queries: breadth-first traversal of the edge table.

An edge table of at most ``LOCAL_GRAPH_LIMIT`` rows (the usual case) is read in one Spark job and walked
on the driver. A larger one is walked as iterative Spark joins: each step joins the current frontier
(broadcast while small) with the edge table, so a step over millions of edges is one scan of the edge
table without a shuffle of it, and drops vertices already visited (so a cycle through
AssociatedWith/SameAs edges is walked once and the walk always ends). The walk stops when a step finds
nothing new or at ``max_depth``. While a step's result is small (≤ 10,000 followed edges) it is collected
and the visited set kept on the driver: one Spark job per step. A larger step switches to the distributed
walk, where frontier and visited set are DataFrames that are ``localCheckpoint``ed every step so the plan
stays one join deep however many steps run.

Semantics (SageMaker's ``QueryLineage``): ASCENDANTS follows edges backwards (towards sources),
DESCENDANTS forwards, BOTH does both walks from the start (it does not wander sideways to siblings).
Filters select which *reached* vertices are returned; they never prune the walk. The start vertices are
not part of ``vertices`` (they are in ``starts``). ``edges`` are the edges the walk followed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.lineage.entities import Association, EntityKind, LineageEntity
from spark_mlops.lineage.store import EDGE_SCHEMA, LineageStore, resolve_store
from spark_mlops.spark import job_description

__all__ = ["LineageFilter", "LineageQuery", "LineageQueryDirection", "LineageQueryResult", "Vertex"]

log = logging.getLogger(__name__)

_BROADCAST_LIMIT = 200_000
#: Steps with at most this many followed edges are collected (one Spark job per step).
_LOCAL_LIMIT = 10_000


class LineageQueryDirection(str, Enum):
    """Which way to walk from the start vertices."""

    ASCENDANTS = "Ascendants"
    DESCENDANTS = "Descendants"
    BOTH = "Both"


@dataclass(frozen=True)
class LineageFilter:
    """Which reached vertices a query returns (every given condition must hold).

    Attributes:
        entities: Vertex kinds, e.g. ``[EntityKind.ARTIFACT]``.
        sources: Vertex types, e.g. ``[ArtifactType.DATASET]`` (SageMaker's ``LineageSourceEnum``).
        created_before: Only vertices first stored before this time (UTC).
        created_after: Only vertices first stored after this time (UTC).
        properties: Only vertices whose properties contain every given key with the given value.
    """

    entities: Sequence[EntityKind | str] | None = None
    sources: Sequence[str] | None = None
    created_before: dt.datetime | None = None
    created_after: dt.datetime | None = None
    properties: Mapping[str, str] | None = None

    def apply(self, vertices: DataFrame) -> DataFrame:
        """Restrict a vertex-table DataFrame to the matching rows."""
        out = vertices
        if self.entities:
            kinds = []
            for e in self.entities:
                try:
                    kinds.append(EntityKind(e).value)
                except ValueError:
                    raise InvalidArgumentError(
                        f"entities: expected Artifact, Action or Context, got {e!r}"
                    ) from None
            out = out.where(F.col("kind").isin(kinds))
        if self.sources:
            out = out.where(F.col("type").isin([str(s) for s in self.sources]))
        if self.created_before is not None:
            out = out.where(F.col("created_at") < F.lit(_naive_utc(self.created_before, "created_before")))
        if self.created_after is not None:
            out = out.where(F.col("created_at") > F.lit(_naive_utc(self.created_after, "created_after")))
        for key, value in (self.properties or {}).items():
            out = out.where(F.element_at(F.col("properties"), str(key)) == str(value))
        return out


def _naive_utc(value: dt.datetime, arg: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidArgumentError(f"{arg}: expected a datetime, got {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


@dataclass(frozen=True)
class Vertex:
    """A vertex reached by a query.

    Attributes:
        entity: The stored Artifact, Action or Context.
        depth: Number of edges from the nearest start vertex.
        direction: ``Ascendants`` or ``Descendants`` (the walk that reached it).
    """

    entity: LineageEntity
    depth: int
    direction: LineageQueryDirection

    @property
    def id(self) -> str:
        """The vertex id."""
        return self.entity.id

    @property
    def lineage_entity(self) -> EntityKind:
        """Artifact, Action or Context."""
        return self.entity.kind

    @property
    def lineage_source(self) -> str:
        """The entity's type (``DataSet``, ``TrainingJob``, ``Endpoint``, …)."""
        return self.entity.type

    def to_lineage_object(self) -> LineageEntity:
        """The entity itself (e.g. a data set artifact with its source URI and Delta version)."""
        return self.entity


@dataclass
class LineageQueryResult:
    """Vertices and edges of a query; the Spark DataFrames are kept for large results.

    Attributes:
        starts: The start entities.
        vertices_dataframe: Matching reached vertices (vertex-table columns plus depth, direction).
        edges_dataframe: The followed edges (edge-table columns), or ``None`` without ``include_edges``.
    """

    starts: list[LineageEntity]
    vertices_dataframe: DataFrame
    edges_dataframe: DataFrame | None = None

    @cached_property
    def vertices(self) -> list[Vertex]:
        """Matching reached vertices, nearest first (collected on first use)."""
        rows = self.vertices_dataframe.orderBy("depth", "direction", "type", "name", "id").collect()
        seen: dict[str, Vertex] = {}
        for r in rows:
            d = r.asDict()
            if d["id"] not in seen:  # BOTH can reach a vertex both ways only through a cycle
                seen[d["id"]] = Vertex(
                    LineageEntity.from_row(d), int(d["depth"]), LineageQueryDirection(d["direction"])
                )
        return list(seen.values())

    @cached_property
    def edges(self) -> list[Association]:
        """Followed edges (empty without ``include_edges``)."""
        if self.edges_dataframe is None:
            return []
        rows = self.edges_dataframe.orderBy("created_at", "id").collect()
        return [Association.from_row(r.asDict()) for r in rows]

    def entities(self) -> list[LineageEntity]:
        """The reached entities."""
        return [v.entity for v in self.vertices]


class LineageQuery:
    """Queries over a :class:`LineageStore` (the default store when none is given)."""

    def __init__(self, store: LineageStore | None = None) -> None:
        self.store = resolve_store(store)

    def query(
        self,
        start: LineageEntity | str | Iterable[LineageEntity | str],
        direction: LineageQueryDirection | str = LineageQueryDirection.ASCENDANTS,
        include_edges: bool = True,
        entities: Sequence[EntityKind | str] | None = None,
        sources: Sequence[str] | None = None,
        created_before: dt.datetime | None = None,
        created_after: dt.datetime | None = None,
        properties: Mapping[str, str] | None = None,
        max_depth: int = 10,
        query_filter: LineageFilter | None = None,
    ) -> LineageQueryResult:
        """Walk the graph from ``start``.

        Args:
            start: One or more entities or ids.
            direction: ASCENDANTS (towards sources), DESCENDANTS, or BOTH.
            include_edges: Also return the followed edges.
            entities, sources, created_before, created_after, properties: Filters on the returned
                vertices (see :class:`LineageFilter`); combined with ``query_filter`` when both are given.
            max_depth: Maximum number of edges walked from a start vertex (≥ 1).
            query_filter: A :class:`LineageFilter`.

        Raises:
            LineageError: a start id is unknown.
            InvalidArgumentError: a bad direction, depth or filter.
        """
        try:
            way = LineageQueryDirection(direction)
        except ValueError:
            raise InvalidArgumentError(
                f"direction: expected Ascendants, Descendants or Both, got {direction!r}"
            ) from None
        if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1:
            raise InvalidArgumentError(f"max_depth: expected a positive integer, got {max_depth!r}")
        items = [start] if isinstance(start, (str, LineageEntity)) else list(start)
        if not items:
            raise InvalidArgumentError("start: expected at least one entity or id")
        ids = [s.id if isinstance(s, LineageEntity) else s for s in items]
        starts = self.store.require(ids, "start")
        filters = [
            LineageFilter(entities, sources, created_before, created_after, properties),
            query_filter or LineageFilter(),
        ]
        dirs = ["Ascendants", "Descendants"] if way is LineageQueryDirection.BOTH else [way.value]
        small = self.store.edges_if_small()
        if small is not None:
            reached, edges_df = self._walk_local(list(starts), dirs, max_depth, small)
        else:
            reached, followed = self._walk(list(starts), dirs, max_depth)
            edges_df = self.store.edges().join(F.broadcast(followed), "id", "left_semi")
        vertices = self.store.vertices().join(reached, "id")
        for f in filters:
            vertices = f.apply(vertices)
        return LineageQueryResult(
            [starts[i] for i in dict.fromkeys(ids)], vertices, edges_df if include_edges else None
        )

    def _walk_local(
        self, starts: list[str], dirs: list[str], max_depth: int, stored: list[dict[str, Any]]
    ) -> tuple[DataFrame, DataFrame]:
        """The walk of :meth:`_walk` over edges read into the driver; the followed edges are returned as a
        local DataFrame (collecting it runs no Spark job)."""
        spark = self.store.spark
        ways: dict[str, dict[str, list[dict[str, Any]]]] = {"Ascendants": {}, "Descendants": {}}
        for row in stored:
            ways["Ascendants"].setdefault(row["destination_id"], []).append(row)
            ways["Descendants"].setdefault(row["source_id"], []).append(row)
        visited: dict[tuple[str, str], int] = {(s, d): 0 for s in starts for d in dirs}
        followed: dict[str, dict[str, Any]] = {}
        frontier = list(visited)
        depth = 0
        while frontier and depth < max_depth:
            depth += 1
            step: list[tuple[str, str]] = []
            for node, way in frontier:
                for row in ways[way].get(node, ()):
                    followed[row["id"]] = row
                    key = (row["source_id" if way == "Ascendants" else "destination_id"], way)
                    if key not in visited:
                        visited[key] = depth
                        step.append(key)
            frontier = step
        reached = spark.createDataFrame(
            [(n, d, v) for (n, d), v in visited.items() if v > 0 and n not in starts],
            "id string, direction string, depth int",
        )
        edges = [tuple(r[f.name] for f in EDGE_SCHEMA.fields) for _, r in sorted(followed.items())]
        return reached, spark.createDataFrame(edges, EDGE_SCHEMA)

    def _walk(self, starts: list[str], dirs: list[str], max_depth: int) -> tuple[DataFrame, DataFrame]:
        """Breadth-first walk. While a step's result is small (≤ ``_LOCAL_LIMIT`` rows) it is collected and
        the visited set kept on the driver: one Spark job per step. A larger step switches to the fully
        distributed walk (checkpointed frontier and visited DataFrames)."""
        spark = self.store.spark
        edges = self._edge_columns()
        visited: dict[tuple[str, str], int] = {(s, d): 0 for s in starts for d in dirs}
        followed: set[str] = set()
        frontier = list(visited)
        depth = 0
        with job_description(spark, f"lineage: query {'/'.join(dirs)} from {len(starts)} vertices"):
            while frontier and depth < max_depth:
                front = spark.createDataFrame(frontier, "node string, direction string")
                rows = self._step(F.broadcast(front), edges).limit(_LOCAL_LIMIT + 1).collect()
                if len(rows) > _LOCAL_LIMIT:
                    log.info(
                        "lineage query: step %d has over %d edges, walking distributed",
                        depth + 1,
                        _LOCAL_LIMIT,
                    )
                    seen = spark.createDataFrame(
                        [(n, d, v) for (n, d), v in visited.items()],
                        "node string, direction string, depth int",
                    )
                    done = spark.createDataFrame([(e,) for e in followed], "edge_id string")
                    return self._walk_distributed(starts, front, seen, done, depth, max_depth)
                depth += 1
                frontier = []
                for r in rows:
                    followed.add(r["edge_id"])
                    key = (r["node"], r["direction"])
                    if key not in visited:
                        visited[key] = depth
                        frontier.append(key)
        reached = spark.createDataFrame(
            [(n, d, v) for (n, d), v in visited.items() if v > 0 and n not in starts],
            "id string, direction string, depth int",
        )
        edge_ids = spark.createDataFrame([(e,) for e in sorted(followed)], "id string")
        return reached, edge_ids

    def _edge_columns(self) -> DataFrame:
        return self.store.edges().select(
            F.col("id").alias("edge_id"), F.col("source_id"), F.col("destination_id")
        )

    @staticmethod
    def _step(front: DataFrame, edges: DataFrame) -> DataFrame:
        """(node, direction, edge_id) one edge away from the frontier, in each row's direction."""
        up = (
            front.where(F.col("direction") == "Ascendants")
            .join(edges, F.col("node") == F.col("destination_id"))
            .select(F.col("source_id").alias("node"), "direction", "edge_id")
        )
        down = (
            front.where(F.col("direction") == "Descendants")
            .join(edges, F.col("node") == F.col("source_id"))
            .select(F.col("destination_id").alias("node"), "direction", "edge_id")
        )
        return up.unionByName(down)

    def _walk_distributed(
        self,
        starts: list[str],
        frontier: DataFrame,
        visited: DataFrame,
        done: DataFrame,
        depth: int,
        max_depth: int,
    ) -> tuple[DataFrame, DataFrame]:
        edges = self._edge_columns()
        followed: list[DataFrame] = [done]
        size = _LOCAL_LIMIT + 1
        while depth < max_depth:
            depth += 1
            front = F.broadcast(frontier) if size <= _BROADCAST_LIMIT else frontier
            step = self._step(front, edges).localCheckpoint()
            followed.append(step.select("edge_id"))
            new = (
                step.select("node", "direction")
                .distinct()
                .join(visited.select("node", "direction"), ["node", "direction"], "left_anti")
                .localCheckpoint()
            )
            size = new.count()
            log.debug("lineage query depth %d: %d new vertices", depth, size)
            if size == 0:
                break
            visited = visited.unionByName(new.withColumn("depth", F.lit(depth)))
            if depth % 4 == 0:
                visited = visited.localCheckpoint()
            frontier = new
        reached = (
            visited.where((F.col("depth") > 0) & ~F.col("node").isin(starts))
            .select(F.col("node").alias("id"), "direction", "depth")
            .localCheckpoint()
        )
        edge_ids = followed[0]
        for more in followed[1:]:
            edge_ids = edge_ids.unionByName(more)
        return reached, edge_ids.distinct().withColumnRenamed("edge_id", "id").localCheckpoint()
