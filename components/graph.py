"""The knowledge graph as a Plotly network figure: a small force layout computed here (numpy,
deterministic, no graph library), nodes coloured by kind, edges by relation, hover text on
both, and each node's id in `customdata` so static/js/graph.js can show its details on click.
Pure functions: edges and nodes in, a JSON-ready figure and view model out."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

KIND_COLOURS = {"endpoint": "#5151cd", "table": "#0b6e69", "metric": "#e09400"}
KIND_LABELS = {"endpoint": "Endpoint", "table": "Table", "metric": "Observed traffic"}
KIND_SYMBOLS = {"endpoint": "circle", "table": "square", "metric": "diamond"}
RELATION_COLOURS = {"reads": "#2f74dd", "writes": "#cc2f2f", "references": "#6434d1", "observed_as": "#1f9d52"}
RELATION_LABELS = {
    "reads": "reads",
    "writes": "writes",
    "references": "references (foreign key)",
    "observed_as": "observed as",
}
# Beyond this the picture is a hairball and the layout slow; the table below it lists everything.
MAX_NODES = 300


def node_id(kind: str, ref: str) -> str:
    return f"{kind}:{ref}"


def force_layout(count: int, links: list[tuple[int, int]], iterations: int = 150) -> np.ndarray:
    """Fruchterman-Reingold positions in [-1, 1]², the same for the same input (no randomness:
    nodes start on a spiral), vectorised so a few hundred nodes take milliseconds."""
    if count == 0:
        return np.zeros((0, 2))
    angles = np.arange(count) * 2.399963  # the golden angle spreads the start evenly
    radii = np.sqrt((np.arange(count) + 0.5) / count)
    pos = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    k = np.sqrt(4.0 / count)  # ideal distance for a 2 x 2 area
    pairs = np.array(links, dtype=int).reshape(-1, 2)
    temperature = 0.2
    for _ in range(iterations if count < 150 else iterations // 2):
        delta = pos[:, None, :] - pos[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=2), 1e-3)
        shift = (delta * (k * k / distance**2)[:, :, None]).sum(axis=1)  # repulsion between all pairs
        if len(pairs):
            d = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            length = np.maximum(np.linalg.norm(d, axis=1), 1e-3)
            pull = d * (length / k)[:, None]  # attraction along edges
            np.add.at(shift, pairs[:, 0], -pull)
            np.add.at(shift, pairs[:, 1], pull)
        # Gravity towards the centre keeps unlinked nodes from drifting to the edge and
        # squeezing everything else into a corner once the picture is scaled to fit.
        shift -= pos * np.linalg.norm(pos, axis=1)[:, None] / k
        size = np.maximum(np.linalg.norm(shift, axis=1), 1e-9)
        pos += shift / size[:, None] * np.minimum(size, temperature)[:, None]
        temperature = max(temperature * 0.97, 0.005)
    pos -= pos.mean(axis=0)
    scale = np.abs(pos).max()
    return pos / scale if scale > 0 else pos


def graph_view(edges: list[dict[str, Any]], extra_nodes: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The page's view model: {"figure", "nodes" (details by id), "counts", "truncated"}.

    `edges` are knowledge_edges rows; `extra_nodes` (kind, ref) are shown even without edges
    (a table nothing touches is worth seeing)."""
    nodes: dict[str, dict[str, Any]] = {}

    def add(kind: str, ref: str) -> str:
        key = node_id(kind, ref)
        nodes.setdefault(key, {"id": key, "kind": kind, "ref": ref, "label": KIND_LABELS.get(kind, kind), "links": []})
        return key

    for edge in edges:
        source = add(edge["source_kind"], edge["source_ref"])
        target = add(edge["target_kind"], edge["target_ref"])
        link = {"relation": edge["relation"], "confidence": float(edge["confidence"])}
        nodes[source]["links"].append({**link, "to": target, "direction": "out"})
        nodes[target]["links"].append({**link, "to": source, "direction": "in"})
    for kind, ref in extra_nodes or []:
        add(kind, ref)
    # Keep the best-connected nodes when there are too many to draw.
    ordered = sorted(nodes.values(), key=lambda n: (-len(n["links"]), n["id"]))[:MAX_NODES]
    index = {n["id"]: i for i, n in enumerate(ordered)}
    drawn = [
        e
        for e in edges
        if node_id(e["source_kind"], e["source_ref"]) in index and node_id(e["target_kind"], e["target_ref"]) in index
    ]
    links = [
        (index[node_id(e["source_kind"], e["source_ref"])], index[node_id(e["target_kind"], e["target_ref"])])
        for e in drawn
    ]
    pos = force_layout(len(ordered), links)
    counts: dict[str, int] = defaultdict(int)
    for n in nodes.values():
        counts[n["kind"]] += 1
    return {
        "figure": _figure(ordered, pos, drawn, index),
        "nodes": {n["id"]: n for n in ordered},
        "counts": dict(counts),
        "relations": sorted({e["relation"] for e in edges}),
        "truncated": len(nodes) > len(ordered),
    }


