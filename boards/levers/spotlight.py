"""The projector's spotlight on the brakes and levers board: the facilitator puts one card on the
whole screen, to read it together, and takes it off.

Only presentation: the card itself does not change. A card is never spotlit while writing is still
private, since the projector would show its text to the room.
"""

from __future__ import annotations

from ..actions import Ident, action, spec
from ..errors import Rejected
from ..i18n import N_
from ..model import Actor, Board, Workshop


@action("card.spotlight", facilitator_only=True)
class Spotlight:
    board: str = spec(Ident())
    # Empty: nothing in the spotlight any more.
    card: str = spec(Ident(), default="")


ACTIONS = {Spotlight}


def decide(ws: Workshop, board: Board, actor: Actor, act: Spotlight) -> list[dict]:
    data = board.data
    if act.card:
        if board.phase == "write":
            raise Rejected(N_("Les cartes sont encore privées : dévoilez-les avant d'en mettre une à l'écran."))
        if act.card not in data.cards:
            raise Rejected(N_("Cette carte n'existe plus."))
        if getattr(data.cards[act.card], "hidden", False):
            raise Rejected(N_("Cette carte est masquée : affichez-la pour tous avant de la mettre à l'écran."))
    target = act.card or None
    return [] if data.spotlight == target else [{"type": "card.spotlit", "board": board.id, "card": target}]


def _spotlit(board: Board, e: dict) -> None:
    board.data.spotlight = e["card"]


def card_gone(board: Board, card_id: str, into: str | None = None) -> None:
    """A deleted card leaves the spotlight; a merged one hands it to the card kept."""
    if board.data.spotlight == card_id:
        board.data.spotlight = into


APPLY = {"card.spotlit": _spotlit}
