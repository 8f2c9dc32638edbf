"""Lineage store basics on real Delta tables: idempotent creation, unknown ids, cycles, look-ups."""

from __future__ import annotations

import itertools

import pytest

from spark_mlops.errors import InvalidArgumentError, LineageError
from spark_mlops.lineage import (
    Action,
    ActionType,
    Artifact,
    ArtifactType,
    Association,
    AssociationType,
    Context,
    ContextType,
    LineageQuery,
    LineageStore,
    set_default_store,
)


def _counts(store: LineageStore) -> tuple[int, int]:
    return store.vertices().count(), store.edges().count()


def test_same_entity_twice_is_one_vertex_and_repeat_association_is_harmless(spark, tmp_path):
    store = LineageStore(spark, tmp_path / "lineage")
    LineageStore(spark, tmp_path / "lineage")  # opening again keeps the tables
    with store.batch():  # one MERGE for the three vertices
        a1 = Artifact.create("raw", "/lake/raw", ArtifactType.DATASET, version=0, store=store)
        a3 = Artifact.create("raw", "/lake/raw", ArtifactType.DATASET, version=1, store=store)
        job = Action.create("prep", ActionType.PROCESSING_JOB, properties={"param.split": 0.8}, store=store)
    a2 = Artifact.create("raw", "/lake/raw", ArtifactType.DATASET, version=0, store=store)  # stored again
    assert a1.id == a2.id and a1.id != a3.id
    assert _counts(store) == (3, 0)
    # The MERGE's source view is dropped again.
    assert [t.name for t in spark.catalog.listTables() if t.name.startswith("_spark_mlops_lineage")] == []

    e1 = Association.create(a1, job, "ContributedTo", store=store)
    e2 = Association.create(a1.id, job.id, AssociationType.CONTRIBUTED_TO, store=store)
    assert e1.id == e2.id
    assert _counts(store) == (3, 1)

    got = store.describe(a1.id)
    assert isinstance(got, Artifact)
    assert (got.name, got.source_uri, got.version, got.type) == ("raw", "/lake/raw", 0, "DataSet")
    assert store.describe(job).properties == {"param.split": "0.8"}

    (edge,) = store.list_associations(destination=job, source_type=ArtifactType.DATASET)
    assert (edge.source_id, edge.association_type) == (a1.id, AssociationType.CONTRIBUTED_TO)
    assert (edge.source_kind, edge.destination_type) == ("Artifact", "ProcessingJob")
    assert store.list_associations(destination=job, source_type=ArtifactType.MODEL) == []


def test_batch_writes_once_and_default_store_is_used(spark, tmp_path, count_jobs):
    store = LineageStore(spark, tmp_path / "lineage")
    set_default_store(store)
    try:
        with store.batch():
            names = [f"t{i}" for i in range(6)]
            tables = [Artifact.create(n, f"/lake/{n}", ArtifactType.DATASET, version=0) for n in names]
            for a, b in itertools.pairwise(tables):
                Association.create(a, b, AssociationType.DERIVED_FROM)
            assert _counts(store) == (0, 0)  # nothing written inside the block
        assert _counts(store) == (6, 5)
    finally:
        set_default_store(None)
    with pytest.raises(LineageError, match="no lineage store"):
        Artifact.create("x", None, ArtifactType.MODEL)


def test_unknown_ids_are_clear_errors(spark, tmp_path):
    store = LineageStore(spark, tmp_path / "lineage")
    known = Context.create("prod", ContextType.ENDPOINT, store=store)
    with pytest.raises(LineageError, match="artifact-doesnotexist"):
        Association.create("artifact-doesnotexist", known, "ContributedTo", store=store)
    assert _counts(store) == (1, 0)
    with pytest.raises(LineageError, match="unknown lineage id 'action-nope'"):
        store.describe("action-nope")
    with pytest.raises(LineageError, match="start: unknown lineage id"):
        LineageQuery(store).query("context-missing")
    with pytest.raises(InvalidArgumentError, match="association_type"):
        Association.create(known, known, "Feeds", store=store)
    with pytest.raises(InvalidArgumentError, match="source, destination"):
        Association.create(known, known, "SameAs", store=store)
    with pytest.raises(InvalidArgumentError, match="artifact_name"):
        Artifact.create("", "/x", ArtifactType.DATASET, store=store)
    with pytest.raises(InvalidArgumentError, match="version"):
        Artifact.create("x", "/x", ArtifactType.DATASET, version=-1, store=store)
    with pytest.raises(InvalidArgumentError, match="max_depth"):
        LineageQuery(store).query(known, max_depth=0)
    with pytest.raises(InvalidArgumentError, match="direction"):
        LineageQuery(store).query(known, direction="Sideways")


def test_provenance_cycle_is_rejected_but_associated_with_cycle_is_walked_once(spark, tmp_path):
    store = LineageStore(spark, tmp_path / "lineage")
    with store.batch():
        a, b, c, d, e = (Artifact.create(n, None, ArtifactType.DATASET, store=store) for n in "abcde")
        Association.create(a, b, "DerivedFrom", store=store)
        Association.create(b, c, "ContributedTo", store=store)
        Association.create(c, d, "Produced", store=store)
    with pytest.raises(LineageError, match=r"would close a cycle") as info:
        Association.create(d, a, "ContributedTo", store=store)
    assert d.id in str(info.value) and a.id in str(info.value)
    assert store.edges().count() == 3
    # A batch containing its own cycle is rejected as a whole.
    with pytest.raises(LineageError, match="cycle"), store.batch():
        Association.create(d, e, "Produced", store=store)
        Association.create(e, b, "Produced", store=store)
    assert store.edges().count() == 3

    # AssociatedWith may close a loop; the walk visits each vertex once and stops.
    Association.create(d, a, "AssociatedWith", store=store)
    result = LineageQuery(store).query(a, direction="Descendants", max_depth=50)
    reached = {v.entity.name: v.depth for v in result.vertices}
    assert reached == {"b": 1, "c": 2, "d": 3}  # a itself is the start, not a result
    assert len(result.edges) == 4
    both = LineageQuery(store).query(b, direction="Both", include_edges=False)
    assert {v.entity.name for v in both.vertices} == {"a", "c", "d"}
