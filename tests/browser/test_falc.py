"""A phone switches to "Facile à lire", joins, and takes part in easy-to-read words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from . import audit
from .steps import add_board, create_workshop, settled, show_board

pytestmark = pytest.mark.browser


def test_a_phone_takes_part_in_easy_to_read_french(room):
    fac = room.open("laptop")
    _, code = create_workshop(fac, "Atelier du quartier", "QPV des Lilas")
    add_board(fac, "Freins et leviers", "Freins et leviers")
    show_board(fac, "Freins et leviers")

    phone = room.open("phone")
    phone.get_by_role("link", name="Facile à lire").tap()
    expect(phone.locator("html")).to_have_attribute("lang", "fr")
    expect(phone.get_by_role("heading", name="Entrer dans un atelier")).to_be_visible()
    phone.get_by_label("Code de l'atelier").fill(code)
    phone.get_by_role("button", name="Continuer").tap()
    phone.get_by_label("Votre surnom").fill("Amina")
    phone.get_by_role("button", name="Entrer dans l'atelier").tap()
    phone.wait_for_url(re.compile(r"/a/\w+$"))
    expect(phone.locator("#conn")).to_have_text("Connecté")

    # The board in plain words: its step, what to do, one idea a line, the shipped families.
    expect(phone.locator(".stage-head .phase")).to_contain_text("Chacun écrit seul")
    hint = phone.locator(".expect")
    expect(hint).to_contain_text("Écrivez 1 idée par carte.")
    assert len(hint.evaluate("(p) => p.getClientRects().length ? p.innerText.split('\\n') : []")) >= 3
    expect(phone.get_by_text("ce qui empêche de travailler ensemble")).to_be_visible()
    compose = phone.locator("form.lv-compose")
    compose.get_by_text("un frein", exact=True).tap()
    compose.get_by_label("Famille").select_option(label="Se connaître")
    compose.get_by_label("Votre carte").fill("On ne sait pas qui fait quoi")
    compose.get_by_role("button", name="Ajouter la carte").tap()
    settled(phone)
    expect(phone.locator(".lv-text", has_text="On ne sait pas qui fait quoi")).to_be_visible()
    expect(phone.locator("#outbox .out")).to_have_count(0)
    # The pictograms beside the words are drawn, all from the one sprite the page asked for once.
    drawn = phone.locator("svg.picto use").evaluate_all(
        "(uses) => uses.filter((u) => u.parentNode.getClientRects().length).map((u) => u.getBBox().width > 0)")
    assert drawn and all(drawn), drawn
    asked = phone.evaluate("performance.getEntriesByType('resource').map((r) => r.name)"
                           ".filter((n) => n.includes('picto'))")
    assert len(asked) == 1 and "/pictos.svg?v=" in asked[0], asked
    audit.basics(phone, contrast=True)
    room.shot(phone, "phone-falc")
    room.shot(phone, "phone-falc-whole", full_page=True)

    # Each reader chooses: the facilitator's console stays in standard French.
    expect(fac.locator(".stage-head .phase")).to_contain_text("Écriture individuelle")
