"""The live workshops of this process: decide, commit, apply, render, publish, in that order.

Nothing in `perform` awaits, so the actions of a workshop are decided,
committed and broadcast one at a time, and broadcast order is commit order.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from boards import console, rules
from boards.actions import parse, read_op
from boards.errors import Refusal, Rejected
from boards.i18n import N_
from boards.model import FACILITATOR, PARTICIPANT, Actor, Workshop
from boards.state import apply, replay

from . import auth, render
from .i18n import translate
from .frames import Frames
from .hub import Client, Hub
from .lockstep import LockstepWriter
from .presence import Presence
from .store import Store, StoreLost, is_postgres, now, stamp
from .writer import Writer

log = logging.getLogger("maillage.workshops")

DEFAULT_BOARDS = ((N_("Diagnostic partagé"), "diagnosis"),)


class Workshops:
    def __init__(self, store: Store, hub: Hub):
        self.store = store
        self.hub = hub
        self.states: dict[str, Workshop] = {}
        self.by_code: dict[str, str] = {}
        self.presence = Presence(hub)
        self._frames = Frames()
        # The (participant, op) of every action applied to a workshop, read once from the disk
        # (a retried action is recognised without a query on the loop each time: one round
        # trip each to a database across a network), kept by `_decide` and `commit`.
        self._ops: dict[str, set[tuple[str, str]]] = {}
        # Set when several processes share the workshops (server/cluster.py).
        self.broker = None
        # Group commit (server/writer.py), started with the event loop when one process serves.
        self.writer: Writer | None = None
        for row in store.workshops():
            self._load(row["id"])

    @property
    def broker(self):
        return self._broker

    @broker.setter
    def broker(self, broker) -> None:
        # Presence goes through the same broker: each process tells the others who it holds.
        self._broker = self.presence.broker = broker

    def _load(self, workshop_id: str) -> Workshop:
        self._ops.pop(workshop_id, None)
        self._frames.forget(workshop_id)
        ws = replay(workshop_id, self.store.events(workshop_id))
        row = self.store.workshop(workshop_id)
        if row is not None:
            # Join codes are per server: a workshop imported from another machine may have been
            # given a new one (server/transfer.py), kept in its row rather than in its log.
            ws.join_code = row["join_code"]
        self.states[workshop_id] = ws
        self.by_code[ws.join_code] = workshop_id
        return ws

    def get(self, workshop_id: str) -> Workshop | None:
        ws = self.states.get(workshop_id)
        if self.broker is None:
            return ws
        if ws is None and self.store.workshop(workshop_id):
            # Created by another process since this one started.
            ws = self._load(workshop_id)
        elif ws is not None and self.store.last_seq(ws.id) > ws.seq:
            # Changed by another process while nobody here was watching it.
            self.catch_up(ws.id)
        return ws

    def by_join_code(self, code: str) -> Workshop | None:
        workshop_id = self.by_code.get(code)
        if workshop_id is None and self.broker is not None:
            workshop_id = self.store.workshop_id_for_code(code)
        return self.get(workshop_id) if workshop_id else None

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

    def join(self, ws: Workshop, name: str, organisation: str = "", role: str = PARTICIPANT,
             previous: str | None = None) -> str:
        """Adds a person; returns their participant id. Raises Rejected when the workshop refuses."""
        joined: list[dict] = []

        def decide(ws: Workshop) -> list[dict]:
            joined[:] = rules.join(ws, name, organisation, role, previous)
            return joined
        self.commit(ws, decide)
        return joined[0]["participant"]

    def start_writer(self, **options) -> None:
        """Actions from the live boards are written by group commit from now on: decided at once
        by a process alone, decided under the workshop's lock by processes sharing PostgreSQL
        (server/lockstep.py). Processes sharing an SQLite file decide each on the loop."""
        if self.writer is not None:
            return
        if self.broker is None:
            self.writer = Writer(self.store, self.hub, self._write_failed, **options)
        elif is_postgres(self.store.target):
            self.writer = LockstepWriter(self.store, self.hub, self._write_failed,
                                         seq_of=lambda workshop_id: self.states[workshop_id].seq,
                                         caught=self._caught_under_lock, published=self._published, **options)

    def _caught_under_lock(self, workshop_id: str, events: list[dict]) -> None:
        ws = self.states[workshop_id]
        self._broadcast_each(ws, [event for event in events if event["seq"] > ws.seq])

    def _published(self, workshop_id: str) -> None:
        self.broker.notify(workshop_id, self.states[workshop_id].seq)

    def stop_writer(self) -> None:
        self._ops.clear()
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def settle(self, workshop_id: str) -> None:
        """Waits until everything decided for this workshop is on disk (and sent), before the disk
        is read or written some other way (with several processes, every workshop's: the writer's
        open transaction would hold a lock this process's next write may need)."""
        if self.writer is not None:
            self.writer.drain(workshop_id)

    async def enter(self, ws: Workshop, name: str, organisation: str = "", previous: str | None = None) -> str:
        """`join`, written with the live actions of the moment: a join storm costs a few commits."""
        if self.writer is None:
            return self.join(ws, name, organisation, previous=previous)
        joined: list[dict] = []
        refused: list[Refusal] = []

        def decide() -> None:
            try:
                joined[:] = rules.join(ws, name, organisation, PARTICIPANT, previous)
            except Refusal as refusal:
                refused.append(refusal)
                return
            self._decide(ws, joined, None, None)
        if isinstance(self.writer, LockstepWriter):
            self._relay_up()
            self.writer.defer(ws.id, decide)
        else:
            decide()
        try:
            await self.writer.written(ws.id)
        except Exception:
            raise Rejected(N_("Erreur du serveur : l'action n'a pas été enregistrée.")) from None
        if refused:
            raise refused[0]
        return joined[0]["participant"]

    def _decide(self, ws: Workshop, decide, participant: str | None, op: str | None) -> bool:
        """Decides and folds a change now, and queues it for the next group commit; everything the
        room sends from now on waits until it is written. Returns False for a retried `op`."""
        if op is not None and participant is not None and self._applied(ws, participant, op):
            return False
        events = decide(ws) if callable(decide) else decide
        if not events and op is None:
            return True
        stored = stamp(ws.seq, events)
        # A fold that fails reads the workshop back from the disk, without these events.
        self._fold(ws, stored)
        self.writer.add(ws.id, stored, participant, op, ws.seq)
        if op is not None and participant is not None and ws.id in self._ops:
            # Applied once it is written; a refused action is not, and is decided again if sent again.
            self._ops[ws.id].add((participant, op))
        self._broadcast(ws, stored)
        return True

    def _applied(self, ws: Workshop, participant: str, op: str) -> bool:
        """Whether an action is a retry of one applied or decided already."""
        if isinstance(self.writer, LockstepWriter):
            # Other machines apply actions too: looked up under the lock, for the whole batch.
            return self.writer.applied(ws.id, participant, op)
        known = self._ops.get(ws.id)
        if known is None:
            known = self._ops[ws.id] = self.store.ops_of(ws.id)
        return (participant, op) in known

    def _write_failed(self, workshop_id: str) -> None:
        """A group commit failed: memory is ahead of the disk. Read the workshop back, and have its
        pages reconnect: they resync and send again what was not acknowledged."""
        ws = self.states.get(workshop_id)
        if ws is not None:
            ws.__dict__.update(self._load(workshop_id).__dict__)
            self.states[workshop_id] = ws
        for client in list(self.hub.room(workshop_id).clients):
            client.finish(1011)

    def commit(self, ws: Workshop, decide, participant: str | None = None, op: str | None = None) -> bool:
        """Decides, stores and folds a change, then sends it to every screen of this process.

        `decide` is the list of events or, better, a function of the state returning
        them: it runs inside the write transaction, after the events other processes
        committed meanwhile are folded in, so it always decides on the latest state.
        Returns False when `op` was already applied (a retry), True otherwise.
        """
        self._relay_up()
        # Written now, after whatever the live boards decided before it.
        self.settle(ws.id)
        for attempt in (1, 2):
            try:
                with self.store.transaction(ws.id):
                    # After a lost connection, what the lost transaction may have committed is read
                    # back like another process's events, before deciding again.
                    caught = self._read_new(ws, always=attempt > 1)
                    if caught:
                        self._broadcast_each(ws, caught)
                    if op is not None and participant is not None and self.store.op_seq(ws.id, participant, op):
                        stored, seen = [], True
                    else:
                        seen = False
                        events = decide(ws) if callable(decide) else decide
                        if caught and not callable(decide):
                            raise Rejected(N_("L'atelier vient de changer : réessayez."))
                        stored = self.store.insert(ws.id, ws.seq, events, participant, op) if events or op else []
                break
            except StoreLost:
                if attempt > 1:
                    raise
                log.warning("the database connection was lost; connected again, deciding again")
        self._fold(ws, stored)
        if op is not None and participant is not None and ws.id in self._ops:
            self._ops[ws.id].add((participant, op))
        self._broadcast(ws, stored)
        if stored and self.broker is not None:
            self.broker.notify(ws.id, ws.seq)
        return not seen

    def _relay_up(self) -> None:
        if self.broker is not None and not self.broker.healthy:
            raise Rejected(N_("Le relais entre serveurs est indisponible : rien n'a été enregistré. Réessayez dans un instant."))

    def _read_new(self, ws: Workshop, always: bool = False) -> list[dict]:
        """Events other processes committed since this state was last brought up to date (not folded yet)."""
        if self.broker is None and not always:
            return []
        return list(self.store.events(ws.id, after=ws.seq))

    def _broadcast_each(self, ws: Workshop, fresh: list[dict]) -> None:
        """Folds and shows events another process committed, one at a time: a fragment is rendered
        from the state right after its own event, as the process that committed it rendered it
        (rendered after the whole batch, a note added then hidden would be appended hidden on
        some pages and not at all on others, until their next resync)."""
        for event in fresh:
            self._fold(ws, [event])
            self._broadcast(ws, [event])

    def _fold(self, ws: Workshop, stored: list[dict]) -> None:
        try:
            for event in stored:
                apply(ws, event)
            self._frames.folded(ws, stored)
        except Exception:
            # The database is the truth (with what was decided before these events, once written),
            # so rebuild from it.
            log.exception("applying events failed; reloading workshop %s", ws.id)
            self.settle(ws.id)
            ws.__dict__.update(self._load(ws.id).__dict__)
            self.states[ws.id] = ws
            raise

    def _broadcast(self, ws: Workshop, stored: list[dict]) -> None:
        if not stored:
            return
        mine = None
        # A proxied page reads as the person without a phone, so a vote typed for them reaches
        # the page typing it; the captain's own page shows no one else's dots.
        readers = render.personal_readers(ws, stored)
        if readers is None or readers:
            def mine(client: Client) -> str:
                return render.personal(ws, stored, client.view, client.locale, client.participant,
                                       client.proxy_by is not None)
        self.hub.room(ws.id).publish(
            lambda view, locale: render.changes(ws, stored, view, locale), seq=ws.seq, personal=mine,
            readers=readers)
        self._after(ws, stored)

    def catch_up(self, workshop_id: str) -> None:
        """Another process committed changes to this workshop: fold them in and show them here."""
        ws = self.states.get(workshop_id)
        if ws is None:
            return
        self._broadcast_each(ws, list(self.store.events(ws.id, after=ws.seq)))

    def _after(self, ws: Workshop, stored: list[dict]) -> None:
        """Side effects on connections and the clock: presence, removed phones, captains, the timer."""
        if any(event["type"].startswith("participant.") for event in stored):
            self.presence.soon(ws)
        elif any("board" in event and event.get("by") for event in stored):
            self.presence.contributed(ws)
        if any(event["type"].startswith("timer.") for event in stored):
            self.schedule_timer(ws)
        if any(event["type"] in ("participant.joined", "participant.removed") or (
                event["type"] == "participant.renamed" and ws.participants[event["participant"]].offline)
               for event in stored):
            # A captain's list of people without a phone lives on the captain's own page.
            pages = self.hub.room(ws.id).by_person
            for captain in ws.captains:
                for client in pages.get(captain, ()):
                    if client.proxy_by is None:
                        client.push(render.captain(ws, client.view, client.locale, client.participant))
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
                        # 4403: the page does not reconnect after it, unlike every other code (static/board.js).
                        client.finish(4403)

    def perform(self, ws: Workshop, client: Client, role: str, message: dict) -> None:
        """One message from one connection, answered with an ack or a refusal to that client only."""
        op = None
        try:
            op = read_op(message)
            if message.get("workshop") not in (None, ws.id):
                raise Rejected(N_("Ce message concerne un autre atelier."))
            act = parse(message)
            actor = Actor(client.participant, role, client.proxy_by)
            decide = lambda ws: rules.decide(ws, actor, act)  # noqa: E731
            if isinstance(self.writer, LockstepWriter):
                self._relay_up()
                # Decided at this workshop's next turn at the lock, answered then.
                self.writer.defer(ws.id, lambda: self._perform_locked(ws, client, decide, op),
                                  (client.participant, op) if op and client.participant else None)
                return
            if self.writer is not None:
                self._decide(ws, decide, client.participant if op else None, op)
            else:
                self.commit(ws, decide, client.participant if op else None, op)
            if op:
                client.push(ack=op)
        except Refusal as refusal:
            client.push(render.notice(client.locale, refusal), refused=op)

    def _perform_locked(self, ws: Workshop, client: Client, decide, op: str | None) -> None:
        def guarded(ws: Workshop) -> list[dict]:
            # A decision that fails is this action's alone, as on one process (server/live.py):
            # only a failed fold abandons the batch.
            try:
                return decide(ws)
            except Refusal:
                raise
            except Exception:
                log.exception("action failed")
                raise Rejected(N_("Erreur du serveur : l'action n'a pas été enregistrée.")) from None
        try:
            self._decide(ws, guarded, client.participant if op else None, op)
            if op:
                client.push(ack=op)
        except Refusal as refusal:
            client.push(render.notice(client.locale, refusal), refused=op)

    def resync(self, ws: Workshop, client: Client, last_seq: int | None) -> None:
        """Brings a (re)connecting client up to date: everything, unless it is already current.

        After a wifi drop the whole room reconnects at once: readers whose page is the same as
        their neighbours' share one render per view and language while nothing it shows
        changes (server/frames.py).
        """
        # A page loaded while changes are on their way to disk already shows them, and the room
        # will still send them: the whole frame, sent after them, puts the page right.
        if last_seq == ws.seq and not (self.writer is not None and self.writer.pending(ws.id)):
            client.push(seq=ws.seq)
            return
        # The header saying who the page is for is the reader's own, outside the shared frame: a
        # name changed while the page was away shows on its return.
        own = render.header(ws, client.view, client.locale, client.participant, client.proxy_by is not None, oob=True)
        if render.reader_specific(ws, client.view, client.participant):
            client.push(render.frame(ws, client.view, client.locale, client.participant) + own, seq=ws.seq)
            return
        client.push(self._frames.get(ws, client.view, client.locale) + own, seq=ws.seq)

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
        def expired(ws: Workshop) -> list[dict]:
            # Another process may have recorded it first, or the facilitator changed the timer.
            if ws.timer is None or not ws.timer.running or ws.timer.version != version:
                return []
            return [{"type": "timer.expired", "version": version}]
        self.commit(ws, expired)

    def start_timers(self) -> None:
        """After a restart: timers that ran out while the server was down are closed, others resumed."""
        for ws in self.states.values():
            self.schedule_timer(ws)
