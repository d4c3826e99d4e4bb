"""The Jinja2 environment of the exports, data embedded in <script>, vis-network's own files.

Every export template ends in .html so autoescape is on; nothing a participant typed is
marked safe. The only Markup made here is JSON whose ``<``, ``>``, ``&`` and line/paragraph
separators are escaped (so ``</script>`` in a label cannot close the script element), and
vis-network's files, checked not to contain a closing tag.

Pages people read (the report, the comparison, the network page) are written in the reader's
language, from the interface's catalogue; our shipped defaults among the data (actor and tie
types, categories, the indicator library) are shown translated and everything typed as typed.
Data files (CSV, XLSX, GEXF, GraphML, JSON) are not translated: see exports/rows.py.
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

import jinja2
from babel import Locale
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from server.i18n import DEFAULT, language, shipped_label, translate, translations

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "exports"
VIS_VERSION = "9.1.2"

# Chained str.replace: about ten times faster than str.translate on a 9 MB payload.
_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                   ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def script_json(data) -> Markup:
    """JSON safe to put between <script> tags (and valid JSON for JSON.parse)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in _SCRIPT_ESCAPES:
        text = text.replace(raw, escaped)
    return Markup(text)


def _fraction(digits: int) -> str:
    return "." + "0" * digits if digits > 0 else ""


def number(value, digits: int = 2, locale: str = DEFAULT) -> str:
    """A number as the reader writes it (Babel, CLDR): "1 234,5" in French, "1,234.5" in English.

    Whole numbers keep no decimals; the review pages, the report and the network page all spell
    figures through here, so one figure reads the same on each of them."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_decimal(value, locale=language(locale))
    return format_decimal(value, format="#,##0" + _fraction(digits), locale=language(locale))


def percent(value, digits: int = 0, locale: str = DEFAULT) -> str:
    """A share (0.222) as a percentage in the reader's language: "22,2 %" or "22.2%"."""
    if value is None:
        return "—"
    pattern = Locale.parse(language(locale)).percent_formats[None].pattern
    return format_percent(value, format=pattern.replace("#,##0", "#,##0" + _fraction(digits), 1),
                          locale=language(locale))


def clip(text, limit: int = 120) -> str:
    """Shorten what a participant typed to fit a report line; the full text is in the data files.

    Line breaks and tabs become single spaces."""
    text = str(text)
    if len(text) <= limit and text.isprintable():
        return text
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=None)
def environment(locale: str = DEFAULT) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined,
                             extensions=["jinja2.ext.i18n"],
                             trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(locale), newstyle=True)
    env.filters.update(num=lambda value, digits=2: number(value, digits, locale),
                       pct=lambda value, digits=0: percent(value, digits, locale),
                       clip=clip, default_label=lambda value: shipped_label(locale, value))
    env.globals.update(locale=locale, html_lang=language(locale))
    return env


def render(name: str, locale: str = DEFAULT, **context) -> str:
    return environment(locale).get_template(name).render(**context)


def texts(locale: str):
    """(translate, label) for Python code that writes words into a page: a catalogue message
    in the reader's language, and a value from the data with our defaults translated."""
    return (lambda message: translate(locale, message)), (lambda value: shipped_label(locale, value))


@lru_cache(maxsize=None)
def vis_assets() -> tuple[Markup, Markup]:
    """vis-network's script and stylesheet as shipped inside the pyvis package, unmodified.

    Found without importing pyvis (its import pulls IPython and costs ~0.4 s). The script
    opens with vis-network's licence notice (Apache-2.0 or MIT), kept as it is.
    """
    spec = importlib.util.find_spec("pyvis")
    folder = Path(next(iter(spec.submodule_search_locations))) / "lib" / f"vis-{VIS_VERSION}"
    script = (folder / "vis-network.min.js").read_text(encoding="utf-8")
    style = (folder / "vis-network.css").read_text(encoding="utf-8")
    for text, closing in ((script, "</script"), (style, "</style")):
        lowered = text.lower()
        if closing in lowered or "<!--" in lowered:
            raise RuntimeError(f"vis-network {VIS_VERSION} cannot be inlined: it holds {closing}")
    return Markup(script), Markup(style)
