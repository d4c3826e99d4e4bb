"""The decisions of a systems map: who may do what, in which phase, on what.

Each handler returns the events of one action or raises `Rejected` with a French message;
nothing here changes the state (see `systems.apply`). A hidden factor is, for participants,
a factor that does not exist: they can neither link it nor learn that it is there.
"""

from __future__ import annotations

from ..errors import Rejected
from ..i18n import N_
from ..model import Actor, Board, Workshop, new_id
from ..stakeholders.model import normalise
from .actions import (FACTORS_MAX, FACTORS_PER_PERSON, LINKS_MAX, TEXT_MAX, AddFactor, AddLink, Anonymous,
                      BringFactor, DeleteFactor, DeleteLink, EditFactor, EditLink, HideFactor, Spotlight)
from .model import Factor, Link, SystemsData

# Phases in which participants may still change factors, and links.
FACTOR_PHASES = ("factors",)
LINK_PHASES = ("factors", "links")


def _open(board: Board, actor: Actor, phases: tuple[str, ...], message: str) -> None:
    if board.phase not in phases and not actor.is_facilitator:
        raise Rejected(message)


def _factors_open(board: Board, actor: Actor) -> None:
    _open(board, actor, FACTOR_PHASES, N_("L'ajout et la modification des facteurs sont terminés."))


def _links_open(board: Board, actor: Actor) -> None:
    _open(board, actor, LINK_PHASES, N_("Le tracé des liens est terminé."))


def _factor(data: SystemsData, actor: Actor, factor_id: str) -> Factor:
    found = data.factors.get(factor_id)
    if found is None or (found.hidden and not actor.is_facilitator):
        raise Rejected(N_("Ce facteur n'existe plus sur la carte."))
    return found


def _link(data: SystemsData, actor: Actor, link_id: str) -> Link:
    found = data.links.get(link_id)
    if found is None or not actor.is_facilitator and any(data.factors[end].hidden for end in (found.source, found.target)):
        raise Rejected(N_("Ce lien n'existe plus."))
    return found


def _own(thing, actor: Actor, message: str) -> None:
    if thing.author != actor.participant and not actor.is_facilitator:
        raise Rejected(message)


def _fresh_text(data: SystemsData, text: str, own_id: str | None = None) -> str:
    key = normalise(text)
    for other in data.factors.values():
        if other.id != own_id and normalise(other.text) == key:
            raise Rejected(N_("Ce facteur figure déjà sur la carte : « %(text)s »."), text=other.text)
    return text


def _room(data: SystemsData, actor: Actor) -> None:
    if len(data.factors) >= FACTORS_MAX:
        raise Rejected(N_("La carte ne peut pas dépasser %(max)s facteurs."), max=FACTORS_MAX)
    if not actor.is_facilitator and len(data.by_author(actor.participant)) >= FACTORS_PER_PERSON:
        raise Rejected(N_("Vous avez ajouté le nombre maximal de facteurs (%(max)s)."), max=FACTORS_PER_PERSON)


def _added(ws: Workshop, board: Board, actor: Actor, text: str, origin: str = "") -> list[dict]:
    return [{"type": "factor.added", "board": board.id, "factor": new_id(ws, "f"), "author": actor.participant,
             "text": text, "origin": origin, "signed": not board.data.anonymous}]


def _add(ws, board, actor, act: AddFactor):
    _factors_open(board, actor)
    _room(board.data, actor)
    return _added(ws, board, actor, _fresh_text(board.data, act.text))


def clip(text: str) -> str:
    """A card or an indicator as a factor: on one line, and short enough to read on a loop."""
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_MAX else flat[:TEXT_MAX - 1].rstrip() + "…"


def importable(ws: Workshop) -> list[tuple[str, str, str]]:
    """(origin, item id, text) of what the room may bring in: brake and lever cards the room has
    seen (not while they are still private), and the indicators not withdrawn."""
    found = []
    for other in ws.boards.values():
        if other.kind == "levers" and other.phase != "write":
            found += [("levers", c.id, c.text) for c in other.data.sorted_cards()]
        elif other.kind == "indicators":
            found += [("indicators", i.id, i.name) for i in other.data.candidates()]
    return found


