"""The "freins et leviers" board: the group writes what holds cooperation back and what drives it,
reveals it, groups it, and decides by dot voting which matters most.

Cards written during the private writing phase reach only their author's phones (the views ask
`levers_view.shows_text`); votes and their budget live in levers_votes, grouping and the category
list in levers_groups. A card keeps its author for the rules only: freeze never exports it and
views show it only for cards written while the board was not anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import groups
from . import spotlight
from . import view
from . import votes
from ..actions import Choice, Flag, Ident, Text, action, spec
from ..errors import InvalidAction, Rejected
from ..i18n import FIELD_LABELS, N_
from .model import SIDES, Card, LeversData
from ..model import Actor, Board, Workshop, new_id

KIND = "levers"
TITLE = N_("Freins et leviers")
PHASES = ("write", "reveal", "group", "vote", "results", "locked")
PHASE_LABELS = {
    "write": N_("Écriture individuelle"),
    "reveal": N_("Dévoilement"),
    "group": N_("Regroupement"),
    "vote": N_("Vote"),
    "results": N_("Résultats"),
    "locked": N_("Verrouillé"),
}
PHASE_HINTS = {
    "write": N_("Écrivez vos freins et vos leviers, une idée par carte. Personne d'autre ne les voit "
                "avant le dévoilement."),
    "reveal": N_("Toutes les cartes sont visibles : lisez-les et discutez."),
    "group": N_("L'animation rassemble les cartes proches et fusionne les doublons."),
    "vote": N_("Placez vos points sur les cartes qui comptent le plus pour vous."),
    "results": N_("Voici ce que le groupe juge prioritaire."),
    "locked": N_("Le tableau est verrouillé : plus aucune modification."),
}
TEXT_MAX = 280
CARDS_PER_PERSON = 40
ACTORS_PER_CARD = 12

# Field names are shared by every kind: a name another kind labelled first keeps its label.
for _name, _label in {
    "side": N_("frein ou levier"),
    "category": N_("catégorie"),
    "card": N_("carte"),
    "actors": N_("acteurs concernés"),
    "keep": N_("carte conservée"),
    "cluster": N_("regroupement"),
    "budget": N_("points par personne"),
    "per_card": N_("points maximum par carte"),
    "anonymous": N_("anonymat"),
    "shown": N_("affichage des décomptes"),
    "label": N_("libellé"),
}.items():
    FIELD_LABELS.setdefault(_name, _label)
del _name, _label


@dataclass(frozen=True)
class Idents:
    """Several ids in one field: a JSON list, or one value as a form sends a single checked box."""

    max_items: int

    def read(self, name: str, raw: Any) -> tuple[str, ...]:
        items = raw if isinstance(raw, list) else [raw]
        found: list[str] = []
        for item in items:
            if item == "":
                continue  # the hidden empty input that lets a form say "none"
            value = Ident().read(name, item)
            if value not in found:
                found.append(value)
        if len(found) > self.max_items:
            raise InvalidAction(N_("Trop de valeurs pour « %(field)s » (%(max)s au plus)."),
                                field=name, max=self.max_items)
        return tuple(found)


@action("card.add")
class AddCard:
    board: str = spec(Ident())
    side: str = spec(Choice(SIDES))
    category: str = spec(Ident())
    text: str = spec(Text(TEXT_MAX, multiline=True))
    actors: tuple = spec(Idents(ACTORS_PER_CARD), default=())


@action("card.edit")
class EditCard:
    board: str = spec(Ident())
    card: str = spec(Ident())
    side: str = spec(Choice(SIDES))
    category: str = spec(Ident())
    text: str = spec(Text(TEXT_MAX, multiline=True))
    actors: tuple = spec(Idents(ACTORS_PER_CARD), default=())


@action("card.delete")
class DeleteCard:
    board: str = spec(Ident())
    card: str = spec(Ident())


@action("card.hide", facilitator_only=True)
class HideCard:
    board: str = spec(Ident())
    card: str = spec(Ident())
    hidden: bool = spec(Flag())


CARD_ACTIONS = {AddCard, EditCard, DeleteCard, HideCard}
ACTIONS = CARD_ACTIONS | votes.ACTIONS | groups.ACTIONS | spotlight.ACTIONS


def new_data() -> LeversData:
    return LeversData()


def card_of(board: Board, card_id: str) -> Card:
    card = board.data.cards.get(card_id)
    if card is None:
        raise Rejected(N_("Cette carte n'existe plus."))
    return card


def _actors(ws: Workshop, wanted: tuple[str, ...]) -> list[str]:
    if not wanted:
        return []
    known = view.known_actors(ws)
    if not known:
        raise Rejected(N_("Aucune cartographie des acteurs dans cet atelier : impossible de nommer un acteur."))
    for actor_id in wanted:
        if actor_id not in known:
            raise Rejected(N_("Cet acteur ne figure pas dans la cartographie."))
    return list(wanted)


def _may_edit(board: Board, actor: Actor, card: Card) -> None:
    if board.phase == "write":
        # Private writing: a card is its author's alone, the facilitator's laptop included.
        if card.author != actor.participant:
            raise Rejected(N_("Cette carte est encore privée : seule la personne qui l'a écrite peut la modifier."))
    elif not actor.is_facilitator:
        raise Rejected(N_("Après l'écriture, seule l'animation peut modifier les cartes."))


def _add(ws: Workshop, board: Board, actor: Actor, act: AddCard) -> list[dict]:
    data = board.data
    if board.phase != "write" and not actor.is_facilitator:
        raise Rejected(N_("L'écriture des cartes est terminée."))
    # The facilitator's laptop shows counts only while people write (it may be projected), so a
    # card the facilitator wrote then could not be shown back to them.
    if board.phase == "write" and actor.is_facilitator:
        raise Rejected(N_("Pendant l'écriture individuelle, l'animation n'écrit pas : ajoutez vos cartes "
                          "après le dévoilement."))
    groups.category_of(data, act.category)
    actors = _actors(ws, act.actors)
    if len(data.by_author(actor.participant)) >= CARDS_PER_PERSON:
        raise Rejected(N_("Vous avez écrit le nombre maximal de cartes (%(max)s)."), max=CARDS_PER_PERSON)
    return [{"type": "card.added", "board": board.id, "card": new_id(ws, "c"), "author": actor.participant,
             "side": act.side, "category": act.category, "text": act.text, "actors": actors,
             "signed": not data.anonymous}]


def _edit(ws: Workshop, board: Board, actor: Actor, act: EditCard) -> list[dict]:
    card = card_of(board, act.card)
    _may_edit(board, actor, card)
    groups.category_of(board.data, act.category)
    actors = _actors(ws, act.actors)
    if (card.side, card.category, card.text, card.actors) == (act.side, act.category, act.text, actors):
        return []
    return [{"type": "card.edited", "board": board.id, "card": card.id, "author": card.author,
             "side": act.side, "category": act.category, "text": act.text, "actors": actors}]


def _delete(ws: Workshop, board: Board, actor: Actor, act: DeleteCard) -> list[dict]:
    card = card_of(board, act.card)
    _may_edit(board, actor, card)
    return [{"type": "card.deleted", "board": board.id, "card": card.id, "author": card.author}]


def _hide(ws: Workshop, board: Board, actor: Actor, act: HideCard) -> list[dict]:
    card = card_of(board, act.card)
    if board.phase == "write":
        raise Rejected(N_("Les cartes sont encore privées : masquez-les après le dévoilement."))
    if card.hidden == act.hidden:
        return []
    return [{"type": "card.hidden", "board": board.id, "card": card.id, "hidden": act.hidden}]


_DECIDE = {AddCard: _add, EditCard: _edit, DeleteCard: _delete, HideCard: _hide}


def decide(ws: Workshop, board: Board, actor: Actor, act) -> list[dict]:
    # Showing a card changes nothing on the board: the group may still read one once it is locked.
    if type(act) in spotlight.ACTIONS:
        return spotlight.decide(ws, board, actor, act)
    if board.phase == "locked":
        raise Rejected(N_("Ce tableau est verrouillé."))
    handler = _DECIDE.get(type(act))
    if handler is not None:
        return handler(ws, board, actor, act)
    if type(act) in votes.ACTIONS:
        return votes.decide(ws, board, actor, act)
    return groups.decide(ws, board, actor, act)


def _added(board: Board, e: dict) -> None:
    board.data.cards[e["card"]] = Card(e["card"], e["author"], e["side"], e["category"], e["text"],
                                       list(e["actors"]), e["signed"], order=e["seq"])


def _edited(board: Board, e: dict) -> None:
    card = board.data.cards[e["card"]]
    card.side, card.category, card.text, card.actors = e["side"], e["category"], e["text"], list(e["actors"])


def _deleted(board: Board, e: dict) -> None:
    del board.data.cards[e["card"]]
    votes.forget_card(board.data, e["card"])
    spotlight.card_gone(board, e["card"])


def _merged(board: Board, e: dict) -> None:
    groups.APPLY["card.merged"](board, e)
    spotlight.card_gone(board, e["card"], into=e["into"])


def _hidden(board: Board, e: dict) -> None:
    board.data.cards[e["card"]].hidden = e["hidden"]
    if e["hidden"]:
        # Nobody may see or vote for it any more: its dots go back to their voters.
        votes.forget_card(board.data, e["card"])


APPLY = {"card.added": _added, "card.edited": _edited, "card.deleted": _deleted, "card.hidden": _hidden,
         **votes.APPLY, **groups.APPLY, "card.merged": _merged, **spotlight.APPLY}
# Events whose rendering differs from one reader to the next (private cards, a voter's dots), or
# that re-render the force field, after which each voter's own dots must be sent again. The
# spotlight is the projector's and the facilitator's only: no phone renders anything for it.
PERSONAL_EVENTS = frozenset(APPLY) - frozenset(spotlight.APPLY) | {"participant.renamed"}
# Personal events that change one reader's page only, by the event field naming that reader: a dot
# changes its voter's dots left and nobody else's (a proxied vote names the person without a phone).
PERSONAL_TO = {"vote.added": "voter", "vote.removed": "voter"}
# A phone shows its own cards while writing and its own dots while voting: when the whole stage is
# re-rendered (phase, lock, agenda), each phone gets its own rendering.
READER_SPECIFIC = True
# People events this board answers in its delta macro, cheaply (the voting count, the tallies a
# removal changed, the names on signed cards), for the shell to pass on when the board is on screen.
# While writing, a change of name shows on its author's own cards only: `personal` for them.
PEOPLE_EVENTS = frozenset({"participant.joined", "participant.removed", "participant.renamed"})
# Events of other boards this board shows: a card may name actors of the stakeholder map, so the
# actor pickers and the names on cards follow actors added, renamed, merged or deleted there. The
# shell passes them to this board's delta (and, per reader, its personal part) while it is on screen.
WATCHES = frozenset({"actor.added", "actors.imported", "actor.edited", "actor.removed", "actor.merged"})


def apply(ws: Workshop, board: Board, event: dict) -> None:
    APPLY[event["type"]](board, event)


def forget_participant(board: Board, participant: str) -> None:
    """Called by the fold when the facilitator removes someone: their dots stop counting; the
    cards they wrote stay until someone deletes them."""
    votes.forget_voter(board.data, participant)


def freeze(board: Board) -> dict:
    """The board for a snapshot: no author, ever; no card at all while writing is still private."""
    data = board.data
    private = board.phase == "write"
    return {
        "levers": [] if private else [
            {"id": c.id, "kind": c.side, "category": c.category, "text": c.text,
             "votes": data.total(c.id), "cluster": c.cluster, "actors": list(c.actors)}
            for c in data.sorted_cards() if not c.hidden],
        "categories": [{"id": k.id, "label": k.label} for k in data.categories.values()],
        "clusters": [{"id": g.id, "name": g.name, "votes": data.cluster_total(g.id)}
                     for g in data.clusters.values()],
        "unrevealed": data.count() if private else 0,
    }
