"""A territory's waves as series, spelled for a reader: charts, plain captions, tables.

Built in the worker process from the stored analyses (exports/jobs.py ``series_part``) for
the review page, and inside the report's job for the printable report. The geometry comes
from exports/charts.py and the template (templates/exports/_series.html) writes the SVG,
so wave labels and actor names are escaped like any other text.
"""

from __future__ import annotations

from boards.i18n import N_
from boards.network import series
from boards.network.text import ACTOR_LABELS, EXPLANATIONS, NETWORK_LABELS

from . import charts
from .report import spell_figure
from .templating import DEFAULT, number, percent, texts

# More waves than this and the charts keep the latest ones (the page says so).
MAX_WAVES = 12
# The report follows the last wave's actors with the most partners.
LEADERS = 5
# The review page's actor list: the actors of the wave with the most partners, by name.
CHOICES = 300

UP = N_("De %(first)s à %(last)s : en hausse, de %(before)s à %(after)s.")
DOWN = N_("De %(first)s à %(last)s : en baisse, de %(before)s à %(after)s.")
SAME = N_("De %(first)s à %(last)s : stable, à %(value)s.")
UNKNOWN = N_("Pas assez de vagues chiffrées pour dire une évolution.")


def actor_speller(key: str, locale: str):
    if key == "betweenness":
        return lambda value: percent(value, 1, locale)
    return lambda value: number(value, 0 if key == "degree" else 2, locale)


def trend(values: list, waves: list[str], spell, locale: str = DEFAULT) -> tuple[str, str]:
    """(direction, sentence): what went up or down from the first wave with a value to the
    last. A change too small to show in the figure as written counts as stable."""
    say, _ = texts(locale)
    known = [(wave, value) for wave, value in zip(waves, values) if value is not None]
    if len(known) < 2:
        return "unknown", say(UNKNOWN)
    (first, before), (last, after) = known[0], known[-1]
    if spell(before) == spell(after):
        return "same", say(SAME) % {"first": first, "last": last, "value": spell(after)}
    words = {"first": first, "last": last, "before": spell(before), "after": spell(after)}
    return ("up", say(UP) % words) if after > before else ("down", say(DOWN) % words)


def _row(key: str, label: str, values: list, waves: list[str], spell, locale: str,
         lines=None) -> dict:
    say, _ = texts(locale)
    direction, caption = trend(values, waves, spell, locale)
    return {"key": key, "label": say(label), "explanation": say(EXPLANATIONS[key]) if key in EXPLANATIONS else "",
            "direction": direction, "caption": caption,
            "cells": [spell(v) if v is not None else "—" for v in values],
            "chart": charts.line_chart(waves, lines or [(say(label), values)], spell)}


def context(waves: list[dict], locale: str = DEFAULT, actor: str | None = None,
            leaders: int = 0) -> dict:
    """Series over ``waves`` (dicts with label, taken_at and analysis, in wave order).

    ``actor`` is an actor id of the last wave: its own series are added. ``leaders`` adds,
    for each per-actor figure, one chart of the last wave's actors with the most partners."""
    skipped = max(0, len(waves) - MAX_WAVES)
    waves = waves[skipped:]
    analyses = [w["analysis"] for w in waves]
    labels = [str(w["label"]) for w in waves]
    network = series.network_series(analyses)
    rows = [_row(key, NETWORK_LABELS[key], network[key], labels,
                 lambda v, key=key: spell_figure(key, v, locale), locale)
            for key in series.NETWORK_SERIES]
    found = series.tracks(analyses) if analyses else []
    last = {a["id"]: a for a in analyses[-1]["actors"]} if analyses else {}
    ranked = sorted(last.values(), key=lambda a: (-a["degree"], a["name"].casefold(), a["id"]))
    choices = sorted(ranked[:CHOICES], key=lambda a: (a["name"].casefold(), a["id"]))
    chosen = actor if actor in last else (ranked[0]["id"] if ranked else None)
    if chosen is not None and all(c["id"] != chosen for c in choices):
        choices.append(last[chosen])
    result = {"waves": [{"label": w["label"], "date": str(w.get("taken_at") or "")[:10]}
                        for w in waves],
              "skipped": skipped, "network": rows,
              "up": [r["label"] for r in rows if r["direction"] == "up"],
              "down": [r["label"] for r in rows if r["direction"] == "down"],
              "choices": [{"id": a["id"], "name": a["name"]} for a in choices],
              "actor_count": len(last),
              "actor": None, "leaders": []}
    if chosen is not None:
        track = next(t for t in found if t["ids"][-1] == chosen)
        values = series.actor_series(analyses, track)
        result["actor"] = {"id": chosen, "name": track["name"], "rows": [
            _row(key, ACTOR_LABELS[key], values[key], labels, actor_speller(key, locale), locale)
            for key in series.ACTOR_SERIES]}
    if leaders and found:
        top = series.leading(analyses, found, leaders)
        per = [series.actor_series(analyses, track) for track in top]
        say, _ = texts(locale)
        for key in series.ACTOR_SERIES:
            spell = actor_speller(key, locale)
            lines = [(t["name"], values[key]) for t, values in zip(top, per)]
            chart = charts.line_chart(labels, lines, spell)
            result["leaders"].append({
                "key": key, "label": say(ACTOR_LABELS[key]), "chart": chart,
                "rows": [{"name": t["name"], "style": line["style"],
                          "cells": [spell(v) if v is not None else "—" for v in values[key]]}
                         for t, values, line in zip(top, per, chart["lines"])]})
    return result
