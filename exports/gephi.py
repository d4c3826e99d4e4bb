"""Graph files: GEXF and GraphML for Gephi, node-link JSON for scripts.

Gephi gets one edge per linked pair, tie type and direction: a one-way tie runs from its
source to its target; a two-way tie of the same type is one edge of its own. The graph is
directed; a two-way edge says so in the format's own way:

* GEXF: the edge's ``type`` is ``mutual`` (GEXF 1.2's word for an edge that runs both ways;
  Gephi draws it without an arrow, networkx reads it as two arcs); a one-way edge is
  ``directed``. GEXF's ``mixed`` graphs would be closer still, but networkx cannot read them.
* GraphML: ``edgedefault="directed"`` and a boolean edge attribute ``directed`` (false for a
  two-way edge), with ``sens`` spelled out; a GraphML reader that ignores it sees one arc.

Edge attributes: ``tie_type``, ``weight`` = sum of the strengths of the ties it stands for,
``strength`` = the strongest of them, ``ties``, ``sens``, and ``trust``/``value`` = mean over
its rated ties (left out when none is rated). Nodes carry name, type, every per-actor metric,
the position of the review page's drawing (placed actors where they were placed, the others
on its grid; y upwards as Gephi has it), the colour of their actor type and a size growing
with their partners: GEXF as its ``viz`` elements, GraphML as the ``x``, ``y``, ``size``,
``r``, ``g``, ``b`` attributes Gephi's GraphML importer reads. Attributes keep one Python
type each because both writers declare one type per attribute, and text is stripped of the
control characters XML cannot hold.

The JSON export keeps every tie record instead (a MultiDiGraph, edge key = tie id, with its
own ``directed`` flag) beside the whole analysis.
"""

from __future__ import annotations

import json
import re

import networkx as nx

from boards.network import actor_records, build_graph, tie_records

from .drawing import drawing
from .rows import idea_boards

FORMAT = "maillage-reseau/1"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FLOAT_METRICS = ("betweenness", "closeness", "eigenvector")
INT_METRICS = ("degree", "in_degree", "out_degree", "strength", "core", "community")
# Burt's constraint, trust and value are left out of a node when it has none (no ties, no rating).
OPTIONAL_METRICS = ("constraint", "trust", "value")


def _text(value) -> str:
    return _XML_ILLEGAL.sub("", str(value))


def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def gephi_graph(snapshot: dict, analysis: dict, *, viz: bool = False) -> nx.MultiDiGraph:
    """The attribute-rich graph written to GEXF (``viz=True``) and GraphML."""
    actors = actor_records(snapshot)
    metrics = {a["id"]: a for a in analysis["actors"]}
    drawn = {node["id"]: node for node in drawing(snapshot, analysis)["nodes"]}
    graph = nx.MultiDiGraph()
    for actor in actors:
        attributes = {"label": _text(actor["name"]), "name": _text(actor["name"]),
                      "type": _text(actor["type"]), "zone": _text(actor["zone"]),
                      "own": actor["own"]}
        found = metrics.get(actor["id"], {})
        attributes.update({k: float(found.get(k) or 0.0) for k in FLOAT_METRICS})
        attributes.update({k: int(found.get(k) or 0) for k in INT_METRICS})
        attributes.update({k: float(found[k]) for k in OPTIONAL_METRICS if found.get(k) is not None})
        node = drawn[actor["id"]]
        x, y, size = round(node["x"], 2), round(-node["y"], 2), round(node["r"], 2)
        red, green, blue = _rgb(node["colour"])
        if viz:
            attributes["viz"] = {"position": {"x": x, "y": y, "z": 0.0}, "size": size,
                                 "color": {"r": red, "g": green, "b": blue, "a": 1.0}}
        else:
            attributes.update(x=x, y=y, size=size, r=red, g=green, b=blue)
        graph.add_node(_text(actor["id"]), **attributes)
    groups: dict[tuple, list] = {}
    ties, _ = tie_records(snapshot, {a["id"] for a in actors})
    for tie in ties:
        ends = (tie["source"], tie["target"]) if tie["directed"] else \
            tuple(sorted((tie["source"], tie["target"])))
        groups.setdefault((*ends, tie["type"], tie["directed"]), []).append(tie)
    for (u, v, kind, directed), group in groups.items():
        attributes = {"tie_type": _text(kind), "ties": len(group),
                      "strength": max(t["strength"] for t in group),
                      "weight": float(sum(t["strength"] for t in group)),
                      "sens": "sens unique" if directed else "deux sens"}
        if viz:
            attributes["type"] = "directed" if directed else "mutual"
        else:
            attributes["directed"] = directed
        for key in ("trust", "value"):
            mean = _mean(t[key] for t in group)
            if mean is not None:
                attributes[key] = mean
        graph.add_edge(_text(u), _text(v), **attributes)
    return graph


def gexf_bytes(snapshot: dict, analysis: dict) -> bytes:
    lines = nx.generate_gexf(gephi_graph(snapshot, analysis, viz=True), encoding="utf-8",
                             prettyprint=True, version="1.2draft")
    return "\n".join(lines).encode("utf-8")


def graphml_bytes(snapshot: dict, analysis: dict) -> bytes:
    lines = nx.generate_graphml(gephi_graph(snapshot, analysis), encoding="utf-8",
                                prettyprint=True)
    return "\n".join(lines).encode("utf-8")


def json_bytes(snapshot: dict, analysis: dict) -> bytes:
    """Every tie record as node-link data, the snapshot's identity and the analysis."""
    about = {k: snapshot.get(k) for k in ("id", "label", "taken_at", "seq", "workshop",
                                          "participants", "actor_types", "tie_types")}
    document = {"format": FORMAT, "snapshot": about,
                "graph": nx.node_link_data(build_graph(snapshot), edges="edges"),
                "analysis": analysis, "ideas": idea_boards(snapshot)}
    return json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False).encode("utf-8")
