"""The systems map in Chromium: two phones add factors and causal links from lists (no dragging),
the projector finds the loops, the facilitator spotlights one, and the projector draws it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import audit
from .steps import add_board, calm, create_workshop, join, screen_link, set_phase, settled, show_board

pytestmark = pytest.mark.browser


def add_factor(phone, words: str) -> None:
    form = phone.locator("form.sy-add")
    form.get_by_label("Ajouter un facteur").fill(words)
    form.get_by_role("button", name="Ajouter le facteur").tap()
    settled(phone)


def add_link(phone, cause: str, effect: str, polarity: str, delay: bool = False) -> None:
    form = phone.locator("form.sy-link")
    form.get_by_label("Cause", exact=True).select_option(label=cause)
    form.get_by_label("Effet", exact=True).select_option(label=effect)
    form.get_by_label("plus de cause, plus d'effet" if polarity == "+" else "plus de cause, moins d'effet").check()
    if delay:
        form.get_by_label("L'effet arrive avec un délai").check()
    form.get_by_role("button", name="Relier la cause à l'effet").tap()
    settled(phone)


def no_scroll(page) -> None:
    overflow = page.evaluate("() => [document.documentElement.scrollWidth - innerWidth, "
                             "document.documentElement.scrollHeight - innerHeight]")
    assert overflow[0] <= 0 and overflow[1] <= 0, overflow


def test_phones_draw_a_loop_the_projector_shows_it_and_the_facilitator_spotlights_it(room):
    fac = room.open("laptop")
    _, code = create_workshop(fac, "Atelier systémique", "QPV des Tilleuls")
    wall = room.open("projector", screen_link(fac))
    amina, bruno = room.open("phone"), room.open("phone")
    join(amina, code, "Amina")
    join(bruno, code, "Bruno")
    add_board(fac, "Ce qui entretient le chômage", "Carte systémique")
    show_board(fac, "Ce qui entretient le chômage")

    add_factor(amina, "Offres d'emploi locales")
    add_factor(amina, "Personnes accompagnées vers l'emploi")
    add_factor(bruno, "Confiance des employeurs")
    add_factor(bruno, "Délais d'orientation")
    for page in (amina, bruno, wall, fac):
        expect(page.locator(".sy-counts")).to_contain_text("4 facteurs")
    # A participant edits their own factor only: Bruno sees no tools on Amina's.
    expect(bruno.locator(".sy-factor", has_text="Offres d'emploi locales").locator(".tools")).to_be_hidden()
    expect(bruno.locator(".sy-factor", has_text="Délais d'orientation").locator(".tools")).to_be_visible()

    add_link(amina, "Personnes accompagnées vers l'emploi", "Confiance des employeurs", "+")
    add_link(bruno, "Confiance des employeurs", "Offres d'emploi locales", "+", delay=True)
    add_link(amina, "Offres d'emploi locales", "Personnes accompagnées vers l'emploi", "+")
    # The reinforcing loop is found on every screen.
    for page in (amina, bruno, wall, fac):
        expect(page.locator(".sy-loop.kind-R")).to_have_count(1)
    # A balancing one: more people waiting, longer referral delays, fewer people supported.
    add_link(bruno, "Personnes accompagnées vers l'emploi", "Délais d'orientation", "+")
    add_link(bruno, "Délais d'orientation", "Personnes accompagnées vers l'emploi", "-")
    for page in (amina, wall, fac):
        expect(page.locator(".sy-loop.kind-B")).to_have_count(1)
        expect(page.locator(".sy-counts")).to_contain_text("1 boucle d'équilibre")
    expect(wall.locator(".sy-lever").first).to_contain_text("« Personnes accompagnées vers l'emploi » se trouve "
                                                              "sur toutes les boucles de la carte.")

    calm(bruno)
    room.shot(bruno, "phone-360x640-drawing", full_page=True)
    room.shot(wall, "projector-1920x1080-drawing")
    no_scroll(wall)
    for page in (bruno, wall):
        audit.basics(page, contrast=True)
    audit.basics(fac)

    # The room reads the loops; the facilitator spotlights the balancing one.
    set_phase(fac, "Lecture des boucles")
    fac.locator(".sy-loop.kind-B").get_by_role("button", name="Mettre en lumière").click()
    settled(fac)
    spot = wall.locator(".sy-spot")
    expect(spot).to_be_visible()
    expect(spot.locator("h2")).to_contain_text("Boucle d'équilibre")
    expect(spot.locator(".sy-node")).to_have_count(2)
    expect(spot.locator(".sy-sentence")).to_contain_text("plus de « Personnes accompagnées vers l'emploi », donc plus de "
                                                         "« Délais d'orientation », donc moins de « Personnes "
                                                         "accompagnées vers l'emploi »")
    # The dot runs along the loop, unless the reader's system asks for less motion.
    expect(spot.locator(".sy-runner")).to_be_visible()
    expect(amina.locator(".sy-spot .sy-node")).to_have_count(2)
    expect(amina.locator("form.sy-add")).to_have_count(0)
    wall.emulate_media(reduced_motion="reduce")
    expect(spot.locator(".sy-runner")).to_be_hidden()

    # Screens as people see them.
    calm(amina)
    room.shot(amina, "phone-360x640")
    room.shot(amina, "phone-360x640-full", full_page=True)
    room.shot(wall, "projector-1920x1080")
    no_scroll(wall)
    wall.set_viewport_size({"width": 1280, "height": 720})
    room.shot(wall, "projector-1280x720")
    no_scroll(wall)
    audit.basics(amina, contrast=True)
    audit.basics(wall, contrast=True)

    # The facilitator hides a factor: its loop leaves every screen but the console.
    fac.locator(".sy-factor", has_text="Délais d'orientation").get_by_role("button", name="Masquer").click()
    settled(fac)
    for page in (amina, bruno, wall):
        expect(page.locator(".sy-loop.kind-B")).to_have_count(0)
        expect(page.get_by_text("Délais d'orientation")).to_have_count(0)
    expect(fac.locator(".sy-factor.hidden-note", has_text="Délais d'orientation")).to_be_visible()
    expect(wall.locator(".sy-spot")).to_be_hidden()
    room.shot(fac, "facilitator-1366x800", full_page=True)
    # The remaining phases, as accessible as the others; links only, then nothing, on the phones.
    set_phase(fac, "Liens seulement")
    expect(amina.locator("form.sy-add")).to_have_count(0)
    expect(amina.locator("form.sy-link")).to_be_visible()
    audit.basics(amina, contrast=True)
    set_phase(fac, "Carte fermée")
    expect(amina.locator("form.sy-link")).to_have_count(0)
    expect(amina.locator(".sy-factor .tools")).to_have_count(0)
    audit.basics(amina, contrast=True)
    audit.basics(fac)
