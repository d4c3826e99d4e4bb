"""Who may do what: every role against every HTTP route and every websocket message type.

Roles: nobody (no session), a participant of this workshop, a participant of another one, its
facilitator, the facilitator of another one, a coordinator, the projector (holding only the
screen key, which it adds to every request). Routes come from the live application's `routes`
and message types from `boards.actions.REGISTRY`, so what is added later is tried too: a route
nobody declared below still gets the defaults of its area (outsiders refused under /a/{id}/,
everyone but coordinators and facilitators refused under /coordination).

Every refusal is checked to change nothing: the database (read through its own connection) and
every workshop's live state are compared before and after. The server runs in this process for
that comparison, with real sockets and uvicorn.
"""

from __future__ import annotations

import asyncio
import copy
import random
import re
import sqlite3
import time
from dataclasses import dataclass, field

import httpx
import pytest
import websockets
from starlette.routing import Route

from boards.model import FACILITATOR, PARTICIPANT, SCREEN, Actor
from live_server import LiveServer, digest
from messages import allowed_somewhere, id_pool, outcome, types
from players import ITEM, Person

A, P, PO, F, FO, C, S = ("anonymous", "participant", "participant_other", "facilitator",
                         "facilitator_other", "coordinator", "projector")
EVERYONE = {A, P, PO, F, FO, C, S}
OUTSIDERS = {A, PO, FO, C, S}
TOKEN = "jeton-de-coordination-de-test"


@dataclass
class Rule:
    must: set = field(default_factory=set)      # roles that must get through
    never: set = field(default_factory=set)     # roles that must be refused
    destructive: bool = False                   # not run for the roles that may (it would end the test)


