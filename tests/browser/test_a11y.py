"""Basic accessibility on every page: the language is set, every control has a label, focus is
visible from the keyboard; and on what phones and the projector show, text contrast of 4.5:1 at
least, for every board kind in every phase."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from . import audit
from .conftest import TOKEN
from .exports import analysed
from .steps import (add_board, create_workshop, draw_tie, ideas_board, join, online, screen_link, set_phase, settled,
                    show_board, take_snapshot)

pytestmark = pytest.mark.browser


def room_pages(phone, wall, fac, label: str) -> None:
    """The three live views as they are now: contrast on the phone and the projector."""
    for page in (phone, wall):
        expect(page.locator("#conn")).to_have_text("En ligne")
        audit.basics(page, contrast=True)
    audit.basics(fac)


def phases(fac, phone, wall, labels) -> None:
    for label in labels:
        set_phase(fac, label)
        expect(phone.locator(".stage-head .phase")).to_contain_text(label)
        room_pages(phone, wall, fac, label)


def test_every_page_is_basically_accessible(room):
    watch = room.watch
    # Before any workshop: home on a laptop and on a phone. -------------------------------------------
    fac = room.open("laptop")
    audit.basics(fac)
    phone = room.open("phone")
    audit.basics(phone, contrast=True)
    workshop_id, code = create_workshop(fac, "Atelier accessible", "QPV des Lilas")
    ideas_board(fac)
    wall = room.open("projector", screen_link(fac))

    # Joining, a wrong code first. ----------------------------------------------------------------------
    phone.goto(f"{room.url}/j/{code}")
    audit.basics(phone, contrast=True)
    phone.get_by_label("Code de l'atelier").fill("ZZZZZZ")
    phone.get_by_label("Votre pseudonyme").fill("Amina")
    with watch.tolerating(r"status of 400"):
        phone.get_by_role("button", name="Entrer dans l'atelier").tap()
        expect(phone.locator(".notice.error")).to_be_visible()
    audit.basics(phone, contrast=True)
    phone.goto(room.url + "/")
    join(phone, code, "Amina", "Centre social")

    # Ideas. ----------------------------------------------------------------------------------------------
    phone.get_by_label("Votre idée").fill("Se retrouver une fois par mois")
    phone.get_by_role("button", name="Ajouter la note").tap()
    settled(phone)
    room_pages(phone, wall, fac, "open")
    phases(fac, phone, wall, ["Contributions fermées"])

    # The stakeholder map, with the selected actor's panel open on the phone. ----------------------------
    add_board(fac, "Carte", "Cartographie des acteurs")
    show_board(fac, "Carte")
    for name in ("Mission locale", "CAF"):
        form = phone.locator("form.sh-add")
        form.get_by_label("Ajouter une organisation ou un collectif").fill(name)
        form.get_by_role("button", name="Ajouter l'acteur").tap()
        settled(phone)
    place = phone.locator("details.sh-alt")
    place.locator("summary").tap()
    for name, zone in (("Mission locale", "fort pouvoir / fort intérêt"), ("CAF", "faible pouvoir / fort intérêt")):
        form = place.locator("form", has=phone.get_by_label("Acteur à placer"))
        form.get_by_label("Acteur à placer").select_option(label=name)
        form.get_by_label("Zone", exact=True).select_option(label=zone)
        form.get_by_role("button", name="Placer").tap()
        settled(phone)
    draw_tie(phone, "Mission locale", "CAF", "projet commun", "2 · moyenne",
             drawn=lambda page: room_pages(page, wall, fac, "map, panel open"))
    room_pages(phone, wall, fac, "map")
    phases(fac, phone, wall, ["Notation des liens", "Carte fermée"])
    take_snapshot(fac, "T0")

    # Brakes and levers, through every phase. ---------------------------------------------------------
    add_board(fac, "Freins et leviers", "Freins et leviers")
    show_board(fac, "Freins et leviers")
    compose = phone.locator("form.lv-compose")
    compose.get_by_text("un levier", exact=True).tap()
    compose.get_by_label("Catégorie").select_option(label="Confiance")
    compose.get_by_label("Votre carte").fill("Des temps d'échange réguliers")
    compose.get_by_role("button", name="Ajouter la carte").tap()
    settled(phone)
    room_pages(phone, wall, fac, "write")
    phases(fac, phone, wall, ["Dévoilement", "Regroupement", "Vote"])
    phone.locator(".lv-card").get_by_role("button", name="Mettre un point sur cette carte").tap()
    settled(phone)
    room_pages(phone, wall, fac, "vote, one dot")
    phases(fac, phone, wall, ["Résultats", "Verrouillé"])

    # Indicators, through every phase. -----------------------------------------------------------------
    add_board(fac, "Indicateurs", "Référentiel d'indicateurs")
    show_board(fac, "Indicateurs")
    room_pages(phone, wall, fac, "empty")
    fac.get_by_role("button", name="Partir de la bibliothèque commune").click()
    fac.wait_for_url("**/animation")
    online(fac)
    room_pages(phone, wall, fac, "propose")
    phases(fac, phone, wall, ["Priorisation"])
    phone.get_by_role("button", name="Placer une gommette sur « Interlocuteurs nommés »").tap()
    settled(phone)
    phases(fac, phone, wall, ["Classement dévoilé", "Choix du référentiel"])
    fac.locator(".ind-ranking li", has_text="Interlocuteurs nommés").get_by_role("button", name="Retenir").click()
    settled(fac)
    fac.get_by_role("button", name=re.compile("Adopter ce référentiel")).click()
    settled(fac)
    phases(fac, phone, wall, ["Baromètre"])
    phone.locator(".ind-rate").first.locator("button.ind-v").nth(2).tap()
    settled(phone)
    room_pages(phone, wall, fac, "rate, answered")
    phases(fac, phone, wall, ["Tableau fermé"])
    take_snapshot(fac, "T1")

    # Around the live pages: a person without a phone, earlier boards, the territory, privacy. ----------
    people = fac.locator("#people")
    people.get_by_text("Personnes sans téléphone").click()
    people.get_by_label("Ajouter une personne sans téléphone (pseudonyme)").fill("Bernard")
    people.get_by_role("button", name="Ajouter").click()
    settled(fac)
    fac.get_by_role("button", name="Permettre de revoir les tableaux précédents").click()
    settled(fac)
    proxy = fac.context.new_page()
    proxy.goto(room.url + people.locator(".people li", has_text="Bernard").get_by_role("link", name="Saisir")
               .get_attribute("href"))
    expect(proxy.locator(".banner.proxy")).to_contain_text("Bernard")
    online(proxy)
    audit.basics(proxy, contrast=True)
    proxy.close()
    phone.get_by_role("link", name="Carte").tap()
    expect(phone.locator(".banner")).to_contain_text("lecture seule")
    audit.basics(phone, contrast=True)
    phone.goto(f"{room.url}/a/{workshop_id}/mes-contributions")
    audit.basics(phone, contrast=True)
    fac.goto(f"{room.url}/territoires/QPV des Lilas")
    audit.basics(fac)
    fac.goto(f"{room.url}/a/{workshop_id}/supprimer")
    audit.basics(fac)
    with watch.tolerating(r"status of 404"):
        fac.goto(f"{room.url}/a/inconnu")
        expect(fac.locator(".notice.error")).to_be_visible()
        audit.basics(fac)

    # The coordinator's pages. -------------------------------------------------------------------------
    coord = room.open("laptop", "/coordination")
    audit.basics(coord)
    coord.get_by_label("Jeton de coordination").fill(TOKEN)
    coord.get_by_role("button", name="Entrer").click()
    audit.basics(coord)
    coord.get_by_role("link", name="T1").click()
    analysed(coord)
    audit.basics(coord)
    coord.get_by_label("Comparer avec la vague").select_option(
        coord.get_by_label("Comparer avec la vague").locator("option", has_text="T0").get_attribute("value"))
    coord.get_by_role("button", name="Comparer").click()
    expect(coord.locator("h1")).to_contain_text("T0 → T1")
    audit.basics(coord)
    for path in ("/coordination/indicateurs", "/coordination/bibliotheque", "/coordination/bibliotheque/indicateur"):
        coord.goto(room.url + path)
        audit.basics(coord)
    watch.assert_clean()
