"""The systems maps of a snapshot as files: CSV tables (factors, links, loops), GEXF and GraphML
with each link's polarity as an edge attribute, and a workbook laid out as Kumu imports it
(an "Elements" sheet, a "Connections" sheet with From, To and Type).

Every systems board of the snapshot goes into the same files (factor ids are unique within a
workshop; a `carte` column or attribute says which board). Cells are defused as in every other
export (see tables.py): a polarity is therefore written as a word or a number, never as a bare
"+" or "-" that a spreadsheet would take for the start of a formula.
"""

from __future__ import annotations

import io

import networkx as nx
from openpyxl import Workbook

from boards.systems.text import sentence

from .gephi import _text
from .tables import to_csv
from .sheets import add_sheet

POLARITY_WORDS = {"+": "positif", "-": "négatif"}
SIGN = {"+": 1, "-": -1}


def maps(snapshot: dict) -> list[dict]:
    return [b for b in snapshot.get("boards") or () if isinstance(b, dict) and b.get("kind") == "systems"]


def _names(board: dict) -> dict:
    return {f["id"]: f["text"] for f in board.get("factors") or ()}


def _on_loops(board: dict) -> dict:
    counted: dict[str, int] = {}
    for loop in board.get("loops") or ():
        for factor in loop["factors"]:
            counted[factor] = counted.get(factor, 0) + 1
    return counted


def factor_table(snapshot: dict) -> tuple[list, list]:
    headers = ["id", "carte", "texte", "origine", "boucles"]
    body = []
    for board in maps(snapshot):
        counted = _on_loops(board)
        body += [[f["id"], board.get("title", ""), f["text"], f.get("origin", ""), counted.get(f["id"], 0)]
                 for f in board.get("factors") or ()]
    return headers, body


def link_table(snapshot: dict) -> tuple[list, list]:
    headers = ["id", "carte", "cause", "cause_texte", "effet", "effet_texte", "polarite", "signe", "delai"]
    body = []
    for board in maps(snapshot):
        names = _names(board)
        body += [[l["id"], board.get("title", ""), l["source"], names.get(l["source"], ""), l["target"],
                  names.get(l["target"], ""), POLARITY_WORDS[l["polarity"]], SIGN[l["polarity"]], l["delay"]]
                 for l in board.get("links") or ()]
    return headers, body


def loop_table(snapshot: dict) -> tuple[list, list]:
    headers = ["carte", "boucle", "type", "longueur", "facteurs", "signes", "delai", "explication"]
    body = []
    for board in maps(snapshot):
        names = _names(board)
        for loop in board.get("loops") or ():
            body.append([board.get("title", ""), loop["label"],
                         "renforcement" if loop["kind"] == "R" else "équilibre", len(loop["factors"]),
                         " → ".join(names.get(f, f) for f in loop["factors"]),
                         " ".join(POLARITY_WORDS[p] for p in loop["polarities"]), loop["delay"],
                         sentence(loop, names)])
    return headers, body


def factors_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",", decimal: str | None = None) -> bytes:
    return to_csv(factor_table(snapshot), sep=sep, decimal=decimal)


def links_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",", decimal: str | None = None) -> bytes:
    return to_csv(link_table(snapshot), sep=sep, decimal=decimal)


def loops_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",", decimal: str | None = None) -> bytes:
    return to_csv(loop_table(snapshot), sep=sep, decimal=decimal)


def causal_graph(snapshot: dict) -> nx.DiGraph:
    """The directed causal graph: `polarity` ("+" or "-"), `sign` (1 or -1) and `delay` on each
    edge; each node's text, board and number of loops."""
    graph = nx.DiGraph()
    for board in maps(snapshot):
        counted = _on_loops(board)
        for f in board.get("factors") or ():
            graph.add_node(_text(f["id"]), label=_text(f["text"]), carte=_text(board.get("title", "")),
                           origine=_text(f.get("origin", "")), boucles=int(counted.get(f["id"], 0)))
        for l in board.get("links") or ():
            graph.add_edge(_text(l["source"]), _text(l["target"]), id=_text(l["id"]), polarity=l["polarity"],
                           sign=SIGN[l["polarity"]], delay=bool(l["delay"]))
    return graph


def gexf_bytes(snapshot: dict, analysis: dict | None = None) -> bytes:
    lines = nx.generate_gexf(causal_graph(snapshot), encoding="utf-8", prettyprint=True, version="1.2draft")
    return "\n".join(lines).encode("utf-8")


def graphml_bytes(snapshot: dict, analysis: dict | None = None) -> bytes:
    lines = nx.generate_graphml(causal_graph(snapshot), encoding="utf-8", prettyprint=True)
    return "\n".join(lines).encode("utf-8")


def kumu_xlsx(snapshot: dict, analysis: dict | None = None) -> bytes:
    """Kumu's import layout: elements by label, connections by the labels they join."""
    book = Workbook(write_only=True)
    elements, connections = [], []
    for board in maps(snapshot):
        names, counted = _names(board), _on_loops(board)
        elements += [[f["text"], "facteur", board.get("title", ""), counted.get(f["id"], 0)]
                     for f in board.get("factors") or ()]
        connections += [[names[l["source"]], names[l["target"]], POLARITY_WORDS[l["polarity"]],
                         "oui" if l["delay"] else "non"]
                        for l in board.get("links") or () if l["source"] in names and l["target"] in names]
    add_sheet(book, "Elements", (["Label", "Type", "Tags", "Boucles"], elements))
    add_sheet(book, "Connections", (["From", "To", "Type", "Délai"], connections))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The snapshot's downloads, by file name: (media type, builder(snapshot, analysis, sep)).
EXPORTS = {
    "systeme_facteurs.csv": ("text/csv; charset=utf-8", lambda s, a, sep: factors_csv(s, sep=sep)),
    "systeme_liens.csv": ("text/csv; charset=utf-8", lambda s, a, sep: links_csv(s, sep=sep)),
    "systeme_boucles.csv": ("text/csv; charset=utf-8", lambda s, a, sep: loops_csv(s, sep=sep)),
    "systeme.gexf": ("application/xml", lambda s, a, sep: gexf_bytes(s)),
    "systeme.graphml": ("application/xml", lambda s, a, sep: graphml_bytes(s)),
    "systeme_kumu.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          lambda s, a, sep: kumu_xlsx(s)),
}
