"""Translations: French is the source language; other languages come from .po catalogues.

Catalogues are compiled in memory at start-up, so a fresh checkout runs without
a build step and no binary .mo file is kept in the repository.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("fr", "en")
DEFAULT = "fr"
CATALOGUES = Path(__file__).parent / "locale"


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
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translate(locale: str, message: str, params: dict | None = None) -> str:
    text = translations(locale).gettext(message)
    return text % params if params else text


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The reader's language: their explicit choice, else the browser's preference, else French."""
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
