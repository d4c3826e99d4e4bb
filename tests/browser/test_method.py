"""A workshop of the method in Chromium, on one server and one set of screens: the agenda template
brings the systems map and the ambition beside the shared diagnosis the workshop opens on; phones
add factors and causal links, the projector finds the loops and draws the one spotlit; the room
writes and prioritises its diagnosis, agrees its ambition in two consent rounds (an objection,
then consent), and a wave is taken. A second workshop of the territory carries the diagnosis,
keeps one item and closes another. Phones at 360×640, the projector at 1920×1080 and 1280×720."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import audit
from .steps import (apply_template, calm, contribute, create_workshop, join, screen_link, set_phase, settled,
                    show_board, take_snapshot)

pytestmark = pytest.mark.browser

TERRITORY = "QPV des Tilleuls"
AGREED = "Un interlocuteur à 15 minutes pour chaque habitant, y compris le soir"


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


def item(page, text: str):
    return page.locator(".dg-item", has=page.locator(".dg-text", has_text=text))


def answer(phone, choice: str, reason: str = "") -> None:
    form = phone.locator("form.am-answer")
    form.get_by_label(choice).check()
    if reason:
        form.get_by_label("Raison (obligatoire pour une réserve ou une objection)").fill(reason)
    form.get_by_role("button", name="Répondre").tap()
    settled(phone)


def no_scroll(page) -> None:
    overflow = page.evaluate("() => [document.documentElement.scrollWidth - innerWidth, "
                             "document.documentElement.scrollHeight - innerHeight]")
    assert overflow[0] <= 0 and overflow[1] <= 0, overflow


def projector(room, fac, wall=None):
    """The projector of the facilitator's current workshop: the same page, sent to its new link."""
    link = screen_link(fac)
    if wall is None:
        return room.open("projector", link)
    wall.set_viewport_size({"width": 1920, "height": 1080})
    wall.goto(link if link.startswith("http") else room.url + link)
    return wall


def systems_map(room, fac, wall, amina, bruno):
    show_board(fac, "Carte systémique")
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
    room.shot(bruno, "systems-phone-360x640-drawing", full_page=True)
    audit.basics(bruno, contrast=True)

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
    calm(amina)
    room.shot(amina, "systems-phone-360x640")
    room.shot(wall, "systems-projector-1920x1080")
    no_scroll(wall)
    wall.set_viewport_size({"width": 1280, "height": 720})
    room.shot(wall, "systems-projector-1280x720")
    no_scroll(wall)
    audit.basics(amina, contrast=True)
    audit.basics(wall, contrast=True)
    wall.emulate_media(reduced_motion="reduce")
    expect(spot.locator(".sy-runner")).to_be_hidden()
    wall.set_viewport_size({"width": 1920, "height": 1080})

    # The facilitator hides a factor: its loop leaves every screen but the console.
    fac.locator(".sy-factor", has_text="Délais d'orientation").get_by_role("button", name="Masquer").click()
    settled(fac)
    for page in (amina, bruno, wall):
        expect(page.locator(".sy-loop.kind-B")).to_have_count(0)
        expect(page.get_by_text("Délais d'orientation")).to_have_count(0)
    expect(fac.locator(".sy-factor.hidden-note", has_text="Délais d'orientation")).to_be_visible()
    expect(wall.locator(".sy-spot")).to_be_hidden()
    # Links only, then nothing, on the phones.
    set_phase(fac, "Liens seulement")
    expect(amina.locator("form.sy-add")).to_have_count(0)
    expect(amina.locator("form.sy-link")).to_be_visible()
    set_phase(fac, "Carte fermée")
    expect(amina.locator("form.sy-link")).to_have_count(0)
    expect(amina.locator(".sy-factor .tools")).to_have_count(0)
    audit.basics(amina, contrast=True)
    audit.basics(fac)


def first_diagnosis(room, fac, wall, amina):
    show_board(fac, "Diagnostic partagé")
    contribute(amina, "Mobilité", "Besoin", "Expérience vécue", "Pas de bus après 20 h")
    contribute(amina, "Santé et santé mentale", "Ressource du territoire", "Données d'un partenaire",
               "Une maison de santé ouverte le samedi")
    contribute(amina, "Garde d'enfants", "Besoin", "Étude", "Aucune crèche à horaires décalés")
    for page in (wall, fac):
        expect(item(page, "Pas de bus après 20 h")).to_be_visible()
    set_phase(fac, "Priorisation des besoins")
    item(amina, "Pas de bus après 20 h").get_by_role("button", name="Prioriser ce besoin").tap()
    settled(amina)
    expect(amina.locator(".dg-dots")).to_contain_text("Il vous reste 2 points")
    expect(item(wall, "Pas de bus après 20 h").locator(".dg-tally")).to_have_text("1 point")
    expect(wall.locator(".dg-rank li").first).to_contain_text("Pas de bus après 20 h")
    room.shot(amina, "diagnosis-t0-phone-360x640")
    room.shot(wall, "diagnosis-t0-projector-1920x1080")


