"""apply(state, event) -> state. Loading a workshop is replaying its events."""

from __future__ import annotations

from typing import Iterable

from . import console
from .kinds import KINDS
from .model import PARTICIPANT, Board, Participant, Workshop


def replay(workshop_id: str, events: Iterable[dict]) -> Workshop:
    ws = Workshop(id=workshop_id)
    for event in events:
        apply(ws, event)
    return ws


def apply(ws: Workshop, event: dict) -> Workshop:
    handler = _GENERIC.get(event["type"])
    if handler is not None:
        handler(ws, event)
    else:
        board = ws.boards[event["board"]]
        KINDS[board.kind].apply(ws, board, event)
        if event.get("by"):
            counts = ws.activity.setdefault(board.id, {})
            counts[event["by"]] = counts.get(event["by"], 0) + 1
    ws.seq = event["seq"]
    return ws


def _created(ws: Workshop, e: dict) -> None:
    ws.title, ws.territory, ws.join_code = e["title"], e["territory"], e["join_code"]
    ws.created_at = e.get("at", "")


def _joined(ws: Workshop, e: dict) -> None:
    ws.participants[e["participant"]] = Participant(
        e["participant"], e["name"], e.get("organisation", ""), e["role"], joined_at=e.get("at", ""),
        offline=e.get("offline", False))
    if e["role"] == PARTICIPANT:
        ws.people_count += 1


def _renamed(ws: Workshop, e: dict) -> None:
    person = ws.participants[e["participant"]]
    person.name, person.organisation = e["name"], e["organisation"]


def _banned(ws: Workshop, e: dict) -> None:
    ws.participants[e["participant"]].banned = e["banned"]
    (ws.banned_ids.add if e["banned"] else ws.banned_ids.discard)(e["participant"])


def _removed(ws: Workshop, e: dict) -> None:
    person = ws.participants[e["participant"]]
    if person.role == PARTICIPANT and not person.removed:
        ws.people_count -= 1
    person.removed = True
    # Removing someone (usually someone disruptive) takes their votes and ratings out of every
    # tally, result and snapshot; what they wrote stays until deleted. A kind with nothing of
    # the kind has no forget_participant.
    for board in ws.boards.values():
        forget = getattr(KINDS[board.kind], "forget_participant", None)
        if forget is not None:
            forget(board, person.id)


def _board_added(ws: Workshop, e: dict) -> None:
    kind = KINDS[e["kind"]]
    ws.boards[e["board"]] = Board(e["board"], e["kind"], e["title"], kind.PHASES[0], kind.new_data())
    if ws.current_board is None:
        ws.current_board = e["board"]


def _board_renamed(ws: Workshop, e: dict) -> None:
    ws.boards[e["board"]].title = e["title"]


def _board_shown(ws: Workshop, e: dict) -> None:
    ws.current_board = e["board"]


def _board_phase(ws: Workshop, e: dict) -> None:
    ws.boards[e["board"]].phase = e["phase"]


def _locked(ws: Workshop, e: dict) -> None:
    ws.locked = e["locked"]


_GENERIC = {
    "workshop.created": _created,
    "participant.joined": _joined,
    "participant.renamed": _renamed,
    "participant.removed": _removed,
    "participant.banned": _banned,
    "board.added": _board_added,
    "board.renamed": _board_renamed,
    "board.shown": _board_shown,
    "board.phase": _board_phase,
    "workshop.locked": _locked,
    **console.APPLY,
}