POLICY = {
    ("GET", "/"): Rule(EVERYONE),
    ("POST", "/ateliers"): Rule(EVERYONE),
    ("GET", "/rejoindre"): Rule(EVERYONE),
    ("POST", "/rejoindre"): Rule(EVERYONE),
    ("GET", "/j/{code}"): Rule(EVERYONE),
    ("GET", "/langue/{locale}"): Rule(EVERYONE),
    ("GET", "/bibliotheque"): Rule(EVERYONE),
    ("GET", "/pictos.svg"): Rule(EVERYONE),
    ("GET", "/a/{workshop_id}"): Rule({P}, OUTSIDERS),
    # Tried with a wrong key: the right one is a capability, whoever holds it.
    ("GET", "/a/{workshop_id}/animer/{key}"): Rule(set(), EVERYONE),
    ("GET", "/a/{workshop_id}/animation"): Rule({F}, OUTSIDERS | {P}),
    ("GET", "/a/{workshop_id}/ecran"): Rule({F, S}, EVERYONE - {F, S}),
    # The QR code spells the join code: not for someone who only knows the workshop's id.
    ("GET", "/a/{workshop_id}/qr.svg"): Rule(set(), OUTSIDERS),
    ("GET", "/a/{workshop_id}/pour/{participant_id}"): Rule({F}, OUTSIDERS | {P}),
    ("GET", "/a/{workshop_id}/tableaux/{board_id}"): Rule({F}, OUTSIDERS),
    ("POST", "/a/{workshop_id}/modele"): Rule({F}, OUTSIDERS | {P}),
    ("POST", "/a/{workshop_id}/modeles"): Rule({F}, OUTSIDERS | {P}),
    ("GET", "/territoires/{name}"): Rule({F, C}, {A, P, PO, FO, S}),
    ("POST", "/a/{workshop_id}/instantanes"): Rule({F}, OUTSIDERS | {P}),
    ("GET", "/coordination/connexion"): Rule(EVERYONE),
    # Tried with a wrong token.
    ("POST", "/coordination/connexion"): Rule(set(), EVERYONE),
    ("POST", "/coordination/deconnexion"): Rule(EVERYONE),
    ("GET", "/coordination"): Rule({C}, EVERYONE - {C}),
    ("GET", "/coordination/instantanes/{snapshot_id}"): Rule({C, F}, {A, P, PO, FO, S}),
    ("GET", "/coordination/instantanes/{snapshot_id}/export/{name}"): Rule({C, F}, {A, P, PO, FO, S}),
    ("GET", "/coordination/comparer"): Rule({C, F}, {A, P, PO, FO, S}),
    ("GET", "/coordination/comparer/export/{name}"): Rule({C, F}, {A, P, PO, FO, S}),
    ("GET", "/coordination/indicateurs"): Rule({C}, EVERYONE - {C}),
    ("GET", "/coordination/ateliers/{workshop_id}/export.maillage.json"): Rule({C}, EVERYONE - {C}),
    ("POST", "/coordination/ateliers/importer"): Rule({C}, EVERYONE - {C}, destructive=True),
    ("POST", "/a/{workshop_id}/cartographie/{board_id}/import"): Rule({F}, OUTSIDERS | {P}),
    ("GET", "/a/{workshop_id}/cartographie/{board_id}/acteurs.csv"): Rule({F}, OUTSIDERS | {P}),
    ("GET", "/a/{workshop_id}/cartographie/{board_id}/liens.csv"): Rule({F}, OUTSIDERS | {P}),
    ("POST", "/a/{workshop_id}/diagnostic/{board_id}/reprendre"): Rule({F}, OUTSIDERS | {P}),
    ("GET", "/coordination/bibliotheque"): Rule({C}, EVERYONE - {C}),
    ("GET", "/coordination/bibliotheque/export.{format}"): Rule({C}, EVERYONE - {C}),
    ("POST", "/coordination/bibliotheque/importer"): Rule({C}, EVERYONE - {C}, destructive=True),
    ("GET", "/coordination/bibliotheque/indicateur"): Rule({C}, EVERYONE - {C}),
    ("POST", "/coordination/bibliotheque/indicateur"): Rule({C}, EVERYONE - {C}, destructive=True),
    ("POST", "/coordination/bibliotheque/supprimer"): Rule({C}, EVERYONE - {C}, destructive=True),
    ("POST", "/a/{workshop_id}/indicateurs/{board_id}/amorcer"): Rule({F}, OUTSIDERS | {P}),
    ("GET", "/a/{workshop_id}/indicateurs/{board_id}/moi"): Rule({P}, OUTSIDERS),
    ("GET", "/a/{workshop_id}/mes-contributions"): Rule({P, F}, OUTSIDERS),
    ("POST", "/a/{workshop_id}/mes-contributions"): Rule({P}, OUTSIDERS),
    ("GET", "/a/{workshop_id}/supprimer"): Rule({F}, OUTSIDERS | {P}),
    ("POST", "/a/{workshop_id}/supprimer"): Rule({F}, OUTSIDERS | {P}, destructive=True),
}


def default_rule(path: str) -> Rule:
    """What a route nobody listed above must at least respect, from where it lives."""
    if path.startswith("/a/{workshop_id}"):
        return Rule(set(), OUTSIDERS)
    if path.startswith("/coordination") and not path.startswith("/coordination/connexion"):
        return Rule(set(), {A, P, PO, FO, S})
    return Rule()


def refused(response: httpx.Response) -> bool:
    if response.status_code in (401, 403, 404, 405, 429):
        return True
    location = response.headers.get("location", "")
    return response.is_redirect and location.startswith(("/rejoindre", "/coordination/connexion"))


@dataclass
class World:
    srv: LiveServer
    people: dict
    a: dict
    b: dict
    screen_key: str
    values: dict            # candidate values for each path parameter, best first
    query: str              # added to every request (the comparison page's two waves)
    forms: dict = field(default_factory=dict)


def settle(srv: LiveServer) -> None:
    """Waits for the snapshot analyses running in the background: they write when they finish."""
    deadline = time.monotonic() + 60
    while True:
        db = sqlite3.connect(srv.db)
        try:
            pending = db.execute("SELECT count(*) FROM snapshots WHERE analysis IS NULL").fetchone()[0]
        except sqlite3.OperationalError:
            pending = 0
        db.close()
        if not pending:
            return
        assert time.monotonic() < deadline, "snapshot analyses did not finish"
        time.sleep(0.1)


