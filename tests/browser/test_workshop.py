"""A whole workshop played in Chromium: a facilitator on a laptop, three phones, the projector,
then a coordinator. At each step, what each screen shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from . import audit
from .conftest import TOKEN
from .exports import analysed, check_exports, download_all
from .steps import (add_board, at_rest, calm, create_workshop, draw_tie, join, online, screen_link, set_phase, settled,
                    show_board, take_snapshot, touch_drag)

pytestmark = pytest.mark.browser

PEOPLE = (("Amina", "Centre social Les Tilleuls"), ("Bruno", "Mission locale"), ("Chloé", ""))


def test_a_whole_workshop(room):
    watch = room.watch
    # The facilitator creates the workshop and opens the projector. ------------------------------
    fac = room.open("laptop")
    workshop_id, code = create_workshop(fac, "Atelier coopération — mars", "QPV des Tilleuls")
    wall = room.open("projector", screen_link(fac))
    expect(wall.locator(".joincorner .code")).to_have_text(code)
    expect(wall.locator("#conn")).to_have_text("En ligne")
    expect(wall.locator("#stage-title")).to_have_text("Diagnostic partagé")

    # Three phones join by code. -----------------------------------------------------------------
    phones = []
    for name, organisation in PEOPLE:
        phone = room.open("phone")
        join(phone, code, name, organisation)
        expect(phone.locator(".me strong")).to_have_text(name)
        expect(phone.locator("#stage-title")).to_have_text("Diagnostic partagé")
        phones.append(phone)
    amina, bruno, chloe = phones
    people = fac.locator("#people")
    for name, _ in PEOPLE:
        expect(people.locator(".people li.on", has_text=name)).to_be_visible()
    expect(people.locator("h2")).to_contain_text("(3)")
    expect(wall.locator("#online")).to_have_text("4 personnes connectées")

    # The stakeholder map, shown to everyone. -----------------------------------------------------
    add_board(fac, "Qui coopère aux Tilleuls ?", "Cartographie des acteurs")
    show_board(fac, "Qui coopère aux Tilleuls ?")
    for page in (*phones, wall):
        expect(page.locator("#stage-title")).to_have_text("Qui coopère aux Tilleuls ?")

    # Meanwhile the facilitator starts adding a person without a phone.
    people.get_by_text("Personnes sans téléphone").click()
    people.get_by_label("Ajouter une personne sans téléphone (pseudonyme)").fill("Bernard")
    actors = (("Mission locale", "service public de l'emploi", amina), ("Centre social", "association", bruno),
              ("CAF", "institution publique", chloe))
    for name, kind, phone in actors:
        form = phone.locator("form.sh-add")
        form.get_by_label("Ajouter une organisation ou un collectif").fill(name)
        form.get_by_label("Type", exact=True).select_option(kind)
        form.get_by_role("button", name="Ajouter l'acteur").tap()
        settled(phone)
    for page in (*phones, wall, fac):
        for name, _, _ in actors:
            expect(page.locator(".sh-tray-list .sh-a", has_text=name)).to_be_visible()
        expect(page.locator(".sh-counts")).to_contain_text("3 acteurs")
    # The panel of people has been refreshed with everyone's contributions: what was typed is still there.
    expect(people.locator(".summary")).to_contain_text("3 sur 3 ont contribué à ce tableau")
    people.get_by_role("button", name="Ajouter", exact=True).click()
    settled(fac)
    expect(people.locator(".people li", has_text="Bernard")).to_contain_text("sans téléphone")
    expect(wall.locator("#online")).to_have_text("4 personnes connectées")

    # Placing by dragging with a finger.
    spots = {"Mission locale": (0.75, 0.25), "Centre social": (0.3, 0.3), "CAF": (0.6, 0.7)}
    for name, (fx, fy) in spots.items():
        chip = amina.locator(".sh-a", has_text=name)
        chip.scroll_into_view_if_needed()
        map_box = amina.locator(".sh-map").bounding_box()
        touch_drag(amina, chip, map_box["x"] + fx * map_box["width"], map_box["y"] + fy * map_box["height"])
        settled(amina)
    for page in (bruno, wall, fac):
        for name, (fx, fy) in spots.items():
            chip = page.locator(".sh-actors .sh-a", has_text=name)
            expect(chip).to_be_visible()
            assert near(chip, "left", fx) and near(chip, "top", fy), chip.get_attribute("style")

    # A tie drawn by touch: tap one actor, then the other, then say what kind of tie.
    draw_tie(bruno, "Mission locale", "Centre social", "orientation de publics", "3 · forte",
             linking=lambda phone: room.shot(phone, "phone-linking"))
    for page in (*phones, wall, fac):
        expect(page.locator(".sh-ties polyline:not(.off)")).to_have_count(1)
        expect(page.locator(".sh-counts")).to_contain_text("1 lien")
        expect(page.locator(".sh-counts")).to_contain_text("1 acteur sans lien")
    # The projector shows; it never offers anything to do.
    expect(wall.locator("form[ws-send], .sh-panel, button.sh-a")).to_have_count(0)

    # Wave T0. ------------------------------------------------------------------------------------
    take_snapshot(fac, "T0 — mars")

    # Brakes and levers: written in private, then revealed. ----------------------------------------
    add_board(fac, "Freins et leviers", "Freins et leviers")
    show_board(fac, "Freins et leviers")
    cards = (("frein", "Interconnaissance", "Les structures ne se connaissent pas", amina),
             ("levier", "Gouvernance", "Un référent commun par quartier", bruno),
             ("levier", "Moyens", "Des permanences partagées au centre social", chloe))
    # Amina was down on the map: the new board opens at its top.
    amina.wait_for_function("() => window.scrollY === 0")
    for side, category, text, phone in cards:
        expect(phone.locator("#stage-title")).to_have_text("Freins et leviers")
        at_rest(phone)
        form = phone.locator("form.lv-compose")
        side_label = "un frein" if side == "frein" else "un levier"
        form.get_by_text(side_label, exact=True).tap()
        expect(form.get_by_role("radio", name=side_label)).to_be_checked()
        form.get_by_label("Catégorie").select_option(label=category)
        form.get_by_label("Votre carte").fill(text)
        form.get_by_role("button", name="Ajouter la carte").tap()
        settled(phone)
        expect(phone.locator(".lv-mine .lv-card", has_text=text)).to_be_visible()
    # Private: each phone holds its own card only; the room sees how many, never what.
    for _, _, text, author in cards:
        for page in (*phones, wall, fac):
            if page is not author:
                expect(page.get_by_text(text)).to_have_count(0)
    for page in (wall, fac):
        expect(page.locator(".lv-status")).to_contain_text("3 cartes écrites")
        expect(page.locator(".lv-status")).to_contain_text("par 3 personnes")
    room.shot(amina, "phone-levers-private")
    room.shot(wall, "projector-levers-private")

    set_phase(fac, "Dévoilement")
    for page in (*phones, wall, fac):
        for _, _, text, _ in cards:
            expect(page.locator(".lv-field .lv-card", has_text=text)).to_be_visible()

    # Dot voting: five points each, three at most on one card. ---------------------------------------
    set_phase(fac, "Vote")
    for phone in phones:
        expect(phone.locator(".lv-dots")).to_contain_text("Il vous reste 5 points")
    ballots = {amina: ((1, 3), (2, 2)), bruno: ((1, 3), (0, 2)), chloe: ((2, 3), (1, 2))}
    for phone, ballot in ballots.items():
        for index, dots in ballot:
            card = phone.locator(".lv-field .lv-card", has_text=cards[index][2])
            for _ in range(dots):
                card.get_by_role("button", name="Mettre un point sur cette carte").tap()
            expect(card.locator(".lv-my")).to_contain_text(f"Vos points : {dots}")
        settled(phone)
        expect(phone.locator(".lv-dots")).to_contain_text("Vous avez placé tous vos points")
    expect(fac.locator(".lv-progress")).to_contain_text(re.compile(r"\b3\b.*\b4\b.* ont placé tous leurs points"))
    # Tallies stay hidden until the results.
    for page in (*phones, wall):
        expect(page.locator(".lv-tally")).to_have_count(0)
    calm(chloe)
    room.shot(chloe, "phone-vote")
    # A sixth point is refused, with the reason on that phone only; nothing changes.
    full = chloe.locator(".lv-field .lv-card", has_text=cards[2][2])
    full.get_by_role("button", name="Mettre un point sur cette carte").tap()
    expect(chloe.locator("#notice")).to_have_text("Vous avez déjà placé tous vos points (5).")
    refused = chloe.locator("#outbox .out.refused")
    expect(refused).to_contain_text("Vote : Refusé")
    refused.get_by_role("button").tap()
    expect(full.locator(".lv-my")).to_contain_text("Vos points : 3")
    for page in (amina, bruno, fac, wall):
        expect(page.locator("#notice")).to_be_empty()
    set_phase(fac, "Résultats")
    results = wall.locator(".lv-results")
    expect(results.locator(".lv-rank-side.levier li").first).to_contain_text(cards[1][2])
    expect(results.locator(".lv-rank-side.levier li").first).to_contain_text("8 points")
    expect(results.locator(".lv-rank-side.levier li").nth(1)).to_contain_text("5 points")
    expect(results.locator(".lv-rank-side.frein li").first).to_contain_text("2 points")
    room.shot(wall, "projector-levers-results")

    # Indicators: from the common library, one of the territory's own, dots, a framework, ratings. --
    add_board(fac, "Nos indicateurs", "Référentiel d'indicateurs")
    show_board(fac, "Nos indicateurs")
    fac.get_by_role("button", name="Partir de la bibliothèque commune").click()
    fac.wait_for_url("**/animation")
    online(fac)
    common = "Interlocuteurs nommés"
    for page in (*phones, wall, fac):
        expect(page.locator(".ind-card", has_text=common)).to_be_visible()
    own = "Orientations entre structures du quartier"
    proposal = amina.locator(".ind-compose form")
    proposal.get_by_label("Nom de l'indicateur").fill(own)
    proposal.get_by_label("Définition").fill("Personnes orientées d'une structure vers une autre, par trimestre")
    proposal.get_by_role("button", name="Proposer").tap()
    settled(amina)
    for page in (*phones, wall, fac):
        expect(page.locator(".ind-card", has_text=own)).to_contain_text("Territoire")

    set_phase(fac, "Priorisation")
    for phone, wanted in ((amina, own), (bruno, own), (chloe, common)):
        dots = phone.locator(".ind-dots li", has_text=wanted)
        for _ in range(2):
            dots.get_by_role("button", name=f"Placer une gommette sur « {wanted} »").tap()
        expect(dots.locator(".ind-dot-n")).to_have_text("2")
        settled(phone)
        expect(phone.locator(".ind-left")).to_contain_text("Il vous reste 3 gommettes")
    set_phase(fac, "Classement dévoilé")
    ranking = wall.locator(".ind-ranking li")
    expect(ranking.first).to_contain_text(own)
    expect(ranking.first).to_contain_text("4 gommettes · 2 personnes")
    expect(ranking.nth(1)).to_contain_text(common)

    set_phase(fac, "Choix du référentiel")
    for name in (own, common):
        fac.locator(".ind-ranking li", has_text=name).get_by_role("button", name="Retenir").click()
        settled(fac)
    fac.get_by_role("button", name="Adopter ce référentiel (version 1)").click()
    settled(fac)
    expect(fac.locator(".ind-publish")).to_contain_text("version adoptée : 1")
    set_phase(fac, "Baromètre")
    answers = {amina: (4, 2), bruno: (4, 3), chloe: (2, 3)}
    for phone, values in answers.items():
        for name, value in zip((own, common), values):
            row = phone.locator(".ind-rate", has_text=name)
            row.locator("button.ind-v").nth(value - 1).tap()
            expect(row.locator("button.ind-v[aria-pressed=true]")).to_contain_text(str(value))
        settled(phone)
    for name, median in ((own, "4"), (common, "3")):
        histogram = wall.locator(".ind-baro", has_text=name)
        expect(histogram.locator(".ind-median")).to_contain_text(f"Médiane : {median}")
        expect(histogram.locator(".ind-median")).to_contain_text("3 réponses")
    room.shot(bruno, "phone-barometer")
    room.shot(wall, "projector-barometer")

    # Follow me, back to the map: a second tie, then wave T1. -------------------------------------
    show_board(fac, "Qui coopère aux Tilleuls ?")
    for page in (*phones, wall):
        expect(page.locator("#stage-title")).to_have_text("Qui coopère aux Tilleuls ?")
        expect(page.locator(".sh-ties polyline:not(.off)")).to_have_count(1)
    draw_tie(chloe, "CAF", "Centre social", "projet commun", "2 · moyenne")
    for page in (*phones, wall, fac):
        expect(page.locator(".sh-counts")).to_contain_text("2 liens")
        expect(page.locator(".sh-counts")).to_contain_text("0 acteur sans lien")
    room.shot(wall, "projector-map")
    fac.evaluate("window.scrollTo(0, 0)")
    calm(fac)
    room.shot(fac, "facilitator-console")
    take_snapshot(fac, "T1 — mars")
    for page in (*phones, wall):
        audit.basics(page, contrast=True)
    audit.basics(fac)

    # The coordinator reviews the waves. -----------------------------------------------------------
    review = room.open("laptop", "/coordination")
    review.get_by_label("Jeton de coordination").fill(TOKEN)
    review.get_by_role("button", name="Entrer").click()
    expect(review.locator("h1")).to_have_text("Coordination : territoires et vagues")
    territory = review.locator("section.card", has_text="QPV des Tilleuls")
    expect(territory.locator("h3")).to_contain_text("Atelier coopération — mars")
    audit.basics(review)
    territory.get_by_role("link", name="T1 — mars").click()
    analysed(review)
    expect(review.locator("h1")).to_have_text("Atelier coopération — mars — T1 — mars")
    expect(review.locator(".lead")).to_contain_text("4 participants (dont 1 sans téléphone)")
    nodes = review.locator(".network circle title")
    expect(nodes).to_have_count(3)
    expect(review.locator(".network line")).to_have_count(2)
    expect(review.locator("table.figures").first).to_contain_text("Densité")
    expect(review.get_by_text(cards[1][2])).to_be_visible()
    expect(review.locator("table.figures tr", has_text=own)).to_contain_text("4")
    audit.basics(review)
    review.locator(".network").scroll_into_view_if_needed()
    room.shot(review, "review-snapshot")
    snapshot_downloads = download_all(review, review.locator("section.card .exports a"), room.artifacts / "t1")

    earlier = review.get_by_label("Comparer avec la vague")
    earlier.select_option(earlier.locator("option", has_text="T0 — mars").get_attribute("value"))
    review.get_by_role("button", name="Comparer").click()
    expect(review.locator("h1")).to_have_text("Évolution du réseau : T0 — mars → T1 — mars")
    expect(review.get_by_role("heading", name="Liens apparus (1)")).to_be_visible()
    expect(review.get_by_text("CAF — Centre social").or_(review.get_by_text("Centre social — CAF"))).to_be_visible()
    audit.basics(review)
    review.locator(".two").first.scroll_into_view_if_needed()
    room.shot(review, "review-comparison")
    comparison_downloads = download_all(review, review.locator("p.exports a"), room.artifacts / "t0-t1")

    check_exports(room, snapshot_downloads, comparison_downloads, [name for name, _, _ in actors])
    watch.assert_clean()


def near(chip, side: str, fraction: float) -> bool:
    """Whether the chip sits within 4 % of the map's side from where the finger lifted."""
    value = chip.evaluate(f"(el) => parseFloat(el.style.{side})")
    return abs(value - fraction * 100) < 4
