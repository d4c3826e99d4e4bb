"""decide and apply for the shared ambition: statements drafted by the room, consent rounds run
by the facilitator.

Consent, not a vote: a round agrees when nobody objects. A reserve is said and noted but does not
stop the decision; an objection does, and its reason shows the room what to amend before the next
round. Each round keeps the wording it was held on, so the record shows how the text moved.
"""

from __future__ import annotations

from ..errors import Rejected
from ..i18n import N_
from ..model import Actor, Board, Workshop, new_id
from . import actions as a
from .model import REASONED, Answer, Round, Statement

STATEMENTS_MAX = 30
PER_PERSON = 10


def statement_of(board: Board, statement_id: str) -> Statement:
    statement = board.data.statements.get(statement_id)
    if statement is None:
        raise Rejected(N_("Cette proposition n'existe plus."))
    return statement


def _changeable(board: Board, actor: Actor, statement: Statement) -> None:
    if statement.agreed:
        raise Rejected(N_("Cette proposition est adoptée : elle ne change plus."))
    if statement.open_round is not None:
        raise Rejected(N_("Un tour de consentement est ouvert sur cette proposition : clôturez-le avant de l'amender."))
    if actor.is_facilitator:
        return
    if statement.rounds:
        raise Rejected(N_("Après un tour de consentement, seule l'animation amende la proposition."))
    if statement.author != actor.participant:
        raise Rejected(N_("Vous ne pouvez modifier que vos propres propositions."))
    if board.phase != "draft":
        raise Rejected(N_("La rédaction des propositions est terminée."))


def _propose(ws, board, actor, act: a.Propose):
    data = board.data
    if board.phase != "draft" and not actor.is_facilitator:
        raise Rejected(N_("La rédaction des propositions est terminée."))
    if len(data.statements) >= STATEMENTS_MAX:
        raise Rejected(N_("Trop de propositions sur ce tableau (%(max)s au plus)."), max=STATEMENTS_MAX)
    if sum(1 for s in data.statements.values() if s.author == actor.participant) >= PER_PERSON:
        raise Rejected(N_("Vous avez écrit le nombre maximal de propositions (%(max)s)."), max=PER_PERSON)
    return [{"type": "ambition.proposed", "board": board.id, "statement": new_id(ws, "m"),
             "author": actor.participant, "text": act.text, "signed": not data.anonymous}]


def _edit(ws, board, actor, act: a.Edit):
    statement = statement_of(board, act.statement)
    _changeable(board, actor, statement)
    if statement.text == act.text:
        return []
    return [{"type": "ambition.edited", "board": board.id, "statement": statement.id, "text": act.text}]


def _withdraw(ws, board, actor, act: a.Withdraw):
    statement = statement_of(board, act.statement)
    if statement.rounds:
        raise Rejected(N_("Une proposition déjà soumise au consentement reste, avec ses tours."))
    _changeable(board, actor, statement)
    return [{"type": "ambition.withdrawn", "board": board.id, "statement": statement.id}]


def _hide(ws, board, actor, act: a.Hide):
    statement = statement_of(board, act.statement)
    if statement.open_round is not None:
        raise Rejected(N_("Un tour de consentement est ouvert sur cette proposition : clôturez-le d'abord."))
    if statement.hidden == act.hidden:
        return []
    return [{"type": "ambition.hidden", "board": board.id, "statement": statement.id, "hidden": act.hidden}]


def _open(ws, board, actor, act: a.OpenRound):
    data = board.data
    if board.phase != "consent":
        raise Rejected(N_("Les tours de consentement se tiennent dans la phase « Consentement »."))
    if data.round_open() is not None:
        raise Rejected(N_("Un tour est déjà ouvert : clôturez-le d'abord."))
    statement = statement_of(board, act.statement)
    if statement.hidden:
        raise Rejected(N_("Cette proposition est masquée."))
    if statement.agreed:
        raise Rejected(N_("Cette proposition est déjà adoptée."))
    return [{"type": "ambition.round.opened", "board": board.id, "statement": statement.id,
             "number": len(statement.rounds) + 1, "text": statement.text}]


