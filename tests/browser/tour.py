"""A workshop toured by every board kind through every phase, on one server and one page per
view: the facilitator's console adds each board, shows it and steps through its phases, the phone
contributes what each phase asks for, and the phone and the projector follow live. Everything is
found by names and values of the markup, not by words, so the tour runs in any language."""

from __future__ import annotations

import re

from playwright.sync_api import expect

import boards.ambition
import boards.diagnosis
import boards.ideas
import boards.indicators
import boards.levers
import boards.stakeholders
import boards.systems

from . import axe
from .steps import settled

KINDS = (boards.ideas, boards.stakeholders, boards.levers, boards.indicators, boards.systems,
         boards.diagnosis, boards.ambition)


def open_in(room, device: str, path: str, lang: str, setup=None):
    """A page of `device` in `lang`, with axe ready in it."""
    page = room.open(device, "/static/favicon.svg")
    page.context.add_cookies([{"name": "lang", "value": lang, "url": room.url}])
    axe.install(page.context)
    if setup:
        setup(page.context)
    page.goto(room.url + path)
    return page


def live(page) -> None:
    expect(page.locator("#conn.on")).to_have_count(1)


def ask(fac, selector: str) -> None:
    """The facilitator presses the button of the form matching `selector` (language-free)."""
    fac.locator(selector).locator("button").first.click()
    settled(fac)


def add_board(fac, kind: str) -> str:
    agenda = fac.locator("#agenda")
    before = agenda.locator("ol > li").count()
    agenda.locator("#new-board-title").fill(f"Tableau {kind}")
    agenda.locator("#new-board-kind").select_option(kind)
    agenda.locator("form:has(input[name=type][value='board.add']) button").click()
    expect(agenda.locator("ol > li")).to_have_count(before + 1)
    settled(fac)
    board = agenda.locator("ol > li").last.locator("input[name=board]").first.get_attribute("value")
    ask(fac, f"form:has(input[name=type][value='board.show']):has(input[name=board][value='{board}'])")
    return board


def set_phase(fac, board: str, phase: str) -> None:
    ask(fac, f".phases form:has(input[name=phase][value='{phase}'])")
    expect(fac.locator(".phases button[aria-pressed=true]")).to_have_count(1)
    expect(fac.locator(f".phases form:has(input[name=phase][value='{phase}']) button")).to_have_attribute(
        "aria-pressed", "true")


def followed(page, phase: str) -> None:
    """The phone or projector shows the phase the console set."""
    expect(page.locator(f"#stage [data-phase='{phase}']").first).to_be_attached()


def send(page, form: str, fields: dict | None = None) -> None:
    """Fills a form by its fields' names (language-free) and presses its button."""
    target = page.locator(form).first
    for name, value in (fields or {}).items():
        field = target.locator(f"[name={name}]").first
        if field.evaluate("(el) => el.tagName") == "SELECT":
            field.select_option(index=value) if isinstance(value, int) else field.select_option(value)
        elif field.get_attribute("type") == "radio":
            target.locator(f"[name={name}]").nth(value).check()
        else:
            field.fill(value)
    button = target.locator("button:not([type=button])").last
    button.tap() if page.viewport_size["width"] < 500 else button.click()
    settled(page)


