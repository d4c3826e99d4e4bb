"""What a client may ask of a systems map, with the bounds of every field."""

from __future__ import annotations

from ..actions import Choice, Flag, Ident, Text, action, spec
from ..i18n import N_, label_fields
from .loops import POLARITIES
from .model import ORIGINS

TEXT_MAX = 80
FACTORS_MAX = 150
LINKS_MAX = 600
FACTORS_PER_PERSON = 30
LOOP_KEY_MAX = 400

label_fields({
    "factor": N_("facteur"),
    "link": N_("lien causal"),
    "source": N_("cause"),
    "target": N_("effet"),
    "polarity": N_("sens de l'effet"),
    "delay": N_("délai"),
    "origin": N_("tableau d'origine"),
    "item": N_("élément à reprendre"),
    "loop": N_("boucle"),
    "anonymous": N_("anonymat"),
})


@action("factor.add")
class AddFactor:
    board: str = spec(Ident())
    text: str = spec(Text(TEXT_MAX))


@action("factor.bring")
class BringFactor:
    """A brake or lever card, or an indicator, of this workshop becomes a factor."""
    board: str = spec(Ident())
    origin: str = spec(Choice(ORIGINS))
    item: str = spec(Ident())


@action("factor.edit")
class EditFactor:
    board: str = spec(Ident())
    factor: str = spec(Ident())
    text: str = spec(Text(TEXT_MAX))


@action("factor.delete")
class DeleteFactor:
    board: str = spec(Ident())
    factor: str = spec(Ident())


@action("factor.hide", facilitator_only=True)
class HideFactor:
    board: str = spec(Ident())
    factor: str = spec(Ident())
    hidden: bool = spec(Flag())


@action("link.add")
class AddLink:
    board: str = spec(Ident())
    source: str = spec(Ident())
    target: str = spec(Ident())
    polarity: str = spec(Choice(POLARITIES))
    delay: bool = spec(Flag(), default=False)


@action("link.edit")
class EditLink:
    board: str = spec(Ident())
    link: str = spec(Ident())
    polarity: str = spec(Choice(POLARITIES))
    delay: bool = spec(Flag(), default=False)


@action("link.delete")
class DeleteLink:
    board: str = spec(Ident())
    link: str = spec(Ident())


@action("systems.spotlight", facilitator_only=True)
class Spotlight:
    """Every screen draws this loop along its path; an empty `loop` puts the spotlight out."""
    board: str = spec(Ident())
    loop: str = spec(Text(LOOP_KEY_MAX, min_len=0), default="")


@action("systems.anonymous", facilitator_only=True)
class Anonymous:
    board: str = spec(Ident())
    anonymous: bool = spec(Flag())


ACTIONS = {AddFactor, BringFactor, EditFactor, DeleteFactor, HideFactor, AddLink, EditLink, DeleteLink,
           Spotlight, Anonymous}
