"""What a client may ask of a shared diagnosis board."""

from __future__ import annotations

from ..actions import Choice, Flag, Ident, Int, Text, action, spec
from ..i18n import N_, label_fields
from ..levers import Idents
from .model import NATURES, SOURCES

TEXT_MAX = 280
LINKS_MAX = 12
BUDGET_MAX = 10

label_fields({
    "item": N_("élément"),
    "theme": N_("thème"),
    "nature": N_("nature"),
    "source": N_("source"),
    "cards": N_("cartes freins et leviers"),
    "status": N_("suite donnée"),
    "on": N_("priorité"),
})


@action("diagnosis.add")
class AddItem:
    board: str = spec(Ident())
    theme: str = spec(Ident())
    nature: str = spec(Choice(NATURES))
    source: str = spec(Choice(SOURCES))
    text: str = spec(Text(TEXT_MAX, multiline=True))
    actors: tuple = spec(Idents(LINKS_MAX), default=())
    cards: tuple = spec(Idents(LINKS_MAX), default=())


@action("diagnosis.edit")
class EditItem:
    board: str = spec(Ident())
    item: str = spec(Ident())
    theme: str = spec(Ident())
    nature: str = spec(Choice(NATURES))
    source: str = spec(Choice(SOURCES))
    text: str = spec(Text(TEXT_MAX, multiline=True))
    actors: tuple = spec(Idents(LINKS_MAX), default=())
    cards: tuple = spec(Idents(LINKS_MAX), default=())


@action("diagnosis.delete")
class DeleteItem:
    board: str = spec(Ident())
    item: str = spec(Ident())


@action("diagnosis.review", facilitator_only=True)
class ReviewItem:
    board: str = spec(Ident())
    item: str = spec(Ident())
    status: str = spec(Choice(("kept", "closed")))


@action("diagnosis.hide", facilitator_only=True)
class HideItem:
    board: str = spec(Ident())
    item: str = spec(Ident())
    hidden: bool = spec(Flag())


@action("diagnosis.dot")
class Dot:
    board: str = spec(Ident())
    item: str = spec(Ident())
    on: bool = spec(Flag())


@action("diagnosis.theme.add", facilitator_only=True)
class AddTheme:
    board: str = spec(Ident())
    label: str = spec(Text(40))


@action("diagnosis.theme.rename", facilitator_only=True)
class RenameTheme:
    board: str = spec(Ident())
    theme: str = spec(Ident())
    label: str = spec(Text(40))


@action("diagnosis.theme.remove", facilitator_only=True)
class RemoveTheme:
    board: str = spec(Ident())
    theme: str = spec(Ident())


@action("diagnosis.settings", facilitator_only=True)
class Settings:
    board: str = spec(Ident())
    budget: int = spec(Int(1, BUDGET_MAX))
    anonymous: bool = spec(Flag())


ACTIONS = {AddItem, EditItem, DeleteItem, ReviewItem, HideItem, Dot, AddTheme, RenameTheme, RemoveTheme,
           Settings}
