"""A phone loses the network and gets it back: it says so meanwhile, and what was done offline is
applied exactly once."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from .steps import create_workshop, ideas_board, join, online, screen_link, settled

pytestmark = pytest.mark.browser

# While offline, the browser's own reconnection attempts fail loudly in the console: expected then.
FAILED_RECONNECT = r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/a/\w+/ws\?view=participant' failed|htmx:wsError"


def notes_stored(room, workshop_id: str, text: str) -> int:
    with sqlite3.connect(room.server.db) as db:
        rows = db.execute("SELECT data FROM events WHERE workshop_id = ? AND type = 'note.added'", [workshop_id])
        return sum(text in data for (data,) in rows)


def test_an_idea_written_offline_is_applied_once_back_online(room):
    fac = room.open("laptop")
    workshop_id, code = create_workshop(fac, "Atelier hors ligne", "QPV du Port")
    ideas_board(fac)
    wall = room.open("projector", screen_link(fac))
    phone = room.open("phone")
    sent = []
    phone.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    join(phone, code, "Amina", "Centre social")
    text = "Idée écrite dans l'ascenseur, sans réseau"

    with room.watch.tolerating(FAILED_RECONNECT):
        phone.context.set_offline(True)
        expect(phone.locator("#conn")).to_have_text("Hors ligne : reconnexion en cours…")
        expect(phone.locator("body")).to_have_class(re.compile(r"\boffline\b"))
        phone.get_by_label("Votre idée").fill(text)
        phone.get_by_role("button", name="Ajouter la note").tap()
        pending = phone.locator("#outbox .out.pending")
        expect(pending).to_have_text("Ajout de note : En attente d’envoi")
        room.shot(phone, "phone-offline")
        # Long enough for the client's retry timer to have fired, were it to send while offline.
        phone.wait_for_timeout(10_000)
        expect(phone.locator("#conn")).to_have_text("Hors ligne : reconnexion en cours…")
        expect(pending).to_have_count(1)
        for page in (fac, wall):
            expect(page.locator(".notes .note")).to_have_count(0)
        assert notes_stored(room, workshop_id, text) == 0

        phone.context.set_offline(False)
        online(phone)
        settled(phone)

    expect(phone.locator("body")).not_to_have_class(re.compile(r"\boffline\b"))
    for page in (phone, fac, wall):
        expect(page.locator(".notes .note", has_text=text)).to_have_count(1)
        expect(page.locator("span[id^=count-b]")).to_have_text("1 note")
    assert notes_stored(room, workshop_id, text) == 1
    # It left the phone twice, into the dead connection and again after reconnecting, with one
    # operation id: the server applied it once.
    ops = [json.loads(frame)["op"] for frame in sent if text in frame]
    assert len(ops) >= 2 and len(set(ops)) == 1, ops
    # Once acknowledged, nothing is sent again: still one after the retry period.
    phone.wait_for_timeout(10_000)
    assert notes_stored(room, workshop_id, text) == 1
    expect(fac.locator(".notes .note")).to_have_count(1)
    room.watch.assert_clean()
