"""The tables of a snapshot, as (headers, rows), shared by the CSV and XLSX exports.

Values stay typed here (numbers as numbers, None for "no value"); each writer decides how
to spell them. Headers are short lowercase French words without accents so the files also
load cleanly in R, pandas or Gephi.
"""

from __future__ import annotations

from boards.i18n import N_
from boards.network.text import EXPLANATIONS, NETWORK_LABELS
from boards.network import actor_records, number, tie_records

SCALE = ("1", "2", "3", "4", "5")
# Figures a comparison carries beyond the report's list; each row of a file gets a word, never a key.
CHANGE_LABELS = {**NETWORK_LABELS, "ignored_ties": N_("Liens non pris en compte")}
DIRECTION = {True: "sens unique", False: "deux sens"}


def actor_table(snapshot: dict) -> tuple[list, list]:
    headers = ["id", "nom", "type", "x", "y", "zone", "propre_structure"]
    return headers, [[a["id"], a["name"], a["type"], a["x"], a["y"], a["zone"], a["own"]]
                     for a in actor_records(snapshot)]


def tie_table(snapshot: dict) -> tuple[list, list]:
    actors = {a["id"]: a["name"] for a in actor_records(snapshot)}
    ties, _ = tie_records(snapshot, actors)
    headers = ["id", "source", "source_nom", "cible", "cible_nom", "type", "force", "sens",
               "confiance", "valeur", "nombre_de_notes"]
    return headers, [[t["id"], t["source"], actors[t["source"]], t["target"], actors[t["target"]],
                      t["type"], t["strength"], DIRECTION[t["directed"]], t["trust"], t["value"],
                      t["ratings"]] for t in ties]


METRIC_COLUMNS = [("degree", "partenaires"), ("in_degree", "liens_recus"),
                  ("out_degree", "liens_donnes"), ("strength", "intensite"),
                  ("betweenness", "intermediarite"), ("closeness", "proximite"),
                  ("eigenvector", "influence"), ("core", "noyau"), ("community", "groupe"),
                  ("constraint", "contrainte"), ("trust", "confiance"), ("value", "valeur")]


def metric_table(analysis: dict) -> tuple[list, list]:
    headers = ["id", "nom", "type"] + [column for _, column in METRIC_COLUMNS]
    return headers, [[a["id"], a["name"], a["type"]] + [a.get(key) for key, _ in METRIC_COLUMNS]
                     for a in analysis["actors"]]


def _lookup(entries, name_key: str) -> dict:
    return {str(e["id"]): str(e.get(name_key) or e["id"]) for e in entries or ()
            if isinstance(e, dict) and e.get("id") is not None}


def lever_cards(snapshot: dict) -> list[dict]:
    """Brake and lever cards with category and cluster as labels.

    A board's snapshot may name them by id, with the labels in the snapshot's
    ``categories`` and in its boards' ``clusters``; a plain label is kept as it is.
    """
    categories = _lookup(snapshot.get("categories"), "label")
    clusters = {}
    for board in snapshot.get("boards") or ():
        if isinstance(board, dict):
            clusters.update(_lookup(board.get("clusters"), "name"))
    cards = []
    for raw in snapshot.get("levers") or ():
        if isinstance(raw, dict):
            category = str(raw.get("category") or "")
            cluster = str(raw.get("cluster") or "")
            cards.append({"id": str(raw.get("id") or ""), "kind": str(raw.get("kind") or ""),
                          "category": categories.get(category, category),
                          "text": str(raw.get("text") or ""),
                          "votes": number(raw.get("votes")) or 0,
                          "cluster": clusters.get(cluster, cluster) or None})
    return cards


def lever_table(snapshot: dict) -> tuple[list, list]:
    headers = ["id", "nature", "categorie", "texte", "points", "regroupement"]
    return headers, [[c["id"], c["kind"], c["category"], c["text"], c["votes"], c["cluster"]]
                     for c in lever_cards(snapshot)]


def counts(raw) -> dict:
    """Answer counts per scale step and "dk" (don't know), zero when absent."""
    raw = raw if isinstance(raw, dict) else {}
    return {step: number(raw.get(step, raw.get(int(step) if step.isdigit() else step))) or 0
            for step in (*SCALE, "dk")}


