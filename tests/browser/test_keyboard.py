"""The facilitator's console with the keyboard alone (Tab, Shift+Tab, Enter, Space and typing):
add a board, show it to everyone, take it through its phases; every control reached shows where
the focus is. And what a screen reader is told: a refusal in a live region that stays in place,
counts in status regions, controls with names."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import tour
from .steps import settled

pytestmark = pytest.mark.browser

# The focused element, described, and whether the browser draws a visible focus indicator on it.
FOCUSED = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  const ring = s.boxShadow && s.boxShadow !== 'none';
  return { visible: outline || ring && el.matches(':focus-visible'), tag: el.tagName,
           text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60) };
}
"""


def tab_to(page, selector: str, limit: int = 150) -> int:
    """Presses Tab until the element of `selector` (a Playwright selector) has the focus; every
    stop on the way shows its focus. Returns the number of presses."""
    target = page.locator(selector)
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        here = page.evaluate(FOCUSED)
        if here is not None:
            assert here["visible"], f"no visible focus on {here}"
        if target.evaluate("(el) => el === document.activeElement"):
            return presses
    raise AssertionError(f"{selector} never reached with Tab in {limit} presses")


def test_the_console_through_a_board_s_phases_with_the_keyboard_alone(room):
    fac, wall, phone, _ = tour.start(room)
    fac.locator("body").focus()
    # A new board: its title typed, its kind chosen by typing in the list, added with Enter. -----------
    tab_to(fac, "#new-board-title")
    fac.keyboard.type("Freins et leviers du quartier")
    fac.keyboard.press("Tab")
    fac.keyboard.type("Freins")
    expect(fac.locator("#new-board-kind")).to_have_value("levers")
    tab_to(fac, "form:has(input[name=type][value='board.add']) button")
    fac.keyboard.press("Enter")
    settled(fac)
    expect(fac.locator("#agenda li", has_text="Freins et leviers du quartier")).to_be_visible()
    # Shown to everyone with Space. ---------------------------------------------------------------------
    show = "#agenda li:has-text('Freins et leviers du quartier') form:has(input[name=type][value='board.show']) button"
    tab_to(fac, show)
    fac.keyboard.press("Space")
    settled(fac)
    expect(phone.locator("#stage [data-phase='write']")).to_be_attached()
    # Every phase in turn, Enter and Space alternately; after each, the focus stays on the button
    # pressed, so the next phase is one Tab away, not the whole page again. ---------------------------
    phases = ("reveal", "group", "vote", "results", "locked")
    for index, phase in enumerate(phases):
        button = f".phases form:has(input[name=phase][value='{phase}']) button"
        presses = tab_to(fac, button)
        if index:
            assert presses == 1, f"{presses} presses of Tab from the previous phase to {phase}"
        fac.keyboard.press("Enter" if index % 2 else "Space")
        settled(fac)
        expect(fac.locator(button)).to_have_attribute("aria-pressed", "true")
        for page in (phone, wall):
            expect(page.locator(f"#stage [data-phase='{phase}']")).to_be_attached()
        expect(fac.locator(button)).to_be_focused()
    room.watch.assert_clean()


def test_a_screen_reader_hears_refusals_and_counts(room):
    fac, wall, phone, _ = tour.start(room)
    board = tour.add_board(fac, "levers")
    tour.contribute(fac, phone, "levers", "write")
    tour.set_phase(fac, board, "vote")
    expect(phone.locator("#stage [data-phase='vote']")).to_be_attached()
    # The region a refusal is said in is there before the refusal, and stays the same element: a
    # region that is replaced is not announced by screen readers.
    phone.evaluate("document.getElementById('notice').__kept = true")
    # Each phone's points, in a status region, said again after each vote.
    dots = phone.get_by_role("status").filter(has_text="Il vous reste")
    expect(dots).to_contain_text("Il vous reste 5 points")
    # Heard after each vote: the same region, its words changed in place.
    dots.evaluate("(el) => { el.__kept = true; }")
    plus = phone.locator(".lv-card").first.get_by_role("button", name="Mettre un point sur cette carte")
    for left in (4, 3, 2):
        plus.tap()
        settled(phone)
        expect(dots).to_contain_text(f"Il vous reste {left} points")
    assert dots.evaluate("(el) => el.__kept === true"), "the count's status region was replaced"
    plus.tap()   # a fourth point on one card: three at most
    alert = phone.get_by_role("alert")
    expect(alert).to_contain_text("3")
    assert phone.evaluate("document.getElementById('notice').__kept === true"), "the alert region was replaced"
    expect(phone.locator("#outbox")).to_have_attribute("aria-live", "polite")
    expect(phone.get_by_role("status").filter(has_text="Refusé")).to_be_visible()
    # The refusal is said in words, not only by the colour of the toast.
    expect(phone.locator("#outbox .out.refused")).to_contain_text("Refusé")
