"""Nothing acknowledged on the diagnosis and ambition boards is lost when the server is killed
with SIGKILL mid-workshop, and an open round's answers stay private after the restart."""

import asyncio

from players import Person, Server


def test_acknowledged_items_dots_and_answers_survive_sigkill(tmp_path):
    server = Server(tmp_path / "atelier.db").start()
    try:
        host = Person(server)
        workshop = host.create_workshop("Atelier", "QPV")
        alice, bob = Person(server), Person(server)
        alice.join(workshop["code"], "Alice")
        bob.join(workshop["code"], "Bob")

        async def before():
            await host.connect(view="facilitator")
            await host.wait_for('id="stage"')
            for person in (alice, bob):
                await person.connect()
            boards = {}
            for kind in ("diagnosis", "ambition"):
                await host.ack(await host.act({"type": "board.add", "kind": kind, "title": kind}))
                boards[kind] = f"b{host.seq}"
            d, a = boards["diagnosis"], boards["ambition"]
            await host.ack(await host.act({"type": "board.show", "board": d}))
            for n in range(6):
                await alice.ack(await alice.act({"type": "diagnosis.add", "board": d, "theme": "emploi",
                                                 "nature": "need", "source": "lived", "text": f"Besoin n° {n}"}))
            need = f"d{alice.seq}"
            await host.ack(await host.act({"type": "board.phase", "board": d, "phase": "prioritise"}))
            await bob.ack(await bob.act({"type": "diagnosis.dot", "board": d, "item": need, "on": True}))
            await bob.ack(await bob.act({"type": "ambition.propose", "board": a, "text": "Une ambition"}))
            statement = f"m{bob.seq}"
            await host.ack(await host.act({"type": "board.phase", "board": a, "phase": "consent"}))
            await host.ack(await host.act({"type": "board.show", "board": a}))
            await host.ack(await host.act({"type": "ambition.round.open", "board": a, "statement": statement}))
            await bob.ack(await bob.act({"type": "ambition.answer", "board": a, "answer": "object",
                                         "reason": "Raison secrète de Bob"}))
            # Acknowledged: now the process dies without a chance to flush anything.
            server.kill()
            return d, a

        d, a = asyncio.run(before())
        server.start()
        alice_page = alice.http.get(f"/a/{workshop['id']}").text
        bob_page = bob.http.get(f"/a/{workshop['id']}").text
        assert "1 réponse" in alice_page and "Raison secrète de Bob" not in alice_page
        assert "Raison secrète de Bob" in bob_page
        earlier = host.http.get(f"/a/{workshop['id']}/tableaux/{d}").text
        assert all(f"Besoin n° {n}" in earlier for n in range(6)) and "1 point" in earlier

        async def after():
            await host.connect(view="facilitator")
            await host.wait_for('id="stage"')
            await host.ack(await host.act({"type": "ambition.round.close", "board": a}))

        asyncio.run(after())
        assert "Raison secrète de Bob" in alice.http.get(f"/a/{workshop['id']}").text
    finally:
        server.stop()
