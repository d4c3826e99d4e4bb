"""Dot voting on the brakes and levers board, and the facilitator's settings of the board.

One event per dot. The budget is checked in `decide` against the folded state, and the shell
decides, commits and applies the actions of a workshop one at a time, so two tabs, quick double
taps and retries of one person can never spend more than the budget between them.
"""

from __future__ import annotations

from ..actions import Flag, Ident, Int, action, spec
from ..errors import Rejected
from ..i18n import N_
from .model import LeversData
from ..model import Actor, Board, Workshop

DOTS_MAX = 20


@action("vote.add")
class AddVote:
    board: str = spec(Ident())
    card: str = spec(Ident())


@action("vote.remove")
class RemoveVote:
    board: str = spec(Ident())
    card: str = spec(Ident())


@action("levers.settings", facilitator_only=True)
class Settings:
    board: str = spec(Ident())
    budget: int = spec(Int(1, DOTS_MAX))
    per_card: int = spec(Int(1, DOTS_MAX))


@action("levers.anonymous", facilitator_only=True)
class Anonymous:
    board: str = spec(Ident())
    anonymous: bool = spec(Flag())


@action("levers.tallies", facilitator_only=True)
class Tallies:
    board: str = spec(Ident())
    shown: bool = spec(Flag())


ACTIONS = {AddVote, RemoveVote, Settings, Anonymous, Tallies}


def _voting(board: Board, actor: Actor) -> None:
    if board.phase != "vote":
        raise Rejected(N_("Le vote n'est pas ouvert."))
    if actor.is_facilitator:
        raise Rejected(N_("L'animation ne vote pas ; pour une personne sans téléphone, saisissez depuis sa page."))


def _card(data: LeversData, card_id: str) -> None:
    if card_id not in data.cards:
        raise Rejected(N_("Cette carte n'existe plus."))
    if data.cards[card_id].hidden:
        raise Rejected(N_("L'animation a masqué cette carte."))


def _add(ws, board: Board, actor: Actor, act: AddVote) -> list[dict]:
    data = board.data
    _voting(board, actor)
    _card(data, act.card)
    if data.spent(actor.participant) >= data.budget:
        raise Rejected(N_("Vous avez déjà placé tous vos points (%(budget)s)."), budget=data.budget)
    if data.mine(actor.participant, act.card) >= data.per_card:
        raise Rejected(N_("Vous avez déjà mis sur cette carte le maximum de %(max)s points."), max=data.per_card)
    return [{"type": "vote.added", "board": board.id, "card": act.card, "voter": actor.participant}]


def _remove(ws, board: Board, actor: Actor, act: RemoveVote) -> list[dict]:
    data = board.data
    _voting(board, actor)
    _card(data, act.card)
    if data.mine(actor.participant, act.card) <= 0:
        raise Rejected(N_("Vous n'avez aucun point sur cette carte."))
    return [{"type": "vote.removed", "board": board.id, "card": act.card, "voter": actor.participant}]


def _settings(ws, board: Board, actor: Actor, act: Settings) -> list[dict]:
    data = board.data
    # Lowering below what someone already placed would leave them over budget: refuse instead of
    # silently taking back dots people chose to give.
    spent = max((sum(cards.values()) for cards in data.votes.values()), default=0)
    if act.budget < spent:
        raise Rejected(N_("Une personne a déjà placé %(spent)s points : le budget ne peut pas descendre "
                          "en dessous."), spent=spent)
    heaviest = max((n for cards in data.votes.values() for n in cards.values()), default=0)
    if act.per_card < heaviest:
        raise Rejected(N_("Une personne a déjà mis %(count)s points sur une carte : le maximum par carte "
                          "ne peut pas descendre en dessous."), count=heaviest)
    if (data.budget, data.per_card) == (act.budget, act.per_card):
        return []
    return [{"type": "levers.settings", "board": board.id, "budget": act.budget, "per_card": act.per_card}]


