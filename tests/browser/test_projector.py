"""The projector in real Chromium, as a room of thirty reads it from the back of a hall.

The boards are filled through the websocket, as the facilitator's and the phones' pages would fill
them, then the screen view is measured at 1920×1080 and 1280×720 in every phase: the page never
scrolls, no card or indicator is cut, its smallest text is at least 24 px at 1920×1080, and every
unit of the board is on one of the pages that turn by themselves.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from players import Person

from .steps import calm, join, online, settled, touch_drag

pytestmark = pytest.mark.browser

SIZES = ((1920, 1080), (1280, 720))
# What a frame brings may take a while on a busy machine: as long as the contexts' own timeout.
WAIT = 15_000
FLOOR_PX = 24
# Thirty cards as a room writes them: short and long, brakes and levers, in every category.
CARDS = [
    ("frein", "interconnaissance", "Les structures du quartier ne se connaissent pas entre elles"),
    ("levier", "gouvernance", "Un référent commun par quartier, connu de tous les partenaires"),
    ("frein", "moyens", "Pas de temps dégagé pour les réunions partenariales"),
    ("levier", "information", "Un annuaire partagé des structures, tenu à jour chaque trimestre"),
    ("frein", "confiance", "La peur de perdre son public au profit d'une autre structure"),
    ("levier", "moyens", "Des permanences partagées au centre social"),
    ("frein", "social", "Les habitants ne savent pas à qui s'adresser pour l'emploi"),
    ("levier", "interconnaissance", "Des petits-déjeuners mensuels entre professionnels du quartier"),
    ("frein", "territorial", "Les bureaux de la Mission locale sont loin de la gare, sans bus direct après 18 h"),
    ("levier", "confiance", "Se former ensemble à l'accueil des publics éloignés de l'emploi"),
    ("frein", "gouvernance", "Chacun répond à ses propres financeurs, avec des indicateurs différents"),
    ("levier", "social", "Des ateliers collectifs animés à deux structures"),
    ("frein", "psychologique", "La honte de demander de l'aide"),
    ("levier", "economique", "Un fonds commun pour les frais de garde pendant les formations"),
    ("frein", "information", "Les fiches de liaison se perdent entre deux rendez-vous"),
    ("levier", "territorial", "Un forum de l'emploi au pied des immeubles, au printemps et à l'automne"),
    ("frein", "economique", "Les contrats aidés s'arrêtent et les projets avec eux"),
    ("levier", "gouvernance", "Un comité de pilotage où les habitants ont une vraie place et une voix"),
    ("frein", "interconnaissance", "Le turn-over des équipes"),
    ("levier", "information", "Une lettre d'information commune envoyée par le centre social"),
    ("frein", "moyens", "Des locaux trop petits pour accueillir des actions communes"),
    ("levier", "confiance", "Des immersions d'une journée dans la structure d'un partenaire"),
    ("frein", "confiance", "Des désaccords anciens entre deux associations du quartier, jamais discutés ouvertement"),
    ("levier", "interconnaissance", "Une carte des acteurs affichée dans chaque accueil"),
    ("frein", "gouvernance", "Personne n'anime la coordination"),
    ("levier", "moyens", "Mutualiser un poste de coordinatrice entre trois structures"),
    ("frein", "social", "La barrière de la langue à l'accueil"),
    ("levier", "social", "Des interprètes bénévoles du quartier"),
    ("frein", "territorial", "Le quartier est coupé en deux par la voie rapide"),
    ("levier", "economique", "Les employeurs du parc d'activités prêts à accueillir des stagiaires"),
]
CLUSTERS = ("Se connaître", "Coordonner", "Moyens partagés", "Accueillir les habitants")
NOTES = [text for _, _, text in CARDS]


# Steering through the websocket ---------------------------------------------------------------

def in_thread(coroutine):
    """Runs a coroutine on its own event loop, away from Playwright's."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(180)


