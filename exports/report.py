"""Printable report in the reader's language: one HTML page, A4 print styles, charts as inline SVG.

Everything the page shows goes through the templates with autoescape on; the charts' SVG
elements are written by the template from numbers computed in exports/charts.py, so no
participant text is ever concatenated into markup. The page links to nothing and loads
nothing.
"""

from __future__ import annotations

from collections import Counter

from boards.i18n import N_
from boards.network.text import EXPLANATIONS, NETWORK_LABELS

from . import charts
from .ambition import agreed as agreed_ambition
from .rows import idea_boards, lever_cards
from .templating import DEFAULT, number, percent, render, texts

PERCENT_FIGURES = {"density", "degree_centralization", "reciprocity", "cross_type_share",
                   "transitivity", "trust_score", "value_score"}
DECIMAL_FIGURES = {"average_degree", "average_trust", "average_value", "modularity",
                   "average_path_length", "ei_index"}
DENSITY_TYPES = 8  # the type × type table shows the most common types, the files all of them
GROUP_LIMIT = 12


def spell_figure(key: str, value, locale: str = DEFAULT) -> str:
    if key in PERCENT_FIGURES:
        return percent(value, 1, locale)
    return number(value, 2 if key in DECIMAL_FIGURES else 0, locale)


def spell_change(key: str, delta, locale: str = DEFAULT) -> str:
    if delta is None:
        return "—"
    sign = "+" if delta > 0 else ""
    if key in PERCENT_FIGURES:
        return f"{sign}{number(delta * 100, 1, locale)}\u202fpt"
    return sign + number(delta, 2 if key in DECIMAL_FIGURES else 0, locale)


def figure_rows(network: dict, locale: str = DEFAULT) -> list[dict]:
    say, _ = texts(locale)
    return [{"label": say(label), "value": spell_figure(key, network.get(key), locale),
             "explanation": say(EXPLANATIONS[key])} for key, label in NETWORK_LABELS.items()]


def change_rows(comparison: dict, locale: str = DEFAULT) -> list[dict]:
    say, _ = texts(locale)
    rows = []
    for key, label in NETWORK_LABELS.items():
        change = comparison["network"].get(key)
        if change:
            rows.append({"label": say(label), "before": spell_figure(key, change["before"], locale),
                         "after": spell_figure(key, change["after"], locale),
                         "delta": spell_change(key, change["delta"], locale)})
    return rows


def explanations(locale: str) -> dict:
    say, _ = texts(locale)
    return {key: say(text) for key, text in EXPLANATIONS.items()}


def _groups(analysis: dict, locale: str = DEFAULT) -> list[dict]:
    """Groups of two actors or more, with the types that make them up."""
    say, label = texts(locale)
    kinds = {a["id"]: label(a["type"]) or say(N_("type non précisé")) for a in analysis["actors"]}
    groups = []
    for group in analysis["communities"]:
        if group["size"] < 2:
            continue
        mix = Counter(kinds[m] for m in group["members"]).most_common(3)
        groups.append({**group, "mix": mix})
    return groups


def density_table(analysis: dict, locale: str = DEFAULT) -> dict:
    """Type × type densities as a square table over the most common types (None if untyped)."""
    say, label = texts(locale)
    rows = analysis.get("type_density") or []
    sizes: dict[str, int] = {}
    for row in rows:
        if row["from"] == row["to"]:
            sizes[row["from"]] = row["possible"]
    cells = {}
    for row in rows:
        cells[(row["from"], row["to"])] = cells[(row["to"], row["from"])] = row["density"]
    types = [t for t in dict.fromkeys(r["from"] for r in rows)][:DENSITY_TYPES]
    if len(types) < 2:
        return {}
    return {"types": [label(t) for t in types],
            "rows": [{"type": label(a), "cells": [percent(cells.get((a, b)), 1, locale)
                                                  for b in types]} for a in types]}


