"""The "cartographie des acteurs" board: actors of the territory, placed on a power/interest
grid or on concentric circles, and the cooperation ties between them, rated by participants.

Phases: "map" (add, place, link), "rate" (rate the ties), "locked". The facilitator may fix
the map in any phase. What this board holds is the raw material of the network analysis,
so every value is bounded and every tie always joins two actors that exist.
"""

from __future__ import annotations

from . import merge
from ..i18n import N_
from ..model import Board, Workshop
from .actions import ACTIONS
from .model import CRITERIA, LAYOUTS, ZONE_NAMES, MapActor, MapData, MapTie, zone_of
from .rules import decide, decide_import

__all__ = ["KIND", "TITLE", "PHASES", "PHASE_LABELS", "PHASE_HINTS", "PEOPLE_EVENTS", "ACTIONS", "new_data", "decide",
           "decide_import", "apply", "forget_participant", "freeze"]

KIND = "stakeholders"
TITLE = N_("Cartographie des acteurs")
PHASES = ("map", "rate", "locked")
PHASE_LABELS = {
    "map": N_("Ajout, placement et liens ouverts"),
    "rate": N_("Notation des liens"),
    "locked": N_("Carte fermée"),
}
# People events this board answers in its delta macro (a removal redraws the ties people rated, a
# change of name the facilitator's list of duplicates that says who added each), for the shell to
# pass on when the board is on screen.
PEOPLE_EVENTS = frozenset({"participant.removed", "participant.renamed"})
PHASE_HINTS = {
    "map": N_("Ajoutez les organisations du territoire, placez-les sur la carte et tracez leurs coopérations."),
    "rate": N_("Touchez un acteur pour voir ses liens et noter leur confiance et leur valeur."),
    "locked": N_("La carte est fermée : regardez et discutez."),
}


def new_data() -> MapData:
    return MapData()


# State ---------------------------------------------------------------------------------------

def apply(ws: Workshop, board: Board, event: dict) -> None:
    data: MapData = board.data
    kind = event["type"]
    if kind == "actor.added":
        data.actors[event["actor"]] = MapActor(event["actor"], event["name"], event["category"], event.get("by"))
    elif kind == "actors.imported":
        for row in event["actors"]:
            data.actors[row["actor"]] = MapActor(row["actor"], row["name"], row["category"], event.get("by"))
    elif kind == "actor.edited":
        found = data.actors[event["actor"]]
        found.name, found.category = event["name"], event["category"]
    elif kind == "actor.moved":
        found = data.actors[event["actor"]]
        found.x, found.y = event["x"], event["y"]
    elif kind == "actor.claimed":
        if event["actor"] is None:
            data.claims.pop(event["participant"], None)
        else:
            data.claims[event["participant"]] = event["actor"]
    elif kind in ("actor.removed", "actor.merged"):
        gone, into = event["actor"], event.get("into")
        merge.carry_out(data, gone, into, event)
        if data.spotlight == gone:
            data.spotlight = into if kind == "actor.merged" else None
        for person, claimed in list(data.claims.items()):
            if claimed == gone:
                if kind == "actor.merged":
                    data.claims[person] = into
                else:
                    del data.claims[person]
        # Other boards may name actors (brake and lever cards): they follow the actor kept.
        for other in ws.boards.values():
            follow = getattr(other.data, "actor_gone", None)
            if follow is not None:
                follow(gone, into)
    elif kind == "tie.added":
        data.ties[event["tie"]] = MapTie(event["tie"], event["source"], event["target"], event["category"],
                                         event["strength"], event["directed"], event.get("by"))
    elif kind == "tie.edited":
        tie = data.ties[event["tie"]]
        tie.strength, tie.directed = event["strength"], event["directed"]
    elif kind == "tie.removed":
        del data.ties[event["tie"]]
    elif kind == "tie.rated":
        tie = data.ties[event["tie"]]
        for criterion in CRITERIA:
            if event.get(criterion) is not None:
                getattr(tie, criterion)[event["participant"]] = (event[criterion], event["seq"])
    elif kind == "map.layout":
        switch_layout(data, event["layout"], event.get("places"))
    elif kind == "actor.spotlit":
        data.spotlight = event["actor"]
    elif kind == "map.types":
        setattr(data, "actor_types" if event["list"] == "actor" else "tie_types", list(event["names"]))


def switch_layout(data: MapData, layout: str, places: dict | None) -> None:
    """Each actor's position in the layout left is set aside; the one it had in the layout
    shown comes back, or, never placed there, the spot the decision chose (`places`). Events
    written before layouts kept their own placement carry no `places`: the positions stay and
    are read in the new layout, as they were then."""
    left, data.layout = data.layout, layout
    if places is None:
        return
    for actor in data.actors.values():
        here = (actor.x, actor.y) if actor.placed else None
        back = actor.kept.pop(layout, None)
        if here is not None:
            actor.kept[left] = here
        if back is not None:
            actor.x, actor.y = back
        elif actor.id in places:
            actor.x, actor.y = places[actor.id]


def forget_participant(board: Board, participant: str) -> None:
    """Called by the fold when the facilitator removes someone: their ratings of the ties stop
    counting; the actors and ties they drew stay on the map."""
    for tie in board.data.ties.values():
        for criterion in CRITERIA:
            getattr(tie, criterion).pop(participant, None)


def freeze(board: Board) -> dict:
    """The map for a snapshot and the network analysis; nobody's identity is kept."""
    data: MapData = board.data
    owned = data.owned()
    actors = [{"id": a.id, "name": a.name, "type": a.category, "x": a.x, "y": a.y,
               "zone": ZONE_NAMES[data.zone(a)] if a.placed else "", "own": a.id in owned,
               "layouts": _placements(data, a)}
              for a in data.actors.values()]
    ties = [{"id": t.id, "source": t.source, "target": t.target, "type": t.category,
             "strength": t.strength, "directed": t.directed, "trust": t.mean("trust"),
             "value": t.mean("value"), "ratings": t.raters()}
            for t in data.ties.values()]
    return {"actors": actors, "ties": ties, "actor_types": list(data.actor_types),
            "tie_types": list(data.tie_types), "layout": data.layout}


def _placements(data: MapData, actor: MapActor) -> dict:
    """The actor's place in each layout it has one in: x, y and zone are those of the layout
    shown when the snapshot was taken; the other layout's placement is kept here."""
    found = {}
    for layout in LAYOUTS:
        spot = data.position_in(actor, layout)
        if spot is not None:
            found[layout] = {"x": spot[0], "y": spot[1], "zone": ZONE_NAMES[zone_of(layout, *spot)]}
    return found
