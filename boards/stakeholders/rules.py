"""The decisions of a stakeholder map: who may do what, in which phase, on what.

Each handler returns the events of one action or raises `Rejected` with a French message;
nothing here changes the state (see `stakeholders.apply`).
"""

from __future__ import annotations

from . import merge
from ..errors import Rejected
from ..i18n import N_
from ..model import Actor, Board, Workshop, new_id
from .actions import (ACTORS_MAX, TIES_MAX, TYPE_MAX, TYPES_MAX, AddActor, AddTie, ClaimActor,
                                   DeleteActor, DeleteTie, EditActor, EditTie, MergeActor, MoveActor,
                                   PlaceActor, RateTie, SetLayout, SetTypes, SpotlightActor)
from .model import CRITERIA, ZONES, MapActor, MapData, MapTie, normalise, spot_in

KIND = "stakeholders"  # also in stakeholders.py, which imports this module


def _drawing(board: Board, actor: Actor) -> None:
    if board.phase != "map" and not actor.is_facilitator:
        raise Rejected(N_("La carte n'est plus ouverte aux ajouts, aux déplacements ni aux liens."))


def _actor(data: MapData, actor_id: str) -> MapActor:
    found = data.actors.get(actor_id)
    if found is None:
        raise Rejected(N_("Cet acteur n'existe plus sur la carte."))
    return found


def _tie(data: MapData, tie_id: str) -> MapTie:
    found = data.ties.get(tie_id)
    if found is None:
        raise Rejected(N_("Ce lien n'existe plus."))
    return found


def _own_or_facilitator(thing, actor: Actor, message: str) -> None:
    if thing.author != actor.participant and not actor.is_facilitator:
        raise Rejected(message)


def _actor_type(data: MapData, category: str) -> str:
    if category not in data.actor_types:
        raise Rejected(N_("Type d'acteur inconnu : choisissez-en un dans la liste."))
    return category


def _room_for_actors(data: MapData, more: int) -> None:
    if len(data.actors) + more > ACTORS_MAX:
        raise Rejected(N_("La carte ne peut pas dépasser %(max)s acteurs."), max=ACTORS_MAX)


def decide(ws: Workshop, board: Board, actor: Actor, act) -> list[dict]:
    handler = _HANDLERS.get(type(act))
    if handler is None:
        raise Rejected(N_("Action impossible sur ce tableau."))
    return handler(ws, board, actor, act)


def _add_actor(ws, board, actor, act: AddActor):
    _drawing(board, actor)
    data = board.data
    _room_for_actors(data, 1)
    twin = None if act.anyway else data.twin_of(act.name)
    if twin is not None:
        # A warning, not a wall: the same form, with "anyway" ticked, adds it.
        raise Rejected(N_("« %(name)s » est déjà sur la carte (%(type)s). S'il s'agit d'un autre acteur, "
                          "cochez « Un autre acteur porte ce nom » et ajoutez-le de nouveau."),
                       name=twin.name, type=twin.category)
    return [{"type": "actor.added", "board": board.id, "actor": new_id(ws, "a"), "name": act.name,
             "category": _actor_type(data, act.category)}]


def _edit_actor(ws, board, actor, act: EditActor):
    _drawing(board, actor)
    target = _actor(board.data, act.actor)
    _own_or_facilitator(target, actor, N_("Seuls l'animation et la personne qui a ajouté cet acteur peuvent le modifier."))
    category = _actor_type(board.data, act.category)
    if (target.name, target.category) == (act.name, category):
        return []
    return [{"type": "actor.edited", "board": board.id, "actor": target.id, "name": act.name,
             "category": category}]


def _move(ws, board, actor, act: MoveActor):
    _drawing(board, actor)
    target = _actor(board.data, act.actor)
    if (target.x, target.y) == (act.x, act.y):
        return []
    return [{"type": "actor.moved", "board": board.id, "actor": target.id, "x": act.x, "y": act.y}]


