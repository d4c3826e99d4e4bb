"""Coordinator review: territories, snapshots, wave comparison, common indicators, exports."""

from __future__ import annotations

from collections import defaultdict

from starlette.requests import Request
from starlette.responses import Response

import exports
from boards.network.text import EXPLANATIONS, NETWORK_LABELS
from boards.network import actor_records
from boards.network.compare import compare, match_actors

from . import auth
from .coordinator import is_coordinator, refuse
from .i18n import translate
from .pages import fold, html, locale_of

PALETTE = ("#1d4e89", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207",
           "#be185d", "#4d7c0f", "#475569", "#9a3412", "#1e40af")
LABELLED = 40  # names drawn on the map; the others show on hover


def _can_review(request: Request, snapshot: dict) -> bool:
    return is_coordinator(request) or bool(auth.facilitator_of(request.session, snapshot["workshop_id"]))


def drawing(snapshot: dict, analysis: dict, positions: dict | None = None, key_of: dict | None = None) -> dict:
    """Nodes and edges in a 0–1000 square, sized by partners and coloured by actor type."""
    key_of = key_of or {}
    actors = actor_records(snapshot)
    metrics = {a["id"]: a for a in analysis["actors"]}
    types = list(dict.fromkeys([*snapshot.get("actor_types", []), *(a["type"] for a in actors)]))
    colour = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}
    placed = {}
    for index, actor in enumerate(actors):
        key = key_of.get(actor["id"], actor["id"])
        if positions and key in positions:
            x, y = positions[key]
        elif actor["x"] is not None and actor["y"] is not None:
            x, y = actor["x"], actor["y"]
        else:
            # Unplaced actors wait along the bottom edge rather than on top of placed ones.
            x, y = (index % 20) / 20 + 0.025, 1.0
        placed[actor["id"]] = (40 + 920 * float(x), 40 + 920 * float(y))
    degree = {i: metrics.get(i, {}).get("degree", 0) for i in placed}
    top = set(sorted(placed, key=lambda i: -degree[i])[:LABELLED])
    nodes = [{"id": a["id"], "name": a["name"], "type": a["type"], "x": placed[a["id"]][0],
              "y": placed[a["id"]][1], "r": 6 + min(degree[a["id"]], 20) * 0.9,
              "colour": colour[a["type"]], "label": a["id"] in top, "degree": degree[a["id"]]}
             for a in actors]
    edges = [{"x1": placed[t["source"]][0], "y1": placed[t["source"]][1],
              "x2": placed[t["target"]][0], "y2": placed[t["target"]][1],
              "width": 0.8 + float(t.get("strength") or 1)}
             for t in snapshot.get("ties", []) if t.get("source") in placed and t.get("target") in placed
             and t["source"] != t["target"]]
    return {"nodes": nodes, "edges": edges, "legend": [(t, colour[t]) for t in types]}


def explained(locale: str) -> dict:
    """The plain-language sentence of every metric, in the reader's language."""
    return {key: translate(locale, text) for key, text in EXPLANATIONS.items()}


def labelled(locale: str) -> dict:
    return {key: translate(locale, text) for key, text in NETWORK_LABELS.items()}


def figures(analysis: dict, locale: str) -> list[dict]:
    network, sentences = analysis["network"], explained(locale)
    return [{"key": key, "label": label, "value": network.get(key), "explanation": sentences.get(key, "")}
            for key, label in labelled(locale).items() if key in network]


async def index(request: Request) -> Response:
    if not is_coordinator(request):
        return refuse(request)
    states = request.app.state.workshops.states
    snapshots = request.app.state.snapshots.listing()
    by_workshop = defaultdict(list)
    for row in snapshots:
        by_workshop[row["workshop_id"]].append(row)
    territories: dict[str, dict] = {}
    for ws in sorted(states.values(), key=lambda w: w.created_at, reverse=True):
        entry = territories.setdefault(fold(ws.territory), {"name": ws.territory, "workshops": []})
        entry["workshops"].append({"ws": ws, "snapshots": by_workshop.get(ws.id, [])})
    return html(request, "review/index.html", territories=sorted(territories.values(), key=lambda t: fold(t["name"])))


