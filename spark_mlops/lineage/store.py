"""The lineage graph kept in two Delta tables: ``<location>/vertices`` and ``<location>/edges``.

Writes are insert-if-absent ``MERGE``s keyed by the deterministic ids, so creating an entity or an
association again changes nothing. Inside ``with store.batch():`` creations are buffered and written
with one MERGE per table when the block ends (a whole graph costs a handful of Spark jobs instead of a
few per call). Provenance edges (ContributedTo, DerivedFrom, Produced) are checked for cycles before they
are written (on the driver when the edge table is small — one Spark job —, else with iterative Spark
joins); AssociatedWith and SameAs may form cycles.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from spark_mlops.delta import sql_identifier
from spark_mlops.errors import InvalidArgumentError, LineageError
from spark_mlops.lineage.entities import Association, AssociationType, LineageEntity
from spark_mlops.spark import job_description

__all__ = [
    "EDGE_SCHEMA",
    "VERTEX_SCHEMA",
    "LineageStore",
    "get_default_store",
    "resolve_store",
    "set_default_store",
]

log = logging.getLogger(__name__)

VERTEX_SCHEMA = StructType(
    [
        StructField("id", StringType(), False),
        StructField("kind", StringType(), False),
        StructField("type", StringType(), False),
        StructField("name", StringType(), False),
        StructField("source_uri", StringType(), True),
        StructField("version", LongType(), True),
        StructField("properties", MapType(StringType(), StringType()), True),
        StructField("created_at", TimestampType(), True),
    ]
)

EDGE_SCHEMA = StructType(
    [
        StructField("id", StringType(), False),
        StructField("source_id", StringType(), False),
        StructField("destination_id", StringType(), False),
        StructField("association_type", StringType(), False),
        StructField("source_kind", StringType(), True),
        StructField("source_type", StringType(), True),
        StructField("destination_kind", StringType(), True),
        StructField("destination_type", StringType(), True),
        StructField("created_at", TimestampType(), True),
    ]
)

_ACYCLIC_TYPES = [t.value for t in AssociationType if t.acyclic]
_PAIR = "origin string, node string"
#: Cycle-check steps with at most this many rows are collected (one Spark job per step).
_LOCAL_LIMIT = 10_000
#: Edge tables with at most this many (matching) rows are read into the driver in one Spark job and walked
#: there: a lineage graph is usually small, and a walk of depth d would otherwise cost d jobs, each
#: replaying the Delta log and scanning the table. Larger tables are walked step by step in Spark.
LOCAL_GRAPH_LIMIT = 100_000


def _ddl(schema: StructType) -> str:
    return ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in schema.fields)


class LineageStore:
    """Vertices and edges of the lineage graph in Delta tables under ``location``.

    Args:
        spark: The session.
        location: A folder (local path or URI); the tables are created there if absent.

    Example:
        >>> store = LineageStore(spark, "/lake/_lineage")
        >>> with store.batch():
        ...     raw = Artifact.create("raw", "/lake/raw", ArtifactType.DATASET, version=0, store=store)
        ...     job = Action.create("prep", ActionType.PROCESSING_JOB, store=store)
        ...     Association.create(raw, job, AssociationType.CONTRIBUTED_TO, store=store)
    """

    def __init__(self, spark: SparkSession, location: str | os.PathLike[str]) -> None:
        text = os.fspath(location)
        if not text or not text.strip():
            raise InvalidArgumentError("location: expected a folder for the lineage tables, got ''")
        self.spark = spark
        self.location = text if "://" in text or text.startswith("dbfs:") else os.path.abspath(text)
        self.vertices_path = self.location.rstrip("/") + "/vertices"
        self.edges_path = self.location.rstrip("/") + "/edges"
        self._depth = 0
        self._pending_entities: dict[str, LineageEntity] = {}
        self._pending_edges: dict[str, Association] = {}
        self._create_tables()

    def __repr__(self) -> str:
        return f"LineageStore({self.location!r})"

    def _create_tables(self) -> None:
        with job_description(self.spark, "lineage: create tables"):
            for path, schema in ((self.vertices_path, VERTEX_SCHEMA), (self.edges_path, EDGE_SCHEMA)):
                ident = "delta.`" + path.replace("`", "``") + "`"
                self.spark.sql(f"CREATE TABLE IF NOT EXISTS {ident} ({_ddl(schema)}) USING delta")

    # ------------------------------------------------------------------ reads
    def vertices(self) -> DataFrame:
        """The vertex table (one row per entity)."""
        return self.spark.read.format("delta").load(self.vertices_path)

    def edges(self) -> DataFrame:
        """The edge table (one row per association)."""
        return self.spark.read.format("delta").load(self.edges_path)

    def edges_if_small(self, association_types: Iterable[str] | None = None) -> list[dict[str, Any]] | None:
        """Every edge (optionally only of ``association_types``) as a dict, or ``None`` when there are more
        than ``LOCAL_GRAPH_LIMIT``; one Spark job that stops reading after the limit."""
        df = self.edges()
        if association_types is not None:
            df = df.where(F.col("association_type").isin(sorted(association_types)))
        limit = LOCAL_GRAPH_LIMIT
        with job_description(self.spark, "lineage: read a small edge table"):
            rows = df.limit(limit + 1).collect()
        if len(rows) > limit:
            log.info("lineage: more than %d edges in %s, walking in Spark", limit, self.edges_path)
            return None
        return [r.asDict() for r in rows]

    def describe(self, entity: LineageEntity | str) -> LineageEntity:
        """The stored entity (Artifact, Action or Context) for an entity or id.

        Raises:
            LineageError: no vertex has this id.
        """
        found = self.lookup([entity.id if isinstance(entity, LineageEntity) else entity])
        if not found:
            raise LineageError(f"unknown lineage id '{entity if isinstance(entity, str) else entity.id}'")
        return next(iter(found.values()))

    def lookup(self, ids: Iterable[str]) -> dict[str, LineageEntity]:
        """Stored entities by id (unknown ids are simply absent); one small Spark job."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with job_description(self.spark, "lineage: look up vertices"):
            rows = self.vertices().where(F.col("id").isin(wanted)).collect()
        return {r["id"]: LineageEntity.from_row(r.asDict()) for r in rows}

    def require(self, ids: Iterable[str], arg: str = "id") -> dict[str, LineageEntity]:
        """Like :meth:`lookup` but every id must exist.

        Raises:
            LineageError: naming the unknown ids and the argument.
        """
        wanted = sorted(set(ids))
        found = self.lookup(wanted)
        missing = [i for i in wanted if i not in found]
        if missing:
            raise LineageError(f"{arg}: unknown lineage id(s) {', '.join(missing)} in {self.location}")
        return found

    def list_associations(
        self,
        source: LineageEntity | str | None = None,
        destination: LineageEntity | str | None = None,
        source_type: str | None = None,
        destination_type: str | None = None,
        association_type: AssociationType | str | None = None,
    ) -> list[Association]:
        """Stored associations matching every given filter, oldest first.

        Example (the seed's look-up of the job behind an endpoint):
            >>> job_id = store.list_associations(destination=endpoint)[0].source_id
        """
        df = self.edges()
        if source is not None:
            df = df.where(F.col("source_id") == (source.id if isinstance(source, LineageEntity) else source))
        if destination is not None:
            dst = destination.id if isinstance(destination, LineageEntity) else destination
            df = df.where(F.col("destination_id") == dst)
        if source_type is not None:
            df = df.where(F.col("source_type") == source_type)
        if destination_type is not None:
            df = df.where(F.col("destination_type") == destination_type)
        if association_type is not None:
            try:
                kind = AssociationType(association_type)
            except ValueError:
                raise InvalidArgumentError(f"association_type: unknown type {association_type!r}") from None
            df = df.where(F.col("association_type") == kind.value)
        with job_description(self.spark, "lineage: list associations"):
            rows = df.orderBy("created_at", "id").collect()
        return [Association.from_row(r.asDict()) for r in rows]

    # ----------------------------------------------------------------- writes
    @contextlib.contextmanager
    def batch(self) -> Iterator[LineageStore]:
        """Buffer creations inside the block and write them together when it ends (nestable)."""
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._pending_entities.clear()
                self._pending_edges.clear()
            raise
        self._depth -= 1
        if self._depth == 0:
            self.flush()

    def add_entities(self, entities: Iterable[LineageEntity]) -> None:
        """Store entities (insert-if-absent); buffered inside :meth:`batch`."""
        for entity in entities:
            self._pending_entities.setdefault(entity.id, entity)
        if self._depth == 0:
            self.flush()

    def add_associations(self, associations: Iterable[Association]) -> None:
        """Store associations (insert-if-absent, cycle-checked); buffered inside :meth:`batch`."""
        for edge in associations:
            self._pending_edges.setdefault(edge.id, edge)
        if self._depth == 0:
            self.flush()

    def flush(self) -> None:
        """Write buffered entities, then buffered associations.

        Raises:
            LineageError: an association names an unknown id or would close a provenance cycle; then
                no association of the buffer is written (the entities are).
        """
        entities = list(self._pending_entities.values())
        edges = list(self._pending_edges.values())
        self._pending_entities.clear()
        self._pending_edges.clear()
        if entities:
            rows = [e.to_dict() for e in entities]
            self._merge(self.vertices_path, self.spark.createDataFrame(rows, VERTEX_SCHEMA), "vertices")
        if edges:
            # Ends written by this flush are known (an id fixes kind and type): look up only the others.
            ends: dict[str, LineageEntity] = {e.id: e for e in entities}
            others = {e.source_id for e in edges} | {e.destination_id for e in edges}
            ends.update(self.require(sorted(others - set(ends)), "source/destination"))
            enriched = [
                Association(
                    e.source_id,
                    e.destination_id,
                    e.association_type,
                    ends[e.source_id].kind.value,
                    ends[e.source_id].type,
                    ends[e.destination_id].kind.value,
                    ends[e.destination_id].type,
                    e.created_at,
                )
                for e in edges
            ]
            self._check_cycles(enriched)
            rows = [e.to_dict() for e in enriched]
            self._merge(self.edges_path, self.spark.createDataFrame(rows, EDGE_SCHEMA), "edges")

    def _merge(self, path: str, source: DataFrame, what: str) -> None:
        # SQL MERGE rather than delta.tables.DeltaTable: the Python DeltaTable API needs the Delta Connect
        # plugin on a Spark Connect server; SQL works on classic and Connect sessions alike.
        view = f"_spark_mlops_lineage_{uuid.uuid4().hex}"
        source.createOrReplaceTempView(view)
        target = sql_identifier(path)
        statement = f"MERGE INTO {target} t USING {view} s ON t.id = s.id WHEN NOT MATCHED THEN INSERT *"
        try:
            for attempt in range(5):
                try:
                    with job_description(self.spark, f"lineage: insert new {what}"):
                        self.spark.sql(statement)
                    return
                except Exception as exc:  # noqa: BLE001 - retry only Delta's optimistic-concurrency conflicts
                    if "Concurrent" not in type(exc).__name__ + str(exc)[:500] or attempt == 4:
                        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                        raise LineageError(f"writing lineage {what} to {path} failed: {first}") from None
                    log.info("concurrent lineage write on %s, retrying", path)
                    time.sleep(0.2 * (attempt + 1))
        finally:
            self.spark.catalog.dropTempView(view)

    def _check_cycles(self, edges: list[Association]) -> None:
        """Fail when a new provenance edge s -> d has s reachable from d.

        Walks forward from each new edge's destination, remembering the source it must not reach. An edge
        table of at most ``LOCAL_GRAPH_LIMIT`` provenance edges is read once and walked on the driver.
        Otherwise, while a step is small (≤ ``_LOCAL_LIMIT`` rows) it is collected and the visited set
        kept on the driver (one Spark job per step); a larger step continues as checkpointed DataFrames.
        """
        new = [e for e in edges if e.association_type.acyclic]
        if not new:
            return
        small = self.edges_if_small(_ACYCLIC_TYPES)
        if small is not None:
            self._check_cycles_local(new, small)
            return
        spark = self.spark
        graph = (
            self.edges()
            .where(F.col("association_type").isin(_ACYCLIC_TYPES))
            .select(F.col("source_id").alias("src"), F.col("destination_id").alias("dst"))
            .unionByName(
                spark.createDataFrame(
                    [(e.source_id, e.destination_id) for e in new], "src string, dst string"
                )
            )
            .distinct()
        )
        visited = {(e.source_id, e.destination_id) for e in new}
        frontier = sorted(visited)
        with job_description(spark, "lineage: cycle check"):
            while frontier:
                front = spark.createDataFrame(frontier, _PAIR)
                step = front.join(graph, front["node"] == graph["src"]).select(
                    "origin", F.col("dst").alias("node")
                )
                rows = step.distinct().limit(_LOCAL_LIMIT + 1).collect()
                if len(rows) > _LOCAL_LIMIT:
                    seen = spark.createDataFrame(sorted(visited), _PAIR)
                    self._check_cycles_distributed(new, graph, front, seen)
                    return
                frontier = []
                for r in rows:
                    key = (r["origin"], r["node"])
                    if key[0] == key[1]:
                        self._cycle(new, key[0])
                    if key not in visited:
                        visited.add(key)
                        frontier.append(key)

    def _check_cycles_local(self, new: list[Association], stored: list[dict[str, Any]]) -> None:
        """The same walk as :meth:`_check_cycles` over the provenance edges read into the driver."""
        forward: dict[str, set[str]] = {}
        for src, dst in [(r["source_id"], r["destination_id"]) for r in stored] + [
            (e.source_id, e.destination_id) for e in new
        ]:
            forward.setdefault(src, set()).add(dst)
        visited = {(e.source_id, e.destination_id) for e in new}
        frontier = sorted(visited)
        while frontier:
            step: list[tuple[str, str]] = []
            for origin, node in frontier:
                for dst in sorted(forward.get(node, ())):
                    if dst == origin:
                        self._cycle(new, origin)
                    if (origin, dst) not in visited:
                        visited.add((origin, dst))
                        step.append((origin, dst))
            frontier = step

    @staticmethod
    def _cycle(new: list[Association], origin: str) -> None:
        bad = next(e for e in new if e.source_id == origin)
        raise LineageError(
            f"association {bad.source_id} -> {bad.destination_id} "
            f"({bad.association_type.value}) would close a cycle: '{bad.source_id}' is already "
            f"downstream of '{bad.destination_id}'"
        )

    def _check_cycles_distributed(
        self, new: list[Association], graph: DataFrame, frontier: DataFrame, visited: DataFrame
    ) -> None:
        while True:
            step = (
                frontier.join(graph, frontier["node"] == graph["src"])
                .select("origin", F.col("dst").alias("node"))
                .distinct()
                .join(visited, ["origin", "node"], "left_anti")
                .localCheckpoint()
            )
            stats = step.agg(
                F.count(F.lit(1)).alias("n"),
                F.max(F.when(F.col("origin") == F.col("node"), F.col("origin"))).alias("hit"),
            ).first()
            assert stats is not None
            if stats["hit"] is not None:
                self._cycle(new, stats["hit"])
            if stats["n"] == 0:
                return
            visited = visited.unionByName(step).localCheckpoint()
            frontier = step


_DEFAULT: list[LineageStore | None] = [None]


def set_default_store(store: LineageStore | None) -> None:
    """Make ``store`` the lineage store used when none is passed (``None`` turns automatic lineage off)."""
    if store is not None and not isinstance(store, LineageStore):
        raise InvalidArgumentError(f"store: expected a LineageStore or None, got {type(store).__name__}")
    _DEFAULT[0] = store


def get_default_store() -> LineageStore | None:
    """The store set by :func:`set_default_store`, or ``None``."""
    return _DEFAULT[0]


def resolve_store(store: Any) -> LineageStore:
    """``store`` itself, else the default store.

    Raises:
        LineageError: neither is set.
    """
    if store is not None:
        if not isinstance(store, LineageStore):
            raise InvalidArgumentError(f"store: expected a LineageStore, got {type(store).__name__}")
        return store
    default = _DEFAULT[0]
    if default is None:
        raise LineageError("store: no lineage store given and no default set (use set_default_store)")
    return default
