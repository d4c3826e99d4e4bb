"""The stakeholder map as a room of 30 residents and 40 actors sees it: on a 360 px phone, and on
the projector at 1920×1080 and 1280×720, in every phase; the spotlight; the layout switch.

The map is filled over real websocket connections (the same messages the pages send), so the
browsers only show and touch it; a few of the placements go through the phone's own lists.
"""

from __future__ import annotations

import asyncio
import random
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from players import Person

from .steps import online, settled

pytestmark = pytest.mark.browser

NAMES = [
    "Centre social La Passerelle", "Mission locale", "CAF", "France Travail agence Nord", "Mairie annexe",
    "Maison de santé pluriprofessionnelle Cœur de Ville", "Bailleur social Habitat 21", "Collège Jean Moulin",
    "Association des habitants du Plateau", "Régie de quartier", "Club de prévention spécialisée",
    "Épicerie solidaire", "Conseil citoyen", "PMI", "CCAS", "Service d'aide aux victimes",
    "Atelier chantier d'insertion Les Jardins", "Entreprise de travaux publics Martin", "Maison des jeunes",
    "Centre médico-psychologique", "Plan local pour l'insertion et l'emploi", "Restos du cœur",
    "Secours populaire", "Département – action sociale", "Préfecture, délégué du préfet", "Ludothèque",
    "Médiathèque du quartier", "Organisme de formation Avenir", "Club de football", "Collectif des mères",
    "Association de médiation sociale", "Cap emploi", "Structure d'insertion par l'activité économique",
    "Pharmacie du marché", "Crèche parentale", "Lycée professionnel", "Commissariat", "Agence régionale de santé",
    "Chambre de métiers", "Banque alimentaire",
]
ZONES = ["manage"] * 12 + ["inform"] * 11 + ["satisfy"] * 9 + ["monitor"] * 8
TIE_TYPES = ["échange d'information", "orientation de publics", "projet commun", "mutualisation de moyens",
             "financement", "partenariat formel"]


def off_the_loop(coro):
    """Runs a websocket scenario on its own thread: Playwright's sync API holds this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Host:
    """The facilitator's websocket, to set the scene the pages are then judged on."""

    def __init__(self, server):
        self.person = Person(server)
        self.workshop = self.person.create_workshop("Carte des Tilleuls", "QPV des Tilleuls")
        self.board = None

    def do(self, *messages):
        async def run():
            await self.person.connect(view="facilitator")
            try:
                answers = []
                for message in messages:
                    op = await self.person.act(message)
                    frame = await self.person._find(rf'data-(ack|refused)="[^"]*\b{op}\b', 10)
                    assert f"data-refused=" not in frame or op not in re.search(
                        r'data-refused="([^"]*)"', frame).group(1), message
                    answers.append(frame)
                return answers
            finally:
                await self.person.close()
        return off_the_loop(run())


def set_the_room(room, placed_by_phone=4):
    """A map on screen with 40 actors, 60 ties; the phone joins. Returns (host, phone)."""
    host = Host(room.server)
    [frame] = host.do({"type": "board.add", "kind": "stakeholders", "title": "Qui coopère ?"})
    host.board = board = f"b{host.person.seq}"
    host.do({"type": "board.show", "board": board})
    frames = host.do(*({"type": "actor.add", "board": board, "name": name,
                        "category": "association" if n % 3 else "institution publique"}
                       for n, name in enumerate(NAMES)))
    ids = []
    for frame, name in zip(frames, NAMES):
        found = re.search(r'id="actor-(a\w+)"', frame)
        assert found, (name, frame[:2000])
        ids.append(found.group(1))
    phone = room.open("phone", f"/j/{host.workshop['code']}")
    phone.get_by_label("Votre pseudonyme").fill("Amina")
    phone.get_by_role("button", name="Entrer dans l'atelier").tap()
    online(phone)
    expect(phone.locator(".sh-tray-list .sh-a")).to_have_count(40)
    # A few actors placed with the phone's own lists; the rest with the same message by the host.
    lists = phone.locator("details.sh-alt")
    lists.locator("summary").tap()
    for name, zone in list(zip(NAMES, ZONES))[:placed_by_phone]:
        lists.get_by_label("Acteur à placer").select_option(label=name)
        lists.get_by_label("Zone").select_option(zone)
        lists.get_by_role("button", name="Placer").tap()
        settled(phone)
    host.do(*({"type": "actor.place", "board": board, "actor": actor, "zone": zone}
              for actor, zone in list(zip(ids, ZONES))[placed_by_phone:]))
    draw = random.Random(14)
    pairs = set()
    while len(pairs) < 60:
        a, b = draw.sample(range(40), 2)
        pairs.add((min(a, b), max(a, b)))
    host.do(*({"type": "tie.add", "board": board, "source": ids[a], "target": ids[b],
               "category": TIE_TYPES[n % 6], "strength": 1 + n % 3, "direction": "one" if n % 4 == 0 else "both"}
              for n, (a, b) in enumerate(sorted(pairs))))
    expect(phone.locator(".sh-actors .sh-a")).to_have_count(40)
    expect(phone.locator(".sh-ties polyline:not(.off)")).to_have_count(60)
    lists.locator("summary").tap()
    return host, phone, ids