def _bring(ws, board, actor, act: BringFactor):
    _factors_open(board, actor)
    data = board.data
    text = next((t for origin, item, t in importable(ws) if (origin, item) == (act.origin, act.item)), None)
    if text is None:
        raise Rejected(N_("Cette carte ou cet indicateur n'existe pas, ou n'est pas encore visible de tous."))
    origin = f"{act.origin}:{act.item}"
    if any(f.origin == origin for f in data.factors.values()):
        raise Rejected(N_("Cet élément a déjà été repris comme facteur."))
    _room(data, actor)
    return _added(ws, board, actor, _fresh_text(data, clip(text)), origin)


def _edit(ws, board, actor, act: EditFactor):
    _factors_open(board, actor)
    factor = _factor(board.data, actor, act.factor)
    _own(factor, actor, N_("Seuls l'animation et la personne qui a ajouté ce facteur peuvent le modifier."))
    if factor.text == act.text:
        return []
    return [{"type": "factor.edited", "board": board.id, "factor": factor.id,
             "text": _fresh_text(board.data, act.text, factor.id)}]


def _delete(ws, board, actor, act: DeleteFactor):
    _factors_open(board, actor)
    # Their own factor, even hidden, its author may still delete (from their contributions page).
    factor = board.data.factors.get(act.factor)
    if factor is None or factor.author != actor.participant:
        factor = _factor(board.data, actor, act.factor)
    _own(factor, actor, N_("Seuls l'animation et la personne qui a ajouté ce facteur peuvent le supprimer."))
    return [{"type": "factor.deleted", "board": board.id, "factor": factor.id,
             "links": [l.id for l in board.data.links_of(factor.id)]}]


def _hide(ws, board, actor, act: HideFactor):
    factor = _factor(board.data, actor, act.factor)
    if factor.hidden == act.hidden:
        return []
    return [{"type": "factor.hidden", "board": board.id, "factor": factor.id, "hidden": act.hidden}]


def _add_link(ws, board, actor, act: AddLink):
    _links_open(board, actor)
    data = board.data
    source, target = _factor(data, actor, act.source), _factor(data, actor, act.target)
    if source.id == target.id:
        raise Rejected(N_("Un lien relie deux facteurs différents."))
    if data.find_link(source.id, target.id):
        raise Rejected(N_("Ce lien existe déjà : modifiez-le plutôt."))
    if len(data.links) >= LINKS_MAX:
        raise Rejected(N_("La carte ne peut pas dépasser %(max)s liens."), max=LINKS_MAX)
    return [{"type": "link.added", "board": board.id, "link": new_id(ws, "l"), "author": actor.participant,
             "source": source.id, "target": target.id, "polarity": act.polarity, "delay": act.delay}]


def _edit_link(ws, board, actor, act: EditLink):
    _links_open(board, actor)
    link = _link(board.data, actor, act.link)
    _own(link, actor, N_("Seuls l'animation et la personne qui a tracé ce lien peuvent le modifier."))
    if (link.polarity, link.delay) == (act.polarity, act.delay):
        return []
    return [{"type": "link.edited", "board": board.id, "link": link.id, "polarity": act.polarity,
             "delay": act.delay}]


def _delete_link(ws, board, actor, act: DeleteLink):
    _links_open(board, actor)
    link = _link(board.data, actor, act.link)
    _own(link, actor, N_("Seuls l'animation et la personne qui a tracé ce lien peuvent le supprimer."))
    return [{"type": "link.deleted", "board": board.id, "link": link.id}]


def _spotlight(ws, board, actor, act: Spotlight):
    if act.loop and board.data.loop(act.loop) is None:
        raise Rejected(N_("Cette boucle n'existe plus sur la carte."))
    if board.data.spotlight == act.loop:
        return []
    return [{"type": "systems.spotlight", "board": board.id, "loop": act.loop}]


def _anonymous(ws, board, actor, act: Anonymous):
    if board.data.anonymous == act.anonymous:
        return []
    return [{"type": "systems.anonymous", "board": board.id, "anonymous": act.anonymous}]


HANDLERS = {AddFactor: _add, BringFactor: _bring, EditFactor: _edit, DeleteFactor: _delete, HideFactor: _hide,
            AddLink: _add_link, EditLink: _edit_link, DeleteLink: _delete_link, Spotlight: _spotlight,
            Anonymous: _anonymous}


def decide(ws: Workshop, board: Board, actor: Actor, act) -> list[dict]:
    handler = HANDLERS.get(type(act))
    if handler is None:
        raise Rejected(N_("Action impossible sur ce tableau."))
    return handler(ws, board, actor, act)