def _anonymous(ws, board: Board, actor: Actor, act: Anonymous) -> list[dict]:
    if board.data.anonymous == act.anonymous:
        return []
    return [{"type": "levers.anonymous", "board": board.id, "anonymous": act.anonymous}]


def _tallies(ws, board: Board, actor: Actor, act: Tallies) -> list[dict]:
    if board.data.tallies_shown == act.shown:
        return []
    return [{"type": "levers.tallies", "board": board.id, "shown": act.shown}]


_DECIDE = {AddVote: _add, RemoveVote: _remove, Settings: _settings, Anonymous: _anonymous, Tallies: _tallies}


def decide(ws: Workshop, board: Board, actor: Actor, act) -> list[dict]:
    return _DECIDE[type(act)](ws, board, actor, act)


def _tally(data: LeversData, stage: int, step: int) -> None:
    if stage == 2:
        data.finished += step
    elif stage == 1:
        data.started += step


def _restage(data: LeversData, voter: str, before: int) -> None:
    after = data.stage(voter)
    if after != before:
        _tally(data, before, -1)
        _tally(data, after, 1)


def recount(data: LeversData) -> None:
    """Voting progress from scratch, after a change that touches many voters at once."""
    data.finished = data.started = 0
    for voter in data.votes:
        _tally(data, data.stage(voter), 1)


def _voted(board: Board, e: dict) -> None:
    data, card, voter = board.data, e["card"], e["voter"]
    before = data.stage(voter)
    mine = data.votes.setdefault(voter, {})
    mine[card] = mine.get(card, 0) + 1
    data.totals[card] = data.totals.get(card, 0) + 1
    _restage(data, voter, before)


def _unvoted(board: Board, e: dict) -> None:
    data, card, voter = board.data, e["card"], e["voter"]
    before = data.stage(voter)
    mine = data.votes[voter]
    mine[card] -= 1
    if not mine[card]:
        del mine[card]
    data.totals[card] -= 1
    if not data.totals[card]:
        del data.totals[card]
    _restage(data, voter, before)


def forget_card(data: LeversData, card_id: str) -> None:
    """A deleted card's dots go back to the people who placed them."""
    for mine in data.votes.values():
        mine.pop(card_id, None)
    data.totals.pop(card_id, None)
    recount(data)


def forget_voter(data: LeversData, voter: str) -> None:
    """A person the facilitator removed: their dots stop counting anywhere (tallies, results,
    progress, snapshots). The events stay in the log; only the fold leaves them out."""
    before = data.stage(voter)
    mine = data.votes.pop(voter, {})
    for card, dots in mine.items():
        data.totals[card] -= dots
        if not data.totals[card]:
            del data.totals[card]
    _tally(data, before, -1)


def move_votes(data: LeversData, source: str, target: str) -> None:
    """A merged duplicate's dots go to the card kept, up to the per-card maximum of each voter;
    dots beyond it go back to their voter, who may place them elsewhere."""
    for mine in data.votes.values():
        moved = mine.pop(source, 0)
        if moved:
            mine[target] = min(data.per_card, mine.get(target, 0) + moved)
    data.totals.pop(source, None)
    total = sum(mine.get(target, 0) for mine in data.votes.values())
    if total:
        data.totals[target] = total
    recount(data)


def _settings_set(board: Board, e: dict) -> None:
    board.data.budget, board.data.per_card = e["budget"], e["per_card"]
    recount(board.data)


def _anonymous_set(board: Board, e: dict) -> None:
    board.data.anonymous = e["anonymous"]


def _tallies_set(board: Board, e: dict) -> None:
    board.data.tallies_shown = e["shown"]


APPLY = {"vote.added": _voted, "vote.removed": _unvoted, "levers.settings": _settings_set,
         "levers.anonymous": _anonymous_set, "levers.tallies": _tallies_set}
