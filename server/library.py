"""The common indicator library: kept in SQLite, edited by coordinators, copied onto workshop boards.

Every change saves a whole new version of the library (one row holding one JSON
document) in one transaction, so a library is never half-written and earlier
versions can still be exported. Until a coordinator saves one, the library is
the one shipped in boards/data/indicators.json.

Also here, the two HTTP routes of the indicators board: seeding a board from
the library (and the territory's previous wave), and a participant's own panel.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from boards.indicators import library as lib
from boards import indicators, rules
from boards.errors import Refusal
from boards.model import FACILITATOR, Actor

from exports import csvfile

from . import auth, render
from .coordinator import is_coordinator, is_national, refuse
from .i18n import translate
from .pages import html, locale_of
from .store import now

SHIPPED = Path(__file__).resolve().parent.parent / "boards" / "data" / "indicators.json"
UPLOAD_MAX = 1_000_000
HOME = "/coordination/bibliotheque"


class Stale(Exception):
    """The library changed between the moment a form was shown and the moment it was sent."""


@lru_cache(maxsize=1)
def shipped() -> tuple[dict, ...]:
    return tuple(lib.parse_json(SHIPPED.read_text("utf-8")))


def current(db, version: int | None = None) -> tuple[int, list[dict]]:
    """(version, library): the latest saved, or `version`; version 0 is the shipped library."""
    if version == 0:
        return 0, [dict(item) for item in shipped()]
    if version is None:
        row = db.execute("SELECT version, document FROM indicator_library ORDER BY version DESC LIMIT 1").fetchone()
    else:
        row = db.execute("SELECT version, document FROM indicator_library WHERE version = ?", [version]).fetchone()
    if row is None:
        if version is not None:
            raise KeyError(version)
        return 0, [dict(item) for item in shipped()]
    return row[0], json.loads(row[1])


def history(db, limit: int = 10) -> list[dict]:
    rows = db.query("SELECT version, saved_at, action, detail, document "
                    "FROM indicator_library ORDER BY version DESC LIMIT ?", [limit])
    return [{**{k: v for k, v in row.items() if k != "document"}, "size": len(json.loads(row["document"]))}
            for row in rows]


def save(db, base: int, library: list[dict], action: str, detail: str = "") -> int:
    """Stores `library` as the version after `base`, or raises Stale if `base` is no longer the latest."""
    with db.atomic():
        latest = db.execute("SELECT COALESCE(MAX(version), 0) FROM indicator_library").fetchone()[0]
        if latest != base:
            raise Stale(latest)
        db.execute("INSERT INTO indicator_library (version, saved_at, action, detail, document) VALUES (?, ?, ?, ?, ?)",
                   [base + 1, now(), action, detail[:200], json.dumps(library, ensure_ascii=False)])
    return base + 1


# Coordinator pages -----------------------------------------------------------------

def _texts(request: Request, refusal: lib.LibraryInvalid) -> list[str]:
    locale = locale_of(request)
    return [problem.text(lambda message: translate(locale, message)) for problem in refusal.problems]


def _index(request: Request, status: int = 200, problems: list[str] | None = None, filename: str = "") -> Response:
    db = request.app.state.store
    version, library = current(db)
    return html(request, "library/index.html", status, version=version, groups=lib.grouped(library),
                count=len(library), history=history(db), problems=problems or [], filename=filename,
                done=request.query_params.get("fait", ""), upload_max=UPLOAD_MAX // 1000,
                editable=is_national(request))


def _national_only(request: Request) -> Response:
    """A territory's coordinator reads the common library; the national coordination changes it."""
    if not is_coordinator(request):
        return refuse(request)
    return html(request, "error.html", 403, message_key=None, message=translate(
        locale_of(request), "La bibliothèque commune est modifiée par la coordination nationale ; vous pouvez la lire et l'exporter."))


def _stale(request: Request) -> Response:
    message = translate(locale_of(request), "La bibliothèque a été modifiée entre-temps : rien n'a été enregistré. "
                                            "Rechargez la page et recommencez.")
    return _index(request, 409, [message])


def _base(form) -> int:
    raw = str(form.get("version", ""))
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else -1


async def index(request: Request) -> Response:
    if not is_coordinator(request):
        return refuse(request)
    return _index(request)


async def legacy(request: Request) -> Response:
    return RedirectResponse(HOME, status_code=303)


async def export(request: Request) -> Response:
    if not is_coordinator(request):
        return refuse(request)
    kind = request.path_params["format"]
    asked = request.query_params.get("version", "")
    try:
        version, library = current(request.app.state.store, int(asked) if asked.isascii() and asked.isdigit() else None)
    except KeyError:
        raise HTTPException(404) from None
    if kind == "csv":
        body, media = csvfile.write(lib.table(library)), "text/csv; charset=utf-8"
    elif kind == "json":
        body, media = lib.to_json(library), "application/json"
    else:
        raise HTTPException(404)
    name = f"bibliotheque-indicateurs-v{version}.{kind}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                     "Cache-Control": "no-store"})


