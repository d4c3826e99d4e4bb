"""Translations: French is the source language; other languages come from .po catalogues.

Catalogues are compiled in memory at start-up, so a fresh checkout runs without
a build step and no binary .mo file is kept in the repository.
"""

from __future__ import annotations

import gettext
import io
import json
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("fr", "en", "falc")
DEFAULT = "fr"
# "Facile à lire" (FALC, the European easy-to-read rules) is French in other words: pages say
# lang="fr" (screen readers and speech synthesis pick a French voice) and numbers and dates are
# written as in French. Its catalogue is Babel's locale variant fr@falc.
LANGUAGE = {"fr": "fr", "en": "en", "falc": "fr"}
BABEL_LOCALE = {"fr": "fr", "en": "en", "falc": "fr@falc"}
# How the switcher names each choice, in that choice's own words.
SWITCH_LABELS = {"fr": "FR", "en": "EN", "falc": "Facile à lire"}
CATALOGUES = Path(__file__).parent / "locale"
# The common indicator library as shipped; its French texts are catalogue messages too.
LIBRARY = Path(__file__).resolve().parent.parent / "boards" / "data" / "indicators.json"
LIBRARY_TEXTS = ("dimension", "name", "definition", "measure", "source")


class French(gettext.NullTranslations):
    """The source language needs no catalogue, only its plural rule: 0 and 1 are singular."""

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n <= 1 else plural


@lru_cache(maxsize=None)
def translations(locale: str) -> gettext.NullTranslations:
    po = CATALOGUES / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT or not po.exists():
        return French()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=BABEL_LOCALE.get(locale, locale))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translate(locale: str, message: str, params: dict | None = None) -> str:
    text = translations(locale).gettext(message)
    return text % params if params else text


def language(locale: str) -> str:
    """The BCP 47 tag of a page in `locale` (its `lang` attribute), and the locale Babel formats
    its numbers and dates in."""
    return LANGUAGE.get(locale, DEFAULT)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The reader's language: their explicit choice, else the browser's preference, else French.

    "Facile à lire" is only ever an explicit choice: no browser asks for it."""
    if cookie in LOCALES:
        return cookie
    ranked = []
    for index, part in enumerate((accept_language or "").split(",")):
        piece = part.strip().split(";q=")
        tag = piece[0].strip().lower()[:2]
        try:
            weight = float(piece[1]) if len(piece) > 1 else 1.0
        except ValueError:
            weight = 0.0
        if tag in LOCALES:
            ranked.append((-weight, index, tag))
    return sorted(ranked)[0][2] if ranked else DEFAULT


# Shipped defaults -------------------------------------------------------------------------------
# A workshop starts with our default actor and tie types, brake/lever categories and indicator
# library. They are stored in its data as written, in French, like anything a person types: events,
# snapshots and partners' exports stay the same whoever read them. Only at display time is a value
# that is exactly one of our defaults shown in the reader's language; a renamed category, a custom
# type or a proposed indicator is never looked up in the catalogue, even if it happens to match
# some other message of the interface.


def library_texts(text: str) -> list[str]:
    """Every French text of a library file, in file order, without repeats."""
    found: dict[str, None] = {}
    for indicator in json.loads(text)["indicators"]:
        for key in LIBRARY_TEXTS:
            if indicator.get(key):
                found.setdefault(indicator[key], None)
    return list(found)


@lru_cache(maxsize=None)
def shipped_labels() -> frozenset[str]:
    from boards.levers.model import DEFAULT_CATEGORIES
    from boards.stakeholders.model import DEFAULT_ACTOR_TYPES, DEFAULT_TIE_TYPES

    return frozenset((*DEFAULT_ACTOR_TYPES, *DEFAULT_TIE_TYPES, *(label for _, label in DEFAULT_CATEGORIES),
                      *library_texts(LIBRARY.read_text("utf-8"))))


def shipped_label(locale: str, value):
    """`value` from a workshop's data as the reader should see it: ours translated, theirs as typed."""
    if isinstance(value, str) and value in shipped_labels():
        return translations(locale).gettext(value)
    return value


def extract_library(fileobj, keywords, comment_tags, options):
    """Babel extractor for the shipped indicator library (babel.cfg), so that `pybabel extract`
    finds its texts and `pybabel update` keeps their English instead of marking it obsolete."""
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    for message in library_texts(text):
        quoted = json.dumps(message, ensure_ascii=False)
        line = next((n for n, content in enumerate(lines, 1) if quoted in content), 0)
        yield line, None, message, ["Indicator library shipped with Maillage (boards/data/indicators.json)."]
