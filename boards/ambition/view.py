"""What the ambition views need, computed here so the templates stay plain.

The rule that matters most: while a round is open, answers are counted for everyone and shown to
their own author only; reasons reach the room when the round closes (`said`).
"""

from __future__ import annotations

from ..model import Board, Workshop
from .model import Round, Statement

ROUND_EVENTS = frozenset({"ambition.round.opened", "ambition.round.closed"})


def shown(board: Board, view: str) -> list[Statement]:
    data = board.data
    return data.sorted_statements() if view == "facilitator" else data.visible()


def verdict(round_: Round) -> dict:
    """A round's figures, and whether it agreed: consent holds when nobody objects."""
    counts = {answer: round_.count(answer) for answer in ("support", "reserve", "object")}
    return {**counts, "answers": len(round_.answers), "agreed": counts["object"] == 0, "closed": not round_.open}


def said(ws: Workshop, board: Board, round_: Round) -> list[dict]:
    """The objections then the reserves of a closed round, with their reasons (and names only for
    answers given while the board was not anonymous). Nothing while the round is open."""
    if round_.open:
        return []
    found = []
    for kind in ("object", "reserve"):
        for person, answer in round_.answers.items():
            if answer.answer == kind:
                found.append({"answer": kind, "reason": answer.reason, "who": _name(ws, board, person, answer),
                              "person": person})
    return found


def _name(ws: Workshop, board: Board, person_id: str, answer) -> str:
    if board.data.anonymous or not answer.signed:
        return ""
    person = ws.participants.get(person_id)
    if person is None:
        return ""
    return f"{person.name} ({person.organisation})" if person.organisation else person.name


def author(ws: Workshop, board: Board, statement: Statement) -> str:
    if board.data.anonymous or not statement.signed:
        return ""
    person = ws.participants.get(statement.author)
    if person is None:
        return ""
    return f"{person.name} ({person.organisation})" if person.organisation else person.name


def mine(board: Board, me: str | None):
    current = board.data.round_open()
    return current.answers.get(me or "") if current else None


def agreed(board: Board) -> list[Statement]:
    return [s for s in board.data.visible() if s.agreed]
