"""The live workshops of this process: decide, commit, apply, render, publish, in that order.

Nothing in `perform` awaits, so the actions of a workshop are decided,
committed and broadcast one at a time, and broadcast order is commit order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

from boards import console, rules
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
# Seconds between two refreshes of the facilitator's presence panel while people contribute.
PRESENCE_DELAY = 1.0
# Whole-page renders kept for resyncs; a room's reconnect storm needs only a handful.
FRAME_CACHE = 32


class Workshops:
    def __init__(self, store: Store, hub: Hub):
        self.store = store
        self.hub = hub
        self.states: dict[str, Workshop] = {}
        self.by_code: dict[str, str] = {}
        self._presence_due: set[str] = set()
        self._frames: dict[tuple, str] = {}
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
            if render.needs_personal(ws, stored):
                def mine(client: Client) -> str:
                    return render.personal(ws, stored, client.view, client.locale, client.participant)
            self.hub.room(ws.id).publish(
                lambda view, locale: render.changes(ws, stored, view, locale), seq=ws.seq, personal=mine)
            self._after(ws, stored)
        return ws.seq

    def _after(self, ws: Workshop, stored: list[dict]) -> None:
        """Side effects on connections and the clock: presence, removed phones, captains, the timer."""
        if any(event["type"].startswith("participant.") for event in stored):
            self.presence(ws)
        elif any("board" in event and event.get("by") for event in stored):
            self._presence_soon(ws)
        if any(event["type"].startswith("timer.") for event in stored):
            self.schedule_timer(ws)
        for event in stored:
            if event["type"] == "participant.captain":
                # What a captain may do shows on their own page only: re-render it for them.
                for client in self.hub.room(ws.id).clients:
                    if client.participant == event["participant"] and client.proxy_by is None:
                        client.push(render.frame(ws, client.view, client.locale, client.participant))
            if event["type"] == "participant.removed":
                for client in list(self.hub.room(ws.id).clients):
                    if client.participant == event["participant"]:
                        client.push(render.notice(client.locale, Rejected(
                            N_("L'animation vous a retiré de l'atelier."))))
                        # 4403: htmx does not reconnect after it, unlike 1013.
                        client.finish(4403)

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
            actor = Actor(client.participant, role, client.proxy_by)
            events = rules.decide(ws, actor, act)
            self.commit(ws, events, client.participant if op else None, op)
            if op:
                client.push(ack=op)
        except Refusal as refusal:
            client.push(render.notice(client.locale, refusal), refused=op)

    def resync(self, ws: Workshop, client: Client, last_seq: int | None) -> None:
        """Brings a (re)connecting client up to date: everything, unless it is already current.

        After a wifi drop the whole room reconnects at once: readers whose page is the same as
        their neighbours' share one render per view, language and sequence number.
        """
        if last_seq == ws.seq:
            client.push(seq=ws.seq)
            return
        if render.reader_specific(ws, client.view, client.participant):
            client.push(render.frame(ws, client.view, client.locale, client.participant), seq=ws.seq)
            return
        # The second is part of the key: the timer's seconds left are in the frame.
        key = (ws.id, ws.seq, client.view, client.locale, int(time.time()))
        html = self._frames.get(key)
        if html is None:
            if len(self._frames) >= FRAME_CACHE:
                self._frames.clear()
            html = self._frames[key] = render.frame(ws, client.view, client.locale)
        client.push(html, seq=ws.seq)

    def _presence_soon(self, ws: Workshop) -> None:
        """Contribution counts on the facilitator's panel: refreshed once a second at most, not per vote."""
        if ws.id in self._presence_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._presence_due.add(ws.id)

        def refresh() -> None:
            self._presence_due.discard(ws.id)
            self.presence(ws)
        loop.call_later(PRESENCE_DELAY, refresh)

    def presence(self, ws: Workshop) -> None:
        room = self.hub.room(ws.id)
        online = room.online()
        room.publish(lambda view, locale: render.presence(ws, online, view, locale))

    def facilitator(self, ws: Workshop, name: str) -> str:
        return self.join(ws, name, role=FACILITATOR)

    def schedule_timer(self, ws: Workshop) -> None:
        """Wakes up when the running timer should reach zero, to record that it did."""
        due = console.expiry(ws)
        if due is None:
            return
        version = due[0]
        delay = console.seconds_left(ws.timer, datetime.now(timezone.utc))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(delay + 0.05, self._expire, ws.id, version)

    def _expire(self, workshop_id: str, version: int) -> None:
        ws = self.states.get(workshop_id)
        if ws is None or ws.timer is None or not ws.timer.running or ws.timer.version != version:
            return
        if console.seconds_left(ws.timer, datetime.now(timezone.utc)) > 0.5:
            self.schedule_timer(ws)
            return
        self.commit(ws, [{"type": "timer.expired", "version": version}])

    def start_timers(self) -> None:
        """After a restart: timers that ran out while the server was down are closed, others resumed."""
        for ws in self.states.values():
            self.schedule_timer(ws)