def _place(ws, board, actor, act: PlaceActor):
    _drawing(board, actor)
    data = board.data
    target = _actor(data, act.actor)
    if act.zone not in ZONES[data.layout]:
        raise Rejected(N_("Cette zone n'existe pas dans la disposition actuelle de la carte."))
    if data.zone(target) == act.zone:
        return []
    taken = [(a.x, a.y) for a in data.actors.values() if a.placed and a.id != target.id]
    x, y = spot_in(data.layout, act.zone, target.id, taken)
    return [{"type": "actor.moved", "board": board.id, "actor": target.id, "x": x, "y": y}]


def _claim(ws, board, actor, act: ClaimActor):
    if board.phase == "locked" and not actor.is_facilitator:
        raise Rejected(N_("La carte est fermée."))
    data = board.data
    chosen = _actor(data, act.actor).id if act.actor else None
    previous = data.claims.get(actor.participant)
    if chosen == previous:
        return []
    return [{"type": "actor.claimed", "board": board.id, "participant": actor.participant,
             "actor": chosen, "previous": previous}]


def _delete_actor(ws, board, actor, act: DeleteActor):
    _drawing(board, actor)
    data = board.data
    target = _actor(data, act.actor)
    _own_or_facilitator(target, actor, N_("Seuls l'animation et la personne qui a ajouté cet acteur peuvent le supprimer."))
    into = None
    if act.into:
        if not actor.is_facilitator:
            raise Rejected(N_("Seule l'animation peut reporter les liens sur un autre acteur."))
        into = _actor(data, act.into).id
        if into == target.id:
            raise Rejected(N_("Choisissez un autre acteur pour recevoir ses liens."))
    return [{"type": "actor.removed", "board": board.id, "actor": target.id, "into": into,
             **merge.plan(data, target.id, into)}]


def _merge(ws, board, actor, act: MergeActor):
    data = board.data
    gone, into = _actor(data, act.actor), _actor(data, act.into)
    if gone.id == into.id:
        raise Rejected(N_("Un acteur ne peut pas être fusionné avec lui-même."))
    return [{"type": "actor.merged", "board": board.id, "actor": gone.id, "into": into.id,
             **merge.plan(data, gone.id, into.id)}]


def _add_tie(ws, board, actor, act: AddTie):
    _drawing(board, actor)
    data = board.data
    source, target = _actor(data, act.source), _actor(data, act.target)
    if source.id == target.id:
        raise Rejected(N_("Un lien relie deux acteurs différents."))
    if act.category not in data.tie_types:
        raise Rejected(N_("Type de lien inconnu : choisissez-en un dans la liste."))
    if data.find_tie(source.id, target.id, act.category):
        raise Rejected(N_("Ce lien existe déjà entre ces deux acteurs : modifiez-le plutôt."))
    if len(data.ties) >= TIES_MAX:
        raise Rejected(N_("La carte ne peut pas dépasser %(max)s liens."), max=TIES_MAX)
    return [{"type": "tie.added", "board": board.id, "tie": new_id(ws, "t"), "source": source.id,
             "target": target.id, "category": act.category, "strength": act.strength,
             "directed": act.direction == "one"}]


def _edit_tie(ws, board, actor, act: EditTie):
    _drawing(board, actor)
    tie = _tie(board.data, act.tie)
    _own_or_facilitator(tie, actor, N_("Seuls l'animation et la personne qui a tracé ce lien peuvent le modifier."))
    directed = act.direction == "one"
    if (tie.strength, tie.directed) == (act.strength, directed):
        return []
    return [{"type": "tie.edited", "board": board.id, "tie": tie.id, "strength": act.strength,
             "directed": directed}]


def _delete_tie(ws, board, actor, act: DeleteTie):
    _drawing(board, actor)
    tie = _tie(board.data, act.tie)
    _own_or_facilitator(tie, actor, N_("Seuls l'animation et la personne qui a tracé ce lien peuvent le supprimer."))
    return [{"type": "tie.removed", "board": board.id, "tie": tie.id}]


def _rate(ws, board, actor, act: RateTie):
    if board.phase != "rate" and not actor.is_facilitator:
        raise Rejected(N_("La notation des liens n'est pas ouverte."))
    tie = _tie(board.data, act.tie)
    scores = {c: getattr(act, c) for c in CRITERIA if getattr(act, c) is not None}
    if not scores:
        raise Rejected(N_("Donnez une note de confiance, de valeur ou les deux."))
    if all(getattr(tie, c).get(actor.participant, (None,))[0] == s for c, s in scores.items()):
        return []
    return [{"type": "tie.rated", "board": board.id, "tie": tie.id, "participant": actor.participant,
             **scores}]


