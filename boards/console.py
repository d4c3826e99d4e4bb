"""The facilitator's console: agenda, agenda templates, timer, browsing, table captains, people without a phone.

Times come from the events (`at`, stamped by the store), never from a clock,
so a timer replays to the same state. Running out is itself an event, which
the shell commits when the time is up.
"""

from __future__ import annotations

from datetime import datetime

from .actions import Choice, Flag, Ident, Int, Text, action, spec
from .errors import Rejected
from .i18n import N_
from .kinds import KINDS
from .model import PARTICIPANT, Timer, Workshop, new_id

# Ready-made agendas: (kind, title) in order. Kinds not installed are skipped.
TEMPLATES = {
    # The method starts from the systemic approach: the room first maps the causes and effects at
    # work in its territory, then shares its diagnosis and agrees on the change it seeks.
    "complet": (N_("Atelier complet"), (
        ("systems", N_("Carte systémique")),
        ("diagnosis", N_("Diagnostic partagé")),
        ("ambition", N_("Ambition de changement")),
        ("stakeholders", N_("Cartographie des acteurs")),
        ("levers", N_("Freins et leviers")),
        ("indicators", N_("Référentiel d'indicateurs")),
    )),
    "diagnostic": (N_("Approche systémique, diagnostic et ambition"), (
        ("systems", N_("Carte systémique")),
        ("diagnosis", N_("Diagnostic partagé")),
        ("ambition", N_("Ambition de changement")),
    )),
    "cartographie": (N_("Cartographie et coopérations"), (
        ("stakeholders", N_("Cartographie des acteurs")),
        ("levers", N_("Freins et leviers")),
    )),
    "mesure": (N_("Mesure de l'impact collectif"), (
        ("indicators", N_("Référentiel d'indicateurs")),
        ("ideas", N_("Enseignements de la vague")),
    )),
}
AGENDA_MAX = 40


@action("board.move", facilitator_only=True)
class MoveBoard:
    board: str = spec(Ident())
    position: int = spec(Int(0, AGENDA_MAX - 1))


@action("board.remove", facilitator_only=True)
class RemoveBoard:
    board: str = spec(Ident())


@action("timer.start", facilitator_only=True)
class StartTimer:
    minutes: int = spec(Int(0, 180))
    seconds: int = spec(Int(0, 59), default=0)
    lock: bool = spec(Flag(), default=False)


@action("timer.pause", facilitator_only=True)
class PauseTimer:
    pass


@action("timer.resume", facilitator_only=True)
class ResumeTimer:
    pass


@action("timer.add", facilitator_only=True)
class AddTime:
    minutes: int = spec(Int(1, 60))


@action("timer.stop", facilitator_only=True)
class StopTimer:
    pass


@action("workshop.browse", facilitator_only=True)
class AllowBrowse:
    allowed: bool = spec(Flag())


@action("participant.captain", facilitator_only=True)
class NameCaptain:
    participant: str = spec(Ident())
    captain: bool = spec(Flag())


# The projector turns its pages by itself when a board does not fit on one screen; from the console
# the facilitator turns them, or holds them still to talk about one page, and lets them turn again.
SCREEN_STEPS = ("next", "prev", "hold", "play")


@action("screen.page", facilitator_only=True)
class TurnScreen:
    step: str = spec(Choice(SCREEN_STEPS))


@action("participant.add_offline")
class AddOffline:
    name: str = spec(Text(40))
    organisation: str = spec(Text(80, min_len=0), default="")


def template_events(ws: Workshop, entries) -> list[dict]:
    """board.added events for an agenda template's (kind, title) entries that this server can hold."""
    usable = [(kind, title) for kind, title in entries if kind in KINDS]
    if not usable:
        raise Rejected(N_("Ce modèle ne contient aucun tableau disponible."))
    if len(ws.boards) + len(usable) > AGENDA_MAX:
        raise Rejected(N_("Trop de tableaux dans cet atelier."))
    return [{"type": "board.added", "board": new_id(ws, "b", offset), "kind": kind, "title": title}
            for offset, (kind, title) in enumerate(usable)]


def seconds_left(timer: Timer | None, now: datetime) -> float:
    if timer is None:
        return 0.0
    if not timer.running:
        return max(0.0, timer.left)
    return max(0.0, timer.left - (now - datetime.fromisoformat(timer.since)).total_seconds())


def board_of(ws: Workshop, board_id: str):
    board = ws.board(board_id)
    if board is None:
        raise Rejected(N_("Ce tableau n'existe pas."))
    return board


def _move(ws, actor, act: MoveBoard):
    board = board_of(ws, act.board)
    position = min(act.position, len(ws.boards) - 1)
    return [] if list(ws.boards).index(board.id) == position else [
        {"type": "board.moved", "board": board.id, "position": position}]


def _remove(ws, actor, act: RemoveBoard):
    return [{"type": "board.removed", "board": board_of(ws, act.board).id}]


def _reopening(ws: Workshop, event: dict) -> dict:
    """Marks a timer change that opens contributions the timer had closed: every page shows it."""
    if ws.time_up:
        event["reopens"] = True
    return event


def _start(ws, actor, act: StartTimer):
    total = act.minutes * 60 + act.seconds
    if total == 0:
        raise Rejected(N_("Indiquez une durée."))
    return [_reopening(ws, {"type": "timer.started", "seconds": total, "lock": act.lock})]


