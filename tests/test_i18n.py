"""The interface speaks French first and English second: every message of the code is translated."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from server.i18n import negotiate, translate

ROOT = Path(__file__).resolve().parent.parent
# translate(locale, "…") marks a message as surely as N_ does: the server passes some literals straight to it.
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2), "translate": (2,)}
# Python-style placeholders, and the {n} that small scripts fill in on the page.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def source_messages() -> dict[str, tuple[str, ...]]:
    """Catalogue key (the singular) -> every source form, found exactly as `pybabel extract -F babel.cfg` finds them."""
    with (ROOT / "babel.cfg").open() as config:
        methods, options = parse_mapping_cfg(config)
    found = {}
    for _, _, message, _, _ in extract_from_dir(str(ROOT), methods, options, keywords=KEYWORDS):
        forms = (message,) if isinstance(message, str) else tuple(m for m in message if m)
        found[forms[0]] = forms
    return found


def catalogue():
    with (ROOT / "server/locale/en/LC_MESSAGES/messages.po").open("rb") as handle:
        return read_po(handle, locale="en")


def placeholders(*texts: str) -> set[str]:
    return {token for text in texts for token in PLACEHOLDER.findall(text)}


def test_every_message_has_an_english_translation_with_the_same_placeholders():
    english = catalogue()
    missing, broken = [], []
    for key, forms in sorted(source_messages().items()):
        entry = english.get(key)
        # A fuzzy entry is left out when the catalogue is compiled: for a reader it is missing.
        translations = () if entry is None or entry.fuzzy else (
            entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if not translations or not all(translations) or len(translations) != len(forms):
            missing.append(key)
            continue
        if any(placeholders(text) != placeholders(*forms) for text in translations):
            broken.append(key)
    assert not missing, f"{len(missing)} messages without English: {missing[:20]}"
    assert not broken, f"placeholders differ: {broken[:20]}"


def test_language_is_chosen_by_switch_then_browser_then_french():
    assert negotiate(None, None) == "fr"
    assert negotiate(None, "en-GB,en;q=0.9,fr;q=0.5") == "en"
    assert negotiate(None, "de-DE,fr;q=0.8,en;q=0.5") == "fr"
    assert negotiate("fr", "en-US") == "fr"
    assert negotiate("xx", "en") == "en"
    assert translate("en", "Rejoindre un atelier") != "Rejoindre un atelier"
    assert translate("fr", "Rejoindre un atelier") == "Rejoindre un atelier"


def test_pages_follow_the_language_switch(server):
    import httpx

    with httpx.Client(base_url=server.url, headers={"Accept-Language": "fr-FR"}) as browser:
        assert 'lang="fr"' in browser.get("/").text
        switched = browser.get("/langue/en?next=/rejoindre")
        assert switched.status_code == 303 and switched.headers["location"] == "/rejoindre"
        page = browser.get("/rejoindre").text
        assert 'lang="en"' in page and translate("en", "Rejoindre un atelier") in page
        assert browser.get("/langue/en?next=https://evil.example/").headers["location"] == "/"
