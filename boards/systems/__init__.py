"""The "carte systémique" board: the factors of the territory's situation, the causal links
between them (+ "plus de A, plus de B", − "plus de A, moins de B", with or without a delay),
and the feedback loops they close, each reinforcing (R) or balancing (B).

Phases: "factors" (add factors and links), "links" (links only), "loops" (the room reads the
loops; the facilitator spotlights one on every screen), "locked". The facilitator moderates in
any phase: a hidden factor, and every link that touches it, leave every page but theirs, the
loops and the snapshot. A factor keeps its author for the rules only: freeze never exports it,
and views show it only for factors written while the board was not anonymous.
"""

from __future__ import annotations

from . import loops as analysis
from . import text, waves  # noqa: F401  (sentences and wave changes, for views and exports)
from ..i18n import N_
from ..model import Board, Workshop
from ..stakeholders.model import normalise
from .actions import ACTIONS
from .model import Factor, Link, SystemsData
from .rules import decide, importable  # noqa: F401  (importable: the views list it)

__all__ = ["KIND", "TITLE", "PHASES", "PHASE_LABELS", "PHASE_HINTS", "PEOPLE_EVENTS", "ACTIONS", "new_data", "decide",
           "apply", "freeze", "check", "author"]

KIND = "systems"
TITLE = N_("Carte systémique")
PHASES = ("factors", "links", "loops", "locked")
PHASE_LABELS = {
    "factors": N_("Facteurs et liens"),
    "links": N_("Liens seulement"),
    "loops": N_("Lecture des boucles"),
    "locked": N_("Carte fermée"),
}
PHASE_HINTS = {
    "factors": N_("Ajoutez les facteurs de la situation, puis reliez une cause à son effet : plus de A, "
                  "plus de B (+) ou plus de A, moins de B (−)."),
    "links": N_("Les facteurs sont posés : reliez chaque cause à son effet, avec son sens (+ ou −)."),
    "loops": N_("Lisez les boucles trouvées : celles qui s'emballent (R) et celles qui freinent (B)."),
    "locked": N_("La carte est fermée : regardez et discutez."),
}

# A change of name: the names beside signed factors (the `delta` macro).
PEOPLE_EVENTS = frozenset({"participant.renamed"})


def new_data() -> SystemsData:
    return SystemsData()


def apply(ws: Workshop, board: Board, event: dict) -> None:
    data: SystemsData = board.data
    kind = event["type"]
    if kind == "factor.added":
        data.factors[event["factor"]] = Factor(event["factor"], event["author"], event["text"], event["signed"],
                                               origin=event.get("origin", ""), order=event["seq"])
    elif kind == "factor.edited":
        data.factors[event["factor"]].text = event["text"]
    elif kind == "factor.deleted":
        del data.factors[event["factor"]]
        for link_id in event["links"]:
            data.links.pop(link_id, None)
    elif kind == "factor.hidden":
        data.factors[event["factor"]].hidden = event["hidden"]
    elif kind == "link.added":
        data.links[event["link"]] = Link(event["link"], event["author"], event["source"], event["target"],
                                         event["polarity"], event["delay"])
    elif kind == "link.edited":
        link = data.links[event["link"]]
        link.polarity, link.delay = event["polarity"], event["delay"]
    elif kind == "link.deleted":
        del data.links[event["link"]]
    elif kind == "systems.spotlight":
        data.spotlight = event["loop"]
        return
    elif kind == "systems.anonymous":
        data.anonymous = event["anonymous"]
        return
    data.touch()


def author(ws: Workshop, board: Board, factor: Factor) -> str:
    """The name shown with a factor, or "" when it must stay anonymous."""
    if board.data.anonymous or not factor.signed:
        return ""
    person = ws.participants.get(factor.author)
    return person.name if person is not None else ""


def freeze(board: Board) -> dict:
    """The map for a snapshot: what the room saw (no hidden factor), no author, ever; the loops
    and leverage candidates as found at that moment, with the names they need."""
    data: SystemsData = board.data
    shown = data.shown()
    ids = {f.id for f in shown}
    names = {f.id: f.text for f in shown}
    loops = [{**loop, "names": [names[n] for n in loop["factors"]]} for loop in data.loops()]
    lever = data.leverage()
    return {
        "factors": [{"id": f.id, "text": f.text, "origin": f.origin} for f in shown],
        "links": [{"id": l.id, "source": l.source, "target": l.target, "polarity": l.polarity, "delay": l.delay}
                  for l in data.links.values() if l.source in ids and l.target in ids],
        "loops": loops,
        "loops_truncated": data.truncated(),
        "loop_length_max": analysis.LENGTH_MAX,
        "leverage": {"loops": [{**c, "text": names[c["factor"]]} for c in lever["loops"]],
                     "betweenness": [{**c, "text": names[c["factor"]]} for c in lever["betweenness"]]},
    }


def check(ws: Workshop, board: Board) -> None:
    """Invariants the convergence machine checks after every settled run."""
    data: SystemsData = board.data
    pairs = set()
    for link in data.links.values():
        assert link.source in data.factors and link.target in data.factors and link.source != link.target, link
        assert (link.source, link.target) not in pairs, link
        assert link.polarity in analysis.POLARITIES, link
        pairs.add((link.source, link.target))
    texts = [normalise(f.text) for f in data.factors.values()]
    assert len(texts) == len(set(texts)), texts
    for loop in data.loops():
        assert all(not data.factors[n].hidden for n in loop["factors"]), loop
