"""What the people of a workshop do with their hands, written once for every test."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def create_workshop(page, title: str, territory: str) -> tuple[str, str]:
    """From the home page: the facilitator creates a workshop; returns (workshop id, join code)."""
    page.get_by_label("Titre").fill(title)
    page.get_by_label("Territoire (QPV ou secteur)").fill(territory)
    page.get_by_role("button", name="Créer l'atelier").click()
    page.wait_for_url(re.compile(r"/a/\w+/animation"))
    online(page)
    workshop_id = page.url.split("/")[4]
    return workshop_id, page.locator(".joinbox .code").inner_text().strip()


def screen_link(fac) -> str:
    """The projector's address, as the facilitator's console offers it."""
    return fac.get_by_role("link", name="Ouvrir l'écran de projection").get_attribute("href")


def join(page, code: str, name: str, organisation: str = "") -> None:
    """From the home page, as on a phone: type the code, then a pseudonym."""
    page.get_by_label("Code de l'atelier").fill(code)
    page.get_by_role("button", name="Continuer").tap()
    page.get_by_label("Votre pseudonyme").fill(name)
    if organisation:
        page.get_by_label("Structure que vous représentez (facultatif)").fill(organisation)
    page.get_by_role("button", name="Entrer dans l'atelier").tap()
    page.wait_for_url(re.compile(r"/a/\w+$"))
    online(page)


def online(page) -> None:
    expect(page.locator("#conn")).to_have_text("En ligne")


def settled(page, timeout: float = 15_000) -> None:
    """Every action this page sent was acknowledged (none pending, none refused)."""
    page.wait_for_function(
        "() => Object.values(window.maillage.pending).every((p) => p.state === 'saved')", timeout=timeout)
    refused = page.locator("#outbox .out.refused")
    assert refused.count() == 0, refused.all_inner_texts()


def at_rest(page, quiet_ms: int = 500) -> None:
    """The page has neither scrolled nor changed for `quiet_ms`. Chromium takes a finger landing
    on a page that has just moved for one that stops it, not for a tap, as a phone does; people
    read what appeared before they touch it."""
    page.wait_for_function("(quiet) => performance.now() - window.__movedAt > quiet", arg=quiet_ms)


def calm(page) -> None:
    """The "saved" notes have faded out (for a screenshot without them)."""
    expect(page.locator("#outbox .out")).to_have_count(0)


def add_board(fac, title: str, kind: str) -> None:
    agenda = fac.locator("#agenda")
    agenda.get_by_label("Nouveau tableau").fill(title)
    agenda.get_by_label("Type", exact=True).select_option(label=kind)
    agenda.get_by_role("button", name="Ajouter", exact=True).click()
    expect(fac.locator("#agenda li", has_text=title)).to_be_visible()
    settled(fac)


def ideas_board(fac, title: str = "Idées du quartier") -> None:
    """A free ideas board, on stage: a new workshop opens on the structured diagnosis."""
    add_board(fac, title, "Idées")
    show_board(fac, title)


def apply_template(fac, label: str) -> None:
    """The facilitator adds a ready-made agenda's boards."""
    fac.get_by_text("Appliquer un modèle de déroulé").click()
    fac.get_by_label("Modèle", exact=True).select_option(label=label)
    fac.get_by_role("button", name="Ajouter ces tableaux").click()
    fac.wait_for_url("**/animation")
    online(fac)


def contribute(phone, theme: str, nature: str, source: str, text: str) -> None:
    """A contribution to the shared diagnosis, sorted by theme, kind and source."""
    form = phone.locator("form.dg-compose")
    form.get_by_label("Thème").select_option(label=theme)
    form.get_by_label("C'est…").select_option(label=nature)
    form.get_by_label("D'où vient ce savoir ?").select_option(label=source)
    form.get_by_label("Votre contribution").fill(text)
    form.get_by_role("button", name="Ajouter au diagnostic").tap()
    settled(phone)


def show_board(fac, title: str) -> None:
    """Follow me: every screen switches to this board."""
    fac.locator("#agenda li", has_text=title).get_by_role("button", name="Montrer à tous").click()
    expect(fac.locator("#stage-title")).to_have_text(title)
    settled(fac)


def set_phase(fac, label: str) -> None:
    button = fac.locator(".phases button", has_text=label)
    button.click()
    expect(fac.locator(".phases button[aria-pressed=true]")).to_contain_text(label)
    settled(fac)


def touch_drag(page, locator, to_x: float, to_y: float, steps: int = 8) -> None:
    """A finger presses `locator`, slides to (to_x, to_y) in page pixels and lifts: real touch input."""
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for i in range(1, steps + 1):
            point = {"x": x + (to_x - x) * i / steps, "y": y + (to_y - y) * i / steps}
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def draw_tie(phone, first: str, second: str, kind: str, strength: str, linking=None, drawn=None) -> None:
    """By touch: tap an actor, tap another, say what links them. `linking(phone)` runs once the
    form is filled, `drawn(phone)` once the tie is drawn, the panel still open."""
    phone.locator(".sh-actors .sh-a", has_text=first).tap()
    panel = phone.locator(".sh-panel")
    expect(panel.locator(".sh-sel-name")).to_have_text(first)
    phone.locator(".sh-actors .sh-a", has_text=second).tap()
    form = panel.locator("form.sh-link-form")
    expect(form).to_be_visible()
    expect(form.locator(".sh-to")).to_have_text(second)
    form.get_by_label("Type de coopération").select_option(kind)
    form.get_by_label(strength).tap()
    if linking:
        linking(phone)
    form.get_by_role("button", name="Tracer le lien").tap()
    settled(phone)
    expect(panel.locator(".sh-ties-list .sh-row", has_text=second)).to_be_visible()
    if drawn:
        drawn(phone)
    panel.get_by_role("button", name="Fermer").tap()
    expect(panel).to_be_hidden()


def take_snapshot(fac, label: str) -> None:
    """A wave: the facilitator freezes every board under a label."""
    box = fac.locator("#instantanes")
    box.get_by_label("Libellé de la vague").fill(label)
    box.get_by_role("button", name="Prendre l'instantané").click()
    fac.wait_for_url("**/animation?instantane=*")
    expect(fac.locator("#instantanes li", has_text=label)).to_be_visible()
    expect(fac.locator("#conn")).to_have_text("En ligne")
