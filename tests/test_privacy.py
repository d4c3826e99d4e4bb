"""Privacy, against a real server process and the files it writes.

A canary text typed in a workshop is searched byte for byte in every file of the server's
directory (database, WAL, shared memory, anything else) after the workshop is deleted; a marker
typed in another, kept workshop must still be found, which shows the search would see the canary.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import websockets

from live_server import LiveServer, stderr_text, stop_reaping
from players import ITEM, Person, Server
from server import privacy


def files_holding(directory: Path, text: str) -> list[str]:
    needle = text.encode()
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*")
                  if path.is_file() and needle in path.read_bytes())


def run(coro):
    return asyncio.run(coro)


def test_deleting_a_workshop_leaves_no_trace_on_disk(server, tmp_path):
    canary = "CANARI-" + secrets.token_hex(6)
    keeper = "GARDE-" + secrets.token_hex(6)

    async def scenario():
        host = Person(server)
        workshop = host.create_workshop(f"Atelier {canary}", "QPV des Tilleuls")
        alice = Person(server)
        alice.join(workshop["code"], f"Alice {canary}", f"Structure {canary}")
        other_host = Person(server)
        other = other_host.create_workshop("Atelier gardé", "QPV des Tilleuls")
        bob = Person(server)
        bob.join(other["code"], "Bob")
        await bob.connect()
        await bob.ack(await bob.act({**ITEM, "text": f"Note {keeper}"}))

        await alice.connect()
        await host.connect(view="facilitator")
        for number in range(30):
            await alice.ack(await alice.act({**ITEM, "text": f"{canary} idée {number}"}))
        op = await alice.act({**ITEM, "type": "diagnosis.edit", "item": f"d{alice.seq}",
                              "text": f"{canary} idée modifiée"})
        await alice.ack(op)
        await host.ack(await host.act({"type": "board.add", "kind": "ideas", "title": f"Tableau {canary}"}))
        # A wave taken: the snapshot and its analysis hold the words too.
        taken = host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": f"T0 {canary}"})
        assert taken.status_code == 303
        await asyncio.sleep(1.0)
        assert files_holding(tmp_path, canary), "the canary should be on disk before the deletion"

        # Only the facilitator may delete, and only with the workshop's code typed again.
        assert alice.http.post(f"/a/{workshop['id']}/supprimer", data={"code": workshop["code"]}).status_code == 403
        wrong = host.http.post(f"/a/{workshop['id']}/supprimer", data={"code": "AAAAAA"})
        assert wrong.status_code == 400 and files_holding(tmp_path, canary)
        assert host.http.get(f"/a/{workshop['id']}/supprimer").status_code == 200
        done = host.http.post(f"/a/{workshop['id']}/supprimer", data={"code": workshop["code"].lower()})
        assert done.status_code == 200 and "supprim" in done.text

        # The phones of the deleted workshop are told, and closed for good (no reconnection).
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await alice.next_frame(5)
        assert alice.socket.close_code == 4404
        assert "Cet atelier a été supprimé." in "".join(alice.frames[-3:])
        return workshop, other, host, bob

    workshop, other, host, bob = run(scenario())
    assert files_holding(tmp_path, canary) == []
    assert files_holding(tmp_path, keeper) != []
    wal = tmp_path / "atelier.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert host.http.get(f"/a/{workshop['id']}/animation").status_code == 404
    refused = Person(server).join(workshop["code"], "Retardataire")
    assert refused.status_code == 400
    # The other workshop of the same territory is untouched, and the server goes on.
    assert f"Note {keeper}" in bob.http.get(f"/a/{other['id']}").text
    leftovers = stop_reaping(server)
    if leftovers:
        print(f"privacy: the stopped server left {len(leftovers)} process(es) running (snapshot worker): ended")
    assert canary not in stderr_text(server.process)
    assert files_holding(tmp_path, canary) == []
    server.start()
    assert host.http.get(f"/a/{workshop['id']}/animation").status_code == 404


def test_a_participant_sees_and_deletes_their_own_contributions(server, tmp_path):
    canary = "CANARI-" + secrets.token_hex(6)

    async def scenario():
        host = Person(server)
        workshop = host.create_workshop()
        alice, bob = Person(server), Person(server)
        alice.join(workshop["code"], "Alice")
        bob.join(workshop["code"], "Bob")
        for person in (alice, bob):
            await person.connect()
        await alice.ack(await alice.act({**ITEM, "text": f"Une idée {canary}"}))
        mine = alice.seq
        await alice.ack(await alice.act({**ITEM, "type": "diagnosis.edit", "item": f"d{mine}",
                                         "text": f"Idée reformulée {canary}"}))
        await alice.ack(await alice.act({**ITEM, "text": "Une autre idée d'Alice"}))
        await bob.ack(await bob.act({**ITEM, "text": "Idée de Bob"}))
        bobs = bob.seq

        page = alice.http.get(f"/a/{workshop['id']}/mes-contributions")
        assert page.status_code == 200
        assert f"Idée reformulée {canary}" in page.text and "Une autre idée d&#39;Alice" in page.text
        assert "Idée de Bob" not in page.text
        # Strangers are sent to the join page; someone else's note cannot be deleted from here.
        stranger = Person(server).http.get(f"/a/{workshop['id']}/mes-contributions")
        assert stranger.status_code == 303 and stranger.headers["location"].startswith("/rejoindre")
        theft = alice.http.post(f"/a/{workshop['id']}/mes-contributions", data={"board": "b2", "item": f"d{bobs}"})
        assert theft.status_code == 400
        assert "Idée de Bob" in host.http.get(f"/a/{workshop['id']}/animation").text

        deleted = alice.http.post(f"/a/{workshop['id']}/mes-contributions", data={"board": "b2", "item": f"d{mine}"})
        assert deleted.status_code == 303
        after = alice.http.get(deleted.headers["location"]).text
        assert "Contribution supprimée." in after and canary not in after
        # Everyone's board loses it live.
        await bob.wait_for(lambda f: "Idée de Bob" in f and canary not in f)
        assert canary not in host.http.get(f"/a/{workshop['id']}/animation").text
        # Locked board: refused with the reason, nothing deleted.
        await host.connect(view="facilitator")
        await host.ack(await host.act({"type": "board.phase", "board": "b2", "phase": "locked"}))
        other = next(item for item in re.findall(r'name="item" value="(\w+)"', after))
        locked = alice.http.post(f"/a/{workshop['id']}/mes-contributions", data={"board": "b2", "item": other})
        assert locked.status_code == 409 and "fermé" in locked.text
        return workshop

    run(scenario())
    # The words are gone from the files too, not only from the board.
    assert files_holding(tmp_path, canary) == []
    assert files_holding(tmp_path, "Idée de Bob") != []


def test_workshops_idle_beyond_the_retention_period_are_deleted_at_start_up(tmp_path):
    database = tmp_path / "atelier.db"
    server = Server(database).start()
    try:
        old = Person(server).create_workshop("Atelier ancien", "QPV")
        recent = Person(server).create_workshop("Atelier récent", "QPV")
    finally:
        server.stop()
    # The old one's whole history moved 40 days back.
    then = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat(timespec="seconds")
    with sqlite3.connect(database) as db:
        db.execute("UPDATE workshops SET created_at = ? WHERE id = ?", [then, old["id"]])
        db.execute("UPDATE events SET at = ? WHERE workshop_id = ?", [then, old["id"]])
    db.close()

    kept = Server(database, extra=("--retention-days", "30")).start()
    try:
        visitor = Person(kept)
        assert visitor.http.get(f"/a/{old['id']}").status_code == 404
        assert visitor.http.get(f"/a/{recent['id']}").status_code == 303   # to the join form: it exists
        assert files_holding(tmp_path, "Atelier ancien") == []
        assert files_holding(tmp_path, "Atelier récent") != []
    finally:
        kept.stop()

    # Without the setting nothing is deleted, however old.
    with sqlite3.connect(database) as db:
        db.execute("UPDATE workshops SET created_at = ? WHERE id = ?", [then, recent["id"]])
        db.execute("UPDATE events SET at = ? WHERE workshop_id = ?", [then, recent["id"]])
    db.close()
    plain = Server(database).start()
    try:
        assert Person(plain).http.get(f"/a/{recent['id']}").status_code == 303
    finally:
        plain.stop()


def test_the_retention_period_is_applied_while_the_server_runs(tmp_path):
    """The daily purge, with a day shortened to a fraction of a second."""
    server = LiveServer(tmp_path / "atelier.db")
    privacy.keep_for(server.app, 30, every=0.2)
    with server:
        old = Person(server).create_workshop("Atelier laissé de côté", "QPV")
        recent = Person(server).create_workshop("Atelier en cours", "QPV")
        then = (datetime.now(timezone.utc) - timedelta(days=31)).isoformat(timespec="seconds")
        server.call(lambda: server.app.state.store.execute(
            "UPDATE events SET at = ? WHERE workshop_id = ?", [then, old["id"]]))
        deadline = time.monotonic() + 10
        while server.call(lambda: server.app.state.workshops.get(old["id"])) is not None:
            assert time.monotonic() < deadline, "the idle workshop was not deleted"
            time.sleep(0.1)
        visitor = Person(server)
        assert visitor.http.get(f"/a/{old['id']}").status_code == 404
        assert visitor.http.get(f"/a/{recent['id']}").status_code == 303


def test_logs_keep_no_full_address_and_no_projector_key(tmp_path):
    server = Server(tmp_path / "atelier.db", extra=("--log-level", "info")).start()
    try:
        async def scenario():
            host = Person(server)
            workshop = host.create_workshop()
            page = host.http.get(f"/a/{workshop['id']}/animation").text
            key = re.search(r"ecran\?cle=([0-9a-f]+)", page).group(1)
            alice = Person(server)
            alice.join(workshop["code"], "Alice")
            await alice.connect()
            screen = Person(server)
            screen.workshop_id = workshop["id"]
            await screen.connect(view="screen", query=f"&cle={key}")
            with pytest.raises(websockets.InvalidStatus):
                await alice.connect(origin="http://ailleurs.example")
            for _ in range(3):
                Person(server).join("ZZZZZZ", "Devin")
            await alice.close()
            await screen.close()
            return key

        key = run(scenario())
    finally:
        server.stop()
    log = stderr_text(server.process)
    assert "WebSocket" in log and "127.0.0.0/24" in log, log[-2000:]
    assert "127.0.0.1" not in log
    assert key not in log
