"""What the brakes and levers views need to know, computed here so the templates stay plain.

The one rule that matters most lives in `shows_text`: during private writing a card is shown only
to its author, on any of their phones; the projector and the facilitator's laptop (which may be
projected by mistake) get counts.
"""

from __future__ import annotations

from .model import SIDES, TALLY_PHASES, Card, Category, LeversData
from ..model import Board, Workshop

# Events after which the shared views re-render the whole force field.
FIELD_EVENTS = frozenset({
    "card.edited", "card.deleted", "card.hidden", "card.merged", "card.grouped", "cluster.added", "cluster.renamed",
    "cluster.removed", "levers.category.added", "levers.category.renamed", "levers.category.removed",
    "levers.anonymous", "levers.tallies"})
VOTE_EVENTS = frozenset({"vote.added", "vote.removed"})


def known_actors(ws: Workshop) -> dict[str, str]:
    """Actors of the workshop's stakeholder maps, by id, with their names: those a card may name.

    The stakeholder kind may be absent; any board of that kind with `data.actors` (id -> object
    with a `name`) is read, and nothing else is assumed of it.
    """
    found: dict[str, str] = {}
    for board in ws.boards.values():
        if board.kind != "stakeholders":
            continue
        actors = getattr(board.data, "actors", None) or {}
        for actor_id, actor in actors.items():
            if not getattr(actor, "removed", False):
                found[str(actor_id)] = str(getattr(actor, "name", actor_id))
    return found


def actor_choices(ws: Workshop) -> list[tuple[str, str]]:
    return sorted(known_actors(ws).items(), key=lambda item: item[1].casefold())


def actor_names(ws: Workshop, card: Card) -> list[str]:
    known = known_actors(ws) if card.actors else {}
    return [known[a] for a in card.actors if a in known]


def shows_text(board: Board, card: Card, view: str, me: str | None) -> bool:
    if board.phase != "write":
        return True
    return view == "participant" and me is not None and card.author == me


def own_cards(board: Board, me: str | None) -> list[Card]:
    return sorted(board.data.by_author(me), key=lambda c: c.order)


def author(ws: Workshop, board: Board, card: Card) -> str:
    """The name shown with a card, or "" when it must stay anonymous."""
    if board.data.anonymous or not card.signed:
        return ""
    person = ws.participants.get(card.author)
    if person is None:
        return ""
    return f"{person.name} ({person.organisation})" if person.organisation else person.name


def tallies_visible(board: Board) -> bool:
    return board.data.tallies_shown or board.phase in TALLY_PHASES


def _sort_key(board: Board):
    data = board.data
    if tallies_visible(board) and board.phase in TALLY_PHASES:
        return lambda c: (-data.total(c.id), c.order)
    # Cards of one cluster sit together; unclustered ones follow in the order they were written.
    rank = {g.id: i for i, g in enumerate(sorted(data.clusters.values(), key=lambda g: g.order))}
    return lambda c: (rank.get(c.cluster, len(rank)), c.order)


def shown_cards(board: Board, view: str) -> list[Card]:
    """The cards a view may show: a card the facilitator hid is on the facilitator's pages only."""
    cards = board.data.cards.values()
    return list(cards) if view == "facilitator" else [c for c in cards if not c.hidden]


def rows(board: Board, view: str) -> list[tuple[Category, list[Card], list[Card]]]:
    """The force field: per category, its brakes and its levers."""
    data, key = board.data, _sort_key(board)
    cells: dict[tuple[str, str], list[Card]] = {}
    for card in shown_cards(board, view):
        cells.setdefault((card.category, card.side), []).append(card)
    return [(cat, sorted(cells.get((cat.id, "frein"), []), key=key),
             sorted(cells.get((cat.id, "levier"), []), key=key)) for cat in data.categories.values()]


def _masked(card: Card) -> bool:
    """A card the facilitator hid from the room (moderation, `card.hide`) is on the facilitator's
    pages only: never gathered on a phone or the projector, never in the spotlight."""
    return bool(getattr(card, "hidden", False))


def gathered(board: Board, view: str) -> list[tuple[object | None, list[Card]]]:
    """The group phase: each cluster with its cards, in the clusters' order, then the cards in
    none (None), always last, so that a card can be taken out of its cluster by dragging it there."""
    data = board.data
    seen = (lambda c: True) if view == "facilitator" else (lambda c: not _masked(c))
    clusters = sorted(data.clusters.values(), key=lambda g: g.order)
    loose = sorted((c for c in data.cards.values() if c.cluster not in data.clusters and seen(c)),
                   key=lambda c: c.order)
    return [(g, [c for c in data.cluster_cards(g.id) if seen(c)]) for g in clusters] + [(None, loose)]


def spotlit(board: Board) -> Card | None:
    """The card on the projector's whole screen; none while writing is private, nor a hidden one."""
    data = board.data
    card = data.cards.get(data.spotlight or "") if board.phase != "write" else None
    return None if card is None or _masked(card) else card


def voting_progress(ws: Workshop, board: Board) -> tuple[int, int, int]:
    """(finished, started, everyone): participants who placed all their dots, some, and in all.

    Read after every dot on the projector and the facilitator's laptop: counts kept by the fold
    (only participants vote, and a removed person's dots are forgotten), never a walk of the room.
    """
    data = board.data
    return data.finished, data.started, ws.people_count


def _ranked(items: list, score) -> list[tuple[int, object, int]]:
    """Competition ranking (1, 2, 2, 4): equal scores share a rank."""
    ranked, previous, rank = [], None, 0
    for index, item in enumerate(items, start=1):
        value = score(item)
        if value != previous:
            rank, previous = index, value
        ranked.append((rank, item, value))
    return ranked


def ranking(board: Board, side: str) -> list[tuple[int, Card, int]]:
    data = board.data
    cards = sorted((c for c in data.cards.values() if c.side == side and not c.hidden),
                   key=lambda c: (-data.total(c.id), c.order))
    return _ranked(cards, lambda c: data.total(c.id))


def cluster_ranking(board: Board) -> list[tuple[int, object, int]]:
    data = board.data
    clusters = sorted(data.clusters.values(), key=lambda g: (-data.cluster_total(g.id), g.order))
    return _ranked(clusters, lambda g: data.cluster_total(g.id))


def composing(board: Board, view: str) -> bool:
    """Whether this view shows the form to write a card."""
    if board.phase == "locked" or view == "screen":
        return False
    return (board.phase == "write") == (view == "participant")


def counts(data: LeversData, view: str = "facilitator") -> dict[str, int]:
    """Cards written, by how many people, per side; a view that may not see hidden cards does
    not count them either."""
    if view == "facilitator" or not any(c.hidden for c in data.cards.values()):
        return {"all": data.count(), "authors": data.authors(), **{side: data.count(side) for side in SIDES}}
    cards = [c for c in data.cards.values() if not c.hidden]
    return {"all": len(cards), "authors": len({c.author for c in cards}),
            **{side: sum(1 for c in cards if c.side == side) for side in SIDES}}
