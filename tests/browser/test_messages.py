"""What a phone shows and keeps on weak venue wifi: typed text is never lost, every banner and toast
is true and leaves when it stops being so, the page comes back after any close, and a 100-point
allocation counts what is typed. One server for the module; each test its own workshop."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest
from playwright.sync_api import expect

from players import Server

from .conftest import ARTIFACTS, Room
from .steps import add_board, create_workshop, ideas_board, join, online, set_phase, settled, show_board

pytestmark = pytest.mark.browser

# While offline, the browser's own reconnection attempts fail loudly in the console: expected then.
FAILED_RECONNECT = r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/a/\w+/ws\?view=participant' failed|htmx:wsError"
LOCKED = "L'atelier est verrouillé."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    here = Server(tmp_path_factory.mktemp("messages") / "atelier.db").start()
    yield here
    here.stop()
    log = here.process.stderr.read().decode("utf-8", "replace")
    assert "Traceback" not in log, log[-5000:]


@pytest.fixture
def room(chromium, server, request):
    artifacts = ARTIFACTS / request.node.name
    shutil.rmtree(artifacts, ignore_errors=True)
    here = Room(chromium, server, artifacts)
    try:
        yield here
    finally:
        here.close()


def workshop(room, title: str, name: str = "Amina"):
    fac = room.open("laptop")
    workshop_id, code = create_workshop(fac, title, "QPV du Port")
    ideas_board(fac)
    phone = room.open("phone")
    join(phone, code, name)
    return fac, phone, workshop_id, code


def lock(fac, locked: bool, room) -> None:
    with room.watch.confirming():
        fac.get_by_role("button", name="Verrouiller l'atelier" if locked else "Déverrouiller l'atelier").click()
    expect(fac.locator("#locked .banner")).to_have_count(1 if locked else 0)
    settled(fac)


def stored(room, workshop_id: str, event: str, text: str) -> int:
    with sqlite3.connect(room.server.db) as db:
        rows = db.execute("SELECT data FROM events WHERE workshop_id = ? AND type = ?", [workshop_id, event])
        return sum(text in data for (data,) in rows)


# Each compose form of each board kind: how to show it, fill it and send it.
def ideas(fac, phone):
    return phone.locator("form.compose"), "Votre idée", "Ajouter la note", "note.added"


def levers(fac, phone):
    add_board(fac, "Freins et leviers", "Freins et leviers")
    show_board(fac, "Freins et leviers")
    form = phone.locator("form.lv-compose")
    form.get_by_role("radio", name="un levier").check()
    form.get_by_label("Catégorie").select_option(label="Moyens")
    return form, "Votre carte", "Ajouter la carte", "card.added"


def stakeholders(fac, phone):
    add_board(fac, "Cartographie", "Cartographie des acteurs")
    show_board(fac, "Cartographie")
    return phone.locator("form.sh-add"), "Ajouter une organisation ou un collectif", "Ajouter l'acteur", "actor.added"


def indicators(fac, phone):
    add_board(fac, "Référentiel", "Référentiel d'indicateurs")
    show_board(fac, "Référentiel")
    return phone.locator(".ind-compose form"), "Nom de l'indicateur", "Proposer", "indicator.proposed"


@pytest.mark.parametrize("kind", [ideas, levers, stakeholders, indicators], ids=lambda k: k.__name__)
def test_a_refused_contribution_keeps_what_was_typed_with_the_reason_beside_it(room, kind):
    """Item 1 (and item 2's unlock): the phone sends while offline, the workshop is locked meanwhile;
    the refusal leaves the form as it was, says why beside it, and goes once the workshop is open."""
    fac, phone, workshop_id, _ = workshop(room, f"Atelier {kind.__name__}")
    form, label, button, event = kind(fac, phone)
    text = f"Permanences communes ({kind.__name__})"
    field = form.get_by_label(label, exact=True)
    field.fill(text)

    with room.watch.tolerating(FAILED_RECONNECT):
        phone.context.set_offline(True)
        expect(phone.locator("#conn")).to_have_text("Hors ligne : reconnexion en cours…")
        form.get_by_role("button", name=button).tap()
        expect(phone.locator("#outbox .out.pending")).to_have_count(1)
        lock(fac, True, room)
        phone.context.set_offline(False)
        online(phone)

    expect(phone.locator("#notice")).to_have_text(LOCKED)
    expect(phone.locator("#outbox .out.refused")).to_have_count(1)
    if kind is stakeholders:
        # The map hides its forms while closed: the text waits for the form to come back.
        expect(form).to_have_count(0)
    else:
        expect(field).to_have_value(text)
        expect(field).to_be_disabled()
        expect(form.locator(".refusal")).to_have_text(LOCKED)
    room.shot(phone, "refused")
    assert stored(room, workshop_id, event, text) == 0

    lock(fac, False, room)
    expect(phone.locator("#notice")).to_have_text("")
    expect(phone.locator("form .refusal")).to_have_count(0)
    expect(field).to_be_enabled()
    expect(field).to_have_value(text)

    form.get_by_role("button", name=button).tap()
    settled(phone)
    expect(field).to_have_value("")
    assert stored(room, workshop_id, event, text) == 1
    room.watch.assert_clean()


def points_board(fac, phone):
    """An indicators board in its 100-point prioritisation, seeded from the common library."""
    add_board(fac, "Référentiel", "Référentiel d'indicateurs")
    show_board(fac, "Référentiel")
    fac.get_by_role("button", name="Partir de la bibliothèque commune").click()
    expect(fac.locator(".ind-mode")).to_be_visible()
    online(fac)
    mode = fac.locator("form.ind-mode")
    mode.get_by_label("Priorisation").select_option("points")
    mode.get_by_role("button", name="Appliquer").click()
    settled(fac)
    set_phase(fac, "Priorisation")
    form = phone.locator("form.ind-points")
    expect(form).to_be_visible()
    return form


def test_a_banner_leaves_with_the_next_accepted_action(room):
    """Item 2: "110 points pour 100" goes once a correct allocation is saved."""
    fac, phone, _, _ = workshop(room, "Atelier bannières")
    form = points_board(fac, phone)
    boxes = form.locator("input[name=points]")
    for n, value in enumerate(("40", "40", "30")):
        boxes.nth(n).fill(value)
    form.get_by_role("button", name="Enregistrer ma répartition").tap()
    expect(phone.locator("#notice")).to_have_text("Vous avez réparti 110 points pour 100 disponibles.")
    expect(form.locator(".refusal")).to_have_text("Vous avez réparti 110 points pour 100 disponibles.")
    expect(boxes.nth(2)).to_have_value("30")           # what was typed stays to be corrected

    boxes.nth(2).fill("20")
    form.get_by_role("button", name="Enregistrer ma répartition").tap()
    settled(phone)
    expect(phone.locator("#notice")).to_have_text("")
    expect(form.locator(".refusal")).to_have_count(0)
    room.watch.assert_clean()


def test_the_used_up_budget_banner_leaves_once_a_point_is_taken_back(room):
    """Item 2: "Vous avez déjà placé tous vos points (5)." is true until the voter removes a point."""
    fac, phone, _, _ = workshop(room, "Atelier points")
    levers(fac, phone)
    form = phone.locator("form.lv-compose")
    for text in ("Aller vers les familles", "Permanences partagées"):
        form.get_by_role("radio", name="un levier").check()
        form.get_by_label("Catégorie").select_option(label="Moyens")
        form.get_by_label("Votre carte").fill(text)
        form.get_by_role("button", name="Ajouter la carte").tap()
        settled(phone)
    set_phase(fac, "Vote")
    first = phone.locator(".lv-card", has_text="Aller vers les familles")
    second = phone.locator(".lv-card", has_text="Permanences partagées")
    for card, times in ((first, 3), (second, 2)):
        for _ in range(times):
            card.get_by_role("button", name="Mettre un point sur cette carte").tap()
            settled(phone)
    second.get_by_role("button", name="Mettre un point sur cette carte").tap()
    expect(phone.locator("#notice")).to_have_text("Vous avez déjà placé tous vos points (5).")
    second.get_by_role("button", name="Retirer un de vos points de cette carte").tap()
    expect(phone.locator("#notice")).to_have_text("")
    room.watch.assert_clean()


def test_a_refusal_toast_leaves_by_itself_covers_no_button_and_is_announced(room):
    """Item 3, on a 360×640 phone."""
    fac, phone, _, _ = workshop(room, "Atelier toasts")
    form = points_board(fac, phone)
    for n, value in enumerate(("40", "40", "30")):
        form.locator("input[name=points]").nth(n).fill(value)
    save = form.get_by_role("button", name="Enregistrer ma répartition")
    save.tap()
    toast = phone.locator("#outbox .out.refused")
    expect(toast).to_have_text(re.compile("Répartition des points : Refusé"))
    outbox = phone.locator("#outbox")
    assert outbox.get_attribute("role") == "status" and outbox.get_attribute("aria-live") == "polite"
    # Scrolled to the very bottom, the last button of the page is not under the toast.
    phone.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    hit = save.evaluate("""(b) => { const r = b.getBoundingClientRect();
        const t = document.querySelector('#outbox').getBoundingClientRect();
        const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return { free: b.contains(top), apart: r.bottom <= t.top || t.bottom <= r.top }; }""")
    assert hit == {"free": True, "apart": True}, hit
    room.shot(phone, "toast-360x640")
    expect(toast).to_have_count(0, timeout=9_000)        # gone by itself, no × tapped
    room.watch.assert_clean()


START_TIMER = """async (message) => {
  const path = document.querySelector("[ws-connect]").getAttribute("ws-connect");
  const socket = new WebSocket(location.origin.replace(/^http/, "ws") + path);
  await new Promise((resolve) => { socket.onopen = resolve; });
  const answered = new Promise((resolve) => {
    socket.onmessage = (e) => { if (e.data.includes(message.op)) { resolve(); } };
  });
  socket.send(JSON.stringify(message));
  await answered;
  socket.close();
}"""


def test_a_timer_that_closes_contributions_closes_them_everywhere_on_the_page(room):
    """Item 4: at 0:00 the header, the badge and the form agree; "Arrêter" opens them again."""
    fac, phone, _, _ = workshop(room, "Atelier minuteur")
    field = phone.get_by_label("Votre idée")
    field.fill("Une idée en cours d'écriture")
    expect(phone.locator(".phase")).to_have_text("Phase : Contributions ouvertes")
    fac.evaluate(START_TIMER, {"type": "timer.start", "minutes": 0, "seconds": 2, "lock": True, "op": "timer-op-1"})

    expect(phone.locator("#timer .up")).to_have_text("Temps écoulé : contributions fermées", timeout=10_000)
    expect(phone.locator(".phase")).to_have_text("Contributions fermées")
    expect(phone.locator(".expect")).to_have_text("Le temps est écoulé : les contributions attendent l'animation.")
    expect(field).to_be_disabled()
    expect(field).to_have_value("Une idée en cours d'écriture")
    room.shot(phone, "time-up")

    fac.get_by_role("button", name="Arrêter", exact=True).click()
    settled(fac)
    expect(phone.locator("#timer")).to_be_hidden()
    expect(phone.locator(".phase")).to_have_text("Phase : Contributions ouvertes")
    expect(field).to_be_enabled()
    expect(field).to_have_value("Une idée en cours d'écriture")
    room.watch.assert_clean()


class Relay:
    """The phone's websocket goes through the test, which may close it with any code or hold back
    the phone's actions, as a flaky venue network or a restarting server would."""

    def __init__(self, page):
        self.routes, self.servers = [], []
        self.drop = None            # a text: messages from the phone containing it are lost
        self.sent = []
        page.route_web_socket(re.compile(r"/ws\?view=participant"), self._route)

    def close(self, code: int) -> None:
        """The phone sees its connection closed with `code`; the server sees it go."""
        self.routes[-1].close(code=code)
        self.servers[-1].close()

    def _route(self, ws):
        server = ws.connect_to_server()
        self.routes.append(ws)
        self.servers.append(server)

        def up(message):
            self.sent.append(message)
            if self.drop and self.drop in message:
                return
            server.send(message)
        ws.on_message(up)
        server.on_message(lambda message: ws.send(message))


def test_the_page_reconnects_after_every_close_but_the_final_ones(room):
    """Item 5: 1000, 1001, 1005, 1006, 1012 and 4429 are followed by a new connection; 4403 is not."""
    fac = room.open("laptop")
    _, code = create_workshop(fac, "Atelier reconnexions", "QPV du Port")
    phone = room.open("phone", "/")
    relay = Relay(phone)
    join(phone, code, "Amina")
    for close in (1000, 1001, 1005, 1006, 1012, 4429):
        count = len(relay.routes)
        relay.close(close)
        # Full jitter from one second: the first retry comes within a second or two, after 4429 later.
        for _ in range(200):
            if len(relay.routes) > count:
                break
            phone.wait_for_timeout(100)
        assert len(relay.routes) == count + 1, (close, len(relay.routes))
        online(phone)
    # The facilitator's change still reaches the phone on its latest connection.
    add_board(fac, "Freins et leviers", "Freins et leviers")
    show_board(fac, "Freins et leviers")
    expect(phone.locator("#stage-title")).to_have_text("Freins et leviers")

    count = len(relay.routes)
    relay.close(4403)
    expect(phone.locator("#conn")).to_have_text("Déconnecté")
    phone.wait_for_timeout(4_000)
    assert len(relay.routes) == count
    room.watch.assert_clean()


def test_an_unsaved_action_survives_a_reload_and_leaving_asks_first(room):
    """Item 5: the note not yet acknowledged is kept in session storage, resent with its op id after
    the reload, and applied once; the reload asked first."""
    fac = room.open("laptop")
    workshop_id, code = create_workshop(fac, "Atelier rechargement", "QPV du Port")
    ideas_board(fac)
    phone = room.open("phone", "/")
    relay = Relay(phone)
    join(phone, code, "Amina")
    text = "Une idée envoyée dans un couloir sans réseau"
    relay.drop = text
    phone.get_by_label("Votre idée").fill(text)
    phone.get_by_role("button", name="Ajouter la note").tap()
    expect(phone.locator("#outbox .out.pending")).to_have_text("Ajout de note : En attente d’envoi")
    phone.wait_for_timeout(500)
    assert stored(room, workshop_id, "note.added", text) == 0

    relay.drop = None
    with room.watch.leaving():
        phone.reload()
    assert room.watch.left == 1                         # the browser asked before leaving
    online(phone)
    settled(phone)
    expect(fac.locator(".note", has_text=text)).to_have_count(1)
    assert stored(room, workshop_id, "note.added", text) == 1
    ops = {json.loads(m)["op"] for m in relay.sent if text in m}
    assert len(ops) == 1, ops                             # the same operation before and after
    # Nothing left to save: leaving now asks nothing.
    phone.reload()
    online(phone)
    assert room.watch.left == 1
    room.watch.assert_clean()


def test_the_budget_counter_follows_typing_and_counts_say_what_they_count(room):
    """Item 6: 40 + 40 + 30 shows 110 at once; 90 of 100 is "commencé", not "réparti"."""
    fac, phone, _, code = workshop(room, "Atelier budget")
    form = points_board(fac, phone)
    counter = form.locator(".ind-left")
    boxes = form.locator("input[name=points]")
    boxes.nth(0).fill("40")
    expect(counter).to_have_text("Vous avez réparti 40 points sur 100.")
    boxes.nth(1).fill("40")
    boxes.nth(2).fill("30")
    expect(counter).to_have_text("Vous avez réparti 110 points pour 100 disponibles : retirez-en 10.")
    boxes.nth(2).fill("10")
    expect(counter).to_have_text("Vous avez réparti 90 points sur 100.")
    form.get_by_role("button", name="Enregistrer ma répartition").tap()
    settled(phone)
    rule = fac.locator(".ind-rule")
    expect(rule).to_contain_text("0 personne a réparti tout son budget.")
    expect(rule).to_contain_text("1 personne a commencé sans tout répartir.")

    boxes.nth(2).fill("20")
    expect(counter).to_have_text("Vous avez réparti 100 points sur 100.")
    form.get_by_role("button", name="Enregistrer ma répartition").tap()
    settled(phone)
    expect(rule).to_contain_text("1 personne a réparti tout son budget.")
    expect(rule).not_to_contain_text("commencé")
    room.watch.assert_clean()
