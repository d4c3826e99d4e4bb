"""The "cartographie des acteurs" board: actors of the territory, placed on a power/interest
grid or on concentric circles, and the cooperation ties between them, rated by participants.

Phases: "map" (add, place, link), "rate" (rate the ties), "locked". The facilitator may fix
the map in any phase. What this board holds is the raw material of the network analysis,
so every value is bounded and every tie always joins two actors that exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from . import stakeholders_merge as merge
from .actions import Choice, Ident, Int, Text, action, spec
from .errors import InvalidAction, Rejected
from .i18n import FIELD_LABELS, N_
from .model import Actor, Board, Workshop, new_id
from .stakeholders_model import (CRITERIA, LAYOUTS, ZONE_NAMES, ZONES, MapActor, MapData, MapTie,
                                 normalise, spot_in)

KIND = "stakeholders"
TITLE = N_("Cartographie des acteurs")
PHASES = ("map", "rate", "locked")
PHASE_LABELS = {
    "map": N_("Ajout, placement et liens ouverts"),
    "rate": N_("Notation des liens"),
    "locked": N_("Carte fermée"),
}
PHASE_HINTS = {
    "map": N_("Ajoutez les organisations du territoire, placez-les sur la carte et tracez leurs coopérations."),
    "rate": N_("Touchez un acteur pour voir ses liens et noter leur confiance et leur valeur."),
    "locked": N_("La carte est fermée : regardez et discutez."),
}

NAME_MAX = 80
TYPE_MAX = 50
TYPES_MAX = 30
ACTORS_MAX = 1000
TIES_MAX = 5000
# Trust and value are rated on 1..4: an even scale has no neutral middle, so each rating
# leans one way, and four steps are few enough to read and tap on a phone. (The PARTNER
# cooperation-network survey rates trust and value the same way.)
SCORE_MIN, SCORE_MAX = 1, 4

FIELD_LABELS.update({
    "actor": N_("acteur"),
    "into": N_("acteur conservé"),
    "category": N_("type"),
    "source": N_("premier acteur"),
    "target": N_("second acteur"),
    "tie": N_("lien"),
    "x": N_("position horizontale"),
    "y": N_("position verticale"),
    "zone": N_("zone"),
    "strength": N_("force"),
    "direction": N_("sens"),
    "trust": N_("confiance"),
    "value": N_("valeur"),
    "layout": N_("disposition"),
    "list": N_("liste"),
    "names": N_("types"),
})


@dataclass(frozen=True)
class Fraction:
    """A position along one side of the map: a number from 0 to 1 (a comma is accepted)."""

    def read(self, name: str, raw: Any) -> float:
        value = None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = float(raw)
        elif isinstance(raw, str) and len(raw) <= 24:
            try:
                value = float(raw.strip().replace(",", "."))
            except ValueError:
                value = None
        if value is None or not math.isfinite(value):
            raise InvalidAction(N_("Le champ « %(field)s » doit être un nombre."), field=name)
        if not 0 <= value <= 1:
            raise InvalidAction(N_("Le champ « %(field)s » doit être entre %(lo)s et %(hi)s."),
                                field=name, lo=0, hi=1)
        return round(value, 4)


ALL_ZONES = tuple(ZONE_NAMES)
DIRECTIONS = ("one", "both")


@action("actor.add")
class AddActor:
    board: str = spec(Ident())
    name: str = spec(Text(NAME_MAX))
    category: str = spec(Text(TYPE_MAX))


@action("actor.edit")
class EditActor:
    board: str = spec(Ident())
    actor: str = spec(Ident())
    name: str = spec(Text(NAME_MAX))
    category: str = spec(Text(TYPE_MAX))


@action("actor.move")
class MoveActor:
    board: str = spec(Ident())
    actor: str = spec(Ident())
    x: float = spec(Fraction())
    y: float = spec(Fraction())


@action("actor.place")
class PlaceActor:
    """The list alternative to dragging: a zone instead of a point."""
    board: str = spec(Ident())
    actor: str = spec(Ident())
    zone: str = spec(Choice(ALL_ZONES))


@action("actor.own")
class ClaimActor:
    """"This actor is my organisation"; without an actor, the claim is withdrawn."""
    board: str = spec(Ident())
    actor: str = spec(Ident(), default="")


@action("actor.delete")
class DeleteActor:
    board: str = spec(Ident())
    actor: str = spec(Ident())
    into: str = spec(Ident(), default="")


@action("actor.merge", facilitator_only=True)
class MergeActor:
    board: str = spec(Ident())
    actor: str = spec(Ident())
    into: str = spec(Ident())


@action("tie.add")
class AddTie:
    board: str = spec(Ident())
    source: str = spec(Ident())
    target: str = spec(Ident())
    category: str = spec(Text(TYPE_MAX))
    strength: int = spec(Int(1, 3))
    direction: str = spec(Choice(DIRECTIONS))


@action("tie.edit")
class EditTie:
    board: str = spec(Ident())
    tie: str = spec(Ident())
    strength: int = spec(Int(1, 3))
    direction: str = spec(Choice(DIRECTIONS))


@action("tie.delete")
class DeleteTie:
    board: str = spec(Ident())
    tie: str = spec(Ident())


@action("tie.rate")
class RateTie:
    board: str = spec(Ident())
    tie: str = spec(Ident())
    trust: int | None = spec(Int(SCORE_MIN, SCORE_MAX), default=None)
    value: int | None = spec(Int(SCORE_MIN, SCORE_MAX), default=None)


@action("map.layout", facilitator_only=True)
class SetLayout:
    board: str = spec(Ident())
    layout: str = spec(Choice(LAYOUTS))


@action("map.types", facilitator_only=True)
class SetTypes:
    """One type per line, in the order the lists will show them."""
    board: str = spec(Ident())
    list: str = spec(Choice(("actor", "tie")))
    names: str = spec(Text(TYPES_MAX * (TYPE_MAX + 1), multiline=True))


ACTIONS = {AddActor, EditActor, MoveActor, PlaceActor, ClaimActor, DeleteActor, MergeActor,
           AddTie, EditTie, DeleteTie, RateTie, SetLayout, SetTypes}


def new_data() -> MapData:
    return MapData()


# Decisions ---------------------------------------------------------------------------------

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
    x, y = spot_in(data.layout, act.zone, target.id)
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
    return [] if board.data.layout == act.layout else [
        {"type": "map.layout", "board": board.id, "layout": act.layout}]


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


# State ---------------------------------------------------------------------------------------

def apply(ws: Workshop, board: Board, event: dict) -> None:
    data: MapData = board.data
    kind = event["type"]
    if kind == "actor.added":
        data.actors[event["actor"]] = MapActor(event["actor"], event["name"], event["category"], event.get("by"))
    elif kind == "actors.imported":
        for row in event["actors"]:
            data.actors[row["actor"]] = MapActor(row["actor"], row["name"], row["category"], event.get("by"))
    elif kind == "actor.edited":
        found = data.actors[event["actor"]]
        found.name, found.category = event["name"], event["category"]
    elif kind == "actor.moved":
        found = data.actors[event["actor"]]
        found.x, found.y = event["x"], event["y"]
    elif kind == "actor.claimed":
        if event["actor"] is None:
            data.claims.pop(event["participant"], None)
        else:
            data.claims[event["participant"]] = event["actor"]
    elif kind in ("actor.removed", "actor.merged"):
        gone, into = event["actor"], event.get("into")
        merge.carry_out(data, gone, into, event)
        for person, claimed in list(data.claims.items()):
            if claimed == gone:
                if kind == "actor.merged":
                    data.claims[person] = into
                else:
                    del data.claims[person]
    elif kind == "tie.added":
        data.ties[event["tie"]] = MapTie(event["tie"], event["source"], event["target"], event["category"],
                                         event["strength"], event["directed"], event.get("by"))
    elif kind == "tie.edited":
        tie = data.ties[event["tie"]]
        tie.strength, tie.directed = event["strength"], event["directed"]
    elif kind == "tie.removed":
        del data.ties[event["tie"]]
    elif kind == "tie.rated":
        tie = data.ties[event["tie"]]
        for criterion in CRITERIA:
            if event.get(criterion) is not None:
                getattr(tie, criterion)[event["participant"]] = (event[criterion], event["seq"])
    elif kind == "map.layout":
        data.layout = event["layout"]
    elif kind == "map.types":
        setattr(data, "actor_types" if event["list"] == "actor" else "tie_types", list(event["names"]))


def freeze(board: Board) -> dict:
    """The map for a snapshot and the network analysis; nobody's identity is kept."""
    data: MapData = board.data
    owned = data.owned()
    actors = [{"id": a.id, "name": a.name, "type": a.category, "x": a.x, "y": a.y,
               "zone": ZONE_NAMES[data.zone(a)] if a.placed else "", "own": a.id in owned}
              for a in data.actors.values()]
    ties = [{"id": t.id, "source": t.source, "target": t.target, "type": t.category,
             "strength": t.strength, "directed": t.directed, "trust": t.mean("trust"),
             "value": t.mean("value"), "ratings": t.raters()}
            for t in data.ties.values()]
    return {"actors": actors, "ties": ties, "actor_types": list(data.actor_types),
            "tie_types": list(data.tie_types)}
