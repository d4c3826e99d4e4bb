"""Coordinator review: territories, snapshots, wave comparison, common indicators, exports.

Everything that costs CPU on a large wave (parsing it, drawing it, comparing two waves,
following a territory over its waves, building an export) runs in the snapshots' worker
process (exports/jobs.py), or here when the stored text is small (``_off_loop``); a handler
here reads the stored text, checks who asks, and waits.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from boards.network.text import ACTOR_LABELS, EXPLANATIONS, NETWORK_LABELS
from exports import jobs
from exports.ambition import statements as ambition_statements
from boards.systems import waves as systems_waves
from exports.report import change_rows, spell_figure
from exports.rows import idea_boards
from exports.templating import number, percent

from . import auth
from .coordinator import is_coordinator, may_review, refuse, scope
from .i18n import translate
from .pages import fold, html, locale_of

def _can_review(request: Request, snapshot: dict) -> bool:
    return may_review(request, snapshot["territory"]) or bool(auth.facilitator_of(request.session, snapshot["workshop_id"]))


def explained(locale: str) -> dict:
    """The plain-language sentence of every metric, in the reader's language."""
    return {key: translate(locale, text) for key, text in EXPLANATIONS.items()}


def labelled(locale: str) -> dict:
    return {key: translate(locale, text) for key, text in NETWORK_LABELS.items()}


def actor_labelled(locale: str) -> dict:
    return {key: translate(locale, text) for key, text in ACTOR_LABELS.items()}


def figures(analysis: dict, locale: str) -> list[dict]:
    """Each figure spelled as the report spells it (exports.report), in the reader's language."""
    network, sentences = analysis["network"], explained(locale)
    return [{"key": key, "label": label, "value": spell_figure(key, network.get(key), locale),
             "explanation": sentences.get(key, "")}
            for key, label in labelled(locale).items() if key in network]


class Spelling:
    """Numbers for the review templates, formatted like the exports (Babel, reader's locale)."""

    def __init__(self, locale: str):
        self.locale = locale

    def num(self, value, digits: int = 2) -> str:
        return number(value, digits, self.locale)

    def pct(self, value, digits: int = 1) -> str:
        return percent(value, digits, self.locale)

    def points(self, delta) -> str:
        """A change of a share, in percentage points with its sign."""
        return ("+" if delta > 0 else "") + number(delta * 100, 1, self.locale) + "\u202fpt"


async def index(request: Request) -> Response:
    allowed = scope(request)
    if allowed is None:
        return refuse(request)
    states = {key: ws for key, ws in request.app.state.workshops.states.items() if allowed.allows(ws.territory)}
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
    """The stored row (data and analysis as JSON text) if the reader may review it."""
    row = request.app.state.snapshots.raw(snapshot_id)
    if row is None or not _can_review(request, row):
        return None
    return row


def _territory_waves(request: Request, row: dict) -> list[dict]:
    """The territory's waves the reader may review, in wave order, up to this one (included)."""
    mine = fold(row["territory"])
    waves = [s for s in request.app.state.snapshots.listing()
             if fold(s["territory"]) == mine and _can_review(request, s)
             and (s["taken_at"], s["seq"], s["id"]) <= (row["taken_at"], row["seq"], row["id"])]
    waves.sort(key=lambda s: (s["taken_at"], s["seq"], s["id"]))
    return waves


async def ambition_of(request: Request, row: dict, head: dict) -> dict | None:
    """The ambition that heads a wave: the one agreed in it, else the territory's latest agreed in
    an earlier wave (the change the territory seeks holds until it agrees another), else the
    statements still under discussion in this wave. Earlier waves are read in the worker, the
    latest first, until one holds an agreed ambition."""
    own = ambition_statements(head)
    if any(s.get("agreed") for s in own):
        return {"statements": own, "wave": None}
    snapshots = request.app.state.snapshots
    for earlier in reversed(snapshots.listing()):
        # Taken in the same second counts as earlier: times are stored to the second.
        if earlier["id"] == row["id"] or fold(earlier["territory"]) != fold(row["territory"]) \
                or earlier["taken_at"] > row["taken_at"]:
            continue
        text = snapshots.column([earlier["id"]], "data").get(earlier["id"])
        found = await _off_loop(request, len(text or ""), jobs.agreed_ambition, text) if text else None
        if found:
            return {**found, "wave": earlier["label"]}
    return {"statements": own, "wave": None} if own else None


