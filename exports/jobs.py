"""The work a coordinator's request asks of the worker process: analyses, exports, page parts.

Each function here runs in the server's worker process (server/snapshots.py), never on the
event loop: building the files of a 10,000-actor wave takes seconds of CPU (XLSX about 5 s,
GraphML 4 s, GEXF 3 s) and would freeze every live workshop of the server meanwhile. They
take the snapshot and its analysis as the JSON text stored in the database and return
bytes or text, so the event loop neither parses nor serialises anything large: handing a
few megabytes of text to another process is a copy, parsing it is not.

Functions are module-level so the process pool can pickle them by name.
"""

from __future__ import annotations

import json
from functools import lru_cache

import jinja2

from boards.network import actor_records, analyse
from boards.network.compare import compare, match_actors

from . import (actors_csv, ambition_csv, ambition_json, diagnosis_csv, diagnosis_json, ideas_csv, comparison_report_html, evidence_pack, gexf_bytes, graphml_bytes,
               indicators_csv, json_bytes, levers_csv, metrics_csv, network_csv, network_html,
               report_html, ties_csv, workbook_xlsx, changes_csv)
from . import series, systems
from .apart import on_another_core
from .drawing import drawing
from .report import density_table
from .templating import TEMPLATES

# Pages people read come in the reader's language; data files keep the workshop's data as
# stored (see exports/__init__.py). `lang` is the reader's locale.
BUILDERS = {
    "reseau.html": lambda s, a, sep, lang: network_html(s, a, locale=lang),
    "rapport.html": lambda s, a, sep, lang: report_html(s, a, locale=lang),
    "acteurs.csv": lambda s, a, sep, lang: actors_csv(s, a, sep=sep),
    "liens.csv": lambda s, a, sep, lang: ties_csv(s, a, sep=sep),
    "metriques.csv": lambda s, a, sep, lang: metrics_csv(s, a, sep=sep),
    "indicateurs_reseau.csv": lambda s, a, sep, lang: network_csv(s, a, sep=sep),
    "freins_leviers.csv": lambda s, a, sep, lang: levers_csv(s, a, sep=sep),
    "indicateurs.csv": lambda s, a, sep, lang: indicators_csv(s, a, sep=sep),
    "idees.csv": lambda s, a, sep, lang: ideas_csv(s, a, sep=sep),
    "diagnostic.csv": lambda s, a, sep, lang: diagnosis_csv(s, a, sep=sep),
    "diagnostic.json": lambda s, a, sep, lang: diagnosis_json(s, a),
    "ambition.csv": lambda s, a, sep, lang: ambition_csv(s, a, sep=sep),
    "ambition.json": lambda s, a, sep, lang: ambition_json(s, a),
    "classeur.xlsx": lambda s, a, sep, lang: workbook_xlsx(s, a),
    "reseau.gexf": lambda s, a, sep, lang: gexf_bytes(s, a),
    "reseau.graphml": lambda s, a, sep, lang: graphml_bytes(s, a),
    "reseau.json": lambda s, a, sep, lang: json_bytes(s, a),
    "dossier.zip": lambda s, a, sep, lang: evidence_pack(s, a),
}

# The systems maps' files (factors, links, loops, GEXF/GraphML with polarity, Kumu workbook).
BUILDERS.update({name: (lambda s, a, sep, lang, build=build: build(s, a, sep))
                 for name, (_, build) in systems.EXPORTS.items()})

COMPARISON_BUILDERS = {
    "comparaison.html": lambda before, after, result, sep, lang:
        comparison_report_html(result, locale=lang),
    "changements.csv": lambda before, after, result, sep, lang: changes_csv(result, sep=sep),
    "reseau.html": lambda before, after, result, sep, lang:
        network_html(after["data"], after["analysis"], comparison=result, locale=lang),
    "dossier.zip": lambda before, after, result, sep, lang:
        evidence_pack(after["data"], after["analysis"], comparison=result),
}


def warm_up() -> None:
    """Run once per worker as it starts: the first export of each kind would otherwise pay for
    importing pyvis (which pulls IPython), compiling its templates and reading vis-network's
    files, seconds on a busy machine, while the coordinator waits."""
    import pyvis.network  # noqa: F401

    from server.i18n import LOCALES
    from .templating import TEMPLATES as folder, environment, vis_assets

    vis_assets()
    for locale in LOCALES:
        for template in folder.glob("*.html"):
            environment(locale).get_template(template.name)
        page_environment(locale).get_template("review/_network.html")


def _bytes(body) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def analysis_text(data_text: str) -> str:
    """The analysis of a stored snapshot, as the JSON text stored beside it."""
    return json.dumps(analyse(json.loads(data_text), apart=on_another_core), ensure_ascii=False)


def export(name: str, data_text: str, analysis_text_: str, sep: str, lang: str,
           history: tuple = ()) -> bytes:
    """One file of a wave. ``history``: the territory's earlier waves as (label, taken_at,
    analysis text), oldest first; the report then follows the territory over all of them."""
    data, analysis = json.loads(data_text), json.loads(analysis_text_)
    if name == "rapport.html" and history:
        waves = [*_waves(history), {"label": data.get("label", ""), "taken_at": data.get("taken_at", ""),
                                    "analysis": analysis}]
        return _bytes(report_html(data, analysis, locale=lang,
                                  series=series.context(waves, lang, leaders=series.LEADERS)))
    return _bytes(BUILDERS[name](data, analysis, sep, lang))


