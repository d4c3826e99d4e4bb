"""Graph files: GEXF and GraphML for Gephi, node-link JSON for scripts.

Gephi gets the aggregated graph the metrics were computed on: one undirected edge per
linked pair, ``weight`` = sum of the strengths, ``strength`` = the strongest tie of the
pair, ``types`` = its tie types joined by " + ", ``direction`` = which way the ties run,
``trust``/``value`` = mean over the pair's rated ties (left out when none is rated). The
attribute is ``types``, not ``type``: networkx's GEXF writer turns an edge attribute named
``type`` into GEXF's own directed/undirected flag, which Gephi then rejects.
Nodes carry name, type and every per-actor metric. Attributes keep one Python type each
(floats stay floats) because both writers declare one type per attribute, and text is
stripped of the control characters XML cannot hold.

The JSON export keeps every tie record instead (a MultiDiGraph, edge key = tie id, with its
own ``directed`` flag) beside the whole analysis.
"""

from __future__ import annotations

import json
import re

import networkx as nx

from boards.network import actor_records, build_graph, tie_records

from .rows import idea_boards

FORMAT = "maillage-reseau/1"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FLOAT_METRICS = ("betweenness", "closeness", "eigenvector")
INT_METRICS = ("degree", "in_degree", "out_degree", "strength", "core", "community")


def _text(value) -> str:
    return _XML_ILLEGAL.sub("", str(value))


def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return sum(values) / len(values) if values else None


def gephi_graph(snapshot: dict, analysis: dict) -> nx.Graph:
    """The aggregated, attribute-rich graph written to GEXF and GraphML."""
    actors = actor_records(snapshot)
    metrics = {a["id"]: a for a in analysis["actors"]}
    graph = nx.Graph()
    for actor in actors:
        attributes = {"label": _text(actor["name"]), "name": _text(actor["name"]),
                      "type": _text(actor["type"]), "zone": _text(actor["zone"]),
                      "own": actor["own"]}
        attributes.update({k: float(actor[k]) for k in ("x", "y") if actor[k] is not None})
        found = metrics.get(actor["id"], {})
        attributes.update({k: float(found.get(k) or 0.0) for k in FLOAT_METRICS})
        attributes.update({k: int(found.get(k) or 0) for k in INT_METRICS})
        graph.add_node(_text(actor["id"]), **attributes)
    pairs: dict[tuple, list] = {}
    ties, _ = tie_records(snapshot, {a["id"] for a in actors})
    for tie in ties:
        pairs.setdefault(tuple(sorted((tie["source"], tie["target"]))), []).append(tie)
    for (u, v), group in pairs.items():
        ways = {(t["source"], t["target"]) if t["directed"] else "both" for t in group}
        direction = (f"{u} -> {v}" if ways == {(u, v)} else
                     f"{v} -> {u}" if ways == {(v, u)} else "deux sens")
        types = list(dict.fromkeys(t["type"] for t in group))
        attributes = {"types": _text(" + ".join(types)), "types_count": len(types),
                      "ties": len(group), "strength": max(t["strength"] for t in group),
                      "weight": float(sum(t["strength"] for t in group)),
                      "direction": _text(direction)}
        for key in ("trust", "value"):
            mean = _mean(t[key] for t in group)
            if mean is not None:
                attributes[key] = mean
        graph.add_edge(_text(u), _text(v), **attributes)
    return graph


def gexf_bytes(snapshot: dict, analysis: dict) -> bytes:
    lines = nx.generate_gexf(gephi_graph(snapshot, analysis), encoding="utf-8",
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
