"""What a client may ask of a shared ambition board."""

from __future__ import annotations

from ..actions import Choice, Flag, Ident, Text, action, spec
from ..i18n import N_, label_fields
from .model import ANSWERS

TEXT_MAX = 280
REASON_MAX = 400

label_fields({
    "statement": N_("proposition"),
    "answer": N_("réponse"),
    "reason": N_("raison"),
})


@action("ambition.propose")
class Propose:
    board: str = spec(Ident())
    text: str = spec(Text(TEXT_MAX, multiline=True))


@action("ambition.edit")
class Edit:
    board: str = spec(Ident())
    statement: str = spec(Ident())
    text: str = spec(Text(TEXT_MAX, multiline=True))


@action("ambition.withdraw")
class Withdraw:
    board: str = spec(Ident())
    statement: str = spec(Ident())


@action("ambition.hide", facilitator_only=True)
class Hide:
    board: str = spec(Ident())
    statement: str = spec(Ident())
    hidden: bool = spec(Flag())


@action("ambition.round.open", facilitator_only=True)
class OpenRound:
    board: str = spec(Ident())
    statement: str = spec(Ident())


@action("ambition.answer")
class Respond:
    board: str = spec(Ident())
    answer: str = spec(Choice(ANSWERS))
    reason: str = spec(Text(REASON_MAX, min_len=0, multiline=True), default="")


@action("ambition.round.close", facilitator_only=True)
class CloseRound:
    board: str = spec(Ident())


@action("ambition.anonymous", facilitator_only=True)
class Anonymous:
    board: str = spec(Ident())
    anonymous: bool = spec(Flag())


ACTIONS = {Propose, Edit, Withdraw, Hide, OpenRound, Respond, CloseRound, Anonymous}
