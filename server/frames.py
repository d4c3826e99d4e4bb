"""Whole frames for pages that (re)connect, rendered once and shared while they stay true.

A page that connects behind gets every live region of its view again. After a wifi drop the
whole room reconnects at once, and while people arrive every phone's first frame is one: most of
them are the same page. A frame is kept per (workshop, view, language, second; the timer's
seconds left are in it) with the sequence number it was rendered at, and serves later readers as
long as nothing since has changed what a frame shows.

Most changes do. A join (or another person's change) does not, unless the board on screen shows
people (its kind's PEOPLE_EVENTS): that is what `render.changes` sends every page for it, nothing,
so the frame rendered before the join is the frame after it. Kept by sequence number alone, a
frame served no hello that came after another join: while people arrive, each join moves the
room's number past the last frame kept.
"""

from __future__ import annotations

import time

from boards.model import Workshop

from . import render

# Frames kept at most; past that the cache starts again (a frame is a few tens of kilobytes).
CAPACITY = 32


class Frames:
    def __init__(self):
        # (workshop, view, language, second) -> (sequence number rendered at, html).
        self._kept: dict[tuple, tuple[int, str]] = {}
        # The sequence number of the last change each workshop's frames show, once one was
        # folded in memory; every change goes through `folded`, every reading from disk `forget`.
        self._moved: dict[str, int] = {}

    def get(self, ws: Workshop, view: str, locale: str) -> str:
        key = (ws.id, view, locale, int(time.time()))
        kept = self._kept.get(key)
        # Nothing moved since the workshop was read: every frame kept was rendered since (`forget`).
        if kept is not None and kept[0] >= self._moved.get(ws.id, 0):
            return kept[1]
        if len(self._kept) >= CAPACITY:
            self._kept.clear()
        html = render.frame(ws, view, locale)
        self._kept[key] = ws.seq, html
        return html

    def folded(self, ws: Workshop, events: list[dict]) -> None:
        """Events just applied to `ws`: the frames rendered before them stay true only if they show none."""
        for event in events:
            if not render.frame_unchanged(ws, event):
                self._moved[ws.id] = event["seq"]

    def forget(self, workshop_id: str) -> None:
        """The workshop was read again from the disk: what was rendered from memory may be gone."""
        self._moved.pop(workshop_id, None)
        self._kept = {key: kept for key, kept in self._kept.items() if key[0] != workshop_id}
