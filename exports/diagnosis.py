"""The shared diagnosis of a wave as data files: a CSV table (one row per item) and a JSON document.

Like the other data files, the values stay in French whoever downloads them (see __init__): a
theme, a nature or a status must be the same string in every wave's file to be compared. Each
row carries the item's stable ref, so the rows of two waves join on it.
"""

from __future__ import annotations

import json

from boards.diagnosis.model import NATURE_LABELS, SOURCE_LABELS, STATUS_LABELS

from .tables import to_csv

FORMAT = "maillage-diagnostic/1"
HEADERS = ["ref", "theme", "nature", "source", "texte", "statut", "points", "acteurs", "cartes",
           "vagues_precedentes", "historique", "repris_de"]


def _boards(snapshot: dict) -> list[dict]:
    return [b for b in snapshot.get("boards") or () if isinstance(b, dict) and b.get("kind") == "diagnosis"]


def items(snapshot: dict) -> list[dict]:
    """Every item of the wave's diagnosis boards, with its theme label and the names of the
    actors and cards it links to (those the snapshot still holds)."""
    actors = {a.get("id"): a.get("name", "") for a in snapshot.get("actors") or () if isinstance(a, dict)}
    cards = {c.get("id"): c.get("text", "") for c in snapshot.get("levers") or () if isinstance(c, dict)}
    found = []
    for board in _boards(snapshot):
        themes = {t["id"]: t["label"] for t in board.get("diagnosis_themes") or ()}
        carried = (board.get("carried_from") or {}).get("wave", "")
        for item in board.get("diagnosis") or ():
            found.append({
                "ref": item.get("ref", ""), "theme": themes.get(item.get("theme"), item.get("theme", "")),
                "nature": NATURE_LABELS.get(item.get("nature"), item.get("nature", "")),
                "source": SOURCE_LABELS.get(item.get("source"), item.get("source", "")),
                "text": item.get("text", ""), "status": STATUS_LABELS.get(item.get("status"), item.get("status", "")),
                "votes": item.get("votes", 0),
                "actors": [actors[x] for x in item.get("actors") or () if x in actors],
                "cards": [cards[x] for x in item.get("cards") or () if x in cards],
                "history": [{**h, "status": STATUS_LABELS.get(h.get("status"), h.get("status", ""))}
                            for h in item.get("history") or ()],
                "carried_from": carried,
            })
    return found


def _history(entries: list[dict]) -> str:
    return " | ".join(f"{h.get('wave', '')} ({h.get('taken_at', '')}) : {h.get('status', '')} — {h.get('text', '')}"
                      for h in entries)


def diagnosis_table(snapshot: dict) -> tuple[list, list]:
    return HEADERS, [[i["ref"], i["theme"], i["nature"], i["source"], i["text"], i["status"], i["votes"],
                      " ; ".join(i["actors"]), " ; ".join(i["cards"]), len(i["history"]), _history(i["history"]),
                      i["carried_from"]] for i in items(snapshot)]


def diagnosis_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",",
                  decimal: str | None = None) -> bytes:
    return to_csv(diagnosis_table(snapshot), sep=sep, decimal=decimal)


def diagnosis_json(snapshot: dict, analysis: dict | None = None) -> bytes:
    about = {k: snapshot.get(k) for k in ("id", "label", "taken_at", "workshop")}
    themes = [t for b in _boards(snapshot) for t in b.get("diagnosis_themes") or ()]
    document = {"format": FORMAT, "snapshot": about, "themes": themes, "items": items(snapshot)}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