class Host:
    """The facilitator, as their console's websocket speaks."""

    def __init__(self, server):
        self.person = Person(server)
        self.workshop = self.person.create_workshop("Atelier de la Gare", "QPV de la Gare")
        page = self.person.http.get(f"/a/{self.workshop['id']}/animation").text
        self.screen_url = re.search(r'href="(/a/\w+/ecran\?cle=[0-9a-f]+)"', page).group(1)

    def steer(self, *messages) -> list[str]:
        """Sends each message, waits for its acknowledgement; returns the acknowledging frames."""
        async def run():
            await self.person.connect(view="facilitator")
            try:
                frames = []
                for message in messages:
                    op = await self.person.act(message)
                    frame = await self.person._find(rf'data-(?:ack|refused)="[^"]*\b{op}\b', 10)
                    assert re.search(rf'data-ack="[^"]*\b{op}\b', frame), (message, frame[-800:])
                    frames.append(frame)
                return frames
            finally:
                await self.person.close()
        return in_thread(run())

    def board(self, kind: str, title: str) -> str:
        frame = self.steer({"type": "board.add", "kind": kind, "title": title})[0]
        board = max(re.findall(r'value="(b\d+)"', frame), key=lambda b: int(b[1:]))
        self.steer({"type": "board.show", "board": board})
        return board

    def phase(self, board: str, phase: str) -> None:
        self.steer({"type": "board.phase", "board": board, "phase": phase})


def voters(server, host: Host, n: int) -> list[Person]:
    people = []
    for i in range(n):
        person = Person(server)
        assert person.join(host.workshop["code"], f"Voix {i + 1}").status_code == 303
        people.append(person)
    return people


def as_people(people, messages_of) -> None:
    """Each person connects as a phone and sends the messages `messages_of(their rank)`, each acknowledged."""
    async def run():
        for rank, person in enumerate(people):
            await person.connect()
            try:
                for message in messages_of(rank):
                    op = await person.act(message)
                    await person.ack(op, 10)
            finally:
                await person.close()
    in_thread(run())


# Measuring the screen ---------------------------------------------------------------------------

UNITS = ".lv-card, .lv-rank li, .ind-card, .ind-ranking li, .ind-baros .ind-baro, .note"
MEASURE = """(units) => {
  const area = document.querySelector('.projector .board-area');
  const pager = document.querySelector('.screen-pager');
  const box = area.getBoundingClientRect().toJSON();
  // Nothing under the pager either, when there are pages.
  if (!pager.hidden) box.bottom = Math.min(box.bottom, pager.getBoundingClientRect().top);
  // A unit is on another page (data-off), or shown; those in a part the projector hides are none.
  const all = [...document.querySelectorAll('#stage ' + units.split(', ').join(', #stage '))]
    .filter((u) => u.hasAttribute('data-off') || u.getClientRects().length);
  const shown = all.filter((u) => u.getClientRects().length);
  let smallest = Infinity;
  const cut = [];
  for (const unit of shown) {
    const r = unit.getBoundingClientRect();
    const name = unit.textContent.trim().slice(0, 50);
    if (r.top < box.top - 1 || r.left < box.left - 1 || r.bottom > box.bottom + 1 || r.right > box.right + 1) {
      cut.push('outside the screen: ' + name);
    }
    if (unit.scrollWidth > unit.clientWidth + 1 || unit.scrollHeight > unit.clientHeight + 1) {
      cut.push('overflowing: ' + name);
    }
    const walker = document.createTreeWalker(unit, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.textContent.trim() || el.closest('.sr-only') || !el.getClientRects().length) continue;
      smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
    }
  }
  return {scroll: document.documentElement.scrollHeight, height: innerHeight,
          areaOverflow: area.scrollHeight - area.clientHeight, total: all.length,
          shown: shown.map((u) => all.indexOf(u)), smallest, cut,
          pages: window.maillageScreen.pages(), pageText: document.querySelector('.screen-page').textContent,
          pagerShown: !document.querySelector('.screen-pager').hidden};
}"""


def fitted(wall) -> None:
    """The screen has fitted the board after the last frame (fits are spread over 200 ms)."""
    wall.wait_for_timeout(450)
    wall.wait_for_function("() => window.maillageScreen && window.maillageScreen.idle()")


def check_screen(wall, label: str, expect_units: int | None = None) -> dict:
    """At each size: no scrolling, nothing cut, large enough type, every unit on some page."""
    found = {}
    for width, height in SIZES:
        wall.set_viewport_size({"width": width, "height": height})
        fitted(wall)
        seen: set[int] = set()
        first = wall.evaluate(MEASURE, UNITS)
        for turn in range(max(1, first["pages"])):
            got = first if turn == 0 else wall.evaluate(MEASURE, UNITS)
            where = f"{label} at {width}×{height}, page {turn + 1}/{first['pages']}"
            assert got["scroll"] <= got["height"], where
            assert got["areaOverflow"] <= 1, (where, got["areaOverflow"])
            assert not got["cut"], (where, got["cut"])
            if width == 1920 and got["shown"]:
                assert got["smallest"] >= FLOOR_PX, (where, got["smallest"])
            seen.update(got["shown"])
            if first["pages"] > 1:
                assert got["pagerShown"] and got["pageText"] == f"page {turn + 1}/{first['pages']}", (where, got)
                wall.evaluate("window.maillageScreen.turn(1)")
        # Nothing is left out: every card or indicator is on one page or another.
        assert seen == set(range(first["total"])), (label, width, sorted(set(range(first["total"])) - seen))
        if expect_units is not None:
            assert first["total"] == expect_units, (label, first["total"])
        found[(width, height)] = first
        if first["total"]:
            print(f"projector: {label} at {width}x{height}: {first['total']} units on {max(1, first['pages'])} "
                  f"page(s), smallest text {first['smallest']:.0f} px")
    wall.set_viewport_size({"width": 1920, "height": 1080})
    return found


