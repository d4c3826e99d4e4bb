"""What a client may ask of a "référentiel d'indicateurs" board, and the readers of its fields.

Forms send a repeated field as a list (one value when there is one input), so
a whole allocation arrives as two parallel lists, `indicator` and `points`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import library
from . import stats
from ..actions import Choice, Flag, Ident, Int, Text, action, spec
from ..errors import InvalidAction
from ..i18n import FIELD_LABELS, N_
from .data import DOTS_DEFAULT, DOTS_MAX, MODES, POINTS_BUDGET

CANDIDATES_MAX = 400

# Field names are shared by every kind's error messages: the generic ones keep the first label given,
# and the indicator's data source travels as `data_source`, not `source`, which names a tie's end elsewhere.
for _name, _label in {
    "indicator": N_("indicateur"),
    "definition": N_("définition"),
    "measure": N_("comment on le mesure"),
    "data_source": N_("d'où viennent les données"),
    "dimension": N_("dimension"),
    "points": N_("points"),
    "mode": N_("mode de priorisation"),
    "budget": N_("nombre de gommettes"),
    "value": N_("réponse"),
    "add": N_("ajout"),
    "chosen": N_("retenu"),
}.items():
    FIELD_LABELS.setdefault(_name, _label)


@dataclass(frozen=True)
class Many:
    """A field repeated in a form (htmx sends a list, or a single value when there is one)."""

    item: Any
    max_items: int = CANDIDATES_MAX

    def read(self, name: str, raw: Any) -> tuple:
        items = raw if isinstance(raw, list) else [raw]
        if len(items) > self.max_items:
            raise InvalidAction(N_("Trop de valeurs pour « %(field)s »."), field=name)
        return tuple(self.item.read(name, item) for item in items)


@dataclass(frozen=True)
class Points:
    """A share of the budget; an empty box counts as none."""

    hi: int

    def read(self, name: str, raw: Any) -> int:
        return 0 if raw == "" else Int(0, self.hi).read(name, raw)


@dataclass(frozen=True)
class Answer:
    def read(self, name: str, raw: Any) -> str:
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if raw not in stats.VALUES:
            raise InvalidAction(N_("Réponse inconnue : choisissez de 1 à 5, ou « je ne sais pas »."))
        return raw


def _text(key: str, required: bool = False):
    return spec(Text(library.LIMITS[key], min_len=1 if required else 0), **({} if required else {"default": ""}))


@action("indicator.propose")
class Propose:
    board: str = spec(Ident())
    name: str = _text("name", required=True)
    definition: str = _text("definition")
    measure: str = _text("measure")
    data_source: str = _text("source")
    dimension: str = _text("dimension")


@action("indicator.edit")
class Edit:
    board: str = spec(Ident())
    indicator: str = spec(Ident())
    name: str = _text("name", required=True)
    definition: str = _text("definition")
    measure: str = _text("measure")
    data_source: str = _text("source")
    dimension: str = _text("dimension")


@action("indicator.withdraw")
class Withdraw:
    board: str = spec(Ident())
    indicator: str = spec(Ident())


@action("indicator.hide", facilitator_only=True)
class Hide:
    board: str = spec(Ident())
    indicator: str = spec(Ident())
    hidden: bool = spec(Flag())


@action("indicators.mode", facilitator_only=True)
class SetMode:
    board: str = spec(Ident())
    mode: str = spec(Choice(MODES))
    budget: int = spec(Int(1, DOTS_MAX), default=DOTS_DEFAULT)


@action("indicator.dot")
class Dot:
    board: str = spec(Ident())
    indicator: str = spec(Ident())
    add: bool = spec(Flag())


@action("indicators.allocate")
class Allocate:
    board: str = spec(Ident())
    indicator: tuple = spec(Many(Ident()))
    points: tuple = spec(Many(Points(POINTS_BUDGET)))


@action("indicator.choose", facilitator_only=True)
class Choose:
    board: str = spec(Ident())
    indicator: str = spec(Ident())
    chosen: bool = spec(Flag())


@action("indicator.spotlight", facilitator_only=True)
class Spotlight:
    """One indicator's histogram on the projector's whole screen; an empty indicator clears it."""

    board: str = spec(Ident())
    indicator: str = spec(Ident(), default="")


@action("indicators.publish", facilitator_only=True)
class Publish:
    board: str = spec(Ident())


@action("indicator.rate")
class Rate:
    board: str = spec(Ident())
    indicator: str = spec(Ident())
    value: str = spec(Answer())


@dataclass(frozen=True)
class Seed:
    """Starts the board from a library (and a previous wave). Built by the shell, never parsed
    from a client message: it is not in the wire registry, so no socket can forge a previous wave."""

    TYPE = "indicators.seed"
    FACILITATOR_ONLY = True
    board: str
    library: tuple
    previous: dict | None = None