def _figure(
    ordered: list[dict[str, Any]], pos: np.ndarray, edges: list[dict[str, Any]], index: dict[str, int]
) -> dict[str, Any]:
    traces: list[dict[str, Any]] = []
    for relation, colour in RELATION_COLOURS.items():
        chosen = [e for e in edges if e["relation"] == relation]
        if not chosen:
            continue
        xs: list[float | None] = []
        ys: list[float | None] = []
        mid_x, mid_y, mid_text = [], [], []
        for e in chosen:
            a = pos[index[node_id(e["source_kind"], e["source_ref"])]]
            b = pos[index[node_id(e["target_kind"], e["target_ref"])]]
            xs += [round(float(a[0]), 4), round(float(b[0]), 4), None]
            ys += [round(float(a[1]), 4), round(float(b[1]), 4), None]
            mid_x.append(round(float(a[0] + b[0]) / 2, 4))
            mid_y.append(round(float(a[1] + b[1]) / 2, 4))
            mid_text.append(
                f"{e['source_ref']} {RELATION_LABELS[relation]} {e['target_ref']} ({float(e['confidence']):.0%})"
            )
        label = RELATION_LABELS[relation]
        dash = "dot" if relation == "observed_as" else "solid"
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": xs,
                "y": ys,
                "name": label,
                "legendgroup": relation,
                "line": {"color": colour, "width": 1.5, "dash": dash},
                "hoverinfo": "skip",
            }
        )
        # Invisible markers at the middle of each edge carry the edge's hover text.
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": mid_x,
                "y": mid_y,
                "text": mid_text,
                "hoverinfo": "text",
                "legendgroup": relation,
                "showlegend": False,
                "marker": {"size": 8, "color": colour, "opacity": 0.05},
            }
        )
    for kind, colour in KIND_COLOURS.items():
        chosen = [n for n in ordered if n["kind"] == kind]
        if not chosen:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": KIND_LABELS[kind],
                "x": [round(float(pos[index[n["id"]]][0]), 4) for n in chosen],
                "y": [round(float(pos[index[n["id"]]][1]), 4) for n in chosen],
                "text": [n["ref"] for n in chosen],
                "textposition": "top center",
                "textfont": {"size": 10},
                "hovertext": [f"{KIND_LABELS[kind]}: {n['ref']}<br>{len(n['links'])} links" for n in chosen],
                "hoverinfo": "text",
                "customdata": [n["id"] for n in chosen],
                "marker": {
                    "color": colour,
                    "symbol": KIND_SYMBOLS[kind],
                    "size": [10 + min(len(n["links"]), 10) * 1.5 for n in chosen],
                    "line": {"width": 1, "color": "#ffffff"},
                },
            }
        )
    axis = {"visible": False, "zeroline": False, "showgrid": False}
    layout = {
        "showlegend": False,  # the page draws the legend (of what is present) beside the chart
        "hovermode": "closest",
        "dragmode": "pan",
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "xaxis": {**axis, "range": [-1.25, 1.25]},
        "yaxis": {**axis, "range": [-1.2, 1.2]},
    }
    return {"data": traces, "layout": layout}