def screen_page(room, host: Host):
    wall = room.open("projector", host.screen_url)
    online(wall)
    return wall


# The tests ---------------------------------------------------------------------------------------

def test_thirty_brakes_and_levers_fit_the_projector_in_every_phase(room):
    host = Host(room.server)
    board = host.board("levers", "Freins et leviers")
    people = voters(room.server, host, 3)
    wall = screen_page(room, host)
    expect(wall.locator("#stage-title")).to_have_text("Freins et leviers", timeout=WAIT)
    check_screen(wall, "write")
    host.phase(board, "reveal")
    frames = host.steer(*({"type": "card.add", "board": board, "side": side, "category": category, "text": text}
                          for side, category, text in CARDS))
    cards = [re.search(r'id="lv-card-(c\d+)"', frame).group(1) for frame in frames]
    expect(wall.locator(".lv-card")).to_have_count(30, timeout=WAIT)
    check_screen(wall, "reveal", 30)
    # The facilitator holds the pages from the console, turns one, lets them turn again.
    pager = wall.locator(".screen-pager")
    expect(pager).to_be_visible(timeout=WAIT)
    host.steer({"type": "screen.page", "step": "hold"})
    expect(pager.locator("[data-turn=hold]")).to_have_text("▶", timeout=WAIT)
    shown, pages = wall.evaluate("[window.maillageScreen.page(), window.maillageScreen.pages()]")
    assert pages >= 2
    host.steer({"type": "screen.page", "step": "next"})
    expect(pager.locator(".screen-page")).to_have_text(f"page {(shown + 1) % pages + 1}/{pages}", timeout=WAIT)
    host.steer({"type": "screen.page", "step": "play"})
    expect(pager.locator("[data-turn=hold]")).to_have_text("❚❚", timeout=WAIT)
    room.shot(wall, "projector-levers-1920")
    wall.set_viewport_size({"width": 1280, "height": 720})
    fitted(wall)
    room.shot(wall, "projector-levers-1280")
    wall.set_viewport_size({"width": 1920, "height": 1080})

    frames = host.steer(*({"type": "cluster.add", "board": board, "name": name} for name in CLUSTERS))
    clusters = [max(re.findall(r'value="(g\d+)"', frame), key=lambda g: int(g[1:])) for frame in frames]
    host.steer(*({"type": "card.group", "board": board, "card": card, "cluster": clusters[i % 4]}
                 for i, card in enumerate(cards[:24])))
    host.phase(board, "group")
    expect(wall.locator(".lv-gathered .lv-group")).to_have_count(5, timeout=WAIT)
    check_screen(wall, "group", 30)
    fitted(wall)
    room.shot(wall, "projector-levers-group")

    host.phase(board, "vote")
    as_people(people, lambda rank: [{"type": "vote.add", "board": board, "card": cards[(n * 7 + rank * 3) % 30]}
                                    for n in range(5)])
    check_screen(wall, "vote", 30)
    host.phase(board, "results")
    check_screen(wall, "results", 30 + 4)  # the cards ranked, and the clusters
    fitted(wall)
    room.shot(wall, "projector-levers-results")
    host.phase(board, "locked")
    check_screen(wall, "locked", 30 + 4)
    room.watch.assert_clean()


