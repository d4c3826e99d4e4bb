"""Interactive network page: one self-contained HTML file that opens offline and fetches nothing.

pyvis builds the records: its ``Node`` and ``Edge`` classes give vis-network's node and
edge dicts, a ``Network`` holds them, and its ``Options`` (physics, smoothing, interaction)
come out through ``get_network_data()``. Three parts of pyvis are left aside:

* ``add_node``/``add_edge``/``from_nx``: ``add_node`` tests membership in a list and
  ``add_edge`` scans every edge for each undirected edge, so a large map is quadratic
  (``from_nx`` also changes the graph it is given). Records go into ``net.nodes`` and
  ``net.edges`` directly.
* ``generate_html`` and its template: it loads Bootstrap from a CDN in every mode, writes
  the heading unescaped and switches node titles containing "href" to innerHTML. The page
  is rendered from templates/exports/network.html instead (autoescape on), with the copy of
  vis-network 9.1.2 shipped inside pyvis inlined, its licence notice kept.
* vis's own tooltips: no ``title`` is handed to vis. The page draws its own tooltip from
  plain text lines with ``textContent`` on hover, built only when shown.

Labels are drawn by vis on a canvas as plain text (no ``font.multi``), clipped to
``LABEL_LIMIT`` characters; the full name is in the tooltip.
"""

from __future__ import annotations

import json

from boards.i18n import N_
from boards.network.text import ACTOR_LABELS, EXPLANATIONS
from boards.network import actor_records, tie_records

from .templating import DEFAULT, clip, number, percent, render, script_json, texts, vis_assets

LABEL_LIMIT = 40
TIP_LIMIT = 300
SPAN = 1000  # board coordinates 0..1 become 0..SPAN canvas pixels
SIZE_METRICS = ("degree", "betweenness", "closeness", "eigenvector", "strength")
LARGE = 2000  # above this many actors, cheaper drawing options


def _type_order(snapshot: dict, actors: list[dict]) -> list[str]:
    declared = [str(t) for t in snapshot.get("actor_types") or ()]
    return list(dict.fromkeys(declared + [a["type"] for a in actors]))


def _node_tip(actor: dict, metrics: dict, locale: str = DEFAULT) -> list[str]:
    say, label = texts(locale)
    lines = [clip(actor["name"], TIP_LIMIT),
             clip(say(N_("Type : %(type)s")) % {"type": label(actor["type"]) or say(N_("non précisé"))},
                  TIP_LIMIT)]
    if actor["zone"]:
        # Zones are stored as their French names, which are catalogue messages.
        lines.append(say(N_("Zone : %(zone)s")) % {"zone": clip(say(actor["zone"]), TIP_LIMIT)})
    if actor["own"]:
        lines.append(say(N_("Structure d'une personne présente à l'atelier")))
    if metrics:
        lines.append(say(N_("Groupe : %(num)s")) % {"num": metrics["community"]})
        # Spelled as the report spells them: betweenness as a share, the scores with two decimals.
        values = {"degree": number(metrics["degree"], 0, locale),
                  "betweenness": percent(metrics["betweenness"], 1, locale),
                  "closeness": number(metrics["closeness"], 2, locale),
                  "eigenvector": number(metrics["eigenvector"], 2, locale)}
        lines += [say(N_("%(label)s : %(value)s")) % {"label": say(ACTOR_LABELS[k]), "value": value}
                  for k, value in values.items()]
    return lines


def _tie_line(tie: dict, names: dict, state: str = "", locale: str = DEFAULT) -> str:
    say, label = texts(locale)
    way = (f"{names[tie['source']]} → {names[tie['target']]}" if tie["directed"]
           else say(N_("dans les deux sens")))
    rated = "" if tie.get("trust") is None else say(N_(", confiance %(value)s")) % {
        "value": number(tie["trust"], 1, locale)}
    kind = label(tie["type"]) or say(N_("sans type"))
    return clip(say(N_("%(type)s : force %(strength)s, %(way)s")) % {
        "type": kind, "strength": tie["strength"], "way": way} + rated + state, TIP_LIMIT)


def _arrows(ties: list[dict], u: str, v: str) -> str:
    ways = {(t["source"], t["target"]) if t["directed"] else "both" for t in ties}
    return "to" if ways == {(u, v)} else "from" if ways == {(v, u)} else ""


def _change_keys(ties: list[dict]) -> set:
    return {(t["source"], t["target"], t["type"], t["directed"]) for t in ties}


def _key(tie: dict) -> tuple:
    ends = (tie["source"], tie["target"]) if tie["directed"] else sorted(
        (tie["source"], tie["target"]))
    return (*ends, tie["type"], tie["directed"])


