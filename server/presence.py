"""Who is online in each workshop, and what the facilitators' people panels show.

A refresh goes to every page (the online count) and to the facilitators' panels. Done per
arrival, 2,000 phones joining would cost O(N²) frames: refreshes wait a little and are made once
for all that happened meanwhile, showing the room as it is when they run, so nothing is missed.
"""

from __future__ import annotations

import asyncio

from boards.model import FACILITATOR, Workshop

from . import render
from .hub import Hub

# Seconds between two refreshes of presence (the online count, the facilitator's people panel)
# while people contribute, and at most while they arrive or leave.
PRESENCE_DELAY = 1.0
# A refresh costs a frame to every page and the whole people panel: while people arrive or leave it
# waits this long per connected page (capped by PRESENCE_DELAY), so a join storm spends a bounded
# share of the server on it instead of O(N²) frames, and a small room still sees arrivals at once.
PRESENCE_DELAY_PER_CLIENT = 0.0025
# While people contribute, the panel's counts wait PRESENCE_DELAY, or this long per person when
# longer: the panel takes about 0.2 ms per person to render, and a plenary's votes should not spend
# more than a tenth of the server on it (4 s between refreshes at 2,000 people).
CONTRIBUTIONS_DELAY_PER_PERSON = 0.002


class Presence:
    def __init__(self, hub: Hub):
        self.hub = hub
        # Set when several processes share the workshops (server/cluster.py): each tells the
        # others who is connected to it.
        self.broker = None
        # People connected to the other processes, by workshop.
        self.remote: dict[str, set[str]] = {}
        # Refreshes waiting for their time: workshop id -> (loop time, handle).
        self._due: dict[str, tuple[float, asyncio.Handle]] = {}
        # Workshops whose pending refresh must reach every page, not only the facilitators'.
        self._everyone: set[str] = set()
        # What the facilitators' people panels show, by workshop (see `_people_changed`).
        self._panels: dict[str, tuple] = {}

    def contributed(self, ws: Workshop) -> None:
        """Someone contributed: that changes the facilitator's panel (its counts), not who is online."""
        self.soon(ws, max(PRESENCE_DELAY, CONTRIBUTIONS_DELAY_PER_PERSON * len(ws.participants)), panel_only=True)

    def soon(self, ws: Workshop, delay: float | None = None, panel_only: bool = False) -> None:
        """A refresh within `delay` seconds, once for all that happens meanwhile (by default a
        delay that grows with the room, up to PRESENCE_DELAY). With `panel_only` it goes to the
        facilitators' pages alone, unless a refresh for everyone is asked for before it runs.
        """
        if delay is None:
            delay = min(PRESENCE_DELAY, PRESENCE_DELAY_PER_CLIENT * len(self.hub.room(ws.id).clients))
        if not panel_only:
            self._everyone.add(ws.id)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # No event loop (a test driving the shell by hand): nothing can wait, refresh now.
            self._everyone.discard(ws.id)
            self.refresh(ws, everyone=not panel_only)
            return
        when = loop.time() + delay
        due = self._due.get(ws.id)
        if due is not None:
            if due[0] <= when:
                return
            due[1].cancel()

        def refresh() -> None:
            self._due.pop(ws.id, None)
            everyone = ws.id in self._everyone
            self._everyone.discard(ws.id)
            self.refresh(ws, everyone)
        # uvloop answers a time already past with a plain Handle, which has no when(): keep our own.
        self._due[ws.id] = when, loop.call_at(when, refresh)

    def refresh(self, ws: Workshop, everyone: bool = True) -> None:
        """Publishes the online count and the people panel; not `everyone`: the panel alone.

        A page's count changes only when someone connects or leaves, which asks for everyone: a
        plenary's contributions refreshed every page's unchanged count every few seconds, a
        frame to each of 2,000 phones."""
        room = self.hub.room(ws.id)
        online = room.online()
        if self.broker is not None:
            self.broker.share_presence(ws.id, online)
            online = set(online) | self.remote.get(ws.id, set())
        online = set(online)
        changed, counted, added = self._people_changed(ws, room, online) or (None, (), ())
        room.publish(lambda view, locale: render.presence(ws, online, view, locale, changed, counted, added)
                     if everyone or view == FACILITATOR else "")

    def console_connected(self, ws: Workshop) -> None:
        """A facilitator's page connected: its panel was rendered with nobody online, so the next
        refresh sends it whole."""
        self._panels.pop(ws.id, None)

    def _people_changed(self, ws: Workshop, room, online: set[str]):
        """The people whose item on the facilitator's panel changed since the last refresh, those
        of whom only the count changed, and those who joined the end of the list; None when the
        panel must be rendered whole (its list, board or exclusions changed otherwise, or a
        console connected since: its page was rendered with nobody online).

        The whole panel takes about 0.2 ms a person (180 ms at 1,000 people); an item about
        70 µs, a count a few µs: between two refreshes a plenary changes hundreds of counts.
        """
        if not any(client.view == FACILITATOR for client in room.clients):
            self._panels.pop(ws.id, None)
            return None
        people = ws.people()
        board = ws.current_board if ws.board(ws.current_board or "") is not None else None
        counts = ws.activity.get(board, {}) if board else {}
        layout = (board, tuple(p.id for p in people), tuple(p.id for p in ws.banned()))
        marks = {p.id: (p.offline or p.id in online, counts.get(p.id), p.captain, p.name, p.organisation)
                 for p in people}
        shown = self._panels.get(ws.id)
        self._panels[ws.id] = layout, marks
        if shown is None:
            return None
        (was_board, was_ids, was_banned), before = shown
        # A join storm appends to the list: the whole panel (0.2 ms a person) at every refresh of
        # a storm of 2,000 was seconds of the server's time.
        if (was_board, was_banned) != (board, layout[2]) or not was_ids or layout[1][:len(was_ids)] != was_ids:
            return None
        changed, counted, added = [], [], people[len(was_ids):]
        for person in people[:len(was_ids)]:
            mark, was = marks[person.id], before[person.id]
            if mark != was:
                only_count = mark[0] == was[0] and mark[2:] == was[2:]
                (counted if only_count else changed).append(person)
        return changed, counted, added
