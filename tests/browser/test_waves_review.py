"""A coordinator follows a territory over its waves in real Chromium: the charts fit a laptop and
a phone, and choosing an actor works with JavaScript turned off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from players import Person
from test_waves_series import HOSTILE, store, territory

from . import audit
from .conftest import TOKEN

pytestmark = pytest.mark.browser


def test_the_territory_over_its_waves_reads_on_a_laptop_and_a_phone(room):
    workshop = Person(room.server).create_workshop(territory="QPV test")
    waves = territory(40, waves=3)
    for wave, label in zip(waves, ("T0 — janvier", "T1 — juin", "T2 — novembre")):
        wave["label"] = label
    ids = store(room.server.db, workshop["id"], waves)
    page = room.open("tablet", "/coordination")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_label("Jeton de coordination").fill(TOKEN)
    page.get_by_role("button", name="Entrer").click()
    page.goto(f"{room.url}/coordination/instantanes/{ids[2]}#evolution")
    section = page.locator("#evolution")
    expect(section.locator("svg.series-chart").first).to_be_visible()
    audit.basics(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    room.shot(page, "waves-1280x720")

    # The same page on a phone, JavaScript off: the charts stack, the form still works.
    context = room.browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                       has_touch=True, locale="fr-FR", java_script_enabled=False,
                                       storage_state=page.context.storage_state())
    room.watch.attach(context)
    room.contexts.append(context)
    phone = context.new_page()
    phone.goto(f"{room.url}/coordination/instantanes/{ids[2]}#evolution")
    wide = phone.evaluate("""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361)
        .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360, wide
    room.shot(phone, "waves-360x640")
    choice = phone.get_by_label("Acteur", exact=True)
    choice.select_option(label=HOSTILE)
    phone.get_by_role("button", name="Afficher").click()
    expect(phone.locator("#evolution-acteur ~ .scroll table th").first).to_have_text(HOSTILE)
    assert "acteur=a0" in phone.url
    phone.locator("#evolution-acteur").scroll_into_view_if_needed()
    room.shot(phone, "waves-actor-360x640")
    room.watch.assert_clean()