def _snapshot_or_none(request: Request, snapshot_id: str):
    row = request.app.state.snapshots.get(snapshot_id)
    if row is None or not _can_review(request, row):
        return None
    return row


def ambition_of(snapshots, row: dict) -> dict | None:
    """The ambition that heads a wave: the one agreed in it, else the territory's latest agreed in
    an earlier wave (the change the territory seeks holds until it agrees another), else the
    statements still under discussion in this wave."""
    own = exports.ambition_statements(row["data"])
    if any(s.get("agreed") for s in own):
        return {"statements": own, "wave": None}
    for earlier in reversed(snapshots.listing()):
        # Taken in the same second counts as earlier: times are stored to the second.
        if earlier["id"] == row["id"] or fold(earlier["territory"]) != fold(row["territory"]) \
                or earlier["taken_at"] > row["taken_at"]:
            continue
        data = snapshots.get(earlier["id"])["data"]
        agreed = [s for s in exports.ambition_statements(data) if s.get("agreed")]
        if agreed:
            return {"statements": agreed, "wave": earlier["label"],
                    "workshop": (data.get("workshop") or {}).get("title", "")}
    return {"statements": own, "wave": None} if own else None


async def snapshot_page(request: Request) -> Response:
    row = _snapshot_or_none(request, request.path_params["snapshot_id"])
    if row is None:
        return refuse(request) if not is_coordinator(request) else html(request, "error.html", 404, message_key="not_found")
    siblings = [s for s in request.app.state.snapshots.listing()
                if fold(s["territory"]) == fold(row["territory"]) and s["id"] != row["id"] and s["ready"]]
    analysis = row["analysis"]
    return html(request, "review/snapshot.html", row=row, snap=row["data"], analysis=analysis,
                ambition=ambition_of(request.app.state.snapshots, row),
                figures=figures(analysis, locale_of(request)) if analysis else [],
                drawing=drawing(row["data"], analysis) if analysis else None,
                explanations=explained(locale_of(request)), siblings=siblings, exports=EXPORTS)


def _pair(request: Request):
    before = _snapshot_or_none(request, request.query_params.get("avant", ""))
    after = _snapshot_or_none(request, request.query_params.get("apres", ""))
    if before is None or after is None or not before["analysis"] or not after["analysis"]:
        return None
    result = compare(before["data"], after["data"], before["analysis"], after["analysis"])
    return before, after, result


async def comparison_page(request: Request) -> Response:
    pair = _pair(request)
    if pair is None:
        return refuse(request) if not is_coordinator(request) else html(request, "error.html", 404, message_key="not_found")
    before, after, result = pair
    matched, _ = match_actors(actor_records(before["data"]), actor_records(after["data"]))
    return html(request, "review/comparison.html", before=before, after=after, result=result,
                drawing_before=drawing(before["data"], before["analysis"], result["positions"], matched),
                drawing_after=drawing(after["data"], after["analysis"], result["positions"]),
                labels=labelled(locale_of(request)), explanations=explained(locale_of(request)))


async def indicators_page(request: Request) -> Response:
    """Common indicators across territories: each territory's latest rated wave, side by side."""
    if not is_coordinator(request):
        return refuse(request)
    store = request.app.state.snapshots
    latest: dict[str, dict] = {}
    for row in store.listing():
        latest[fold(row["territory"])] = row
    table: dict[str, dict] = {}
    territories = []
    for key, row in sorted(latest.items()):
        snap = store.get(row["id"])["data"]
        territories.append({"name": row["territory"], "label": row["label"], "id": row["id"]})
        for indicator in snap.get("indicators", []):
            if indicator.get("chosen") is False:
                continue
            name_key = indicator.get("library_id") or fold(indicator.get("name", ""))
            entry = table.setdefault(name_key, {"name": indicator.get("name", ""),
                                                "dimension": indicator.get("dimension", ""),
                                                "by_territory": {}})
            entry["by_territory"][row["territory"]] = indicator
    shared = sorted((e for e in table.values() if len(e["by_territory"]) > 1 or len(territories) == 1),
                    key=lambda e: (e["dimension"], e["name"]))
    return html(request, "review/indicators.html", territories=territories, rows=shared)