def test_the_twenty_three_library_indicators_fit_the_projector_in_every_phase(room):
    host = Host(room.server)
    board = host.board("indicators", "Nos indicateurs")
    seeded = host.person.http.post(f"/a/{host.workshop['id']}/indicateurs/{board}/amorcer")
    assert seeded.status_code == 303
    people = voters(room.server, host, 3)
    wall = screen_page(room, host)
    expect(wall.locator(".ind-card")).to_have_count(23, timeout=WAIT)
    keys = wall.eval_on_selector_all(".ind-card", "(cards) => cards.map((c) => c.id.split('-c-')[1])")
    check_screen(wall, "propose", 23)
    room.shot(wall, "projector-indicators-1920")
    host.phase(board, "prioritise")
    check_screen(wall, "prioritise", 23)
    as_people(people, lambda rank: [{"type": "indicator.dot", "board": board, "indicator": keys[(n * 5 + rank * 2) % 23],
                                     "add": True} for n in range(5)])
    host.phase(board, "reveal")
    check_screen(wall, "reveal", 23)
    host.phase(board, "choose")
    host.steer(*({"type": "indicator.choose", "board": board, "indicator": key, "chosen": True} for key in keys),
               {"type": "indicators.publish", "board": board})
    check_screen(wall, "choose", 23)
    host.phase(board, "rate")
    # Three people, answers near one another, a few "je ne sais pas".
    as_people(people, lambda rank: [{"type": "indicator.rate", "board": board, "indicator": key,
                                     "value": "dk" if (n + rank) % 9 == 0 else str(1 + (n * 3 + rank) % 5)}
                                    for n, key in enumerate(keys)])
    expect(wall.locator(".ind-baros .ind-baro")).to_have_count(23, timeout=WAIT)
    check_screen(wall, "rate", 23)
    fitted(wall)
    room.shot(wall, "projector-barometer-1920")
    wall.set_viewport_size({"width": 1280, "height": 720})
    fitted(wall)
    room.shot(wall, "projector-barometer-1280")
    wall.set_viewport_size({"width": 1920, "height": 1080})
    # One histogram on the whole screen, then back to all of them.
    host.steer({"type": "indicator.spotlight", "board": board, "indicator": keys[4]})
    spot = wall.locator(f"#ind-{board}-spot")
    expect(spot.locator(".ind-baro")).to_be_visible(timeout=WAIT)
    expect(spot.locator("h4")).to_have_text(wall.locator(f"#ind-{board}-h-{keys[4]} h4").inner_text(), timeout=WAIT)
    fitted(wall)
    assert spot.evaluate("(el) => el.scrollHeight <= el.clientHeight && el.scrollWidth <= el.clientWidth")
    assert spot.locator(".ind-count").first.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)") >= 32
    expect(wall.locator(".screen-pager")).to_be_hidden(timeout=WAIT)
    room.shot(wall, "projector-indicator-spotlight")
    host.steer({"type": "indicator.spotlight", "board": board, "indicator": ""})
    expect(spot).to_be_hidden(timeout=WAIT)
    host.phase(board, "locked")
    check_screen(wall, "locked", 23)
    room.watch.assert_clean()


def test_thirty_ideas_fit_the_projector(room):
    host = Host(room.server)
    board = host.board("ideas", "Diagnostic partagé du quartier")
    wall = screen_page(room, host)
    host.steer(*({"type": "note.add", "board": board, "text": text} for text in NOTES))
    expect(wall.locator(".note")).to_have_count(30, timeout=WAIT)
    check_screen(wall, "open", 30)
    room.shot(wall, "projector-ideas")
    host.phase(board, "locked")
    check_screen(wall, "locked", 30)
    room.watch.assert_clean()


def drag(page, card, group) -> None:
    """A mouse presses a card, carries it onto a cluster, lets go."""
    card.scroll_into_view_if_needed()
    start, end = card.locator(".lv-text").bounding_box(), group.locator(".lv-group-name").bounding_box()
    page.mouse.move(start["x"] + 20, start["y"] + start["height"] / 2)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(start["x"] + 20 + (end["x"] + 40 - start["x"] - 20) * i / 10,
                        start["y"] + start["height"] / 2 + (end["y"] + end["height"] / 2 - start["y"] - start["height"] / 2) * i / 10)
    page.mouse.up()


