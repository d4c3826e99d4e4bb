"""Phones arriving together share their first frame while nothing it shows has changed.

Each join moves the room's sequence number. A frame kept by sequence number served no hello that
came after another join: phones arriving one after the other each had one rendered anew. A frame
now serves later arrivals as long as the events since show nothing on it; what the board on
screen shows of people (a vote's "N participants") still reaches each arrival right. Real shell
(Workshops, Hub, a SQLite file).
"""

from __future__ import annotations

from boards import rules
from boards.actions import parse
from boards.model import FACILITATOR, PARTICIPANT, SCREEN, Actor
from server import render
from server.hub import Hub
from server.store import Store
from server.workshops import Workshops


def counting_renders(monkeypatch):
    """Counts whole-frame renders by view; returns the count and the renderer itself."""
    renders = []
    frame = render.frame

    def counted(ws, view, *args, **kwargs):
        renders.append(view)
        return frame(ws, view, *args, **kwargs)
    monkeypatch.setattr(render, "frame", counted)
    return renders, frame


def arrive(shell, ws, name: str, view: str = PARTICIPANT) -> str:
    """Someone joins, connects and says hello from a page older than the room: their first frame."""
    person = shell.join(ws, name)
    client = shell.hub.client(None, view, person, "fr")
    shell.hub.room(ws.id).add(client)
    shell.resync(ws, client, 0)
    return client.take()


def decide(shell, ws, host, message):
    shell.commit(ws, rules.decide(ws, Actor(host, FACILITATOR), parse(message)))


def test_arrivals_share_one_frame_until_something_on_it_changes(tmp_path, monkeypatch):
    store = Store(str(tmp_path / "atelier.db"))
    try:
        shell = Workshops(store, Hub())
        ws = shell.get(shell.create("Atelier", "QPV", boards=(("Idées", "ideas"),))["id"])
        host = shell.facilitator(ws, "Animation")
        renders, fresh = counting_renders(monkeypatch)
        frames = [arrive(shell, ws, f"Personne {n}") for n in range(30)]
        # One render, or two if the clock's second turned meanwhile (the timer is in the frame).
        assert 1 <= renders.count(PARTICIPANT) <= 2
        # Every arrival got what a page rendered after the last join shows, and its own name.
        now = fresh(ws, PARTICIPANT, "fr")
        for number, frame in enumerate(frames):
            assert frame.startswith(now) and f"Personne {number}" in frame[len(now):]

        # The board's title changes: the next arrival sees the new one, not the frame kept.
        decide(shell, ws, host, {"type": "board.rename", "board": ws.current_board, "title": "État des lieux"})
        later = arrive(shell, ws, "Retardataire")
        assert later.startswith(fresh(ws, PARTICIPANT, "fr")) and "État des lieux" in later
    finally:
        store.close()


def test_a_board_that_counts_people_shows_each_arrival_the_count_of_its_own_moment(tmp_path, monkeypatch):
    """The brakes and levers vote tells the projector how many of the room have placed their
    dots: each join changes it, so each projector connecting after a join gets a frame of its own."""
    store = Store(str(tmp_path / "atelier.db"))
    try:
        shell = Workshops(store, Hub())
        ws = shell.get(shell.create("Atelier", "QPV", boards=(("Freins et leviers", "levers"),))["id"])
        host = shell.facilitator(ws, "Animation")
        decide(shell, ws, host, {"type": "board.phase", "board": ws.current_board, "phase": "vote"})
        renders, fresh = counting_renders(monkeypatch)
        for number in range(1, 6):
            frame = arrive(shell, ws, f"Écran {number}", view=SCREEN)
            assert frame.startswith(fresh(ws, SCREEN, "fr"))
            assert f"0 sur {number} participant" in frame
        assert renders.count(SCREEN) == 5
    finally:
        store.close()