# Pages people read come in the reader's language; data files keep the workshop's data as stored
# (see exports/__init__.py). `lang` is the reader's locale.
EXPORTS = {
    "reseau.html": ("text/html; charset=utf-8", lambda s, a, sep, lang: exports.network_html(s, a, locale=lang)),
    "rapport.html": ("text/html; charset=utf-8", lambda s, a, sep, lang: exports.report_html(s, a, locale=lang)),
    "acteurs.csv": ("text/csv; charset=utf-8", lambda s, a, sep, lang: exports.actors_csv(s, a, sep=sep)),
    "liens.csv": ("text/csv; charset=utf-8", lambda s, a, sep, lang: exports.ties_csv(s, a, sep=sep)),
    "metriques.csv": ("text/csv; charset=utf-8", lambda s, a, sep, lang: exports.metrics_csv(s, a, sep=sep)),
    "indicateurs_reseau.csv": ("text/csv; charset=utf-8", lambda s, a, sep, lang: exports.network_csv(s, a, sep=sep)),
    "freins_leviers.csv": ("text/csv; charset=utf-8", lambda s, a, sep, lang: exports.levers_csv(s, a, sep=sep)),
    "indicateurs.csv": ("text/csv; charset=utf-8", lambda s, a, sep, lang: exports.indicators_csv(s, a, sep=sep)),
    "diagnostic.csv": ("text/csv; charset=utf-8", lambda s, a, sep, lang: exports.diagnosis_csv(s, a, sep=sep)),
    "diagnostic.json": ("application/json", lambda s, a, sep, lang: exports.diagnosis_json(s, a)),
    "ambition.csv": ("text/csv; charset=utf-8", lambda s, a, sep, lang: exports.ambition_csv(s, a, sep=sep)),
    "ambition.json": ("application/json", lambda s, a, sep, lang: exports.ambition_json(s, a)),
    "classeur.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      lambda s, a, sep, lang: exports.workbook_xlsx(s, a)),
    "reseau.gexf": ("application/xml", lambda s, a, sep, lang: exports.gexf_bytes(s, a)),
    "reseau.graphml": ("application/xml", lambda s, a, sep, lang: exports.graphml_bytes(s, a)),
    "reseau.json": ("application/json", lambda s, a, sep, lang: exports.json_bytes(s, a)),
    "dossier.zip": ("application/zip", lambda s, a, sep, lang: exports.evidence_pack(s, a)),
}


def _download(body, media: str, filename: str) -> Response:
    payload = body.encode("utf-8") if isinstance(body, str) else body
    return Response(payload, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


async def export(request: Request) -> Response:
    row = _snapshot_or_none(request, request.path_params["snapshot_id"])
    name = request.path_params["name"]
    if row is None or name not in EXPORTS or not row["analysis"]:
        return html(request, "error.html", 404, message_key="not_found")
    media, build = EXPORTS[name]
    sep = ";" if request.query_params.get("sep") == ";" else ","
    return _download(build(row["data"], row["analysis"], sep, locale_of(request)), media, f"{row['id']}-{name}")


async def comparison_export(request: Request) -> Response:
    pair = _pair(request)
    name = request.path_params["name"]
    if pair is None:
        return html(request, "error.html", 404, message_key="not_found")
    before, after, result = pair
    sep = ";" if request.query_params.get("sep") == ";" else ","
    builders = {
        "comparaison.html": ("text/html; charset=utf-8",
                             lambda: exports.comparison_report_html(result, locale=locale_of(request))),
        "changements.csv": ("text/csv; charset=utf-8", lambda: exports.changes_csv(result, sep=sep)),
        "reseau.html": ("text/html; charset=utf-8",
                        lambda: exports.network_html(after["data"], after["analysis"], comparison=result,
                                                     locale=locale_of(request))),
        "dossier.zip": ("application/zip",
                        lambda: exports.evidence_pack(after["data"], after["analysis"], comparison=result)),
    }
    if name not in builders:
        return html(request, "error.html", 404, message_key="not_found")
    media, build = builders[name]
    return _download(build(), media, f"{before['id']}-{after['id']}-{name}")
