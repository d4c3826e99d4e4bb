"""The live workshops of this process: decide, commit, apply, render, publish, in that order.

Nothing in `perform` awaits, so the actions of a workshop are decided,
committed and broadcast one at a time, and broadcast order is commit order.
"""

from __future__ import annotations

import logging

from boards import rules
from boards.actions import parse, read_op
from boards.errors import Refusal, Rejected
from boards.i18n import N_
from boards.model import FACILITATOR, PARTICIPANT, Actor, Workshop
from boards.state import apply, replay

from . import auth, render
from .i18n import translate
from .hub import Client, Hub
from .store import Store, now

log = logging.getLogger("maillage.workshops")

DEFAULT_BOARDS = ((N_("Diagnostic partagé"), "ideas"),)


class Workshops:
    def __init__(self, store: Store, hub: Hub):
        self.store = store
        self.hub = hub
        self.states: dict[str, Workshop] = {}
        self.by_code: dict[str, str] = {}
        for row in store.workshops():
            self._load(row["id"])

    def _load(self, workshop_id: str) -> Workshop:
        ws = replay(workshop_id, self.store.events(workshop_id))
        self.states[workshop_id] = ws
        self.by_code[ws.join_code] = workshop_id
        return ws

    def get(self, workshop_id: str) -> Workshop | None:
        return self.states.get(workshop_id)

    def by_join_code(self, code: str) -> Workshop | None:
        workshop_id = self.by_code.get(code)
        return self.states.get(workshop_id) if workshop_id else None

    def create(self, title: str, territory: str, boards=DEFAULT_BOARDS, demo: bool = False,
               locale: str = "fr") -> dict:
        """A new workshop with its first boards; returns its row (id, join code, facilitator key)."""
        code = auth.new_join_code()
        while self.store.code_in_use(code):
            code = auth.new_join_code()
        row = {"id": auth.new_workshop_id(), "join_code": code, "facilitator_key": auth.new_key(),
               "title": title, "territory": territory, "created_at": now(), "demo": int(demo)}
        events = rules.create_workshop(row["id"], title, territory, code)
        for offset, (board_title, kind) in enumerate(boards, start=len(events) + 1):
            events.append({"type": "board.added", "board": f"b{offset}", "kind": kind,
                           "title": translate(locale, board_title)})
        self.store.create_workshop(row, events)
        self._load(row["id"])
        return row

    def join(self, ws: Workshop, name: str, organisation: str = "", role: str = PARTICIPANT) -> str:
        """Adds a person; returns their participant id. Raises Rejected when the workshop refuses."""
        events = rules.join(ws, name, organisation, role)
        self.commit(ws, events)
        return events[0]["participant"]

    def commit(self, ws: Workshop, events: list[dict], participant: str | None = None,
               op: str | None = None) -> int:
        """Stores events, folds them into the state and sends the change to every screen."""
        if not events and op is None:
            return ws.seq
        stored = self.store.append(ws.id, ws.seq, events, participant, op)
        try:
            for event in stored:
                apply(ws, event)
        except Exception:
            # The events are committed: the database is the truth, so rebuild from it.
            log.exception("applying committed events failed; reloading workshop %s", ws.id)
            ws.__dict__.update(self._load(ws.id).__dict__)
            self.states[ws.id] = ws
            raise
        if stored:
            mine = None
            if any(render.is_personal(ws, event) for event in stored):
                def mine(client: Client) -> str:
                    return render.personal(ws, stored, client.view, client.locale, client.participant)
            self.hub.room(ws.id).publish(
                lambda view, locale: render.changes(ws, stored, view, locale), seq=ws.seq, personal=mine)
            self._after(ws, stored)
        return ws.seq

    def _after(self, ws: Workshop, stored: list[dict]) -> None:
        """Side effects on connections: a removed participant's phones are closed."""
        if any(event["type"].startswith("participant.") for event in stored):
            self.presence(ws)
        for event in stored:
            if event["type"] == "participant.removed":
                for client in list(self.hub.room(ws.id).clients):
                    if client.participant == event["participant"]:
                        client.push(render.notice(client.locale, Rejected(
                            N_("L'animation vous a retiré de l'atelier."))))
                        client.overflow = True

    def perform(self, ws: Workshop, client: Client, role: str, message: dict) -> None:
        """One message from one connection, answered with an ack or a refusal to that client only."""
        op = None
        try:
            op = read_op(message)
            if message.get("workshop") not in (None, ws.id):
                raise Rejected(N_("Ce message concerne un autre atelier."))
            act = parse(message)
            if op is not None and client.participant is not None:
                seen = self.store.op_seq(ws.id, client.participant, op)
                if seen is not None:
                    client.push(seq=None, ack=op)
                    return
            actor = Actor(client.participant, role)
            events = rules.decide(ws, actor, act)
            self.commit(ws, events, client.participant if op else None, op)
            if op:
                client.push(ack=op)
        except Refusal as refusal:
            client.push(render.notice(client.locale, refusal), refused=op)

    def resync(self, ws: Workshop, client: Client, last_seq: int | None) -> None:
        """Brings a (re)connecting client up to date: everything, unless it is already current."""
        if last_seq != ws.seq:
            client.push(render.frame(ws, client.view, client.locale, client.participant), seq=ws.seq)
        else:
            client.push(seq=ws.seq)

    def presence(self, ws: Workshop) -> None:
        room = self.hub.room(ws.id)
        online = room.online()
        room.publish(lambda view, locale: render.presence(ws, online, view, locale))

    def facilitator(self, ws: Workshop, name: str) -> str:
        return self.join(ws, name, role=FACILITATOR)