def ambition(room, fac, wall, amina, bruno):
    show_board(fac, "Ambition de changement")
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
    room.shot(bruno, "ambition-round1-phone-360x640")
    fac.get_by_role("button", name="Clore le tour et montrer les réponses").click()
    settled(fac)
    for page in (wall, amina, bruno, fac):
        expect(page.locator(".am-round .am-verdict")).to_contain_text("Pas de consentement : 1 personne s'oppose.")
        expect(page.locator(".am-round .am-said")).to_contain_text("Le soir il ne passe plus aucun bus")
    room.shot(wall, "ambition-objection-projector-1920x1080")

    # Amended, round 2: a reserve, no objection: agreed.
    statement = fac.locator(".am-statement", has_text="Un interlocuteur à 15 minutes")
    statement.locator("summary", has_text="Amender").click()
    statement.get_by_label("Texte de la proposition").fill(AGREED)
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
    expect(wall.locator(".am-statement .am-rounds summary")).to_have_text("2 tours de consentement")
    room.shot(amina, "ambition-agreed-phone-360x640")
    room.shot(wall, "ambition-agreed-projector-1920x1080")
    wall.set_viewport_size({"width": 1280, "height": 720})
    room.shot(wall, "ambition-agreed-projector-1280x720")
    audit.basics(amina, contrast=True)
    audit.basics(wall, contrast=True)


def second_wave(room, fac, wall, bruno):
    fac.goto(room.url + "/")
    _, code = create_workshop(fac, "Atelier de mars", TERRITORY)
    # The workshop opens on the structured diagnosis, shown to all.
    expect(fac.locator("#stage-title")).to_have_text("Diagnostic partagé")
    wall = projector(room, fac, wall)
    bruno.goto(room.url + "/")
    join(bruno, code, "Bruno", "Mission locale")
    fac.get_by_role("button", name="Reprendre le diagnostic précédent").click()
    expect(fac.locator(".dg-carry-result .notice.ok")).to_have_text("3 éléments repris de la vague « T0 ».")
    for page in (fac, wall, bruno):
        expect(page.locator(".dg-carried")).to_contain_text("repris de la vague « T0 » (Atelier d'octobre")
        expect(item(page, "Pas de bus après 20 h").locator(".dg-status")).to_have_text("Repris, à revoir")
    # The button is gone: a board carries one wave, once.
    expect(fac.get_by_role("button", name="Reprendre le diagnostic précédent")).to_have_count(0)
    # Phones cannot update what the room carried: no tools on a carried item.
    expect(item(bruno, "Pas de bus après 20 h").locator(".dg-tools")).to_have_count(0)

    item(fac, "Pas de bus après 20 h").get_by_role("button", name="Maintenir").click()
    settled(fac)
    item(fac, "Aucune crèche à horaires décalés").get_by_role("button", name="Fermer").click()
    settled(fac)
    expect(item(wall, "Aucune crèche à horaires décalés").locator(".dg-status")).to_have_text("Fermé")
    expect(item(bruno, "Pas de bus après 20 h").locator(".dg-status")).to_have_text("Maintenu")
    # Each item's history is for the laptops, phones and review; the projector shows the status.
    expect(item(wall, "Pas de bus après 20 h").locator(".dg-history")).to_be_hidden()
    history = item(bruno, "Pas de bus après 20 h").locator(".dg-history")
    history.locator("summary").tap()
    expect(history).to_contain_text("T0")
    expect(history).to_contain_text("1 point")
    contribute(bruno, "Numérique", "Ce qui manque", "Expérience vécue", "Un accès wifi à la médiathèque")
    expect(fac.locator(".dg-carried")).to_contain_text("1 élément à revoir")
    # A closed need is not offered for dots.
    set_phase(fac, "Priorisation des besoins")
    expect(item(bruno, "Aucune crèche à horaires décalés").locator(".dg-dot")).to_have_count(0)
    expect(item(bruno, "Pas de bus après 20 h").locator(".dg-dot")).to_have_count(1)
    room.shot(bruno, "diagnosis-t1-phone-360x640")
    room.shot(bruno, "diagnosis-t1-phone-360x640-full", full_page=True)
    room.shot(wall, "diagnosis-t1-projector-1920x1080")
    wall.set_viewport_size({"width": 1280, "height": 720})
    room.shot(wall, "diagnosis-t1-projector-1280x720")
    room.shot(fac, "diagnosis-t1-laptop")
    audit.basics(bruno, contrast=True)
    audit.basics(wall, contrast=True)


def test_a_workshop_of_the_method_from_the_systems_map_to_a_second_wave(room):
    fac = room.open("laptop")
    _, code = create_workshop(fac, "Atelier d'octobre", TERRITORY)
    apply_template(fac, "Approche systémique, diagnostic et ambition")
    agenda = fac.locator("#agenda")
    # One diagnosis, the structured one the workshop opened on, beside the map and the ambition.
    expect(agenda.locator("li", has_text="Diagnostic partagé")).to_have_count(1)
    for title in ("Carte systémique", "Ambition de changement"):
        expect(agenda.locator("li", has_text=title)).to_have_count(1)
    wall = projector(room, fac)
    amina, bruno = room.open("phone"), room.open("phone")
    join(amina, code, "Amina", "Centre social")
    join(bruno, code, "Bruno")

    systems_map(room, fac, wall, amina, bruno)
    first_diagnosis(room, fac, wall, amina)
    ambition(room, fac, wall, amina, bruno)
    take_snapshot(fac, "T0")
    second_wave(room, fac, wall, bruno)
    room.watch.assert_clean()