def state(srv: LiveServer) -> tuple:
    """Everything a refusal must leave alone: the database file and every live workshop."""
    live = srv.call(lambda: repr(sorted((k, repr(v)) for k, v in srv.app.state.workshops.states.items())))
    return digest(srv.db), live


async def build(srv: LiveServer) -> World:
    people = {role: Person(srv) for role in EVERYONE}
    a = people[F].create_workshop("Atelier des Tilleuls", "QPV des Tilleuls")
    b = people[FO].create_workshop("Atelier des Glycines", "QPV des Glycines")
    assert people[P].join(a["code"], "Paula").status_code == 303
    assert people[PO].join(b["code"], "Pierre").status_code == 303
    signed = people[C].http.post("/coordination/connexion", data={"token": TOKEN})
    assert signed.status_code == 303
    host, paula = people[F], people[P]
    await host.connect(view="facilitator")
    await paula.connect()
    boards = {}
    for kind in ("stakeholders", "indicators", "levers", "ideas", "ambition", "systems"):
        await host.ack(await host.act({"type": "board.add", "kind": kind, "title": f"Tableau {kind}"}))
        boards[kind] = f"b{host.seq}"
    await paula.ack(await paula.act({**ITEM, "text": "Idée de Paula"}))
    note = f"d{paula.seq}"
    await host.ack(await host.act({"type": "participant.add_offline", "name": "Sans téléphone"}))
    offline = f"p{host.seq}"
    await populate(srv, a["id"], host, paula)
    for label in ("T0", "T1"):
        assert host.http.post(f"/a/{a['id']}/instantanes", data={"label": label}).status_code == 303
    page = host.http.get(f"/a/{a['id']}/animation").text
    screen_key = re.search(r"ecran\?cle=([0-9a-f]+)", page).group(1)
    settle(srv)
    db = sqlite3.connect(srv.db)
    snapshots = [row[0] for row in db.execute(
        "SELECT id FROM snapshots WHERE workshop_id = ? ORDER BY taken_at, id", [a["id"]])]
    db.close()
    await host.close()
    await paula.close()
    values = {"workshop_id": [a["id"]], "key": ["mauvaise-cle"], "participant_id": [offline],
              "board_id": ["b2", *boards.values()], "snapshot_id": snapshots, "code": [a["code"]],
              "locale": ["en"], "format": ["json", "csv", "xlsx"],
              "name": ["QPV des Tilleuls", "acteurs.csv", "changements.csv", "reseau.json"]}
    return World(srv, people, a, b, screen_key, values, f"avant={snapshots[0]}&apres={snapshots[1]}",
                 forms={"item": note, "board": "b2"})


# Actions that would change who may do what (the matrix's premises) or lock everyone out.
UPSETTING = {"participant.remove", "participant.ban", "participant.captain", "workshop.lock", "board.remove", "board.add",
             "timer.start"}


async def populate(srv: LiveServer, workshop_id: str, host: Person, paula: Person, rounds: int = 2) -> None:
    """Content on every board: each action type the participant or the facilitator can take,
    setting a board's phase first when that is what it needs."""
    rng = random.Random(11)
    for _ in range(rounds):
        for name, cls in sorted(types().items()):
            if name in UPSETTING or name.endswith((".delete", ".remove", ".withdraw", ".merge")):
                continue
            ws = srv.call(lambda: copy.deepcopy(srv.app.state.workshops.get(workshop_id)))
            events = srv.call(lambda: list(srv.app.state.store.events(workshop_id)))
            ids = {p.role: p.id for p in ws.participants.values() if not p.offline}
            for person, actor in ((paula, Actor(ids[PARTICIPANT], PARTICIPANT)), (host, Actor(ids[FACILITATOR], FACILITATOR))):
                if cls.FACILITATOR_ONLY and actor.role != FACILITATOR:
                    continue
                found = allowed_somewhere(ws, actor, cls, id_pool(ws, events), rng)
                if found is None:
                    continue
                message, phase = found
                if phase is not None:
                    await host.ack(await host.act({"type": "board.phase", "board": phase[0], "phase": phase[1]}))
                op = await person.act(message)
                await person.wait_for(lambda frame: op in frame)
                break
    # A running timer, without lock at zero, so that the timer's other actions mean something.
    await host.ack(await host.act({"type": "timer.start", "minutes": 30, "lock": False}))