async def _series(request: Request, row: dict, locale: str) -> dict | None:
    """The territory followed over its waves up to this one, or None with a single wave."""
    waves = [w for w in _territory_waves(request, row) if w["ready"] or w["id"] == row["id"]]
    if len(waves) < 2 or not row["analysis"]:
        return None
    texts = request.app.state.snapshots.column([w["id"] for w in waves if w["id"] != row["id"]], "analysis")
    texts[row["id"]] = row["analysis"]
    history = tuple((w["label"], w["taken_at"], texts[w["id"]]) for w in waves if texts.get(w["id"]))
    actor = request.query_params.get("acteur", "")[:200] or None
    return await _off_loop(request, sum(len(t) for _, _, t in history), jobs.series_part,
                           history, locale, actor)


async def snapshot_page(request: Request) -> Response:
    row = _snapshot_or_none(request, request.path_params["snapshot_id"])
    if row is None:
        return refuse(request) if not is_coordinator(request) else html(request, "error.html", 404, message_key="not_found")
    siblings = [s for s in request.app.state.snapshots.listing()
                if fold(s["territory"]) == fold(row["territory"]) and s["id"] != row["id"] and s["ready"]]
    locale = locale_of(request)
    if row["analysis"]:
        parts, series = await asyncio.gather(
            _off_loop(request, len(row["data"]) + len(row["analysis"]), jobs.snapshot_page,
                      row["data"], row["analysis"], locale, translate(locale, "Réseau de coopération")),
            _series(request, row, locale))
        snap, analysis, svg = parts["snap"], parts["analysis"], Markup(parts["svg"])
        density = parts["density"]
    else:  # analysis still running (in the worker): the page says so; the worker reads the header
        snap = await _off_loop(request, len(row["data"]), jobs.header, row["data"])
        analysis, svg, density, series = None, None, {}, None
    return html(request, "review/snapshot.html", row=row, snap=snap, analysis=analysis, density=density,
                figures=figures(analysis, locale) if analysis else [], network_svg=svg,
                explanations=explained(locale), actor_labels=actor_labelled(locale),
                siblings=siblings, ideas=idea_boards(snap),
                ambition=await ambition_of(request, row, snap), series=series,
                fmt=Spelling(locale))


# A wave this small (as stored JSON) is read in a few milliseconds: its page is built here
# rather than waiting for the worker process, which may be starting or busy with an analysis.
INLINE_LIMIT = 100_000


async def _off_loop(request: Request, size: int, function, *args):
    """``function(*args)`` in the worker process, or here when the text it reads is small."""
    if size <= INLINE_LIMIT:
        return function(*args)
    return await request.app.state.snapshots.run(function, *args)


def _pair(request: Request):
    before = _snapshot_or_none(request, request.query_params.get("avant", ""))
    after = _snapshot_or_none(request, request.query_params.get("apres", ""))
    if before is None or after is None or not before["analysis"] or not after["analysis"]:
        return None
    # A comparison always reads from the earlier wave to the later one, whichever way a form
    # named them: arrivals, departures and every sign depend on it.
    if (after["taken_at"], after["seq"]) < (before["taken_at"], before["seq"]):
        before, after = after, before
    return before, after


async def comparison_page(request: Request) -> Response:
    pair = _pair(request)
    if pair is None:
        return refuse(request) if not is_coordinator(request) else html(request, "error.html", 404, message_key="not_found")
    before, after = pair
    locale = locale_of(request)
    parts = await request.app.state.snapshots.run(
        jobs.comparison_page, (before["data"], before["analysis"]), (after["data"], after["analysis"]),
        (before["label"], after["label"]), locale)
    before, after = ({**row, "data": head} for row, head in zip((before, after), parts["headers"]))
    return html(request, "review/comparison.html", before=before, after=after, result=parts["result"],
                svg_before=Markup(parts["svgs"][0]), svg_after=Markup(parts["svgs"][1]),
                labels=labelled(locale), explanations=explained(locale),
                changes=change_rows(parts["result"], locale), fmt=Spelling(locale),
                systems=systems_waves.compare(before["data"], after["data"]))