def contribute(fac, phone, kind: str, phase: str) -> None:
    """What people do in this phase, so that axe sees cards, ties, votes and answers."""
    typed = lambda t: f"form:has(input[name=type][value='{t}'])"  # noqa: E731
    if (kind, phase) == ("ideas", "open"):
        send(phone, typed("note.add"), {"text": "Se retrouver une fois par mois"})
    elif (kind, phase) == ("stakeholders", "map"):
        for name in ("Mission locale", "CAF"):
            send(phone, "form.sh-add", {"name": name})
        phone.locator("details.sh-alt summary").tap()
        for index in (1, 2):
            send(phone, "details.sh-alt " + typed("actor.place"), {"actor": 1 if index == 1 else 2, "zone": index})
        phone.locator("details.sh-alt summary").tap()
        phone.locator(".sh-actors .sh-a").nth(0).tap()
        phone.locator(".sh-actors .sh-a").nth(1).tap()
        form = phone.locator("form.sh-link-form")
        expect(form).to_be_visible()
        form.locator("input[name=strength]").nth(1).check()
        send(phone, "form.sh-link-form", {"category": 1})
        phone.locator(".sh-panel button.sh-close").tap()
        expect(phone.locator(".sh-panel")).to_be_hidden()
    elif (kind, phase) == ("levers", "write"):
        send(phone, "form.lv-compose", {"side": 1, "category": 1, "text": "Des temps d'échange réguliers"})
    elif (kind, phase) == ("levers", "vote"):
        phone.locator(".lv-card form:has(input[name=type][value='vote.add']) button").first.tap()
        settled(phone)
    elif (kind, phase) == ("indicators", "propose"):
        fac.locator(f"form[action$='/amorcer'] button").click()
        fac.wait_for_url("**/animation")
        live(fac)
    elif (kind, phase) == ("indicators", "prioritise"):
        phone.locator(typed("indicator.dot") + ":has(input[name=add][value=true]) button").first.tap()
        settled(phone)
    elif (kind, phase) == ("indicators", "choose"):
        ask(fac, typed("indicator.choose"))
        ask(fac, typed("indicators.publish"))
    elif (kind, phase) == ("indicators", "rate"):
        phone.locator(".ind-rate").first.locator("button.ind-v").nth(2).tap()
        settled(phone)
    elif (kind, phase) == ("systems", "factors"):
        for text in ("Offres d'emploi locales", "Confiance des employeurs"):
            send(phone, "form.sy-add", {"text": text})
        send(phone, "form.sy-link", {"source": 1, "target": 2, "polarity": 0})
    elif (kind, phase) == ("diagnosis", "collect"):
        send(phone, "form.dg-compose", {"theme": 1, "nature": "need", "source": 1, "text": "Pas de bus après 20 h"})
    elif (kind, phase) == ("diagnosis", "prioritise"):
        phone.locator(typed("diagnosis.dot") + " button").first.tap()
        settled(phone)
    elif (kind, phase) == ("ambition", "draft"):
        send(phone, typed("ambition.propose"), {"text": "Un interlocuteur à 15 minutes"})
    elif (kind, phase) == ("ambition", "consent"):
        ask(fac, typed("ambition.round.open"))
        send(phone, typed("ambition.answer"), {"answer": 1, "reason": "Et le soir ?"})


def start(room, lang: str = "fr", phone_setup=None):
    """The facilitator creates a workshop from the home page, the projector opens, a phone joins.
    Returns (console, projector, phone, workshop id); `phone_setup(context)` runs before the phone's
    first page."""
    fac = open_in(room, "laptop", "/", lang)
    fac.locator("input[name=title]").fill("Atelier accessible")
    fac.locator("input[name=territory]").fill("QPV des Lilas")
    fac.locator("form[action='/ateliers'] button").click()
    fac.wait_for_url(re.compile(r"/a/\w+/animation"))
    live(fac)
    workshop_id = fac.url.split("/")[4]
    code = fac.locator(".joinbox .code").inner_text().strip()
    wall = open_in(room, "projector", fac.locator("a[href*='/ecran']").first.get_attribute("href"), lang)
    phone = open_in(room, "phone", f"/j/{code}", lang, phone_setup)
    phone.locator("input[name=name]").fill("Amina")
    phone.locator("form[action='/rejoindre'] button").tap()
    phone.wait_for_url(re.compile(r"/a/\w+$"))
    for page in (fac, wall, phone):
        live(page)
    return fac, wall, phone, workshop_id


def boards_through_phases(fac, wall, phone, each) -> None:
    """Every board kind in every phase; `each(kind, phase)` once the phone and projector follow
    and the phone has done its part."""
    for kind in KINDS:
        board = add_board(fac, kind.KIND)
        for phase in kind.PHASES:
            set_phase(fac, board, phase)
            for page in (phone, wall):
                followed(page, phase)
            contribute(fac, phone, kind.KIND, phase)
            each(kind.KIND, phase)