def form_for(world: World, path: str) -> dict:
    """A plausible form for any POST: the fields routes read, with values that pass when allowed."""
    return {"title": "Atelier", "territory": "QPV", "code": world.a["code"], "name": "Nom", "label": "T9",
            "token": "faux", "template": "diagnostic", "suite": "/coordination", **world.forms,
            **({"code": "AAAAAA"} if path.endswith("/supprimer") else {})}


def request(world: World, role: str, method: str, path: str, params: dict):
    url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: params[m.group(1)], path)
    query = world.query + (f"&cle={world.screen_key}" if role == S else "")
    person = world.people[role]
    with httpx.Client(base_url=world.srv.url, cookies=person.http.cookies, follow_redirects=False,
                      headers={"Origin": world.srv.url}, timeout=30) as http:
        if method == "GET":
            return http.get(f"{url}?{query}")
        files = {"fichier": ("acteurs.csv", b"nom;type\n", "text/csv")} if "import" in path else None
        return http.post(f"{url}?{query}", data=form_for(world, path), files=files)


def choose_params(world: World, method: str, path: str, rule: Rule) -> dict:
    """Path values with which a role that may use the route does get through (else the first ones)."""
    names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
    options = [dict(zip(names, combo)) for combo in _product([world.values.get(n, ["x"]) for n in names])]
    probe = next(iter(sorted(rule.must)), None)
    if probe is None or rule.destructive:
        return options[0]
    for params in options:
        if not refused(request(world, probe, method, path, params)):
            return params
    return options[0]


def _product(lists):
    if not lists:
        return [()]
    return [(first, *rest) for first in lists[0] for rest in _product(lists[1:])]


def test_every_role_against_every_http_route(tmp_path):
    with LiveServer(tmp_path / "atelier.db", coordinator_token=TOKEN, actions_per_second=1e9) as srv:
        world = asyncio.run(build(srv))
        routes = [(method, route.path) for route in srv.app.routes if isinstance(route, Route)
                  for method in sorted(route.methods or ()) if method != "HEAD"]
        problems, tried, undeclared = [], 0, []
        for method, path in routes:
            rule = POLICY.get((method, path))
            if rule is None:
                undeclared.append(f"{method} {path}")
                rule = default_rule(path)
            params = choose_params(world, method, path, rule)
            settle(srv)
            # The state after a refusal is the state before the next request: read once per request.
            before = state(srv)
            for role in sorted(EVERYONE):
                if rule.destructive and role not in rule.never:
                    continue
                response = request(world, role, method, path, params)
                tried += 1
                was_refused = refused(response)
                if response.status_code >= 500:
                    problems.append(f"{role} {method} {path}: server error {response.status_code}")
                if was_refused:
                    after = state(srv)
                    if after != before:
                        problems.append(f"{role} {method} {path}: refused ({response.status_code}) but something changed")
                    before = after
                if role in rule.never and not was_refused:
                    problems.append(f"{role} {method} {path}: should be refused, got {response.status_code}")
                if role in rule.must and was_refused:
                    problems.append(f"{role} {method} {path}: should get through, got {response.status_code}")
                if not was_refused:
                    settle(srv)
                    before = state(srv)
        print(f"permissions: {tried} requests over {len(routes)} routes; routes with default rules: {undeclared}")
        assert problems == [], "\n".join(problems)