def _pause(ws, actor, act):
    if ws.timer is None or not ws.timer.running:
        raise Rejected(N_("Le minuteur ne tourne pas."))
    return [{"type": "timer.paused"}]


def _resume(ws, actor, act):
    if ws.timer is None or ws.timer.running or ws.timer.left <= 0:
        raise Rejected(N_("Le minuteur n'est pas en pause."))
    return [{"type": "timer.resumed"}]


def _add_time(ws, actor, act: AddTime):
    if ws.timer is None:
        raise Rejected(N_("Aucun minuteur en cours."))
    return [_reopening(ws, {"type": "timer.extended", "seconds": act.minutes * 60})]


def _stop(ws, actor, act):
    return [] if ws.timer is None and not ws.time_up else [_reopening(ws, {"type": "timer.stopped"})]


def _browse(ws, actor, act: AllowBrowse):
    return [] if ws.allow_browse == act.allowed else [{"type": "workshop.browse", "allowed": act.allowed}]


def _captain(ws, actor, act: NameCaptain):
    person = ws.participants.get(act.participant)
    if person is None or person.removed or person.role != PARTICIPANT or person.offline:
        raise Rejected(N_("Cette personne ne participe pas à l'atelier."))
    return [] if person.captain == act.captain else [
        {"type": "participant.captain", "participant": person.id, "captain": act.captain}]


def _turn(ws, actor, act: TurnScreen):
    if (act.step == "hold" and ws.screen_held) or (act.step == "play" and not ws.screen_held):
        return []
    return [{"type": "screen.paged", "step": act.step}]


def _add_offline(ws, actor, act: AddOffline):
    helper = ws.participants[actor.participant]
    if not (actor.is_facilitator or helper.captain) or actor.proxy_by:
        raise Rejected(N_("Seuls l'animation et les capitaines de table peuvent faire cela."))
    return [{"type": "participant.joined", "participant": new_id(ws, "p"), "name": act.name,
             "organisation": act.organisation, "role": PARTICIPANT, "offline": True}]


DECIDE = {
    MoveBoard: _move, RemoveBoard: _remove, StartTimer: _start, PauseTimer: _pause,
    ResumeTimer: _resume, AddTime: _add_time, StopTimer: _stop, AllowBrowse: _browse,
    NameCaptain: _captain, AddOffline: _add_offline, TurnScreen: _turn,
}


def _at(e: dict) -> datetime:
    return datetime.fromisoformat(e["at"])


def _moved(ws: Workshop, e: dict) -> None:
    order = [b for b in ws.boards if b != e["board"]]
    order.insert(e["position"], e["board"])
    ws.boards = {b: ws.boards[b] for b in order}


def _removed(ws: Workshop, e: dict) -> None:
    del ws.boards[e["board"]]
    ws.activity.pop(e["board"], None)
    if ws.current_board == e["board"]:
        ws.current_board = next(iter(ws.boards), None)


def _started(ws: Workshop, e: dict) -> None:
    version = ws.timer.version + 1 if ws.timer else 1
    ws.timer = Timer(e["seconds"], e["at"], True, e["lock"], version)
    ws.time_up = False


def _paused(ws: Workshop, e: dict) -> None:
    ws.timer.left = seconds_left(ws.timer, _at(e))
    ws.timer.running, ws.timer.since = False, e["at"]


def _resumed(ws: Workshop, e: dict) -> None:
    ws.timer.running, ws.timer.since = True, e["at"]
    ws.timer.version += 1


def _extended(ws: Workshop, e: dict) -> None:
    timer = ws.timer
    # Time added after the end starts the countdown again; a paused timer stays paused.
    ended = not timer.running and timer.left <= 0
    timer.left = seconds_left(timer, _at(e)) + e["seconds"]
    timer.since = e["at"]
    timer.version += 1
    timer.running = timer.running or ended
    ws.time_up = False


def _stopped(ws: Workshop, e: dict) -> None:
    ws.timer, ws.time_up = None, False


def _expired(ws: Workshop, e: dict) -> None:
    if ws.timer is not None and ws.timer.version == e["version"]:
        ws.timer.left, ws.timer.running, ws.timer.since = 0.0, False, e["at"]
        ws.time_up = ws.timer.lock


def _browse_set(ws: Workshop, e: dict) -> None:
    ws.allow_browse = e["allowed"]


def _captain_set(ws: Workshop, e: dict) -> None:
    ws.participants[e["participant"]].captain = e["captain"]
    (ws.captains.add if e["captain"] else ws.captains.discard)(e["participant"])


def _paged(ws: Workshop, e: dict) -> None:
    ws.screen_turns += 1
    ws.screen_step = e["step"]
    if e["step"] in ("hold", "play"):
        ws.screen_held = e["step"] == "hold"


APPLY = {
    "board.moved": _moved, "board.removed": _removed, "timer.started": _started,
    "timer.paused": _paused, "timer.resumed": _resumed, "timer.extended": _extended,
    "timer.stopped": _stopped, "timer.expired": _expired, "workshop.browse": _browse_set,
    "participant.captain": _captain_set, "screen.paged": _paged,
}


def expiry(ws: Workshop) -> tuple[int, float] | None:
    """(timer version, seconds from the timer's reference time) the shell should wake up for, if any."""
    if ws.timer is None or not ws.timer.running:
        return None
    return ws.timer.version, ws.timer.left
