"""Carrying the open items of an earlier diagnosis wave into a board: the continuous diagnosis.

The shell finds the wave (a snapshot, from the store); what is carried is decided here, purely,
like any action, so a replay gives the same board.
"""

from __future__ import annotations

from ..errors import Rejected
from ..i18n import N_
from ..levers import view as levers_view
from ..model import Actor, Board, Workshop, new_id
from .model import NATURES, SOURCES, Item, Theme
from .view import revealed_cards

CARRY_MAX = 400


def decide_carry(ws: Workshop, board: Board, actor: Actor, snapshot: dict | None) -> list[dict]:
    """The open items of an earlier wave's diagnosis, carried into this board with their stable
    ref and their history. Links to actors and cards are kept only when they still name
    something of this workshop (ids are a workshop's own)."""
    if not actor.is_facilitator:
        raise Rejected(N_("Seule l'animation peut faire cela."))
    if board.phase == "locked":
        raise Rejected(N_("Ce tableau est verrouillé."))
    if board.data.carried_from is not None:
        raise Rejected(N_("Ce diagnostic a déjà repris la vague « %(label)s »."),
                       label=board.data.carried_from["wave"])
    sources = [b for b in (snapshot or {}).get("boards", []) if b.get("kind") == "diagnosis"]
    # Our own snapshots; still, an item naming an unknown nature or source is not carried blind.
    wanted = [i for b in sources for i in b.get("diagnosis", []) if i.get("status") != "closed"
              and i.get("nature") in NATURES and i.get("source") in SOURCES and i.get("text")]
    if not wanted:
        raise Rejected(N_("Aucun diagnostic précédent de ce territoire n'a d'élément ouvert à reprendre."))
    if len(board.data.items) + len(wanted) > CARRY_MAX:
        raise Rejected(N_("Trop d'éléments à reprendre (%(max)s au plus)."), max=CARRY_MAX)
    themes, new_themes = dict(board.data.themes), []
    for b in sources:
        for theme in b.get("diagnosis_themes", []):
            if theme["id"] not in themes:
                themes[theme["id"]] = theme
                new_themes.append({"id": theme["id"], "label": theme["label"], "custom": theme.get("custom", True)})
    actors, cards = levers_view.known_actors(ws), revealed_cards(ws)
    workshop = snapshot.get("workshop") or {}
    wave = {"wave": snapshot.get("label", ""), "taken_at": str(snapshot.get("taken_at", ""))[:10],
            "workshop": workshop.get("title", "")}
    first = new_id(ws, "d")
    fallback = next(iter(themes))
    items = [{"item": f"{first}x{n}", "ref": i["ref"], "theme": i["theme"] if i["theme"] in themes else fallback, "nature": i["nature"],
              "source": i["source"], "text": i["text"],
              "actors": [x for x in i.get("actors", []) if x in actors],
              "cards": [x for x in i.get("cards", []) if x in cards],
              "history": [*i.get("history", []), {**wave, "status": i.get("status", "new"), "text": i["text"],
                                                  "votes": i.get("votes", 0)}]}
             for n, i in enumerate(wanted, start=1)]
    return [{"type": "diagnosis.carried", "board": board.id, "author": actor.participant,
             "source": {"snapshot": snapshot.get("id", ""), **wave}, "themes": new_themes, "items": items}]


def carried(board, e):
    data = board.data
    data.carried_from = dict(e["source"])
    for theme in e["themes"]:
        data.themes[theme["id"]] = Theme(theme["id"], theme["label"], theme["custom"])
    for n, i in enumerate(e["items"]):
        data.items[i["item"]] = Item(i["item"], i["ref"], e["author"], i["theme"], i["nature"], i["source"],
                                     i["text"], list(i["actors"]), list(i["cards"]), status="carried",
                                     history=[dict(h) for h in i["history"]], order=e["seq"] * 1000 + n)