VIEWS = {  # role -> the websocket views it tries, and the query it adds
    A: [("participant", ""), ("facilitator", ""), ("screen", "")],
    P: [("participant", ""), ("facilitator", ""), ("screen", "")],
    PO: [("participant", ""), ("facilitator", ""), ("screen", "")],
    F: [("participant", ""), ("facilitator", ""), ("screen", "")],
    FO: [("participant", ""), ("facilitator", ""), ("screen", "")],
    C: [("participant", ""), ("facilitator", ""), ("screen", "")],
    S: [("participant", "&cle={key}"), ("facilitator", "&cle={key}"), ("screen", "&cle={key}")],
}
OPENS = {(P, "participant"), (F, "facilitator"), (F, "screen"), (S, "screen")}


def test_every_role_against_every_websocket_message_type(tmp_path):
    with LiveServer(tmp_path / "atelier.db", coordinator_token=TOKEN, actions_per_second=1e9) as srv:
        async def scenario():
            world = await build(srv)
            workshop = world.a["id"]
            # Who may open which view: exactly the four pairs above (and the proxy page, below).
            for role, views in VIEWS.items():
                for view, query in views:
                    person = world.people[role]
                    person.workshop_id = workshop
                    try:
                        await person.connect(view=view, query=query.format(key=world.screen_key),
                                             workshop_id=workshop)
                        await person.wait_for('id="sync"')
                        opened = True
                        await person.close()
                    except websockets.InvalidStatus as refusal:
                        assert refusal.response.status_code == 403
                        opened = False
                    assert opened == ((role, view) in OPENS), (role, view)
            offline = world.values["participant_id"][0]
            for role in EVERYONE - {F}:
                with pytest.raises(websockets.InvalidStatus):
                    await world.people[role].connect(query=f"&pour={offline}", workshop_id=workshop)

            ws = srv.call(lambda: copy.deepcopy(srv.app.state.workshops.get(workshop)))
            events = srv.call(lambda: list(srv.app.state.store.events(workshop)))
            pool = id_pool(ws, events)
            ids = {p.role: p.id for p in ws.participants.values() if not p.offline}
            host_actor = Actor(ids[FACILITATOR], FACILITATOR)
            rng = random.Random(7)
            # For each type, a message the facilitator could send (now, or with a board in another
            # phase): well formed and meaningful, so that its refusal below is about who sends it.
            legit = {}
            for name, cls in sorted(types().items()):
                found = allowed_somewhere(ws, host_actor, cls, pool, rng)
                if found is not None:
                    legit[name] = found[0]
            facilitator_only = {n for n, cls in types().items() if cls.FACILITATOR_ONLY}
            covered = facilitator_only & set(legit)
            # The check below means something only if most facilitator actions were really tried.
            assert len(covered) >= 0.8 * len(facilitator_only), sorted(facilitator_only - covered)

            # Connections that must be refused everything they were given, the facilitator's
            # legitimate actions included: a participant (facilitator-only types), the projector
            # (every type), the facilitator typing for someone without a phone (facilitator-only).
            cases = [
                (world.people[P], "participant", "", Actor(ids[PARTICIPANT], PARTICIPANT),
                 [m for n, m in legit.items() if n in facilitator_only]),
                (world.people[S], "screen", f"&cle={world.screen_key}", Actor(None, SCREEN), list(legit.values())),
                (world.people[F], "screen", "", Actor(None, SCREEN), list(legit.values())),
                (world.people[F], "participant", f"&pour={offline}", Actor(offline, PARTICIPANT, ids[FACILITATOR]),
                 [m for n, m in legit.items() if n in facilitator_only]),
            ]
            report = []
            for person, view, query, actor, messages in cases:
                await person.connect(view=view, query=query, workshop_id=workshop)
                await person.wait_for('id="sync"')
                before = state(srv)
                for number, message in enumerate(messages):
                    assert isinstance(outcome(copy.deepcopy(ws), actor, message), Exception), (view, message)
                    op = await person.act(message, op=f"m{number}")
                    await person.refused(op)
                assert state(srv) == before, (view, query)
                report.append(f"{view}{query.split('=')[0]}: {len(messages)} refused")
                await person.close()
            print(f"websocket permissions: {'; '.join(report)}; facilitator-only types tried: "
                  f"{len(covered)}/{len(facilitator_only)}")

        asyncio.run(scenario())