async def import_file(request: Request) -> Response:
    if not is_national(request):
        return _national_only(request)
    locale = locale_of(request)
    too_big = [translate(locale, "Fichier trop gros ou envoi illisible (%(max)s ko au plus).", {"max": UPLOAD_MAX // 1000})]
    # Starlette spools uploaded files to disk without a limit: refuse large bodies before reading them.
    length = request.headers.get("content-length", "")
    if not (length.isascii() and length.isdigit()) or int(length) > UPLOAD_MAX + 64_000:
        return _index(request, 413, too_big)
    try:
        form = await request.form(max_files=1, max_fields=5, max_part_size=64_000)
    except HTTPException:
        return _index(request, 400, too_big)
    upload = form.get("fichier")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _index(request, 400, [translate(locale, "Choisissez un fichier .csv ou .json à importer.")])
    data = await upload.read(UPLOAD_MAX + 1)
    filename = Path(upload.filename).name[:120]
    if len(data) > UPLOAD_MAX:
        return _index(request, 413, too_big, filename)
    try:
        library = lib.parse_file(filename, data)
        save(request.app.state.store, _base(form), library, "import", filename)
    except lib.LibraryInvalid as refusal:
        return _index(request, 400, _texts(request, refusal), filename)
    except Stale:
        return _stale(request)
    return RedirectResponse(f"{HOME}?fait=import", status_code=303)


def _edit(request: Request, item: dict | None, original: str, status: int = 200,
          problems: list[str] | None = None, version: int | None = None) -> Response:
    latest, library = current(request.app.state.store)
    return html(request, "library/edit.html", status, item=item or {}, original=original,
                dimensions=lib.dimensions(library), version=latest if version is None else version,
                problems=problems or [], limits=lib.LIMITS)


async def edit_form(request: Request) -> Response:
    if not is_national(request):
        return _national_only(request)
    wanted = request.query_params.get("id", "")
    _, library = current(request.app.state.store)
    item = next((i for i in library if i["id"] == wanted), None)
    if wanted and item is None:
        raise HTTPException(404)
    return _edit(request, item, wanted)


async def save_indicator(request: Request) -> Response:
    if not is_national(request):
        return _national_only(request)
    form = await request.form()
    original = str(form.get("original", "")) or None
    fields = {key: str(form.get(key, "")) for key in lib.KEYS}
    if str(form.get("dimension_new", "")).strip():
        fields["dimension"] = str(form["dimension_new"])
    db = request.app.state.store
    base = _base(form)
    _, library = current(db)
    try:
        changed = lib.replace(library, original, fields)
        save(db, base, changed, "edit" if original else "add", lib.clean(fields["id"]))
    except lib.LibraryInvalid as refusal:
        return _edit(request, fields, original or "", 400, _texts(request, refusal), base)
    except Stale:
        return _stale(request)
    return RedirectResponse(f"{HOME}?fait={'edit' if original else 'add'}", status_code=303)


async def delete(request: Request) -> Response:
    if not is_national(request):
        return _national_only(request)
    form = await request.form()
    target = str(form.get("id", ""))
    db = request.app.state.store
    _, library = current(db)
    item = next((i for i in library if i["id"] == target), None)
    if form.get("confirm") != "oui":
        message = translate(locale_of(request), "Cochez la case pour confirmer la suppression.")
        return _edit(request, item, target, 400, [message], _base(form))
    try:
        save(db, _base(form), lib.remove(library, target), "delete", target)
    except lib.LibraryInvalid as refusal:
        return _edit(request, item, target if item else "", 400, _texts(request, refusal), _base(form))
    except Stale:
        return _stale(request)
    return RedirectResponse(f"{HOME}?fait=delete", status_code=303)


# The indicators board ----------------------------------------------------------------

def _board(request: Request):
    ws = request.app.state.workshops.get(request.path_params["workshop_id"])
    board = ws.board(request.path_params["board_id"]) if ws else None
    if board is None or board.kind != indicators.KIND:
        raise HTTPException(404)
    return ws, board


async def seed(request: Request) -> Response:
    """POST by the facilitator: the board starts from the library, and from the territory's previous wave."""
    ws, board = _board(request)
    facilitator = auth.facilitator_of(request.session, ws.id)
    if facilitator is None:
        return html(request, "error.html", 403, message_key="facilitator_only")
    workshops = request.app.state.workshops
    _, library = current(request.app.state.store)
    previous = indicators.previous_wave(workshops.states.values(), ws)
    try:
        # Decided and committed with no await in between, like every other action of this workshop.
        events = rules.decide(ws, Actor(facilitator, FACILITATOR), indicators.Seed(board.id, tuple(library), previous))
        workshops.commit(ws, events)
    except Refusal as refusal:
        message = translate(locale_of(request), refusal.message, refusal.params)
        return html(request, "library/seed_refused.html", 409, message=message, ws=ws)
    return RedirectResponse(f"/a/{ws.id}/animation", status_code=303)


def _reader(request: Request, ws) -> str | None:
    """Whose panel: the signed-in participant, or the person a helper types for on a proxy page."""
    page = urlsplit(request.headers.get("hx-current-url", "")).path
    prefix = f"/a/{ws.id}/pour/"
    if page.startswith(prefix):
        person = page[len(prefix):].strip("/")
        return person if auth.proxy_helper(request.session, ws, person) else None
    return auth.participant_of(request.session, ws.id)


async def my_panel(request: Request) -> Response:
    """A participant's own dots, points or answers, for a page whose stage was rendered for everyone."""
    ws, board = _board(request)
    me = _reader(request, ws)
    person = ws.participants.get(me or "")
    if person is None or person.removed:
        return Response(status_code=403)
    macros = render.env(locale_of(request)).get_template("boards/indicators.html").module
    return HTMLResponse(str(macros.mine(ws, board, me)), headers={"Cache-Control": "no-store"})