async def indicators_page(request: Request) -> Response:
    """Common indicators across territories: each territory's latest rated wave, side by side."""
    allowed = scope(request)
    if allowed is None:
        return refuse(request)
    store = request.app.state.snapshots
    latest: dict[str, dict] = {}
    for row in store.listing():
        if allowed.allows(row["territory"]):
            latest[fold(row["territory"])] = row
    table: dict[str, dict] = {}
    territories = []
    rows = [row for _, row in sorted(latest.items())]
    texts = store.column([row["id"] for row in rows], "data")
    # Each wave is parsed in the worker when large: a map of thousands of actors is megabytes.
    kept = await asyncio.gather(*(_off_loop(request, len(texts[row["id"]]), jobs.chosen_indicators,
                                            texts[row["id"]]) for row in rows))
    for row, indicators in zip(rows, kept):
        territories.append({"name": row["territory"], "label": row["label"], "id": row["id"]})
        for indicator in indicators:
            name_key = indicator.get("library_id") or fold(indicator.get("name", ""))
            entry = table.setdefault(name_key, {"name": indicator.get("name", ""),
                                                "dimension": indicator.get("dimension", ""),
                                                "by_territory": {}})
            entry["by_territory"][row["territory"]] = indicator
    shared = sorted((e for e in table.values() if len(e["by_territory"]) > 1 or len(territories) == 1),
                    key=lambda e: (e["dimension"], e["name"]))
    return html(request, "review/indicators.html", territories=territories, rows=shared,
                fmt=Spelling(locale_of(request)))


# Opened in the browser rather than saved: the report is read there and printed from there.
INLINE = {"rapport.html", "comparaison.html"}


def _download(body, media: str, filename: str, name: str = "") -> Response:
    payload = body.encode("utf-8") if isinstance(body, str) else body
    how = "inline" if name in INLINE else "attachment"
    return Response(payload, media_type=media, headers={
        "Content-Disposition": f'{how}; filename="{filename}"', "Cache-Control": "no-store"})


MEDIA = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "gexf": "application/xml", "graphml": "application/xml", "json": "application/json",
         "zip": "application/zip"}


async def export(request: Request) -> Response:
    row = _snapshot_or_none(request, request.path_params["snapshot_id"])
    name = request.path_params["name"]
    if row is None or name not in jobs.BUILDERS or not row["analysis"]:
        return html(request, "error.html", 404, message_key="not_found")
    sep = ";" if request.query_params.get("sep") == ";" else ","
    history = ()
    if name == "rapport.html":  # the report follows the territory over its earlier waves too
        earlier = [w for w in _territory_waves(request, row) if w["id"] != row["id"] and w["ready"]]
        texts = request.app.state.snapshots.column([w["id"] for w in earlier], "analysis")
        history = tuple((w["label"], w["taken_at"], texts[w["id"]]) for w in earlier if texts.get(w["id"]))
    body = await request.app.state.snapshots.run(jobs.export, name, row["data"], row["analysis"], sep,
                                                 locale_of(request), history)
    return _download(body, MEDIA[name.rsplit(".", 1)[1]], f"{row['id']}-{name}", name)


async def comparison_export(request: Request) -> Response:
    pair = _pair(request)
    name = request.path_params["name"]
    if pair is None or name not in jobs.COMPARISON_BUILDERS:
        return html(request, "error.html", 404, message_key="not_found")
    before, after = pair
    sep = ";" if request.query_params.get("sep") == ";" else ","
    body = await request.app.state.snapshots.run(
        jobs.comparison_export, name, (before["data"], before["analysis"]), (after["data"], after["analysis"]),
        sep, locale_of(request))
    return _download(body, MEDIA[name.rsplit(".", 1)[1]], f"{before['id']}-{after['id']}-{name}", name)
