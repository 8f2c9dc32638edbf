"""A realistic lineage graph built through the public API, queried against a plain-Python BFS reference.

raw table v0/v1 → preprocessing jobs → processed table v0/v1 → training jobs (two trials, shared code)
→ models → model versions → registered model; model version 2 → approval → batch deployment.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque

import matplotlib.image
import pytest

from spark_mlops.delta import TableVersion, read_delta, write_delta
from spark_mlops.errors import LineageError
from spark_mlops.lineage import (
    Action,
    ActionType,
    Artifact,
    ArtifactType,
    Association,
    Context,
    ContextType,
    EntityKind,
    LineageFilter,
    LineageQuery,
    LineageStore,
    contributing_trials,
    path,
    reproduce_inputs,
    to_dot,
    to_mermaid,
    to_png,
    upstream_data,
)

CT, PR, AW = "ContributedTo", "Produced", "AssociatedWith"
EDGES = [
    ("raw@0", "prep-1", CT),
    ("prep-1", "processed@0", PR),
    ("raw@1", "prep-2", CT),
    ("prep-2", "processed@1", PR),
    ("processed@0", "train-1", CT),
    ("code", "train-1", CT),
    ("train-1", "model-1", PR),
    ("processed@1", "train-2", CT),
    ("code", "train-2", CT),
    ("train-2", "model-2", PR),
    ("prep-1", "trial-1", AW),
    ("train-1", "trial-1", AW),
    ("prep-2", "trial-2", AW),
    ("train-2", "trial-2", AW),
    ("trial-1", "exp", AW),
    ("trial-2", "exp", AW),
    # second batch (created later): registry and deployment
    ("model-1", "mv-1", CT),
    ("model-2", "mv-2", CT),
    ("mv-1", "churn", AW),
    ("mv-2", "churn", AW),
    ("mv-2", "approval", CT),
    ("approval", "deploy", CT),
    ("deploy", "churn", AW),
]
LATE = {"mv-1", "mv-2", "churn", "approval", "deploy"}


def reference_walk(start: str, direction: str, max_depth: int = 10) -> tuple[dict[str, int], set[tuple]]:
    """Plain BFS: reached name -> depth (start excluded) and the followed edges."""
    ways = ["Ascendants", "Descendants"] if direction == "Both" else [direction]
    reached: dict[str, int] = {}
    followed: set[tuple] = set()
    for way in ways:
        seen = {start: 0}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if seen[node] == max_depth:
                continue
            for edge in EDGES:
                src, dst, _ = edge
                here, there = (dst, src) if way == "Ascendants" else (src, dst)
                if here != node:
                    continue
                followed.add(edge)
                if there not in seen:
                    seen[there] = seen[node] + 1
                    queue.append(there)
        for name, depth in seen.items():
            if name != start:
                reached[name] = min(depth, reached.get(name, depth))
    return reached, followed


@pytest.fixture(scope="module")
def graph(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("lineage_graph")
    raw, processed = str(root / "raw"), str(root / "processed")
    raw_v0 = [(1, "US", 5.0), (2, "UK", -1.0), (3, "DE", 3.0)]
    raw_v1 = [(4, "FR", 4.0), (5, "US", 2.0)]
    schema = "id int, market string, amount double"
    write_delta(spark.createDataFrame(raw_v0, schema), raw, mode="overwrite")
    write_delta(read_delta(spark, raw, 0).where("amount > 0"), processed, mode="overwrite")
    write_delta(spark.createDataFrame(raw_v1, schema), raw)
    write_delta(read_delta(spark, raw, 1).where("amount > 0"), processed, mode="overwrite")

    store = LineageStore(spark, root / "lineage")
    ds = ArtifactType.DATASET
    with store.batch():
        e = {
            "raw@0": Artifact.create(raw, raw, ds, version=0, store=store),
            "raw@1": Artifact.create(raw, raw, ds, version=1, store=store),
            "processed@0": Artifact.create(processed, processed, ds, version=0, store=store),
            "processed@1": Artifact.create(processed, processed, ds, version=1, store=store),
            "code": Artifact.create("churn-code", "file:///src/churn@abc123", ArtifactType.CODE, store=store),
            "model-1": Artifact.create("model", "runs:/r1/model", ArtifactType.MODEL, store=store),
            "model-2": Artifact.create("model", "runs:/r2/model", ArtifactType.MODEL, store=store),
            "exp": Context.create("churn", ContextType.EXPERIMENT, store=store),
            "trial-1": Context.create("trial-1", ContextType.TRIAL, store=store),
            "trial-2": Context.create("trial-2", ContextType.TRIAL, store=store),
        }
        for i in (1, 2):
            props = {"trial_name": f"trial-{i}", "param.min_amount": "0"}
            e[f"prep-{i}"] = Action.create(
                "Preprocessing", ActionType.PROCESSING_JOB, f"runs:/p{i}", properties=props, store=store
            )
            props = {"trial_name": f"trial-{i}", "param.regParam": f"0.{i}", "code_version": "abc123"}
            e[f"train-{i}"] = Action.create(
                "Training", ActionType.TRAINING_JOB, f"runs:/r{i}", properties=props, store=store
            )
        for src, dst, kind in EDGES:
            if src not in LATE and dst not in LATE:
                Association.create(e[src], e[dst], kind, store=store)
    time.sleep(0.05)
    mid = dt.datetime.now(dt.timezone.utc)
    time.sleep(0.05)
    with store.batch():
        for i in (1, 2):
            e[f"mv-{i}"] = Artifact.create(
                "churn", f"models:/churn/{i}", ArtifactType.MODEL_VERSION, version=i, store=store
            )
        e["churn"] = Context.create("churn", ContextType.REGISTERED_MODEL, "models:/churn", store=store)
        e["approval"] = Action.create("approve churn v2", ActionType.APPROVAL, store=store)
        e["deploy"] = Context.create("churn-nightly", ContextType.BATCH_DEPLOYMENT, store=store)
        for src, dst, kind in EDGES:
            if src in LATE or dst in LATE:
                Association.create(e[src], e[dst], kind, store=store)
    names = {ent.id: name for name, ent in e.items()}
    return {
        "store": store,
        "e": e,
        "names": names,
        "mid": mid,
        "raw": raw,
        "processed": processed,
        "raw_v1": raw_v0 + raw_v1,
    }


def _named(graph, result) -> dict[str, int]:
    return {graph["names"][v.id]: v.depth for v in result.vertices}


def _named_edges(graph, result) -> set[tuple]:
    n = graph["names"]
    return {(n[a.source_id], n[a.destination_id], a.association_type.value) for a in result.edges}


@pytest.mark.parametrize(
    ("start", "direction", "max_depth"),
    [
        ("deploy", "Ascendants", 10),
        ("deploy", "Ascendants", 2),
        ("raw@1", "Descendants", 10),
        ("train-2", "Both", 1),
    ],
)
def test_walks_match_reference(graph, start, direction, max_depth):
    result = LineageQuery(graph["store"]).query(graph["e"][start], direction=direction, max_depth=max_depth)
    want, want_edges = reference_walk(start, direction, max_depth)
    assert _named(graph, result) == want
    assert _named_edges(graph, result) == want_edges
    assert [s.id for s in result.starts] == [graph["e"][start].id]


def test_filters_select_returned_vertices_not_the_walk(graph):
    store, e = graph["store"], graph["e"]
    q = LineageQuery(store)
    data = q.query(
        e["deploy"],
        "Ascendants",
        include_edges=False,
        query_filter=LineageFilter(entities=[EntityKind.ARTIFACT], sources=[ArtifactType.DATASET]),
    )
    assert _named(graph, data) == {"processed@1": 5, "raw@1": 7}
    resolved = {(v.to_lineage_object().source_uri, v.to_lineage_object().version) for v in data.vertices}
    assert resolved == {(graph["processed"], 1), (graph["raw"], 1)}

    by_trial = q.query(e["deploy"], "Ascendants", include_edges=False, properties={"trial_name": "trial-2"})
    assert set(_named(graph, by_trial)) == {"train-2", "prep-2"}

    everything, _ = reference_walk("raw@1", "Descendants")
    late = q.query(e["raw@1"], "Descendants", include_edges=False, created_after=graph["mid"])
    early = q.query(e["raw@1"], "Descendants", include_edges=False, created_before=graph["mid"])
    assert set(_named(graph, late)) == {n for n in everything if n in LATE}
    assert set(_named(graph, early)) == {n for n in everything if n not in LATE}


def test_seed_questions(graph, spark):
    store, e = graph["store"], graph["e"]
    n = graph["names"]
    # 1. Which data sources feed the live model?
    assert [(a.source_uri, a.version) for a in upstream_data(e["deploy"], store)] == [
        (graph["processed"], 1),
        (graph["raw"], 1),
    ]
    # 2. Which trials contributed to it?
    assert [t.name for t in contributing_trials(e["deploy"], store)] == ["trial-2"]
    assert [t.name for t in contributing_trials(e["churn"], store)] == ["trial-1", "trial-2"]
    # 3. Every step from raw data to the deployment, in order.
    route = path(e["raw@1"], e["deploy"], store)
    down, _ = reference_walk("raw@1", "Descendants", 99)
    up, _ = reference_walk("deploy", "Ascendants", 99)
    assert {n[v.id] for v in route.vertices} == (set(down) & set(up)) | {"raw@1", "deploy"}
    assert [n[v.id] for v in route.vertices] == [
        "raw@1",
        "prep-2",
        "processed@1",
        "train-2",
        "model-2",
        "mv-2",
        "approval",
        "deploy",
    ]
    assert len(route.edges) == 7
    with pytest.raises(LineageError, match="no path"):
        path(e["raw@0"], e["deploy"], store)
    # Seed look-ups: the job behind the deployment, the data set behind a training job.
    assert [n[a.source_id] for a in store.list_associations(destination=e["deploy"])] == ["approval"]
    (a,) = store.list_associations(destination=e["train-2"], source_type=ArtifactType.DATASET)
    assert store.describe(a.source_id).source_uri == graph["processed"]


def test_reproduce_inputs_gives_versions_params_and_time_travel(graph, spark):
    recipe = reproduce_inputs(graph["e"]["deploy"], graph["store"])
    raw, processed = graph["raw"], graph["processed"]
    assert recipe.inputs == [TableVersion(processed, 1), TableVersion(raw, 1)]
    assert recipe.source_inputs == [TableVersion(raw, 1)]
    assert [s.action.type for s in recipe.steps] == ["ProcessingJob", "TrainingJob", "Approval"]
    assert recipe.steps[1].parameters == {"regParam": "0.2"}
    assert recipe.steps[1].code_version == "abc123"
    assert recipe.steps[0].inputs == [TableVersion(raw, 1)]
    assert recipe.steps[0].outputs == [TableVersion(processed, 1)]
    assert [c.source_uri for c in recipe.code] == ["file:///src/churn@abc123"]
    rows = sorted(tuple(r) for r in read_delta(spark, raw, version=1).collect())
    assert rows == sorted(graph["raw_v1"])


def test_exports(graph, tmp_path):
    route = path(graph["e"]["raw@1"], graph["e"]["deploy"], graph["store"])
    dot = to_dot(route)
    assert dot.startswith('digraph "lineage" {') and dot.count(" -> ") == 7
    assert dot.count("shape=") == 8 and "shape=hexagon" in dot and "@v1" in dot
    mermaid = to_mermaid(route)
    assert mermaid.startswith("flowchart LR") and mermaid.count("-->|") == 7
    assert "-->|ContributedTo|" in mermaid and "{{" in mermaid
    out = to_png(route, tmp_path / "route.png", title="raw → deployment")
    pixels = matplotlib.image.imread(out)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert (pixels[..., :3] < 0.5).any()  # something was drawn


def test_large_graph_path_walks_and_checks_cycles_in_spark(graph, monkeypatch):
    """Above LOCAL_GRAPH_LIMIT edges the walk and the cycle check run as Spark joins: same answers."""
    import spark_mlops.lineage.store as lineage_store

    monkeypatch.setattr(lineage_store, "LOCAL_GRAPH_LIMIT", 0)
    for start, direction, depth in (("deploy", "Ascendants", 2), ("train-2", "Both", 1)):
        result = LineageQuery(graph["store"]).query(graph["e"][start], direction=direction, max_depth=depth)
        want, want_edges = reference_walk(start, direction, depth)
        assert _named(graph, result) == want
        assert _named_edges(graph, result) == want_edges
    e = graph["e"]
    with pytest.raises(LineageError, match="would close a cycle"):
        Association.create(e["processed@1"], e["raw@1"], "DerivedFrom", store=graph["store"])
    assert graph["store"].edges().count() == len(EDGES)
