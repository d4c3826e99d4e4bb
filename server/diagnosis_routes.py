"""HTTP for the shared diagnosis: carrying the territory's latest diagnosis wave into a board.

Snapshots live in the shell's store, so the shell finds the wave and the core decides what is
carried (boards.diagnosis.decide_carry); the events go through the live workshops like any action.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from boards import diagnosis
from boards.errors import Refusal, Rejected
from boards.i18n import N_
from boards.model import FACILITATOR, Actor

from . import auth, render
from .i18n import translate
from .pages import fold, html, locale_of


def latest_wave(snapshots, ws, board_id: str) -> dict | None:
    """The territory's most recent snapshot holding a diagnosis with items, this very board's own
    waves left out (its items are already here), with only its diagnosis boards."""
    for row in reversed(snapshots.listing()):
        if fold(row["territory"]) != fold(ws.territory):
            continue
        data = snapshots.get(row["id"])["data"]
        boards = [b for b in data.get("boards", []) if b.get("kind") == diagnosis.KIND and b.get("diagnosis")
                  and not (row["workshop_id"] == ws.id and b.get("id") == board_id)]
        if boards:
            return {**data, "boards": boards}
    return None


async def carry(request: Request) -> Response:
    """POST by the facilitator: the open items of the latest wave come into this board."""
    ws = request.app.state.workshops.get(request.path_params["workshop_id"])
    person = auth.facilitator_of(request.session, ws.id) if ws else None
    if person is None:
        return html(request, "error.html", 403, message_key="facilitator_only")
    board = ws.board(request.path_params["board_id"])
    if board is None or board.kind != diagnosis.KIND:
        return html(request, "error.html", 404, message_key="not_found")
    locale = locale_of(request)
    macros = render.env(locale).get_template("boards/diagnosis.html").module
    try:
        wave = latest_wave(request.app.state.snapshots, ws, board.id)
        if wave is None:
            raise Rejected(N_("Aucun diagnostic précédent de ce territoire n'a d'élément ouvert à reprendre."))
        decided: list[dict] = []

        def decide(state):
            # Decided inside the write transaction, on the latest state.
            here = state.board(board.id)
            if here is None or here.kind != diagnosis.KIND:
                raise Rejected(N_("Ce tableau n'existe pas."))
            decided[:] = diagnosis.decide_carry(state, here, Actor(person, FACILITATOR), wave)
            return decided

        request.app.state.workshops.commit(ws, decide)
    except Refusal as refusal:
        message = translate(locale, refusal.message, refusal.params)
        return HTMLResponse(str(macros.carry_result(0, "", message)))
    return HTMLResponse(str(macros.carry_result(len(decided[0]["items"]), wave.get("label", ""), "")))