CHIPS = """() => {
  const chips = [...document.querySelectorAll('.sh-actors .sh-a')].map((c) => c.getBoundingClientRect());
  let worst = 0;
  for (let i = 0; i < chips.length; i++) for (let j = i + 1; j < chips.length; j++) {
    const a = chips[i], b = chips[j];
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 0 && h > 0) worst = Math.max(worst, w * h / Math.min(a.width * a.height, b.width * b.height));
  }
  const port = document.querySelector('.sh-viewport').getBoundingClientRect();
  return {count: chips.length, worst, density: chips.reduce((s, c) => s + c.width * c.height, 0) / (port.width * port.height), smallest: Math.min(...chips.map((c) => Math.min(c.width, c.height))),
          map: port.width, viewport: window.innerWidth,
          outside: chips.filter((c) => c.left < port.left - 1 || c.right > port.right + 1).length};
}"""

SCREEN = """() => {
  const chips = [...document.querySelectorAll('.sh-actors .sh-a')];
  return {count: chips.length,
          scroll: document.documentElement.scrollHeight, height: window.innerHeight,
          scrollX: document.documentElement.scrollWidth, width: window.innerWidth,
          smallest: Math.min(...chips.map((c) => parseFloat(getComputedStyle(c).fontSize))),
          cut: chips.filter((c) => c.scrollWidth > c.clientWidth || c.scrollHeight > c.clientHeight).map((c) => c.textContent),
          ellipsis: chips.filter((c) => getComputedStyle(c).textOverflow === 'ellipsis').length,
          legend: !!document.querySelector('.sh-legend[open]') && document.querySelector('.sh-legend').getBoundingClientRect().bottom <= window.innerHeight,
          patterns: new Set([...document.querySelectorAll('.sh-ties polyline')].map((l) => getComputedStyle(l).strokeDasharray)).size};
}"""


