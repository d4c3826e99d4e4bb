"""Agenda templates: the ready-made ones and those facilitators saved, applied to a workshop."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from boards import console
from boards.actions import Text
from boards.errors import Refusal, Rejected
from boards.i18n import N_
from boards.model import FACILITATOR, Actor

from . import auth
from .i18n import LOCALES, translate
from .pages import html, locale_of
from .store import now

NAME = Text(60)


def saved(db, territory: str | None = None) -> list[dict]:
    sql, params = "SELECT id, name, territory, boards FROM agenda_templates", []
    if territory is not None:
        sql, params = sql + " WHERE territory = ?", [territory]
    return list(db.query(sql + " ORDER BY name", params))


def _same(title: str) -> str:
    return " ".join(title.casefold().split())


def not_in_agenda(ws, entries) -> list[tuple[str, str]]:
    """The (kind, title) entries of a template that the agenda does not hold yet.

    A board already there (the default "Diagnostic partagé", a board added by hand under the
    same name, in either language) is kept as it is, never added twice: its notes stay in one place.
    """
    present = {(board.kind, _same(board.title)) for board in ws.boards.values()}
    missing = []
    for kind, title, source in entries:
        names = {_same(title), *(_same(translate(locale, source)) for locale in LOCALES)}
        if any((kind, name) in present for name in names):
            continue
        present.add((kind, _same(title)))
        missing.append((kind, title))
    return missing


def _facilitated(request: Request):
    ws = request.app.state.workshops.get(request.path_params["workshop_id"])
    person = auth.facilitator_of(request.session, ws.id) if ws else None
    return ws, person


async def apply(request: Request) -> Response:
    ws, person = _facilitated(request)
    if person is None:
        return html(request, "error.html", 403, message_key="facilitator_only")
    form = await request.form()
    choice = str(form.get("template", ""))
    locale = locale_of(request)
    if choice in console.TEMPLATES:
        entries = [(kind, translate(locale, title), title) for kind, title in console.TEMPLATES[choice][1]]
    elif choice.startswith("saved:") and choice[6:].isascii() and choice[6:].isdigit():
        rows = [r for r in saved(request.app.state.store) if r["id"] == int(choice[6:])]
        entries = [(kind, title, title) for kind, title in json.loads(rows[0]["boards"])] if rows else []
    else:
        entries = []
    workshops = request.app.state.workshops
    try:
        if not entries:
            raise Rejected(N_("Ce modèle n'existe pas."))
        missing = not_in_agenda(ws, entries)
        if not missing:
            raise Rejected(N_("Tous les tableaux de ce modèle sont déjà dans l'ordre du jour."))
        events = console.template_events(ws, missing)
        for event in events:
            event["by"] = Actor(person, FACILITATOR).participant
        workshops.commit(ws, events)
    except Refusal as refusal:
        return html(request, "error.html", 400, message_key=None,
                    message=translate(locale, refusal.message, refusal.params))
    return RedirectResponse(f"/a/{ws.id}/animation", status_code=303)


async def save(request: Request) -> Response:
    ws, person = _facilitated(request)
    if person is None:
        return html(request, "error.html", 403, message_key="facilitator_only")
    form = await request.form()
    locale = locale_of(request)
    try:
        name = NAME.read(translate(locale, "nom"), form.get("name", ""))
    except Refusal as refusal:
        return html(request, "error.html", 400, message_key=None,
                    message=translate(locale, refusal.message, refusal.params))
    entries = [(board.kind, board.title) for board in ws.boards.values()]
    db = request.app.state.store
    with db.atomic():
        db.execute("INSERT INTO agenda_templates (name, territory, boards, created_at) VALUES (?, ?, ?, ?)",
                   [name, ws.territory, json.dumps(entries, ensure_ascii=False), now()])
    return RedirectResponse(f"/a/{ws.id}/animation", status_code=303)
