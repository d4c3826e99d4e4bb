"""The browser-facing defences, against a real server: cross-site websockets and form posts,
cookie flags, tampered or foreign cookies, bounded guessing of join codes and of the coordinator
token, security headers. Routes are taken from the live application, so new ones are covered."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets

import httpx
import pytest
import websockets
from itsdangerous import TimestampSigner
from starlette.routing import Route

from players import Person, Server
from server.app import create_app
from server.auth import JoinLimiter, network_of
from server.settings import Settings

ELSEWHERE = "http://ailleurs.example"


def run(coro):
    return asyncio.run(coro)


def post_routes(tmp_path) -> list[str]:
    app = create_app(Settings(db_path=str(tmp_path / "routes.db")))
    return [route.path for route in app.routes if isinstance(route, Route) and "POST" in (route.methods or ())]


def filled(path: str, workshop: dict) -> str:
    values = {"workshop_id": workshop["id"], "code": workshop["code"], "board_id": "b2", "locale": "fr"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "x"), path)


def test_cross_site_websockets_are_refused(server):
    async def scenario():
        host = Person(server)
        workshop = host.create_workshop()
        page = host.http.get(f"/a/{workshop['id']}/animation").text
        key = re.search(r"ecran\?cle=([0-9a-f]+)", page).group(1)
        alice = Person(server)
        alice.join(workshop["code"], "Alice")
        attempts = [(alice, "participant", ""), (host, "facilitator", ""), (host, "screen", f"&cle={key}")]
        for person, view, query in attempts:
            for origin in (ELSEWHERE, "null", f"{server.url}.ailleurs.example",
                           f"http://ailleurs.example/{server.url}", "http://127.0.0.1:1"):
                with pytest.raises(websockets.InvalidStatus) as refused:
                    await person.connect(view=view, query=query, origin=origin)
                assert refused.value.response.status_code == 403, (view, origin)
            # A client that sends no Origin at all is refused too.
            url = f"ws://127.0.0.1:{server.port}/a/{workshop['id']}/ws?view={view}{query}"
            with pytest.raises(websockets.InvalidStatus):
                await websockets.connect(url, additional_headers={"Cookie": person.cookie_header()})
            # The same cookies from the server's own page work: the refusals above were the origin's.
            await person.connect(view=view, query=query)
            await person.wait_for('id="sync"')
            await person.close()

    run(scenario())


def test_cross_site_form_posts_are_refused_on_every_post_route(server, tmp_path):
    host = Person(server)
    workshop = host.create_workshop()
    before = host.http.get(f"/a/{workshop['id']}/animation").text
    for path in post_routes(tmp_path):
        url = filled(path, workshop)
        data = {"title": "Piège", "territory": "Ailleurs", "code": workshop["code"], "name": "Intrus",
                "label": "Piège", "token": "x"}
        for headers in ({"Origin": ELSEWHERE}, {"Origin": "null"},
                        {"Origin": "", "Referer": f"{ELSEWHERE}/page"}, {"Origin": ""}):
            answer = host.http.post(url, data=data, headers=headers)
            assert answer.status_code == 403, (path, headers, answer.status_code)
    assert host.http.get(f"/a/{workshop['id']}/animation").text == before


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


@pytest.mark.parametrize("https", [False, True])
def test_cookies_are_http_only_same_site_and_secure_over_https(tmp_path, https):
    server = Server(tmp_path / "atelier.db", extra=("--https",) if https else ()).start()
    try:
        # Every way a cookie is set, each from a fresh browser (a Secure cookie is not sent back
        # over the plain http of this test, so no step relies on the one before).
        seen = []
        answer = Person(server).http.post("/ateliers", data={"title": "Atelier", "territory": "QPV"})
        seen += set_cookies(answer)
        seen += set_cookies(Person(server).http.get(answer.headers["location"]))
        seen += set_cookies(Person(server).http.post("/rejoindre", data={"code": "ZZZZZZ", "name": "Alice"}))
        seen += set_cookies(Person(server).http.get("/langue/en?next=/"))
        seen += set_cookies(Person(server).http.post("/coordination/connexion", data={"token": "faux"}))
        assert seen and any(c.startswith("maillage=") for c in seen) and any(c.startswith("lang=") for c in seen)
        for cookie in seen:
            flags = [part.strip().lower() for part in cookie.split(";")[1:]]
            assert "httponly" in flags, cookie
            assert "samesite=lax" in flags or "samesite=strict" in flags, cookie
            assert ("secure" in flags) == https, cookie
    finally:
        server.stop()


def test_tampered_forged_and_foreign_cookies_are_refused(server, tmp_path):
    async def scenario():
        host = Person(server)
        workshop = host.create_workshop()
        alice = Person(server)
        alice.join(workshop["code"], "Alice")
        value = alice.http.cookies["maillage"]
        payload = json.loads(base64.b64decode(value.split(".")[0] + "=="))
        me = payload["p"][workshop["id"]]

        forged_secret = TimestampSigner(secrets.token_urlsafe(32))
        claim = base64.b64encode(json.dumps({"p": {workshop["id"]: me}, "f": {workshop["id"]: me}}).encode())
        # The signature's last base64 character carries two padding bits that decoding drops, so
        # changing it can leave the signature intact: the tampered character is its first one.
        head, signature = value.rsplit(".", 1)
        flipped = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
        promoted = base64.b64encode(json.dumps({**payload, "f": {workshop["id"]: me}}).encode()).decode() \
            + "." + value.split(".", 1)[1]
        other_server = Server(tmp_path / "autre.db").start()
        try:
            stranger = Person(other_server)
            elsewhere = stranger.create_workshop()
            foreign = stranger.http.cookies["maillage"]
            assert elsewhere["id"] != workshop["id"]
        finally:
            other_server.stop()

        for label, cookie in (("flipped", flipped), ("promoted", promoted), ("foreign", foreign),
                              ("forged", forged_secret.sign(claim).decode())):
            mallory = Person(server)
            mallory.http.cookies.set("maillage", cookie, domain="127.0.0.1")
            mallory.workshop_id = workshop["id"]
            for view in ("participant", "facilitator"):
                with pytest.raises(websockets.InvalidStatus):
                    await mallory.connect(view=view)
            assert mallory.http.get(f"/a/{workshop['id']}").status_code == 303, label
            assert mallory.http.get(f"/a/{workshop['id']}/animation").status_code == 403, label
        # The genuine cookie still works.
        await alice.connect()
        await alice.wait_for('id="sync"')

    run(scenario())


def test_join_code_guessing_is_bounded(tmp_path):
    # A lower bound per address than the default 240, so the test sends its requests well within
    # the limiter's minute even on a busy machine.
    server = Server(tmp_path / "atelier.db", extra=("--join-guesses-per-address", "40")).start()
    try:
        guessing_is_bounded(server)
    finally:
        server.stop()


def guessing_is_bounded(server):
    host = Person(server)
    workshop = host.create_workshop()
    guesses = (f"{n:06d}".translate(str.maketrans("0123456789", "ABCDEFGHJK")) for n in range(10**6))
    guesser = Person(server)
    answers = [guesser.join(next(guesses), "Devin").status_code for _ in range(10)]
    assert answers == [400] * 10
    # The eleventh try from that browser is refused, even with the right code.
    assert guesser.join(workshop["code"], "Devin").status_code == 429
    # A new browser for each try (no cookies kept) gets 40 guesses a minute here from one address in all.
    fresh = []
    for _ in range(50):
        person = Person(server)
        fresh.append(person.join(next(guesses), "Devin").status_code)
    assert fresh.count(400) == 30 and fresh.count(429) == 20
    assert Person(server).join(workshop["code"], "Alice").status_code == 429
    # The coordinator token is guarded by the same bound.
    coordinator = Person(server).http.post("/coordination/connexion", data={"token": "faux"})
    assert coordinator.status_code == 403 and "Trop d" in coordinator.text


def mistyped(code: str, number: int) -> str:
    """What a person of the room may type instead of `code`: a character changed, dropped or swapped."""
    slip = number % 3
    at = number % (len(code) - 1)
    if slip == 0:
        other = "X" if code[at] != "X" else "Y"
        return code[:at] + other + code[at + 1:]
    if slip == 1:
        return code[:at] + code[at + 1:]
    if code[at] == code[at + 1]:
        # Swapping equal letters changes nothing: such a slip doubles a wrong one instead.
        other = "Z" if code[at] != "Z" else "Y"
        return code[:at] + other + code[at + 1:]
    return code[:at] + code[at + 1] + code[at] + code[at + 2:]


def test_a_room_behind_one_router_is_not_locked_out_by_wrong_codes(server):
    """Sixty phones share the venue's address: sixty mistyped codes, and sixty more wrong codes typed
    by other browsers there, leave the right code open to the next new browser."""
    host = Person(server)
    workshop = host.create_workshop()
    code = workshop["code"]
    guesses = (f"{n:06d}".translate(str.maketrans("0123456789", "ABCDEFGHJK")) for n in range(10**6))
    for number in range(60):
        assert Person(server).join(mistyped(code, number), "Voisin").status_code == 400
    for _ in range(60):
        assert Person(server).join(next(guesses), "Voisin").status_code == 400
    newcomer = Person(server)
    joined = newcomer.join(code, "Nouvelle")
    assert joined.status_code == 303 and joined.headers["location"] == f"/a/{workshop['id']}"
    # Typos are still bounded per browser.
    clumsy = Person(server)
    assert [clumsy.join(mistyped(code, n), "Maladroit").status_code for n in range(11)] == [400] * 10 + [429]


def test_the_join_limiter_holds_against_address_rotation_and_key_flooding():
    limiter = JoinLimiter(per_client=10, per_address=60)
    # A script taking a new IPv6 address of its /64 for every try.
    for n in range(60):
        assert not limiter.blocked(f"2001:db8:5:7::{n:x}", f"b{n}", now=0)
        limiter.failed(f"2001:db8:5:7::{n:x}", f"b{n}", now=0)
    assert limiter.blocked("2001:db8:5:7:ffff::1", "nouveau", now=1)
    assert not limiter.blocked("2001:db8:5:8::1", "voisin", now=1)
    assert network_of("::ffff:192.0.2.7") == network_of("192.0.2.7") == "192.0.2.7"
    # Fresh browser ids by the thousand (each request a new cookie) do not wipe the counts.
    for n in range(60_000):
        limiter.blocked("2001:db8:5:7::1", f"f{n}", now=2)
    limiter.failed("198.51.100.1", "autre", now=2)
    assert limiter.blocked("2001:db8:5:7::1", "encore", now=3)
    # A minute later the address may try again.
    assert not limiter.blocked("2001:db8:5:7::1", "encore", now=62)


def test_every_page_carries_the_security_headers(server):
    host = Person(server)
    workshop = host.create_workshop()
    pages = ["/", "/rejoindre", f"/j/{workshop['code']}", f"/a/{workshop['id']}/animation",
             f"/a/{workshop['id']}", "/coordination/connexion", "/nulle-part", "/static/app.css"]
    for path in pages:
        headers = host.http.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
    for target in ("//ailleurs.example", "/\\ailleurs.example", "https://ailleurs.example", "/%2F%2Fx"):
        moved = host.http.get("/langue/en", params={"next": target})
        assert moved.status_code == 303 and not moved.headers["location"].startswith(("//", "/\\", "http")), target


def test_dependency_floors_match_the_security_page_and_the_installed_versions():
    """CI has no network to ask an advisory service: the floors are kept by hand in pyproject.toml
    and docs/security.md, which must agree, and this machine must meet them."""
    from importlib.metadata import PackageNotFoundError, version
    import tomllib

    from packaging.requirements import Requirement
    from packaging.version import Version

    from players import ROOT

    declared = {}
    for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        declared[requirement.name.lower()] = requirement
    table = {}
    for row in re.findall(r"^\| ([^|]+) \| ([^|]+) \|", (ROOT / "docs/security.md").read_text(), re.M):
        for name in row[0].split(","):
            table[name.strip().lower()] = row[1].strip()
    missing = sorted(set(declared) - set(table))
    assert not missing, f"dependencies without a line in docs/security.md: {missing}"
    for name, requirement in declared.items():
        floor = re.match(r"[\d.]+", table[name])
        if floor:
            assert any(spec.version == floor.group(0) for spec in requirement.specifier), \
                f"{name}: pyproject says {requirement.specifier}, docs/security.md says {table[name]}"
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue   # an optional path (e.g. redis for --broker) not installed here
        assert Version(installed) in requirement.specifier, f"{name} {installed} is below {requirement.specifier}"
