"""The pages of privacy: a participant's own contributions (to read and delete) and the deletion of a
whole workshop by its facilitator.

Contributions are found without knowing the board kinds: a board's data holds collections (dicts)
of items, and an item with an `author` is someone's contribution. It is deleted through the core,
with the kind's own action taking the board and the item (`note.delete`, `card.delete`,
`indicator.withdraw` ...), so the rules (a closed board, a locked workshop) and the live screens
apply as for any action; then its words are erased from the event log.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from boards import rules
from boards.actions import REGISTRY
from boards.errors import Refusal
from boards.kinds import KINDS
from boards.model import FACILITATOR, PARTICIPANT, Actor, Board, Workshop

from .. import auth, privacy
from ..i18n import translate
from ..pages import html, locale_of

ENDINGS = (".delete", ".withdraw", ".remove")
WORDS = ("text", "name", "label", "title", "definition")


@dataclass
class Contribution:
    board: Board
    key: str          # the action field naming the item: "note", "card", "actor" ...
    item: str
    text: str
    action: str       # the wire name of the action that deletes it


def _delete_action(kind, key: str):
    """The kind's action that deletes one item named by `key`, all its other fields optional."""
    for cls in getattr(kind, "ACTIONS", ()):
        names = {f.name: f for f in dataclasses.fields(cls)}
        others = [f for n, f in names.items() if n not in ("board", key)]
        if cls.TYPE.endswith(ENDINGS) and key in names and "board" in names and not cls.FACILITATOR_ONLY \
                and all(f.default is not dataclasses.MISSING for f in others):
            return cls
    return None


def contributions(ws: Workshop, me: str) -> list[Contribution]:
    found = []
    for board in ws.boards.values():
        kind = KINDS[board.kind]
        data = board.data
        if not dataclasses.is_dataclass(data):
            continue
        for f in dataclasses.fields(data):
            collection = getattr(data, f.name)
            if not isinstance(collection, dict):
                continue
            for item_id, item in collection.items():
                if getattr(item, "author", None) != me:
                    continue
                key = type(item).__name__.lower()
                action = _delete_action(kind, key) or _delete_action(kind, f.name.rstrip("s"))
                if action is None:
                    continue
                key = next(n for n in (key, f.name.rstrip("s")) if n in {x.name for x in dataclasses.fields(action)})
                text = next((getattr(item, w) for w in WORDS if isinstance(getattr(item, w, None), str)), "")
                found.append(Contribution(board, key, item_id, text, action.TYPE))
    return found


def _me(request: Request, ws) -> tuple[str, str] | None:
    """Who this browser is in the workshop, and the role the core should see."""
    facilitator = auth.facilitator_of(request.session, ws.id)
    if facilitator and facilitator in ws.participants:
        return facilitator, FACILITATOR
    participant = auth.participant_of(request.session, ws.id)
    if participant and participant in ws.participants:
        return participant, PARTICIPANT
    return None


def _workshop(request: Request):
    return request.app.state.workshops.get(request.path_params["workshop_id"])


def _mine(request: Request) -> tuple[Workshop, tuple[str, str]] | Response:
    """The workshop and who the page is for; or the answer when there is no such workshop (404),
    or nobody of it on this browser (to the join form)."""
    ws = _workshop(request)
    if ws is None:
        return html(request, "error.html", 404, message_key="not_found")
    who = _me(request, ws)
    if who is None:
        return RedirectResponse(f"/rejoindre?code={ws.join_code}", status_code=303)
    return ws, who


async def mine(request: Request) -> Response:
    """GET /a/{id}/mes-contributions: what I wrote in this workshop, board by board."""
    found = _mine(request)
    if isinstance(found, Response):
        return found
    ws, who = found
    return _page(request, ws, who[0], done=request.query_params.get("fait") == "1")


def _page(request: Request, ws, me: str, status: int = 200, error: str | None = None,
          done: bool = False) -> Response:
    found = contributions(ws, me)
    boards = [(board, [c for c in found if c.board is board]) for board in ws.boards.values()]
    return html(request, "privacy/mine.html", status, ws=ws, person=ws.participants[me],
                boards=[(b, items) for b, items in boards if items], error=error, done=done)


async def delete_mine(request: Request) -> Response:
    """POST /a/{id}/mes-contributions: deletes one of my contributions, then its words from the log."""
    found = _mine(request)
    if isinstance(found, Response):
        return found
    ws, (me, role) = found
    form = await request.form()
    chosen = next((c for c in contributions(ws, me) if c.board.id == form.get("board")
                   and c.item == form.get("item")), None)
    locale = locale_of(request)
    if chosen is None:
        message = translate(locale, "Cette contribution n'existe plus ou n'est pas la vôtre.")
        return _page(request, ws, me, 400, error=message)
    workshops = request.app.state.workshops
    action = REGISTRY[chosen.action](**{"board": chosen.board.id, chosen.key: chosen.item})
    try:
        workshops.commit(ws, rules.decide(ws, Actor(me, role), action))
    except Refusal as refusal:
        message = translate(locale, refusal.message, refusal.params)
        return _page(request, ws, me, 409, error=message)
    privacy.redact(request.app, ws, chosen.board.id, chosen.key, chosen.item)
    return RedirectResponse(f"/a/{ws.id}/mes-contributions?fait=1", status_code=303)


def _facilitated(request: Request) -> Workshop | Response:
    """The workshop, when this browser facilitates it; or the answer: 404 when there is no such
    workshop, 403 for anyone else."""
    ws = _workshop(request)
    if ws is None:
        return html(request, "error.html", 404, message_key="not_found")
    if not auth.facilitator_of(request.session, ws.id):
        return html(request, "error.html", 403, message_key="facilitator_only")
    return ws


async def erase_form(request: Request) -> Response:
    """GET /a/{id}/supprimer: the facilitator confirms by typing the workshop's code."""
    ws = _facilitated(request)
    if isinstance(ws, Response):
        return ws
    return html(request, "privacy/erase.html", ws=ws, error=None)


async def erase(request: Request) -> Response:
    """POST /a/{id}/supprimer: deletes the workshop, its snapshots and every trace in the files."""
    ws = _facilitated(request)
    if isinstance(ws, Response):
        return ws
    form = await request.form()
    if auth.normalise_code(str(form.get("code", ""))) != ws.join_code:
        message = translate(locale_of(request), "Le code tapé n'est pas celui de l'atelier : rien n'a été supprimé.")
        return html(request, "privacy/erase.html", 400, ws=ws, error=message)
    title = ws.title
    privacy.erase(request.app, [ws.id])
    return html(request, "privacy/erased.html", title=title)
