"""What a client may ask of a stakeholder map, with the bounds of every field.

Positions are read by `Fraction` (a number from 0 to 1); scores, strengths and choices by
the core's readers, so bad input is refused before any rule runs, with a French message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..actions import Choice, Flag, Ident, Int, Text, action, spec
from ..errors import InvalidAction
from ..i18n import FIELD_LABELS, N_
from .model import LAYOUTS, ZONE_NAMES

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
    # Set once the person has been told that an actor of the same name is on the map.
    anyway: bool = spec(Flag(), default=False)


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


@action("actor.spotlight", facilitator_only=True)
class SpotlightActor:
    """One actor and its ties in the spotlight on the projector; without an actor, none."""
    board: str = spec(Ident())
    actor: str = spec(Ident(), default="")


@action("map.types", facilitator_only=True)
class SetTypes:
    """One type per line, in the order the lists will show them."""
    board: str = spec(Ident())
    list: str = spec(Choice(("actor", "tie")))
    names: str = spec(Text(TYPES_MAX * (TYPE_MAX + 1), multiline=True))


ACTIONS = {AddActor, EditActor, MoveActor, PlaceActor, ClaimActor, DeleteActor, MergeActor,
           AddTie, EditTie, DeleteTie, RateTie, SetLayout, SetTypes, SpotlightActor}
