"""Reading help on phones: read-aloud by the phone's own voice, large text, and a whole workshop
played by a phone with large text at 360×640 while the console is used at 200% zoom: every step
reachable, no text over other text or cut, no sideways scrolling, targets big enough for a finger."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import layout, tour
from .steps import settled

pytestmark = pytest.mark.browser

# Headless Chromium may have no voice at all: the page's speechSynthesis is replaced by one whose
# voices the test chooses and which writes down what it was asked to say.
VOICES = """
window.__voices = [];
window.__spoken = [];
if (window.speechSynthesis) {
  window.speechSynthesis.getVoices = () => window.__voices;
  window.speechSynthesis.speak = (u) => { window.__spoken.push({ text: u.text, lang: u.lang }); };
  window.speechSynthesis.cancel = () => {};
}
"""


def voices(page, *found: tuple[str, str, bool]) -> None:
    """The phone now has these voices (name, language, on the device), and says so."""
    page.evaluate("""(found) => {
        window.__voices = found.map(([name, lang, local]) => ({ name, lang, localService: local, default: false }));
        window.speechSynthesis.dispatchEvent(new Event('voiceschanged'));
    }""", [list(v) for v in found])


def test_read_aloud_appears_with_a_voice_on_the_phone_and_says_the_text_in_the_page_language(room):
    fac, wall, phone, _ = tour.start(room, phone_setup=lambda context: context.add_init_script(VOICES))
    tour.add_board(fac, "ideas")
    tour.contribute(fac, phone, "ideas", "open")
    hint = phone.locator("#stage-hint")
    speak_hint = hint.locator("button.speak")
    note = phone.locator(".note").first
    # No voice, an English voice only, a French voice that reads from a server: no button at all.
    for found in ((), (("Daniel", "en-GB", True),), (("Google français", "fr-FR", False),)):
        voices(phone, *found)
        expect(speak_hint).to_be_hidden()
        expect(note.locator("button.speak")).to_have_count(0)
    # A French voice on the phone: a button by the instructions and by each card.
    voices(phone, ("Daniel", "en-GB", True), ("Amélie", "fr-FR", True))
    expect(speak_hint).to_be_visible()
    expect(speak_hint).to_have_accessible_name("Lire les consignes à voix haute")
    card_button = note.locator("button.speak")
    expect(card_button).to_be_visible()
    expect(card_button).to_have_accessible_name("Lire ce texte à voix haute")
    speak_hint.tap()
    card_button.tap()
    spoken = phone.evaluate("window.__spoken")
    assert spoken == [
        {"text": "Écrivez une idée par note. Vous pouvez modifier ou supprimer les vôtres.", "lang": "fr"},
        {"text": "Se retrouver une fois par mois", "lang": "fr"},
    ], spoken
    # A card that arrives live gets its button too.
    tour.send(phone, "form:has(input[name=type][value='note.add'])", {"text": "Un annuaire partagé"})
    expect(phone.locator(".note", has_text="Un annuaire partagé").locator("button.speak")).to_be_visible()
    # The projector reads nothing aloud, and nothing left the machine.
    expect(wall.locator("button.speak")).to_have_count(0)
    room.watch.assert_clean()


def test_a_whole_workshop_on_a_phone_with_large_text_and_the_console_at_200_percent(room):
    fac, wall, phone, workshop_id = tour.start(room)
    # Large text, chosen on the phone and kept there. ---------------------------------------------
    toggle = phone.locator("button.large-text-toggle")
    expect(toggle).to_have_accessible_name("Grand texte")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    normal = phone.evaluate(size)
    toggle.tap()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert phone.evaluate(size) >= normal * 1.3
    phone.reload()
    tour.live(phone)
    expect(phone.locator("button.large-text-toggle")).to_have_attribute("aria-pressed", "true")
    assert phone.evaluate(size) >= normal * 1.3
    # A laptop at 200 % zoom: a 1280×800 window shows what 640×400 CSS pixels hold.
    fac.set_viewport_size({"width": 640, "height": 400})

    problems: dict[str, list] = {}

    def look(page, where: str, main: str | None = None) -> None:
        bad = layout.sound(page, main)
        if bad:
            problems[where] = bad

    def each(kind: str, phase: str) -> None:
        look(phone, f"phone {kind}/{phase}", layout.MAIN_ACTIONS)
        look(fac, f"console {kind}/{phase}")
        room.shot(phone, f"phone-large-{kind}-{phase}", full_page=True)

    tour.boards_through_phases(fac, wall, phone, each)
    room.shot(fac, "console-200-percent", full_page=True)
    # Around the boards: the phone's own contributions, then a new phone joining in large text.
    phone.goto(f"{room.url}/a/{workshop_id}/mes-contributions")
    look(phone, "phone my contributions", layout.MAIN_ACTIONS)
    phone.goto(room.url + "/")
    look(phone, "phone home", layout.MAIN_ACTIONS)
    room.shot(phone, "phone-large-home", full_page=True)
    assert not problems, "\n".join(f"{where}:\n  " + "\n  ".join(bad[:12]) for where, bad in problems.items())
    room.watch.assert_clean()
