"""The shared ambition of a wave as data files: one CSV row per consent round, and a JSON document
with every statement, its earlier wordings and its rounds. No file says who answered what."""

from __future__ import annotations

import json

from .tables import to_csv

FORMAT = "maillage-ambition/1"
HEADERS = ["proposition", "texte_actuel", "adoptee", "tour", "texte_du_tour", "resultat", "soutiens",
           "reserves", "objections", "raisons"]
RESULTS = {"agreed": "consentement", "objected": "objection", None: "tour ouvert"}


def statements(snapshot: dict) -> list[dict]:
    return [s for b in snapshot.get("boards") or () if isinstance(b, dict) and b.get("kind") == "ambition"
            for s in b.get("ambition") or () if isinstance(s, dict)]


def agreed(snapshot: dict) -> list[dict]:
    """The statements the room agreed on, each with the round that agreed it."""
    return [{"text": s.get("text", ""), "rounds": len(s.get("rounds") or ()),
             "round": (s.get("rounds") or [{}])[-1]} for s in statements(snapshot) if s.get("agreed")]


def ambition_table(snapshot: dict) -> tuple[list, list]:
    rows = []
    for s in statements(snapshot):
        for r in s.get("rounds") or ():
            reasons = " | ".join(("objection : " if x.get("answer") == "object" else "réserve : ") + x.get("reason", "")
                                 for x in r.get("reasons") or ())
            rows.append([s.get("id", ""), s.get("text", ""), bool(s.get("agreed")), r.get("number"), r.get("text", ""),
                         RESULTS.get(r.get("result"), r.get("result")), r.get("support", 0), r.get("reserve", 0),
                         r.get("object", 0), reasons])
    return HEADERS, rows


def ambition_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",",
                 decimal: str | None = None) -> bytes:
    return to_csv(ambition_table(snapshot), sep=sep, decimal=decimal)


def ambition_json(snapshot: dict, analysis: dict | None = None) -> bytes:
    about = {k: snapshot.get(k) for k in ("id", "label", "taken_at", "workshop")}
    document = {"format": FORMAT, "snapshot": about, "statements": statements(snapshot)}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