def _layout(ws, board, actor, act: SetLayout):
    data = board.data
    if data.layout == act.layout:
        return []
    return [{"type": "map.layout", "board": board.id, "layout": act.layout,
             "places": data.switch_places(act.layout)}]


def _spotlight(ws, board, actor, act: SpotlightActor):
    chosen = _actor(board.data, act.actor).id if act.actor else None
    if chosen == board.data.spotlight:
        return []
    return [{"type": "actor.spotlit", "board": board.id, "actor": chosen}]


def _types(ws, board, actor, act: SetTypes):
    data = board.data
    names = read_type_list(act.names)
    current = data.actor_types if act.list == "actor" else data.tie_types
    things = data.actors.values() if act.list == "actor" else data.ties.values()
    used = {t.category for t in things}
    for name in current:
        if name in used and name not in names:
            raise Rejected(N_("Le type « %(name)s » est utilisé sur la carte : il ne peut pas être retiré."),
                           name=name)
    if names == current:
        return []
    return [{"type": "map.types", "board": board.id, "list": act.list, "names": names}]


def read_type_list(text: str) -> list[str]:
    names, seen = [], set()
    for line in text.split("\n"):
        name = " ".join(line.split())
        if not name:
            continue
        if len(name) > TYPE_MAX:
            raise Rejected(N_("Le type « %(name)s » dépasse %(max)s caractères."), name=name[:TYPE_MAX] + "…",
                           max=TYPE_MAX)
        if normalise(name) in seen:
            raise Rejected(N_("Le type « %(name)s » figure deux fois dans la liste."), name=name)
        seen.add(normalise(name))
        names.append(name)
    if not names:
        raise Rejected(N_("La liste des types ne peut pas être vide."))
    if len(names) > TYPES_MAX:
        raise Rejected(N_("La liste ne peut pas dépasser %(max)s types."), max=TYPES_MAX)
    return names


_HANDLERS = {
    AddActor: _add_actor, EditActor: _edit_actor, MoveActor: _move, PlaceActor: _place,
    ClaimActor: _claim, DeleteActor: _delete_actor, MergeActor: _merge, AddTie: _add_tie,
    EditTie: _edit_tie, DeleteTie: _delete_tie, RateTie: _rate, SetLayout: _layout, SetTypes: _types,
    SpotlightActor: _spotlight,
}


# Import of a list of actors (the rows come from boards.actor_csv) ----------------------------

def decide_import(ws: Workshop, board_id: str, actor: Actor, rows) -> tuple[list[dict], list]:
    """Events adding the imported actors, and the rows left out because the map (or an earlier
    row) already has that name. All or nothing: any refusal leaves the map as it was."""
    person = ws.participants.get(actor.participant or "")
    if not actor.is_facilitator or person is None or person.removed or person.role != actor.role:
        raise Rejected(N_("Seule l'animation peut faire cela."))
    board = ws.board(board_id)
    if board is None or board.kind != KIND:
        raise Rejected(N_("Ce tableau n'existe pas."))
    data = board.data
    known = {normalise(a.name) for a in data.actors.values()}
    fresh, skipped = [], []
    for row in rows:
        key = normalise(row.name)
        if key in known:
            skipped.append(row)
            continue
        known.add(key)
        if row.category not in data.actor_types:
            raise Rejected(N_("Ligne %(line)s : type d'acteur inconnu « %(type)s »."), line=row.line,
                           type=row.category)
        fresh.append(row)
    _room_for_actors(data, len(fresh))
    if not fresh:
        return [], skipped
    base = new_id(ws, "a")
    actors = [{"actor": f"{base}n{index}", "name": row.name, "category": row.category}
              for index, row in enumerate(fresh, start=1)]
    return [{"type": "actors.imported", "board": board.id, "actors": actors, "by": actor.participant}], skipped