def indicator_table(snapshot: dict) -> tuple[list, list]:
    headers = (["id", "nom", "dimension", "retenu"] + [f"reponses_{s}" for s in SCALE]
               + ["ne_sait_pas", "mediane"] + [f"avant_{s}" for s in SCALE]
               + ["avant_ne_sait_pas", "avant_mediane"])
    rows = []
    for raw in snapshot.get("indicators") or ():
        if not isinstance(raw, dict):
            continue
        previous = raw.get("previous") if isinstance(raw.get("previous"), dict) else None
        now = counts(raw.get("counts"))
        before = counts(previous.get("counts")) if previous else {}
        chosen = raw.get("chosen")
        rows.append([str(raw.get("id") or ""), str(raw.get("name") or ""),
                     str(raw.get("dimension") or ""),
                     chosen if isinstance(chosen, bool) else None] + list(now.values())
                    + [number(raw.get("median"))]
                    + [before.get(step) for step in (*SCALE, "dk")]
                    + [number(previous.get("median")) if previous else None])
    return headers, rows


def network_table(analysis: dict) -> tuple[list, list]:
    """Whole-network figures with their explanation, then the tie-type breakdown."""
    headers = ["indicateur", "cle", "valeur", "explication"]
    figures = analysis["network"]
    rows = [[label, key, figures.get(key), EXPLANATIONS.get(key, "")]
            for key, label in NETWORK_LABELS.items()]
    rows += [[f"Liens « {t['type'] or 'sans type'} »", "tie_type", t["count"],
              EXPLANATIONS["tie_types"]] for t in analysis["tie_types"]]
    rows += [[f"Densité « {t['from']} » × « {t['to']} »", "type_density", t["density"],
              EXPLANATIONS["type_density"]] for t in analysis.get("type_density") or ()]
    if analysis.get("betweenness_sampled"):
        rows.append(["Sources tirées au sort", "betweenness_k", analysis["betweenness_k"],
                     EXPLANATIONS["betweenness_sampled"]])
    else:
        rows.append(["Calcul", "method", "exact", EXPLANATIONS["exact"]])
    return headers, rows


def change_table(comparison: dict) -> tuple[list, list]:
    """Every change between two waves, one per row."""
    headers = ["changement", "id", "nom", "cible", "cible_nom", "type", "avant", "apres",
               "ecart"]
    rows = [["acteur ajouté", a["id"], a["name"], None, None, a["type"], None, None, None]
            for a in comparison["actors_added"]]
    rows += [["acteur retiré", a["id"], a["name"], None, None, a["type"], None, None, None]
             for a in comparison["actors_removed"]]
    kinds = (("ties_added", "lien ajouté"), ("ties_removed", "lien retiré"),
             ("ties_strengthened", "lien renforcé"), ("ties_weakened", "lien affaibli"))
    for kind, label in kinds:
        for t in comparison[kind]:
            old = t.get("strength_before", t["strength"] if kind == "ties_removed" else None)
            new = t.get("strength_after", t["strength"] if kind == "ties_added" else None)
            gap = new - old if old is not None and new is not None else None
            rows.append([label, t["source"], t["source_name"], t["target"], t["target_name"],
                         t["type"], old, new, gap])
    for key, change in comparison["network"].items():
        rows.append(["indicateur réseau", key, CHANGE_LABELS.get(key, key), None, None, None,
                     change["before"], change["after"], change["delta"]])
    return headers, rows


def idea_boards(snapshot: dict) -> list[dict]:
    """The idea boards of a wave (shared diagnosis, ambition...), each with its visible notes."""
    found = []
    for board in snapshot.get("boards") or ():
        if isinstance(board, dict) and board.get("kind") == "ideas":
            notes = [{"id": str(n.get("id") or ""), "text": str(n.get("text") or "")}
                     for n in board.get("notes") or () if isinstance(n, dict)]
            found.append({"id": str(board.get("id") or ""), "title": str(board.get("title") or ""),
                          "notes": notes})
    return found


def idea_table(snapshot: dict) -> tuple[list, list]:
    headers = ["id", "tableau", "texte"]
    return headers, [[note["id"], board["title"], note["text"]]
                     for board in idea_boards(snapshot) for note in board["notes"]]
