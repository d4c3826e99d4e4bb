"""The "diagnostic partagé" board: what the room knows of its territory, sorted by theme and by
kind (a resource, a need, what works, what is missing), each with where the knowledge comes from.
The room marks the needs it holds most pressing with dots. The diagnosis is continuous: a later
board carries the open items of the territory's latest diagnosis wave (decide_carry), each then
kept, updated or closed, its history following it from wave to wave.

Rules in rules.py, the state in model.py, the views' questions in view.py. An item keeps its
author for the rules only: freeze never exports it.
"""

from __future__ import annotations

from . import view
from .actions import ACTIONS
from .model import DiagnosisData
from .carry import decide_carry  # noqa: F401  (the shell carries a wave with it)
from .rules import APPLY, decide  # noqa: F401  (the kind's interface)
from ..i18n import N_
from ..model import Board

KIND = "diagnosis"
TITLE = N_("Diagnostic partagé")
PHASES = ("collect", "prioritise", "locked")
PHASE_LABELS = {
    "collect": N_("Contributions ouvertes"),
    "prioritise": N_("Priorisation des besoins"),
    "locked": N_("Verrouillé"),
}
PHASE_HINTS = {
    "collect": N_("Dites ce que vous savez du territoire : un thème, une nature, d'où vient ce savoir. "
                  "Une idée par contribution."),
    "prioritise": N_("Marquez d'un point les besoins qui comptent le plus pour vous."),
    "locked": N_("Le diagnostic est verrouillé : regardez et discutez."),
}
# A phone shows its own dots and the tools on its own items: every event of the board may change
# what one reader sees, and the whole stage is rendered per reader.
PERSONAL_EVENTS = frozenset(APPLY)
PERSONAL_TO = {"diagnosis.dotted": "voter", "diagnosis.undotted": "voter"}
READER_SPECIFIC = True
# A change of name: the names on signed items (the `delta` macro).
PEOPLE_EVENTS = frozenset({"participant.renamed"})
# Items may name actors of the map and brake/lever cards: their names and texts, and the pickers,
# follow the other boards while this one is on screen.
WATCHES = frozenset({"actor.added", "actors.imported", "actor.edited", "actor.removed", "actor.merged",
                     "card.added", "card.edited", "card.deleted", "card.merged"})


def new_data() -> DiagnosisData:
    return DiagnosisData()


def apply(ws, board: Board, event: dict) -> None:
    APPLY[event["type"]](board, event)


def forget_participant(board: Board, participant: str) -> None:
    """A removed person's dots stop counting; what they wrote stays until someone deletes it."""
    data = board.data
    for item_id in data.votes.pop(participant, []):
        data.totals[item_id] -= 1
        if not data.totals[item_id]:
            del data.totals[item_id]


def freeze(board: Board) -> dict:
    """The board for a snapshot: no author, no hidden item; each item with its stable ref, its
    dots and its history, so that a later wave can carry it."""
    data = board.data
    return {
        "diagnosis": [{"id": i.id, "ref": i.ref, "theme": i.theme, "nature": i.nature, "source": i.source,
                       "text": i.text, "status": i.status, "votes": data.total(i.id),
                       "actors": list(i.actors), "cards": list(i.cards),
                       "history": [dict(h) for h in i.history]} for i in data.visible()],
        "diagnosis_themes": [{"id": t.id, "label": t.label, "custom": t.custom} for t in data.themes.values()],
        "carried_from": dict(data.carried_from) if data.carried_from else None,
    }


def check(ws, board: Board) -> None:
    """Invariants the convergence machine checks after every step."""
    data = board.data
    for item_id, item in data.items.items():
        assert item.id == item_id and item.theme in data.themes, item
        assert item.status in ("new", "carried", "kept", "updated", "closed")
    for voter, mine in data.votes.items():
        assert mine and len(mine) <= data.budget and len(set(mine)) == len(mine)
        for item_id in mine:
            item = data.items[item_id]
            assert item.nature == "need" and item.status != "closed" and not item.hidden, item
    for item_id, total in data.totals.items():
        assert total == sum(item_id in mine for mine in data.votes.values()) > 0