def _respond(ws, board, actor, act: a.Respond):
    data = board.data
    current = data.round_open()
    if current is None:
        raise Rejected(N_("Aucun tour de consentement n'est ouvert."))
    if actor.is_facilitator:
        raise Rejected(N_("L'animation ne répond pas ; pour une personne sans téléphone, saisissez depuis sa page."))
    reason = act.reason if act.answer in REASONED else ""
    if act.answer in REASONED and not reason:
        raise Rejected(N_("Dites pourquoi : une réserve ou une objection s'accompagne de sa raison."))
    mine = current.answers.get(actor.participant)
    if mine is not None and (mine.answer, mine.reason) == (act.answer, reason):
        return []
    return [{"type": "ambition.answered", "board": board.id, "statement": data.current, "number": current.number,
             "participant": actor.participant, "answer": act.answer, "reason": reason,
             "signed": not data.anonymous}]


def _close(ws, board, actor, act: a.CloseRound):
    data = board.data
    current = data.round_open()
    if current is None:
        raise Rejected(N_("Aucun tour de consentement n'est ouvert."))
    if not current.answers:
        raise Rejected(N_("Personne n'a encore répondu : attendez au moins une réponse avant de clore le tour."))
    result = "objected" if current.count("object") else "agreed"
    return [{"type": "ambition.round.closed", "board": board.id, "statement": data.current,
             "number": current.number, "result": result}]


def _anonymous(ws, board, actor, act: a.Anonymous):
    if board.data.anonymous == act.anonymous:
        return []
    return [{"type": "ambition.anonymous", "board": board.id, "anonymous": act.anonymous}]


_DECIDE = {a.Propose: _propose, a.Edit: _edit, a.Withdraw: _withdraw, a.Hide: _hide, a.OpenRound: _open,
           a.Respond: _respond, a.CloseRound: _close, a.Anonymous: _anonymous}


def decide(ws: Workshop, board: Board, actor: Actor, act) -> list[dict]:
    if board.phase == "locked":
        raise Rejected(N_("Ce tableau est verrouillé."))
    return _DECIDE[type(act)](ws, board, actor, act)


# Apply --------------------------------------------------------------------------------------------

def _proposed(board, e):
    board.data.statements[e["statement"]] = Statement(e["statement"], e["author"], e["text"], order=e["seq"],
                                                      signed=e["signed"])


def _edited(board, e):
    statement = board.data.statements[e["statement"]]
    if statement.rounds:
        # An amendment after a round: the wording the room answered stays on record.
        statement.versions.append(statement.text)
    statement.text = e["text"]


def _withdrawn(board, e):
    del board.data.statements[e["statement"]]
    if board.data.last == e["statement"]:
        board.data.last = None


def _hidden(board, e):
    board.data.statements[e["statement"]].hidden = e["hidden"]


def _opened(board, e):
    board.data.statements[e["statement"]].rounds.append(Round(e["number"], e["text"]))
    board.data.current = e["statement"]


def _answered(board, e):
    current = board.data.statements[e["statement"]].rounds[-1]
    current.answers[e["participant"]] = Answer(e["answer"], e["reason"], e["signed"])


def _closed(board, e):
    statement = board.data.statements[e["statement"]]
    current = statement.rounds[-1]
    current.open, current.result = False, e["result"]
    statement.agreed = e["result"] == "agreed"
    board.data.current, board.data.last = None, statement.id


def _anonymous_set(board, e):
    board.data.anonymous = e["anonymous"]


APPLY = {"ambition.proposed": _proposed, "ambition.edited": _edited, "ambition.withdrawn": _withdrawn,
         "ambition.hidden": _hidden, "ambition.round.opened": _opened, "ambition.answered": _answered,
         "ambition.round.closed": _closed, "ambition.anonymous": _anonymous_set}