def network_html(snapshot: dict, analysis: dict, *, comparison: dict | None = None, locale: str = DEFAULT) -> str:
    """The page of one wave; with ``comparison`` (earlier wave -> this one) it marks the
    ties that appeared and draws the ties that disappeared as dashed lines."""
    say, shown = texts(locale)
    from pyvis.edge import Edge  # pyvis pulls IPython: import it only when a page is made
    from pyvis.network import Network
    from pyvis.node import Node

    actors = actor_records(snapshot)
    metrics = {a["id"]: a for a in analysis["actors"]}
    types = _type_order(snapshot, actors)
    type_index = {t: i for i, t in enumerate(types)}
    positions = (comparison or {}).get("positions") or {
        a["id"]: (a["x"], a["y"]) for a in actors if a["x"] is not None and a["y"] is not None}
    names = {a["id"]: clip(a["name"], 80) for a in actors}

    net = Network(directed=True, cdn_resources="in_line")
    info = []
    for actor in actors:
        found = metrics.get(actor["id"], {})
        place = positions.get(actor["id"])
        extra = {"x": place[0] * SPAN, "y": place[1] * SPAN} if place else {}
        label = clip(actor["name"], LABEL_LIMIT)
        net.nodes.append(Node(actor["id"], "dot", label, **extra).options)
        info.append({"tip": _node_tip(actor, found, locale), "kind": type_index[actor["type"]],
                     "group": found.get("community", 0),
                     "size": [found.get(k) or 0 for k in SIZE_METRICS]})

    added = _change_keys(comparison["ties_added"]) if comparison else set()
    ties, _ = tie_records(snapshot, names)
    pairs: dict[tuple, list] = {}
    for tie in ties:
        u, v = tie["source"], tie["target"]
        pairs.setdefault((u, v) if u < v else (v, u), []).append(tie)
    edge_tips = []
    for (u, v), group in pairs.items():
        fresh = [_key(t) in added for t in group]
        state = "added" if fresh and all(fresh) else ""
        net.edges.append(Edge(u, v, arrows=_arrows(group, u, v),
                              value=sum(t["strength"] for t in group)).options)
        edge_tips.append({"state": state, "tip": [f"{names[u]} — {names[v]}"] + [
            _tie_line(t, names, say(N_(" (nouveau)")) if new else "", locale) for t, new in zip(group, fresh)]})
    if comparison:
        _draw_removed(net, comparison, positions, names, info, edge_tips, pairs, locale)

    physics = not all("x" in node for node in net.nodes)
    _set_options(net, physics, len(net.nodes))
    nodes, edges, _, _, _, options = net.get_network_data()
    payload = {"nodes": nodes, "edges": edges, "info": info, "edgeInfo": edge_tips,
               "options": json.loads(options),
               "types": [clip(shown(t), 80) if t else say(N_("type non précisé")) for t in types],
               "metrics": list(SIZE_METRICS),
               "explanations": {k: say(EXPLANATIONS[k]) for k in SIZE_METRICS},
               # Words the page's script writes into the legend.
               "words": {"one": say(N_("Groupe %(num)s (1 acteur)")),
                         "many": say(N_("Groupe %(num)s (%(size)s acteurs)")),
                         "more": say(N_("… %(num)s autres groupes (couleurs réutilisées)"))}}
    script, style = vis_assets()
    workshop = snapshot.get("workshop") if isinstance(snapshot.get("workshop"), dict) else {}
    return render("network.html", locale, payload=script_json(payload), vis_script=script,
                  vis_style=style, title=str(workshop.get("title") or say(N_("Réseau de coopération"))),
                  territory=str(workshop.get("territory") or ""),
                  wave=str(snapshot.get("label") or ""), physics=physics,
                  sampled=bool(analysis.get("betweenness_sampled")),
                  sampled_note=say(EXPLANATIONS["betweenness_sampled"]),
                  size_labels=[(k, say(ACTOR_LABELS[k])) for k in SIZE_METRICS],
                  comparison=comparison, network=analysis["network"])


def _draw_removed(net, comparison, positions, names, info, edge_tips, pairs, locale: str = DEFAULT) -> None:
    """Dashed edges for pairs whose ties all went since the earlier wave; grey nodes for
    actors gone. A pair that still cooperates keeps its solid edge."""
    from pyvis.edge import Edge
    from pyvis.node import Node

    say, label = texts(locale)
    gone: dict[tuple, list] = {}
    for tie in comparison["ties_removed"]:
        pair = tuple(sorted((tie["source"], tie["target"])))
        if pair not in pairs:
            gone.setdefault(pair, []).append(tie)
    removed_actors = {a["id"] for a in comparison["actors_removed"]}
    shown = set(names)
    for (u, v), group in gone.items():
        for end, end_name in ((group[0]["source"], group[0]["source_name"]),
                              (group[0]["target"], group[0]["target_name"])):
            if end not in shown and end in removed_actors:
                shown.add(end)
                place = positions.get(end)
                extra = {"x": place[0] * SPAN, "y": place[1] * SPAN} if place else {}
                net.nodes.append(Node(end, "dot", clip(end_name, LABEL_LIMIT), **extra).options)
                info.append({"tip": [clip(end_name, TIP_LIMIT),
                                     say(N_("Acteur retiré depuis la vague précédente"))],
                             "kind": -1, "group": 0, "size": [0] * len(SIZE_METRICS),
                             "ghost": True})
        if u in shown and v in shown:
            net.edges.append(Edge(u, v, dashes=True,
                                  value=sum(t["strength"] for t in group)).options)
            first = group[0]
            edge_tips.append({"state": "removed", "tip": [
                f"{clip(first['source_name'], 80)} — {clip(first['target_name'], 80)}"] + [
                clip(say(N_("%(type)s : lien retiré depuis la vague précédente")) % {
                    "type": label(t["type"]) or say(N_("sans type"))}, TIP_LIMIT) for t in group]})


def _set_options(net, physics: bool, count: int) -> None:
    large = count > LARGE
    net.barnes_hut(gravity=-3000, spring_length=120, spring_strength=0.04)
    net.toggle_physics(physics)
    net.options.physics.stabilization.iterations = 150 if large else 400
    net.set_edge_smooth("continuous")
    net.options.edges.smooth.enabled = not large
    net.options.edges.color = {"color": "#9aa3b2", "highlight": "#2e3440", "inherit": False}
    net.options.edges.scaling = {"min": 1, "max": 8}
    net.toggle_hide_edges_on_drag(large)
    net.options.interaction.hover = True
    net.options.layout = {"improvedLayout": count <= 150, "randomSeed": 42}
    net.options.nodes = {"scaling": {"min": 6, "max": 36}, "font": {"size": 14}}