def test_cards_dragged_into_clusters_are_grouped_everywhere_and_the_spotlight_is_the_facilitators(room):
    host = Host(room.server)
    board = host.board("levers", "Freins et leviers")
    host.phase(board, "reveal")
    frames = host.steer(*({"type": "card.add", "board": board, "side": side, "category": category, "text": text}
                          for side, category, text in CARDS[:8]))
    cards = [re.search(r'id="lv-card-(c\d+)"', frame).group(1) for frame in frames]
    frames = host.steer(*({"type": "cluster.add", "board": board, "name": name} for name in CLUSTERS[:3]))
    clusters = [max(re.findall(r'value="(g\d+)"', frame), key=lambda g: int(g[1:])) for frame in frames]
    host.phase(board, "group")

    fac = room.open("laptop", host.person.facilitator_link)
    online(fac)
    phone = room.open("phone")
    join(phone, host.workshop["code"], "Amina")
    wall = screen_page(room, host)
    for page in (fac, phone, wall):
        expect(page.locator(".lv-gathered .lv-group")).to_have_count(4, timeout=WAIT)
        expect(page.locator(".lv-group.lv-loose .lv-card")).to_have_count(8, timeout=WAIT)

    # With a mouse, then with a finger on a touch screen, as well as with the select.
    drag(fac, fac.locator(f"#lv-card-{cards[0]}"), fac.locator(f".lv-group[data-cluster={clusters[1]}]"))
    settled(fac)
    touch = room.open("tablet", host.person.facilitator_link)
    online(touch)
    card = touch.locator(f"#lv-card-{cards[1]}")
    card.scroll_into_view_if_needed()
    target = touch.locator(f".lv-group[data-cluster={clusters[0]}] .lv-group-name").bounding_box()
    touch_drag(touch, card.locator(".lv-text"), target["x"] + 30, target["y"] + target["height"] / 2)
    settled(touch)
    fac.locator(f"#lv-card-{cards[2]}").get_by_label("Regroupement").select_option(label=CLUSTERS[1])
    fac.locator(f"#lv-card-{cards[2]}").get_by_role("button", name="Ranger").click()
    settled(fac)
    for page in (fac, touch, phone, wall):
        expect(page.locator(f".lv-group[data-cluster={clusters[1]}] #lv-card-{cards[0]}")).to_be_visible(timeout=WAIT)
        expect(page.locator(f".lv-group[data-cluster={clusters[0]}] #lv-card-{cards[1]}")).to_be_visible(timeout=WAIT)
        expect(page.locator(f".lv-group[data-cluster={clusters[1]}] #lv-card-{cards[2]}")).to_be_visible(timeout=WAIT)
        expect(page.locator(".lv-group.lv-loose .lv-card")).to_have_count(5, timeout=WAIT)
    # A card dropped back where it was sends nothing (a sent action would show in the outbox at once).
    calm(fac)
    drag(fac, fac.locator(f"#lv-card-{cards[3]}"), fac.locator(".lv-group.lv-loose"))
    fac.wait_for_timeout(300)
    assert fac.locator("#outbox .out").count() == 0
    expect(fac.locator(f".lv-group.lv-loose #lv-card-{cards[3]}")).to_be_visible(timeout=WAIT)
    fac.locator(".lv-gathered").scroll_into_view_if_needed()
    room.shot(fac, "facilitator-group")
    room.shot(phone, "phone-group")
    fitted(wall)
    room.shot(wall, "projector-group-dragged")

    # A phone may not put anything on the screen: refused with the reason, nothing changes.
    amina = Person(room.server)
    assert amina.join(host.workshop["code"], "Bruno").status_code == 303

    async def try_spotlight():
        await amina.connect()
        try:
            op = await amina.act({"type": "card.spotlight", "board": board, "card": cards[0]})
            return await amina.refused(op, 10)
        finally:
            await amina.close()
    refusal = in_thread(try_spotlight())
    assert "Seule l&#39;animation peut faire cela." in refusal or "Seule l'animation peut faire cela." in refusal
    expect(wall.locator(".lv-spot")).to_be_hidden(timeout=WAIT)

    # The facilitator puts a card on the whole screen, then takes it off.
    text = CARDS[0][2]
    fac.locator(f"#lv-card-{cards[0]}").get_by_role("button", name="Mettre à l'écran").click()
    settled(fac)
    spot = wall.locator(".lv-spot")
    expect(spot).to_be_visible(timeout=WAIT)
    expect(spot.locator(".lv-text")).to_have_text(text, timeout=WAIT)
    expect(fac.locator(".lv-spot")).to_contain_text("À l'écran", timeout=WAIT)
    expect(phone.locator(".lv-spot")).to_have_count(0, timeout=WAIT)
    fitted(wall)
    size = spot.locator(".lv-text").evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 48, size
    assert spot.evaluate("(el) => el.scrollHeight <= el.clientHeight && el.scrollWidth <= el.clientWidth")
    expect(wall.locator(".screen-pager")).to_be_hidden(timeout=WAIT)
    room.shot(wall, "projector-spotlight")
    fac.locator(".lv-spot").scroll_into_view_if_needed()
    calm(fac)
    room.shot(fac, "facilitator-spotlight")
    fac.locator(".lv-spot").get_by_role("button", name="Retirer de l'écran").click()
    settled(fac)
    expect(spot).to_be_hidden(timeout=WAIT)
    expect(wall.locator(f"#lv-card-{cards[0]}")).to_be_visible(timeout=WAIT)
    room.watch.assert_clean()
