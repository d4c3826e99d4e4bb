"""What the diagnosis views need to know, computed here so the templates stay plain.

Moderation: a hidden item reaches the facilitator's laptop only; `shown` is the one place that
says so, and the projector and phones render from it.
"""

from __future__ import annotations

from ..levers import view as levers_view
from ..model import Board, Workshop
from .model import NATURES, TALLY_PHASES, Item

# Events after which the shared views re-render the whole board.
BOARD_EVENTS = frozenset({"diagnosis.deleted", "diagnosis.hidden", "diagnosis.theme.added",
                          "diagnosis.theme.renamed", "diagnosis.theme.removed", "diagnosis.settings",
                          "diagnosis.carried", "diagnosis.edited"})
DOT_EVENTS = frozenset({"diagnosis.dotted", "diagnosis.undotted"})


def revealed_cards(ws: Workshop) -> dict[str, str]:
    """Brake and lever cards an item may name, by id with their text: those of boards past their
    private writing (a card still being written is its author's alone)."""
    found = {}
    for board in ws.boards.values():
        if board.kind == "levers" and board.phase != "write":
            for card in board.data.cards.values():
                found[card.id] = card.text
    return found


def shown(board: Board, view: str) -> list[Item]:
    items = board.data.sorted_items()
    return items if view == "facilitator" else [i for i in items if not i.hidden]


def by_theme(board: Board, view: str) -> list[tuple[object, list[Item]]]:
    """Per theme, its items sorted by nature (resources, needs, what works, what is missing)."""
    rank = {n: k for k, n in enumerate(NATURES)}
    cells: dict[str, list[Item]] = {}
    for item in shown(board, view):
        cells.setdefault(item.theme, []).append(item)
    return [(theme, sorted(cells.get(theme.id, []), key=lambda i: (rank[i.nature], i.order)))
            for theme in board.data.themes.values()]


def tallies_visible(board: Board) -> bool:
    return board.phase in TALLY_PHASES


def needs_ranking(board: Board) -> list[tuple[int, Item, int]]:
    """Open needs by dots, competition ranking (1, 2, 2, 4)."""
    data = board.data
    needs = sorted((i for i in data.visible() if i.nature == "need" and i.status != "closed"),
                   key=lambda i: (-data.total(i.id), i.order))
    ranked, previous, rank = [], None, 0
    for index, item in enumerate(needs, start=1):
        value = data.total(item.id)
        if value != previous:
            rank, previous = index, value
        ranked.append((rank, item, value))
    return ranked


def author(ws: Workshop, board: Board, item: Item) -> str:
    """The name shown with an item, or "" when it must stay anonymous."""
    if board.data.anonymous or not item.signed:
        return ""
    person = ws.participants.get(item.author)
    if person is None:
        return ""
    return f"{person.name} ({person.organisation})" if person.organisation else person.name


def actor_choices(ws: Workshop) -> list[tuple[str, str]]:
    return levers_view.actor_choices(ws)


def card_choices(ws: Workshop) -> list[tuple[str, str]]:
    return sorted(revealed_cards(ws).items(), key=lambda kv: kv[1].casefold())


def links(ws: Workshop, item: Item) -> tuple[list[str], list[str]]:
    """Names of the actors and texts of the cards an item names, those still there."""
    actors = levers_view.known_actors(ws) if item.actors else {}
    cards = revealed_cards(ws) if item.cards else {}
    return [actors[x] for x in item.actors if x in actors], [cards[x] for x in item.cards if x in cards]


def may_edit(board: Board, view: str, me: str | None, item: Item) -> bool:
    if board.phase == "locked" or view == "screen":
        return False
    if view == "facilitator":
        return True
    return board.phase == "collect" and not item.carried and me is not None and item.author == me


def counts(board: Board, view: str) -> dict[str, int]:
    items = shown(board, view)
    found = {n: sum(1 for i in items if i.nature == n) for n in NATURES}
    found["all"] = len(items)
    found["to_review"] = sum(1 for i in items if i.status == "carried")
    return found
