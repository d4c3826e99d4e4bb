"""decide(state, actor, action) -> events, or a Rejected with a readable reason.

Pure: no clock, no I/O. Ids of new things come from the sequence numbers the
events will receive (see model.new_id), so a decision replays identically.
"""

from __future__ import annotations

import unicodedata

from . import actions as a
from . import console
from .errors import Rejected
from .i18n import N_
from .kinds import KINDS
from .model import FACILITATOR, PARTICIPANT, SCREEN, Actor, Workshop, new_id

BOARDS_MAX = 40
PEOPLE_MAX = 2000


def create_workshop(workshop_id: str, title: str, territory: str, join_code: str) -> list[dict]:
    return [
        {"type": "workshop.created", "workshop": workshop_id, "title": title,
         "territory": territory, "join_code": join_code},
    ]


def join(ws: Workshop, name: str, organisation: str = "", role: str = PARTICIPANT,
         previous: str | None = None) -> list[dict]:
    """`previous`: the participant this browser joined as before, if any (from its cookie)."""
    if role == PARTICIPANT and kept_out(ws, name, previous):
        raise Rejected(N_("L'animation vous a retiré·e de cet atelier : vous ne pouvez pas le rejoindre à nouveau."))
    if role == PARTICIPANT and ws.people_count >= PEOPLE_MAX:
        raise Rejected(N_("Cet atelier est complet."))
    if role == PARTICIPANT and ws.locked:
        raise Rejected(N_("L'atelier est verrouillé."))
    return [{"type": "participant.joined", "participant": new_id(ws, "p"), "name": name,
             "organisation": organisation, "role": role}]


def kept_out(ws: Workshop, name: str, previous: str | None) -> bool:
    """True when this browser's former self, or this name, was banned from the workshop. Names
    are compared folded (case, accents, spacing), so "Éric  D" is "eric d"."""
    before = ws.participants.get(previous or "")
    if before is not None and before.banned:
        return True
    folded = fold_name(name)
    return any(fold_name(ws.participants[banned].name) == folded for banned in ws.banned_ids)


def fold_name(text: str) -> str:
    stripped = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in stripped if not unicodedata.combining(ch)).split())


def decide(ws: Workshop, actor: Actor, act) -> list[dict]:
    """The events that carry out `act` for `actor`, each tagged with its author (and proxy)."""
    if actor.proxy_by is not None:
        _check_proxy(ws, actor)
    events = _decide(ws, actor, act)
    for event in events:
        event["by"] = actor.participant
        if actor.proxy_by is not None:
            event["proxy"] = actor.proxy_by
    return events


def _check_proxy(ws: Workshop, actor: Actor) -> None:
    """Typing for someone without a phone: only the facilitator or a table captain, only for them."""
    helper = ws.participants.get(actor.proxy_by)
    person = ws.participants.get(actor.participant or "")
    if helper is None or helper.removed or not (helper.role == FACILITATOR or helper.captain):
        raise Rejected(N_("Vous ne pouvez plus saisir pour une autre personne."))
    if person is None or not person.offline or actor.role != PARTICIPANT:
        raise Rejected(N_("On ne peut saisir que pour une personne sans téléphone."))


def _decide(ws: Workshop, actor: Actor, act) -> list[dict]:
    if actor.role == SCREEN:
        raise Rejected(N_("L'écran de projection ne peut rien modifier."))
    person = ws.participants.get(actor.participant or "")
    if person is None or person.removed:
        raise Rejected(N_("Vous ne faites plus partie de cet atelier."))
    if actor.role == FACILITATOR and person.role != FACILITATOR:
        raise Rejected(N_("Seule l'animation peut faire cela."))
    if act.FACILITATOR_ONLY and not actor.is_facilitator:
        raise Rejected(N_("Seule l'animation peut faire cela."))
    if ws.locked and not actor.is_facilitator:
        raise Rejected(N_("L'atelier est verrouillé."))
    if ws.time_up and not actor.is_facilitator:
        raise Rejected(N_("Le temps est écoulé : les contributions attendent l'animation."))

    handler = _GENERIC.get(type(act))
    if handler is not None:
        return handler(ws, actor, act)
    board = console.board_of(ws, act.board)
    kind = KINDS[board.kind]
    if type(act) not in kind.ACTIONS:
        raise Rejected(N_("Action impossible sur ce tableau."))
    return kind.decide(ws, board, actor, act)


def _add_board(ws, actor, act: a.AddBoard):
    if act.kind not in KINDS:
        raise Rejected(N_("Type de tableau inconnu."))
    if len(ws.boards) >= BOARDS_MAX:
        raise Rejected(N_("Trop de tableaux dans cet atelier."))
    return [{"type": "board.added", "board": new_id(ws, "b"), "kind": act.kind, "title": act.title}]


def _rename_board(ws, actor, act: a.RenameBoard):
    board = console.board_of(ws, act.board)
    return [] if board.title == act.title else [
        {"type": "board.renamed", "board": board.id, "title": act.title}]


def _show_board(ws, actor, act: a.ShowBoard):
    board = console.board_of(ws, act.board)
    return [] if ws.current_board == board.id else [{"type": "board.shown", "board": board.id}]


def _set_phase(ws, actor, act: a.SetPhase):
    board = console.board_of(ws, act.board)
    if act.phase not in KINDS[board.kind].PHASES:
        raise Rejected(N_("Phase inconnue pour ce tableau."))
    return [] if board.phase == act.phase else [
        {"type": "board.phase", "board": board.id, "phase": act.phase}]


def _lock(ws, actor, act: a.LockWorkshop):
    return [] if ws.locked == act.locked else [{"type": "workshop.locked", "locked": act.locked}]


def _remove(ws, actor, act: a.RemoveParticipant):
    person = ws.participants.get(act.participant)
    if person is None or person.removed:
        raise Rejected(N_("Cette personne ne participe pas à l'atelier."))
    if person.id == actor.participant:
        raise Rejected(N_("Vous ne pouvez pas vous retirer vous-même."))
    return [{"type": "participant.removed", "participant": person.id}]


def _ban(ws, actor, act: a.BanParticipant):
    person = ws.participants.get(act.participant)
    if person is None or person.role != PARTICIPANT:
        raise Rejected(N_("Cette personne ne participe pas à l'atelier."))
    if person.banned == act.banned:
        return []
    if not act.banned:
        return [{"type": "participant.banned", "participant": person.id, "banned": False}]
    removed = [] if person.removed else [{"type": "participant.removed", "participant": person.id}]
    return removed + [{"type": "participant.banned", "participant": person.id, "banned": True}]


def _rename_self(ws, actor, act: a.RenameSelf):
    person = ws.participants[actor.participant]
    if (person.name, person.organisation) == (act.name, act.organisation):
        return []
    return [{"type": "participant.renamed", "participant": person.id, "name": act.name,
             "organisation": act.organisation}]


_GENERIC = {
    a.AddBoard: _add_board,
    a.RenameBoard: _rename_board,
    a.ShowBoard: _show_board,
    a.SetPhase: _set_phase,
    a.LockWorkshop: _lock,
    a.RemoveParticipant: _remove,
    a.BanParticipant: _ban,
    a.RenameSelf: _rename_self,
    **console.DECIDE,
}
