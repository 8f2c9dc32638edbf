"""Pictures of a lineage subgraph: Graphviz DOT text, Mermaid text, and a PNG drawn with matplotlib.

The PNG needs no Graphviz binary: vertices are placed in layers by longest path from the sources
(so every edge points right), spread evenly inside a layer, and drawn with matplotlib's Agg backend.
Shapes: artifacts are rounded boxes, actions square boxes, contexts hexagons (DOT/Mermaid) or
dashed boxes (PNG).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Protocol

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.lineage.entities import Association, EntityKind, LineageEntity
from spark_mlops.lineage.questions import topological_order

__all__ = ["to_dot", "to_mermaid", "to_png"]


class _Graph(Protocol):
    @property
    def starts(self) -> list[LineageEntity]: ...

    @property
    def edges(self) -> list[Association]: ...


def _parts(graph: object) -> tuple[list[LineageEntity], list[Association]]:
    """Entities (starts first, no duplicates) and edges of a query result or a path."""
    if not hasattr(graph, "edges") or not hasattr(graph, "starts"):
        raise InvalidArgumentError(
            f"graph: expected a LineageQueryResult or LineagePath, got {type(graph).__name__}"
        )
    raw = getattr(graph, "vertices", [])
    found: list[LineageEntity] = [getattr(v, "entity", v) for v in raw]
    entities: dict[str, LineageEntity] = {}
    for e in [*graph.starts, *found]:
        entities.setdefault(e.id, e)
    edges = [e for e in graph.edges if e.source_id in entities and e.destination_id in entities]
    return topological_order(entities.values(), edges), edges


def _label(entity: LineageEntity) -> str:
    text = f"{entity.type}\n{entity.name}"
    if entity.version is not None:
        text += f" @v{entity.version}"
    return text


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


_DOT_SHAPE = {EntityKind.ARTIFACT: "note", EntityKind.ACTION: "box", EntityKind.CONTEXT: "hexagon"}


def to_dot(graph: _Graph, name: str = "lineage") -> str:
    """Graphviz DOT text of a query result or path (render with ``dot -Tpng``)."""
    entities, edges = _parts(graph)
    lines = [f'digraph "{_esc(name)}" {{', "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for e in entities:
        lines.append(f'  "{e.id}" [label="{_esc(_label(e))}", shape={_DOT_SHAPE[e.kind]}];')
    for a in edges:
        lines.append(f'  "{a.source_id}" -> "{a.destination_id}" [label="{a.association_type.value}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def to_mermaid(graph: _Graph) -> str:
    """Mermaid ``flowchart`` text of a query result or path (renders in GitHub/GitLab markdown)."""
    entities, edges = _parts(graph)
    ids = {e.id: f"n{i}" for i, e in enumerate(entities)}
    shape = {
        EntityKind.ARTIFACT: ('(["', '"])'),
        EntityKind.ACTION: ('["', '"]'),
        EntityKind.CONTEXT: ('{{"', '"}}'),
    }
    lines = ["flowchart LR"]
    for e in entities:
        left, right = shape[e.kind]
        lines.append(f"  {ids[e.id]}{left}{_mermaid_text(_label(e))}{right}")
    for a in edges:
        lines.append(f"  {ids[a.source_id]} -->|{a.association_type.value}| {ids[a.destination_id]}")
    return "\n".join(lines) + "\n"


def _layers(entities: list[LineageEntity], edges: Iterable[Association]) -> dict[str, int]:
    """Layer = longest path from a source; entities come in topological order (cycles: order wins)."""
    position = {e.id: i for i, e in enumerate(entities)}
    layer = dict.fromkeys(position, 0)
    incoming: dict[str, list[str]] = {i: [] for i in position}
    for a in edges:
        if position[a.source_id] < position[a.destination_id]:
            incoming[a.destination_id].append(a.source_id)
    for e in entities:
        if incoming[e.id]:
            layer[e.id] = 1 + max(layer[s] for s in incoming[e.id])
    return layer


def to_png(graph: _Graph, file_path: str | os.PathLike[str], title: str | None = None, dpi: int = 100) -> str:
    """Draw a query result or path to a PNG file with matplotlib and return the file path."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    entities, edges = _parts(graph)
    layer = _layers(entities, edges)
    columns: dict[int, list[LineageEntity]] = {}
    for e in entities:
        columns.setdefault(layer[e.id], []).append(e)
    height = max((len(c) for c in columns.values()), default=1)
    width = max(columns, default=0) + 1
    xy: dict[str, tuple[float, float]] = {}
    for col, members in columns.items():
        for row, e in enumerate(members):
            xy[e.id] = (col * 3.0, (len(members) - 1) / 2.0 - row)  # centred in its column
    fig, ax = plt.subplots(figsize=(max(4.0, 3.0 * width), max(2.5, 1.4 * height)))
    style = {
        EntityKind.ARTIFACT: {"boxstyle": "round,pad=0.4", "fc": "#dbeafe", "ec": "#1d4ed8"},
        EntityKind.ACTION: {"boxstyle": "square,pad=0.4", "fc": "#fef3c7", "ec": "#b45309"},
        EntityKind.CONTEXT: {"boxstyle": "sawtooth,pad=0.4", "fc": "#dcfce7", "ec": "#15803d"},
    }
    for a in edges:
        (x0, y0), (x1, y1) = xy[a.source_id], xy[a.destination_id]
        ax.annotate(
            "",
            xy=(x1 - 0.9, y1),
            xytext=(x0 + 0.9, y0),
            arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 1.0},
        )
        ax.text(
            (x0 + x1) / 2,
            (y0 + y1) / 2 + 0.12,
            a.association_type.value,
            fontsize=6,
            ha="center",
            color="#555",
        )
    for e in entities:
        x, y = xy[e.id]
        ax.text(x, y, _label(e), ha="center", va="center", fontsize=7, bbox=style[e.kind])
    ax.set_xlim(-1.5, 3.0 * (width - 1) + 1.5)
    ax.set_ylim(-height / 2.0 - 0.5, height / 2.0 + 0.5)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    out = os.fspath(file_path)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
