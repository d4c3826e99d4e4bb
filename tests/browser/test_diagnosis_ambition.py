"""The continuous diagnosis played in Chromium, on one server: a first workshop writes and
prioritises, a wave is taken; a second workshop of the territory carries the open items, keeps one
and closes another, on a phone (360×640), a laptop and the projector (1920×1080, 1280×720)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import audit
from .steps import add_board, create_workshop, join, screen_link, set_phase, settled, show_board, take_snapshot

pytestmark = pytest.mark.browser

TERRITORY = "QPV des Tilleuls"


def contribute(phone, theme: str, nature: str, source: str, text: str) -> None:
    form = phone.locator("form.dg-compose")
    form.get_by_label("Thème").select_option(label=theme)
    form.get_by_label("C'est…").select_option(label=nature)
    form.get_by_label("D'où vient ce savoir ?").select_option(label=source)
    form.get_by_label("Votre contribution").fill(text)
    form.get_by_role("button", name="Ajouter au diagnostic").tap()
    settled(phone)


def item(page, text: str):
    return page.locator(".dg-item", has=page.locator(".dg-text", has_text=text))


def first_wave(room, fac):
    """Returns the laptop back on the home page, the wave T0 taken."""
    create_workshop(fac, "Atelier d'octobre", TERRITORY)
    add_board(fac, "Diagnostic du quartier", "Diagnostic partagé")
    show_board(fac, "Diagnostic du quartier")
    _, code = fac.url.split("/")[4], fac.locator(".joinbox .code").inner_text().strip()
    wall = room.open("projector", screen_link(fac))
    phone = room.open("phone")
    join(phone, code, "Amina", "Centre social")
    expect(phone.locator("#stage-title")).to_have_text("Diagnostic du quartier")
    contribute(phone, "Mobilité", "Besoin", "Expérience vécue", "Pas de bus après 20 h")
    contribute(phone, "Santé et santé mentale", "Ressource du territoire", "Données d'un partenaire",
               "Une maison de santé ouverte le samedi")
    contribute(phone, "Garde d'enfants", "Besoin", "Étude", "Aucune crèche à horaires décalés")
    for page in (wall, fac):
        expect(item(page, "Pas de bus après 20 h")).to_be_visible()
    set_phase(fac, "Priorisation des besoins")
    item(phone, "Pas de bus après 20 h").get_by_role("button", name="Prioriser ce besoin").tap()
    settled(phone)
    expect(phone.locator(".dg-dots")).to_contain_text("Il vous reste 2 points")
    expect(item(wall, "Pas de bus après 20 h").locator(".dg-tally")).to_have_text("1 point")
    expect(wall.locator(".dg-rank li").first).to_contain_text("Pas de bus après 20 h")
    room.shot(phone, "t0-phone-360x640")
    room.shot(wall, "t0-projector-1920x1080")
    take_snapshot(fac, "T0")
    return wall, phone


def test_a_diagnosis_carried_to_a_second_wave_and_closed_there(room):
    fac = room.open("laptop")
    first_wave(room, fac)

    # The second workshop of the territory, a few months later. -----------------------------------
    fac.goto(room.url + "/")
    create_workshop(fac, "Atelier de mars", TERRITORY)
    add_board(fac, "Diagnostic, deuxième vague", "Diagnostic partagé")
    show_board(fac, "Diagnostic, deuxième vague")
    code = fac.locator(".joinbox .code").inner_text().strip()
    wall = room.open("projector", screen_link(fac))
    phone = room.open("phone")
    join(phone, code, "Bruno", "Mission locale")
    fac.get_by_role("button", name="Reprendre le diagnostic précédent").click()
    expect(fac.locator(".dg-carry-result .notice.ok")).to_have_text("3 éléments repris de la vague « T0 ».")
    for page in (fac, wall, phone):
        expect(page.locator(".dg-carried")).to_contain_text("repris de la vague « T0 » (Atelier d'octobre")
        expect(item(page, "Pas de bus après 20 h").locator(".dg-status")).to_have_text("Repris, à revoir")
    # The button is gone: a board carries one wave, once.
    expect(fac.get_by_role("button", name="Reprendre le diagnostic précédent")).to_have_count(0)
    # Phones cannot update what the room carried: no tools on a carried item.
    expect(item(phone, "Pas de bus après 20 h").locator(".dg-tools")).to_have_count(0)

    item(fac, "Pas de bus après 20 h").get_by_role("button", name="Maintenir").click()
    settled(fac)
    item(fac, "Aucune crèche à horaires décalés").get_by_role("button", name="Fermer").click()
    settled(fac)
    closed = item(wall, "Aucune crèche à horaires décalés")
    expect(closed.locator(".dg-status")).to_have_text("Fermé")
    expect(item(phone, "Pas de bus après 20 h").locator(".dg-status")).to_have_text("Maintenu")
    # Each item's history is for the laptops, phones and review; the projector shows the status.
    expect(item(wall, "Pas de bus après 20 h").locator(".dg-history")).to_be_hidden()
    history = item(phone, "Pas de bus après 20 h").locator(".dg-history")
    history.locator("summary").tap()
    expect(history).to_contain_text("T0")
    expect(history).to_contain_text("1 point")
    contribute(phone, "Numérique", "Ce qui manque", "Expérience vécue", "Un accès wifi à la médiathèque")
    expect(fac.locator(".dg-carried")).to_contain_text("1 élément à revoir")
    # A closed need is not offered for dots.
    set_phase(fac, "Priorisation des besoins")
    expect(item(phone, "Aucune crèche à horaires décalés").locator(".dg-dot")).to_have_count(0)
    expect(item(phone, "Pas de bus après 20 h").locator(".dg-dot")).to_have_count(1)

    room.shot(phone, "t1-phone-360x640")
    room.shot(phone, "t1-phone-360x640-full", full_page=True)
    room.shot(wall, "t1-projector-1920x1080")
    wall.set_viewport_size({"width": 1280, "height": 720})
    room.shot(wall, "t1-projector-1280x720")
    room.shot(fac, "t1-laptop")
    audit.basics(phone, contrast=True)
    audit.basics(wall, contrast=True)
    room.watch.assert_clean()


def answer(phone, choice: str, reason: str = "") -> None:
    form = phone.locator("form.am-answer")
    form.get_by_label(choice).check()
    if reason:
        form.get_by_label("Raison (obligatoire pour une réserve ou une objection)").fill(reason)
    form.get_by_role("button", name="Répondre").tap()
    settled(phone)


def test_two_consent_rounds_one_with_an_objection_then_agreement(room):
    fac = room.open("laptop")
    create_workshop(fac, "Atelier ambition", TERRITORY)
    add_board(fac, "Notre ambition", "Ambition de changement")
    show_board(fac, "Notre ambition")
    code = fac.locator(".joinbox .code").inner_text().strip()
    wall = room.open("projector", screen_link(fac))
    amina, bruno = room.open("phone"), room.open("phone")
    join(amina, code, "Amina", "Centre social")
    join(bruno, code, "Bruno", "Mission locale")
    compose = amina.locator("form.am-compose")
    compose.get_by_label("Votre proposition d'ambition").fill("Un interlocuteur à 15 minutes pour chaque habitant")
    compose.get_by_role("button", name="Proposer").tap()
    settled(amina)
    expect(wall.locator(".am-statement")).to_contain_text("Un interlocuteur à 15 minutes")

    # Round 1: Bruno objects, with his reason; nobody sees it before the round closes.
    set_phase(fac, "Consentement")
    fac.get_by_role("button", name="Ouvrir un tour de consentement").click()
    settled(fac)
    expect(wall.locator(".am-round .am-proposal")).to_have_text("Un interlocuteur à 15 minutes pour chaque habitant")
    answer(amina, "Je soutiens")
    form = bruno.locator("form.am-answer")
    form.get_by_label("Je m'oppose").check()
    form.get_by_role("button", name="Répondre").tap()
    expect(bruno.locator("#notice")).to_contain_text(
        "Dites pourquoi : une réserve ou une objection s'accompagne de sa raison.")
    # The refusal's toast leaves by itself after a few seconds.
    expect(bruno.locator("#outbox .out.refused")).to_have_count(0, timeout=15_000)
    answer(bruno, "Je m'oppose", "Le soir il ne passe plus aucun bus")
    expect(wall.locator(".am-progress")).to_contain_text("2 réponses")
    expect(wall.locator(".am-round")).not_to_contain_text("aucun bus")
    expect(amina.locator(".am-round")).not_to_contain_text("aucun bus")
    expect(bruno.locator(".am-own")).to_contain_text("Je m'oppose — Le soir il ne passe plus aucun bus")
    room.shot(bruno, "round1-phone-360x640")
    room.shot(wall, "round1-projector-1920x1080")
    fac.get_by_role("button", name="Clore le tour et montrer les réponses").click()
    settled(fac)
    for page in (wall, amina, bruno, fac):
        expect(page.locator(".am-round .am-verdict")).to_contain_text("Pas de consentement : 1 personne s'oppose.")
        expect(page.locator(".am-round .am-said")).to_contain_text("Le soir il ne passe plus aucun bus")
    room.shot(wall, "objection-projector-1920x1080")

    # Amended, round 2: a reserve, no objection: agreed.
    statement = fac.locator(".am-statement", has_text="Un interlocuteur à 15 minutes")
    statement.locator("summary", has_text="Amender").click()
    statement.get_by_label("Texte de la proposition").fill(
        "Un interlocuteur à 15 minutes pour chaque habitant, y compris le soir")
    statement.get_by_role("button", name="Enregistrer").click()
    settled(fac)
    fac.get_by_role("button", name="Ouvrir un nouveau tour").click()
    settled(fac)
    expect(amina.locator(".am-round h2")).to_have_text("Tour de consentement n° 2")
    answer(amina, "Je soutiens")
    answer(bruno, "J'ai une réserve", "Il faudra vérifier avec le réseau de bus")
    fac.get_by_role("button", name="Clore le tour et montrer les réponses").click()
    settled(fac)
    for page in (wall, amina, bruno):
        expect(page.locator(".am-round .am-verdict")).to_contain_text(
            "Adoptée par consentement : personne ne s'oppose, 1 personne soutient.")
        expect(page.locator(".am-agreed")).to_contain_text("y compris le soir")
    rounds = wall.locator(".am-statement .am-rounds")
    expect(rounds.locator("summary")).to_have_text("2 tours de consentement")
    room.shot(amina, "agreed-phone-360x640")
    room.shot(wall, "agreed-projector-1920x1080")
    wall.set_viewport_size({"width": 1280, "height": 720})
    room.shot(wall, "agreed-projector-1280x720")
    room.shot(fac, "agreed-laptop")
    audit.basics(amina, contrast=True)
    audit.basics(wall, contrast=True)
    room.watch.assert_clean()