def test_a_phone_holds_forty_actors_placed_from_the_lists_full_width_without_hiding_one_another(room):
    host, phone, ids = set_the_room(room)
    phone.locator(".sh-viewport").scroll_into_view_if_needed()
    phone.wait_for_timeout(300)
    room.shot(phone, "phone-map-360")
    seen = phone.evaluate(CHIPS)
    assert seen["count"] == 40
    assert seen["map"] >= 0.95 * seen["viewport"], seen
    assert seen["worst"] <= 0.2, seen
    assert seen["smallest"] >= 24, seen
    assert seen["outside"] == 0, seen

    # Buttons zoom in around the middle and back; the names keep their size while the map grows.
    port = phone.locator(".sh-viewport")
    before = phone.locator(".sh-map").bounding_box()["width"]
    phone.get_by_role("button", name="Zoomer", exact=True).tap()
    phone.get_by_role("button", name="Zoomer", exact=True).tap()
    expect(port).to_have_class(re.compile(r"\bzoomed\b"))
    assert phone.locator(".sh-map").bounding_box()["width"] >= 2 * before
    assert phone.evaluate(CHIPS)["worst"] <= 0.2
    phone.evaluate("document.querySelector('.sh-viewport').scrollIntoView()")
    room.shot(phone, "phone-map-360-zoomed")
    phone.get_by_role("button", name="Vue d'ensemble").tap()
    expect(port).not_to_have_class(re.compile(r"\bzoomed\b"))
    assert abs(phone.locator(".sh-map").bounding_box()["width"] - before) < 1

    # Two fingers spread apart on the map zoom it, as on any map on a phone.
    box = port.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = phone.context.new_cdp_session(phone)
    try:
        def fingers(kind, gap):
            points = [] if kind == "touchEnd" else [{"x": cx - gap, "y": cy, "id": 1}, {"x": cx + gap, "y": cy, "id": 2}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
        fingers("touchStart", 30)
        for gap in range(40, 130, 10):
            fingers("touchMove", gap)
        fingers("touchEnd", 0)
    finally:
        cdp.detach()
    assert phone.locator(".sh-map").bounding_box()["width"] >= 2.5 * before
    room.watch.assert_clean()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_the_projector_shows_every_actor_whole_in_every_phase_without_scrolling(room, size):
    host, phone, ids = set_the_room(room, placed_by_phone=1)
    fac = room.open("laptop", host.workshop["link"])
    online(fac)
    screen_url = fac.get_by_role("link", name="Ouvrir l'écran de projection").get_attribute("href")
    context = room.browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="fr-FR")
    room.watch.attach(context)
    room.contexts.append(context)
    screen = context.new_page()
    screen.goto(room.url + screen_url)
    online(screen)
    expect(screen.locator(".sh-actors .sh-a")).to_have_count(40)
    for phase, label, layout in (("map", "Ajout, placement et liens ouverts", "grid"), ("rate", "Notation des liens", "grid"),
                                 ("locked", "Carte fermée", "grid"), ("locked", "Carte fermée", "circles")):
        host.do({"type": "board.phase", "board": host.board, "phase": phase},
                {"type": "map.layout", "board": host.board, "layout": layout})
        expect(screen.locator(".phase")).to_contain_text(label)
        expect(screen.locator(f".sh.sh-{layout}")).to_have_count(1)
        screen.wait_for_timeout(300)
        room.shot(screen, f"screen-{size[0]}x{size[1]}-{phase}-{layout}")
        seen = screen.evaluate(SCREEN)
        assert seen["count"] == 40, seen
        assert seen["scroll"] <= seen["height"] and seen["scrollX"] <= seen["width"], seen
        assert not seen["cut"] and not seen["ellipsis"], seen
        assert seen["legend"], seen
        # Six tie types, six line patterns: told apart without colour.
        assert seen["patterns"] == 6, seen
        if size == (1920, 1080):
            assert seen["smallest"] >= 24, seen

    # Spotlight: a participant may not; the facilitator puts one actor with its ties on screen.
    phone.evaluate("""(board) => { const f = document.querySelector('form.sh-move');
        f.querySelector('[name=type]').value = 'actor.spotlight'; f.querySelector('[name=actor]').value = 'a1';
        f.querySelector('[name=x]').remove(); f.querySelector('[name=y]').remove(); htmx.trigger(f, 'submit'); }""",
                   host.board)
    expect(phone.locator("#notice")).to_contain_text("Seule l'animation peut faire cela.")
    expect(screen.locator(".sh.spotting")).to_have_count(0)
    room.shot(fac, "facilitator-circles")
    fac.locator(".sh-actors .sh-a", has_text="Mission locale").click()
    fac.get_by_role("button", name="Mettre à l'écran avec ses liens").click()
    settled(fac)
    expect(screen.locator(".sh.spotting .sh-a.spot")).to_have_text("Mission locale")
    expect(screen.locator(".sh-spot-caption")).to_contain_text("Mission locale")
    lit = screen.locator(".sh-ties polyline.lit").count()
    partners = screen.evaluate("""() => { const spot = document.querySelector('.sh-a.spot').id.slice(6);
        return [...document.querySelectorAll('.sh-ties polyline')].filter((l) => l.dataset.a === spot || l.dataset.b === spot).length; }""")
    assert lit == partners > 0
    assert float(screen.locator(".sh-actors .sh-a:not(.lit)").first.evaluate("(c) => getComputedStyle(c).opacity")) < 0.5
    room.shot(screen, f"screen-{size[0]}x{size[1]}-spotlight")
    assert screen.evaluate(SCREEN)["scroll"] <= size[1]
    fac.get_by_role("button", name="Montrer toute la carte").click()
    settled(fac)
    expect(screen.locator(".sh.spotting")).to_have_count(0)
    expect(screen.locator(".sh-a.spot")).to_have_count(0)
    room.watch.assert_clean()


def test_grid_to_circles_and_back_restores_every_actor_on_every_page(room):
    host = Host(room.server)
    host.do({"type": "board.add", "kind": "stakeholders", "title": "Qui coopère ?"})
    host.board = board = f"b{host.person.seq}"
    host.do({"type": "board.show", "board": board})
    frames = host.do(*({"type": "actor.add", "board": board, "name": name, "category": "association"}
                       for name in NAMES[:12]))
    ids = [re.search(r'id="actor-(a\w+)"', frame).group(1) for frame in frames]
    host.do(*({"type": "actor.place", "board": board, "actor": actor, "zone": zone}
              for actor, zone in zip(ids, ["manage"] * 4 + ["satisfy", "inform"] * 3 + ["monitor"] * 2)))
    fac = room.open("laptop", host.workshop["link"])
    online(fac)
    where = "() => Object.fromEntries([...document.querySelectorAll('.sh-actors .sh-a')].map((c) => [c.id, [c.style.left, c.style.top, c.dataset.z]]))"
    first = fac.evaluate(where)
    assert len(first) == 12
    layout = fac.locator(f"#sh-layout-{board}")
    for choice in ("circles", "grid"):
        layout.select_option(choice)
        with room.watch.confirming():
            fac.get_by_role("button", name="Appliquer").click()
            settled(fac)
        expect(fac.locator(".sh")).to_have_class(re.compile(rf"\bsh-{choice}\b"))
        if choice == "circles":
            circles = fac.evaluate(where)
            # The four key players are at the core; nobody was left where the grid had them.
            assert sorted(z for _, _, z in circles.values()).count("core") == 4
    assert fac.evaluate(where) == first
    # The facilitator was told what a switch does before it happened.
    question = fac.locator("form:has(#sh-layout-%s)" % board).get_attribute("data-confirm")
    assert "Chaque disposition garde ses placements" in question and "retrouve sa place" in question
    room.watch.assert_clean()