def _waves(texts) -> list[dict]:
    return [{"label": label, "taken_at": taken_at, "analysis": json.loads(text)}
            for label, taken_at, text in texts]


def series_part(texts: tuple, locale: str, actor: str | None) -> dict:
    """The review page's series over the territory's waves (label, taken_at, analysis text;
    oldest first, the page's own wave last), for the actor chosen on the page."""
    return series.context(_waves(texts), locale, actor=actor)


def _wave(texts: tuple[str, str]) -> dict:
    return {"data": json.loads(texts[0]), "analysis": json.loads(texts[1])}


def comparison_export(name: str, before: tuple[str, str], after: tuple[str, str], sep: str,
                      lang: str) -> bytes:
    before, after = _wave(before), _wave(after)
    result = compare(before["data"], after["data"], before["analysis"], after["analysis"])
    return _bytes(COMPARISON_BUILDERS[name](before, after, result, sep, lang))


@lru_cache(maxsize=None)
def page_environment(locale: str) -> jinja2.Environment:
    """The interface's templates (review macros) rendered outside the server, in the worker."""
    from server.i18n import shipped_label, translations

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES.parent),
                             autoescape=jinja2.select_autoescape(["html"]),
                             extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(locale), newstyle=True)
    env.filters["default_label"] = lambda value: shipped_label(locale, value)
    return env


def network_svg(drawing_: dict, title: str, locale: str) -> str:
    """The review pages' network figure (templates/review/_network.html), as markup text."""
    macro = page_environment(locale).get_template("review/_network.html").module.network
    return str(macro(drawing_, title))


# What the snapshot page reads of a wave besides its drawing: everything but the actor and
# tie lists, which only the drawing needs and which make up nearly all of a large wave.
PAGE_LIMITS = {"margin": 60, "names": 25, "actors": 30}
ACTOR_FIELDS = ("id", "name", "type", "degree", "betweenness", "constraint", "trust", "value")


def header(data_text: str) -> dict:
    """A wave without its actors and ties: workshop, participants, boards' results."""
    return {k: v for k, v in json.loads(data_text).items() if k not in ("actors", "ties")}


def snapshot_page(data_text: str, analysis_text_: str, locale: str, title: str) -> dict:
    """The parts of the snapshot page that cost CPU on a large wave, built in the worker."""
    data, analysis = json.loads(data_text), json.loads(analysis_text_)
    svg = network_svg(drawing(data, analysis), title, locale)
    snap = {k: v for k, v in data.items() if k not in ("actors", "ties")}
    brief = {k: v for k, v in analysis.items() if k != "actors"}
    brief["margin"] = analysis["margin"][:PAGE_LIMITS["margin"]]
    brief["margin_count"] = len(analysis["margin"])
    brief["communities"] = [{**c, "members": [], "names": c["names"][:PAGE_LIMITS["names"]],
                             "more": len(c["names"]) > PAGE_LIMITS["names"]}
                            for c in analysis["communities"] if c["size"] > 1]
    # The actors with the most partners, with their per-actor figures; all of them are in
    # acteurs.csv and the workbook.
    ranked = sorted(analysis["actors"], key=lambda a: (-a["degree"], a["name"].casefold(), a["id"]))
    brief["top_actors"] = [{k: a.get(k) for k in ACTOR_FIELDS} for a in ranked[:PAGE_LIMITS["actors"]]]
    brief["actor_count"] = len(analysis["actors"])
    return {"snap": snap, "analysis": brief, "svg": svg,
            "density": density_table(analysis, locale)}


def comparison_page(before: tuple[str, str], after: tuple[str, str], titles: tuple[str, str],
                    locale: str) -> dict:
    """The comparison of two waves and its two drawings, built in the worker."""
    before, after = _wave(before), _wave(after)
    result = compare(before["data"], after["data"], before["analysis"], after["analysis"])
    matched, _ = match_actors(actor_records(before["data"]), actor_records(after["data"]))
    svgs = (network_svg(drawing(before["data"], before["analysis"], result["positions"], matched),
                        titles[0], locale),
            network_svg(drawing(after["data"], after["analysis"], result["positions"]),
                        titles[1], locale))
    result.pop("positions")
    headers = tuple({k: v for k, v in wave["data"].items() if k not in ("actors", "ties")}
                    for wave in (before, after))
    return {"result": result, "svgs": svgs, "headers": headers}


def agreed_ambition(data_text: str) -> dict | None:
    """The statements agreed in a stored wave, with the workshop's title (None if none)."""
    from .ambition import statements

    data = json.loads(data_text)
    agreed = [s for s in statements(data) if s.get("agreed")]
    if not agreed:
        return None
    return {"statements": agreed, "workshop": (data.get("workshop") or {}).get("title", "")}


def chosen_indicators(data_text: str) -> list[dict]:
    """The indicators of a stored wave that the group kept in its framework."""
    return [i for i in json.loads(data_text).get("indicators") or ()
            if isinstance(i, dict) and i.get("chosen") is not False]
