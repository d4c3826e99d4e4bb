"""The "ambition de changement" board: the room drafts one or a few short statements of the change
the territory seeks together, and agrees on them by consent. The facilitator opens a round on a
statement; each person answers "je soutiens", "j'ai une réserve" or "je m'oppose", with a reason
for the last two; the round closes; objections go to the room, the statement is amended and a new
round opens, until a round has no objection: the statement is agreed, with its rounds on record.

Rules in rules.py, state in model.py, the views' questions in view.py. Answers stay private while
a round is open; freeze never exports who answered what.
"""

from __future__ import annotations

from . import view
from .actions import ACTIONS
from .model import AmbitionData
from .rules import APPLY, decide  # noqa: F401  (the kind's interface)
from ..i18n import N_
from ..model import Board

KIND = "ambition"
TITLE = N_("Ambition de changement")
PHASES = ("draft", "consent", "locked")
PHASE_LABELS = {
    "draft": N_("Rédaction"),
    "consent": N_("Consentement"),
    "locked": N_("Verrouillé"),
}
PHASE_HINTS = {
    "draft": N_("Proposez en une ou deux phrases le changement que le territoire veut obtenir ensemble."),
    "consent": N_("Pour chaque tour : je soutiens, j'ai une réserve ou je m'oppose. Une réserve ou une "
                  "objection se dit avec sa raison. La proposition est adoptée quand personne ne s'oppose."),
    "locked": N_("Le tableau est verrouillé : l'ambition adoptée figure en tête du rapport."),
}
# A phone shows its own answer while a round is open, and its own statements' tools while drafting.
PERSONAL_EVENTS = frozenset(APPLY)
PERSONAL_TO = {"ambition.answered": "participant"}
READER_SPECIFIC = True
# The open round counts answers against the people in the room: a join or a removal changes it;
# a change of name changes the signed statements and answers that show it.
PEOPLE_EVENTS = frozenset({"participant.joined", "participant.removed", "participant.renamed"})


def new_data() -> AmbitionData:
    return AmbitionData()


def apply(ws, board: Board, event: dict) -> None:
    APPLY[event["type"]](board, event)


def forget_participant(board: Board, participant: str) -> None:
    """A removed person's answer leaves the open round; closed rounds keep what was decided."""
    current = board.data.round_open()
    if current is not None:
        current.answers.pop(participant, None)


def freeze(board: Board) -> dict:
    """Statements (no hidden one, no author) with their rounds: figures, result, and the reasons of
    reserves and objections of closed rounds only."""
    statements = []
    for s in board.data.visible():
        rounds = []
        for r in s.rounds:
            figures = view.verdict(r)
            rounds.append({"number": r.number, "text": r.text, "open": r.open, "result": r.result,
                           "support": figures["support"], "reserve": figures["reserve"], "object": figures["object"],
                           "reasons": [] if r.open else [{"answer": a.answer, "reason": a.reason}
                                                         for a in r.answers.values() if a.reason]})
        statements.append({"id": s.id, "text": s.text, "agreed": s.agreed, "versions": list(s.versions),
                           "rounds": rounds})
    return {"ambition": statements}


def check(ws, board: Board) -> None:
    """Invariants the convergence machine checks after every step."""
    data = board.data
    open_rounds = [s.id for s in data.statements.values() if s.open_round is not None]
    assert open_rounds == ([data.current] if data.current else []), (open_rounds, data.current)
    for s in data.statements.values():
        assert [r.number for r in s.rounds] == list(range(1, len(s.rounds) + 1))
        assert s.agreed == bool(s.rounds and s.rounds[-1].result == "agreed")
        for r in s.rounds:
            assert r.open == (r.result is None)
            assert r.result != "agreed" or r.count("object") == 0
            for answer in r.answers.values():
                assert bool(answer.reason) == (answer.answer in ("reserve", "object"))
