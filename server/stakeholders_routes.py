"""HTTP for the stakeholder map: CSV import (a facilitator's upload) and CSV exports.

The import is decided by the core like any action and committed through the live
workshops, so every screen sees the new actors at once; nothing is stored when the file
or the map refuses it. Both directions are for the facilitator's session only.
"""

from __future__ import annotations

import re
import unicodedata

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from boards import stakeholders
from boards.stakeholders import actor_csv
from boards.errors import Refusal, Rejected
from boards.i18n import N_
from boards.model import FACILITATOR, Actor

from exports import csvfile

from . import auth, render
from .i18n import translate
from .pages import html, locale_of

# The multipart envelope around the file: boundaries, headers, the button.
ENVELOPE = 16 * 1024


def _facilitated_map(request: Request):
    """(workshop, board, facilitator id), or an error response."""
    ws = request.app.state.workshops.get(request.path_params["workshop_id"])
    if ws is None:
        return None, html(request, "error.html", 404, message_key="not_found")
    person = auth.facilitator_of(request.session, ws.id)
    if not person:
        return None, html(request, "error.html", 403, message_key="facilitator_only")
    board = ws.board(request.path_params["board_id"])
    if board is None or board.kind != stakeholders.KIND:
        return None, html(request, "error.html", 404, message_key="not_found")
    return (ws, board, person), None


def _result(locale: str, **values) -> HTMLResponse:
    """The import's outcome, swapped by htmx into the form's result area (so always a 200)."""
    macros = render.env(locale).get_template("boards/stakeholders.html").module
    defaults = {"added": 0, "skipped": [], "problems": [], "message": ""}
    return HTMLResponse(str(macros.import_result(**{**defaults, **values})))


def _refused(locale: str, refusal: Refusal) -> HTMLResponse:
    problems = getattr(refusal, "problems", None) or [refusal]
    message = translate(locale, N_("Rien n'a été importé : corrigez le fichier puis recommencez."))
    return _result(locale, message=message,
                   problems=[translate(locale, p.message, p.params) for p in problems])


async def _upload(request: Request) -> bytes:
    length = request.headers.get("content-length", "")
    if not (length.isascii() and length.isdigit()) or int(length) > actor_csv.MAX_BYTES + ENVELOPE:
        raise Rejected(N_("Le fichier dépasse %(max)s Ko."), max=actor_csv.MAX_BYTES // 1024)
    try:
        async with request.form(max_files=1, max_fields=4, max_part_size=ENVELOPE) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise Rejected(N_("Choisissez un fichier CSV à importer."))
            return await upload.read(actor_csv.MAX_BYTES + 1)
    except Refusal:
        raise
    except Exception:
        raise Rejected(N_("Le fichier envoyé n'a pas pu être lu."))


async def import_actors(request: Request) -> Response:
    found, error = _facilitated_map(request)
    if error:
        return error
    ws, board, person = found
    locale = locale_of(request)
    try:
        data = await _upload(request)
        # From here on nothing awaits: decide and commit see the same state.
        if ws.board(board.id) is not board:
            raise Rejected(N_("Ce tableau n'existe pas."))
        rows = actor_csv.read_actors(data, board.data.actor_types)
        events, skipped = stakeholders.decide_import(ws, board.id, Actor(person, FACILITATOR), rows)
        request.app.state.workshops.commit(ws, events)
    except Refusal as refusal:
        return _refused(locale, refusal)
    added = len(events[0]["actors"]) if events else 0
    return _result(locale, added=added, skipped=skipped)


def _download(body: bytes, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _file_name(ws, what: str) -> str:
    """An ASCII file name from the workshop's title: header values are Latin-1 at best."""
    bare = unicodedata.normalize("NFKD", ws.title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", bare).strip("-")[:40] or ws.id
    what = unicodedata.normalize("NFKD", what).encode("ascii", "ignore").decode()
    return f"{what}-{slug}.csv"


async def export_actors(request: Request) -> Response:
    found, error = _facilitated_map(request)
    if error:
        return error
    ws, board, _ = found
    locale = locale_of(request)
    headers = [translate(locale, h) for h in actor_csv.ACTOR_HEADERS]
    rows = actor_csv.actor_rows(stakeholders.freeze(board), headers, lambda z: translate(locale, z))
    return _download(csvfile.write(rows), _file_name(ws, translate(locale, N_("acteurs"))))


async def export_ties(request: Request) -> Response:
    found, error = _facilitated_map(request)
    if error:
        return error
    ws, board, _ = found
    locale = locale_of(request)
    headers = [translate(locale, h) for h in actor_csv.TIE_HEADERS]
    rows = actor_csv.tie_rows(stakeholders.freeze(board), headers, translate(locale, actor_csv.BOTH_WAYS),
                              translate(locale, actor_csv.ONE_WAY))
    return _download(csvfile.write(rows), _file_name(ws, translate(locale, N_("liens"))))