def constrained(analysis: dict, limit: int = 10) -> list[dict]:
    """The most and least constrained actors with at least two partners (Burt)."""
    rated = [a for a in analysis["actors"] if a.get("constraint") is not None and a["degree"] >= 2]
    rated.sort(key=lambda a: (a["constraint"], a["name"]))
    return rated[:limit]


def _lever_groups(cards: list[dict]) -> list[dict]:
    totals: dict[tuple, dict] = {}
    for card in cards:
        if card["cluster"]:
            key = (card["kind"], card["cluster"])
            entry = totals.setdefault(key, {"kind": key[0], "cluster": key[1], "cards": 0,
                                            "votes": 0})
            entry["cards"] += 1
            entry["votes"] += card["votes"]
    return sorted(totals.values(), key=lambda e: (e["kind"], -e["votes"]))


def report_context(snapshot: dict, analysis: dict, comparison: dict | None, locale: str = DEFAULT,
                   series: dict | None = None) -> dict:
    say, label = texts(locale)
    workshop = snapshot.get("workshop") if isinstance(snapshot.get("workshop"), dict) else {}
    # Candidates the group did not keep in its framework stay in the data files only.
    indicators = [i for i in snapshot.get("indicators") or ()
                  if isinstance(i, dict) and i.get("chosen") is not False]
    cards = lever_cards(snapshot)
    return {
        # The change the territory agreed to seek heads the report.
        "ambition": agreed_ambition(snapshot),
        "title": str(workshop.get("title") or say(N_("Atelier"))),
        "territory": str(workshop.get("territory") or ""),
        "wave": str(snapshot.get("label") or ""),
        "taken_at": str(snapshot.get("taken_at") or "")[:10],
        "participants": snapshot.get("participants"),
        "network": analysis["network"],
        "figures": figure_rows(analysis["network"], locale),
        "explanations": explanations(locale),
        "tie_chart": charts.tie_type_chart(analysis, lambda kind: label(kind) or say(N_("sans type"))),
        "degree_chart": charts.degree_chart(analysis),
        "brokers": analysis["brokers"],
        "density_table": density_table(analysis, locale),
        "open_actors": constrained(analysis),
        "isolated": [m for m in analysis["margin"] if m["reason"] == "isolated"],
        "single": [m for m in analysis["margin"] if m["reason"] == "single_partner"],
        "groups": _groups(analysis, locale), "group_limit": GROUP_LIMIT,
        "brakes": charts.lever_chart(cards, "frein"),
        "levers": charts.lever_chart(cards, "levier"),
        "lever_groups": _lever_groups(cards),
        "ideas": idea_boards(snapshot),
        "indicators": [{"name": str(i.get("name") or ""),
                        "dimension": str(i.get("dimension") or ""),
                        "chart": charts.indicator_chart(i)} for i in indicators],
        "sampled": bool(analysis.get("betweenness_sampled")),
        "sources": analysis.get("betweenness_k"),
        "method": analysis.get("method", {}),
        "comparison": comparison,
        "changes": change_rows(comparison, locale) if comparison else [],
        "series": series,
    }


def report_html(snapshot: dict, analysis: dict, *, comparison: dict | None = None, locale: str = DEFAULT,
                series: dict | None = None) -> str:
    """The wave's report; ``comparison`` (earlier wave -> this one) adds an evolution part,
    ``series`` (exports/series.py, the territory's waves up to this one) a part over all waves."""
    return render("report.html", locale, **report_context(snapshot, analysis, comparison, locale, series))


def comparison_report_html(comparison: dict, *, title: str = "", locale: str = DEFAULT) -> str:
    """A report on the changes between two waves alone."""
    say, _ = texts(locale)
    return render("comparison.html", locale, comparison=comparison, changes=change_rows(comparison, locale),
                  title=title or say(N_("Évolution du réseau de coopération")),
                  explanations=explanations(locale))
