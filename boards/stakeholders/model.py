"""The stakeholder map's data: actors, ties, ratings, layouts and their zones.

Positions are fractions of the map (x from left to right, y from top to bottom, both in
[0, 1]) so every screen draws the same map whatever its size. The zone of an actor is never
stored: it is derived from its position and the board's layout. Each layout keeps its own
placement: an actor's position in the layout not shown is set aside (`kept`) and comes back
when the board returns to that layout, so a switch and a switch back change nothing.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from ..i18n import N_

GRID, CIRCLES = "grid", "circles"
LAYOUTS = (GRID, CIRCLES)
LAYOUT_LABELS = {GRID: N_("Grille pouvoir / intérêt"), CIRCLES: N_("Cercles concentriques")}

# Power/interest grid: x is interest (low on the left), y is power (high at the top).
GRID_ZONES = ("manage", "satisfy", "inform", "monitor")
CIRCLE_ZONES = ("core", "engaged", "periphery")
ZONES = {GRID: GRID_ZONES, CIRCLES: CIRCLE_ZONES}
# The French names double as the values a snapshot keeps (language-independent msgids).
ZONE_NAMES = {
    "manage": N_("fort pouvoir / fort intérêt"),
    "satisfy": N_("fort pouvoir / faible intérêt"),
    "inform": N_("faible pouvoir / fort intérêt"),
    "monitor": N_("faible pouvoir / faible intérêt"),
    "core": N_("cœur"),
    "engaged": N_("engagés"),
    "periphery": N_("périphérie"),
}
# Where an actor first goes in a layout it was never placed in: the zone that means the most
# alike (a key player, high power and high interest, is at the core of the circles).
MATCHING_ZONE = {"manage": "core", "satisfy": "engaged", "inform": "engaged", "monitor": "periphery",
                 "core": "manage", "engaged": "inform", "periphery": "monitor"}
# Outer radius of the inner rings, as a fraction of the map's width; the periphery is the rest.
CORE_RADIUS, ENGAGED_RADIUS = 1 / 6, 1 / 3

# The type lists are workshop data the facilitator edits: they are kept as written (in French)
# in the events and snapshots. Our defaults are catalogue messages so that a reader sees them in
# their language (server.i18n.shipped_label); a type someone typed is shown as typed.
DEFAULT_ACTOR_TYPES = (
    N_("institution publique"), N_("collectivité"), N_("service public de l'emploi"), N_("association"),
    N_("entreprise"), N_("bailleur social"), N_("organisme de formation"), N_("santé et social"),
    N_("collectif d'habitants"), N_("autre"),
)
DEFAULT_TIE_TYPES = (
    N_("échange d'information"), N_("orientation de publics"), N_("projet commun"),
    N_("mutualisation de moyens"), N_("financement"), N_("partenariat formel"),
)
FALLBACK_TYPE = "autre"
CRITERIA = ("trust", "value")
# Ties of several types between the same two actors are drawn side by side, bent apart by this
# much (in the map's 0..100 box) at their middle: about 11 px on a phone, 25 on a projector.
# static/stakeholders.js draws them the same way when an actor moves or a tie comes or goes.
BEND = 3.5


@dataclass
class MapActor:
    id: str
    name: str
    category: str
    author: str | None = None
    x: float | None = None
    y: float | None = None
    # layout -> (x, y): where this actor stands in the layouts not shown now.
    kept: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def placed(self) -> bool:
        return self.x is not None and self.y is not None

    # Percentages for the page's style attribute ("left:12.5%").
    @property
    def left(self) -> str:
        return percent(self.x)

    @property
    def top(self) -> str:
        return percent(self.y)


@dataclass
class MapTie:
    id: str
    source: str
    target: str
    category: str
    strength: int
    directed: bool
    author: str | None = None
    # participant id -> (score, sequence number of the rating): the sequence lets a merge keep
    # the most recent of two ratings by the same person.
    trust: dict[str, tuple[int, int]] = field(default_factory=dict)
    value: dict[str, tuple[int, int]] = field(default_factory=dict)

    def other(self, actor_id: str) -> str:
        return self.target if self.source == actor_id else self.source

    def touches(self, actor_id: str) -> bool:
        return actor_id in (self.source, self.target)

    def mean(self, criterion: str) -> float | None:
        scores = getattr(self, criterion)
        if not scores:
            return None
        return round(sum(score for score, _ in scores.values()) / len(scores), 2)

    def raters(self) -> int:
        return len(set(self.trust) | set(self.value))

    @property
    def css(self) -> str:
        """Classes that draw the line: strength, rounded mean trust (q0 unrated), direction."""
        trust = self.mean("trust")
        level = 0 if trust is None else min(4, max(1, int(trust + 0.5)))
        return f"s{self.strength} q{level}" + (" d" if self.directed else "")

    @property
    def summary(self) -> str:
        """Mean and count of each criterion and the number of raters, for the page's script:
        "2.5 3 - 0 3" (trust 2.5 from 3 ratings, no value rating, 3 people)."""
        parts = []
        for criterion in CRITERIA:
            scores = getattr(self, criterion)
            if scores:
                parts += [f"{sum(s for s, _ in scores.values()) / len(scores):.3g}", str(len(scores))]
            else:
                parts += ["-", "0"]
        parts.append(str(self.raters()))
        return " ".join(parts)


@dataclass
class MapData:
    layout: str = GRID
    actor_types: list[str] = field(default_factory=lambda: list(DEFAULT_ACTOR_TYPES))
    tie_types: list[str] = field(default_factory=lambda: list(DEFAULT_TIE_TYPES))
    actors: dict[str, MapActor] = field(default_factory=dict)
    ties: dict[str, MapTie] = field(default_factory=dict)
    # participant id -> the actor they said is their own organisation
    claims: dict[str, str] = field(default_factory=dict)
    # The actor the facilitator put in the spotlight on the projector, with its ties.
    spotlight: str | None = None

    # Lookups for the templates, which receive no other global than the board.
    ZONE_NAMES = ZONE_NAMES
    LAYOUT_LABELS = LAYOUT_LABELS

    def zones(self) -> tuple[str, ...]:
        return ZONES[self.layout]

    def placed(self) -> list[MapActor]:
        return [a for a in self.actors.values() if a.placed]

    def waiting(self) -> list[MapActor]:
        return sorted((a for a in self.actors.values() if not a.placed), key=lambda a: sort_key(a.name))

    def ties_of(self, actor_id: str) -> list[MapTie]:
        return [t for t in self.ties.values() if t.touches(actor_id)]

    def find_tie(self, one: str, other: str, category: str) -> MapTie | None:
        """The tie of this type between these two actors, whichever way it was drawn."""
        pair = {one, other}
        return next((t for t in self.ties.values()
                     if t.category == category and {t.source, t.target} == pair), None)

    def linked(self) -> set[str]:
        ends: set[str] = set()
        for tie in self.ties.values():
            ends.add(tie.source)
            ends.add(tie.target)
        return ends

    def counts(self) -> dict[str, int]:
        linked = self.linked()
        return {"actors": len(self.actors), "ties": len(self.ties),
                "isolated": sum(1 for a in self.actors if a not in linked)}

    def owned(self) -> set[str]:
        return set(self.claims.values())

    def claims_by_actor(self) -> dict[str, list[str]]:
        """Who said each actor is their organisation (participant ids, for the page's script)."""
        found: dict[str, list[str]] = {}
        for person, actor_id in sorted(self.claims.items()):
            found.setdefault(actor_id, []).append(person)
        return found

    def type_classes(self) -> dict[str, str]:
        """The colour class of each actor type: its place in the list, twelve colours round."""
        return {name: f"t{index % 12}" for index, name in enumerate(self.actor_types)}

    def pick_actors(self, ids) -> list[MapActor]:
        return [self.actors[i] for i in ids if i in self.actors]

    def pick_ties(self, ids) -> list[MapTie]:
        return [self.ties[i] for i in ids if i in self.ties]

    def degree(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for tie in self.ties.values():
            for end in (tie.source, tie.target):
                counted[end] = counted.get(end, 0) + 1
        return counted

    def siblings(self, tie_id: str) -> list[str]:
        """Ids of the other ties joining the same two actors as this one."""
        tie = self.ties.get(tie_id)
        if tie is None:
            return []
        pair = pair_of(tie)
        return [t.id for t in self.ties.values() if t.id != tie_id and pair_of(t) == pair]

    def slots(self) -> dict[str, float]:
        """Where each tie sits among the ties joining the same two actors: 0 for a tie alone,
        else -0.5/+0.5, -1/0/+1, ... in the order of their type names, so a tie keeps its side
        whichever way it was drawn and whatever page draws it."""
        pairs: dict[tuple[str, str], list[MapTie]] = {}
        for tie in self.ties.values():
            pairs.setdefault(pair_of(tie), []).append(tie)
        found: dict[str, float] = {}
        for group in pairs.values():
            group.sort(key=lambda t: t.category)
            for index, tie in enumerate(group):
                found[tie.id] = index - (len(group) - 1) / 2
        return found

    def points(self, tie: MapTie, slot: float = 0.0) -> str | None:
        """The tie's line in the map's 0..100 box, with a middle point where an arrow can sit,
        moved aside by `slot` bends when other ties join the same two actors."""
        one, other = self.actors.get(tie.source), self.actors.get(tie.target)
        if one is None or other is None or not (one.placed and other.placed):
            return None
        x1, y1, x2, y2 = one.x * 100, one.y * 100, other.x * 100, other.y * 100
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        if slot:
            # Sideways from the pair's own direction (lower id first), not the tie's.
            dx, dy = (x2 - x1, y2 - y1) if tie.source < tie.target else (x1 - x2, y1 - y2)
            length = math.hypot(dx, dy)
            if length:
                mx, my = mx - dy / length * slot * BEND, my + dx / length * slot * BEND
        # A tenth of a percent is under a pixel on a projector: one decimal is enough.
        return f"{x1:.1f},{y1:.1f} {mx:.1f},{my:.1f} {x2:.1f},{y2:.1f}"

    def zone(self, actor: MapActor) -> str | None:
        return zone_of(self.layout, actor.x, actor.y) if actor.placed else None

    def position_in(self, actor: MapActor, layout: str) -> tuple[float, float] | None:
        if layout == self.layout:
            return (actor.x, actor.y) if actor.placed else None
        return actor.kept.get(layout)

    def switch_places(self, layout: str) -> dict[str, list[float]]:
        """Where the actors never placed in `layout` go when the board switches to it: a free
        spot in the matching zone. The others get back the position they had there."""
        spreader = Spreader(layout, [p for p in (self.position_in(a, layout) for a in self.actors.values()) if p])
        places: dict[str, list[float]] = {}
        for actor in self.actors.values():
            if actor.placed and layout not in actor.kept:
                places[actor.id] = list(spreader.take(MATCHING_ZONE[self.zone(actor)], actor.id))
        return places

    def lit(self) -> tuple[set[str], set[str]]:
        """The spotlit actor with its partners, and its ties (both empty without a spotlight)."""
        if self.spotlight not in self.actors:
            return set(), set()
        ties = self.ties_of(self.spotlight)
        return {self.spotlight} | {t.other(self.spotlight) for t in ties}, {t.id for t in ties}

    def tie_classes(self) -> dict[str, str]:
        """The line pattern of each tie type (dash and dot patterns, six, then round again), so
        types are told apart without colour, which shows the trust."""
        return {name: f"k{index % 6}" for index, name in enumerate(self.tie_types)}
    def twin_of(self, name: str) -> MapActor | None:
        """An actor already on the map whose name is the same once normalised, if any."""
        key = normalise(name)
        return next((a for a in self.actors.values() if normalise(a.name) == key), None)

    def duplicates(self) -> list[list[MapActor]]:
        """Groups of actors whose names are the same once normalised, largest group first."""
        groups: dict[str, list[MapActor]] = {}
        for actor in self.actors.values():
            groups.setdefault(normalise(actor.name), []).append(actor)
        found = [sorted(g, key=lambda a: sort_key(a.name)) for g in groups.values() if len(g) > 1]
        return sorted(found, key=lambda g: (-len(g), sort_key(g[0].name)))

    def duplicate_authors(self) -> set[str]:
        """The people named in the list of likely duplicates (who added each actor)."""
        return {actor.author for group in self.duplicates() for actor in group if actor.author}


def pair_of(tie: MapTie) -> tuple[str, str]:
    return (tie.source, tie.target) if tie.source < tie.target else (tie.target, tie.source)


def percent(fraction: float | None) -> str:
    return "" if fraction is None else f"{fraction * 100:.2f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=65536)
def normalise(name: str) -> str:
    """What two spellings of one organisation have in common: case, accents, spaces and
    punctuation removed ("Mission  locale", "mission-locale" and "MISSION LOCALE" agree)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    bare = bare.replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


def sort_key(name: str) -> tuple[str, str]:
    return normalise(name), name


def zone_of(layout: str, x: float, y: float) -> str:
    if layout == CIRCLES:
        distance = math.hypot(x - 0.5, y - 0.5)
        if distance < CORE_RADIUS:
            return "core"
        return "engaged" if distance < ENGAGED_RADIUS else "periphery"
    high_power, high_interest = y < 0.5, x >= 0.5
    if high_power:
        return "manage" if high_interest else "satisfy"
    return "inform" if high_interest else "monitor"


# Where the list alternative to dragging puts an actor: the spot of the chosen zone farthest
# from the actors already on the map, among the points of a lattice, so that actors placed
# from a list spread over their zone instead of piling up. Distances count a chip's width as
# worth three of its height: names are wider than tall.
_COARSE = [(round(0.05 + i * 0.1, 4), round(0.04 + j * 0.064, 4)) for j in range(15) for i in range(10)]
_FINE = [(round(0.025 + i * 0.05, 4), round(0.02 + j * 0.032, 4)) for j in range(31) for i in range(20)]
_MARGIN = ((0.04, 0.025), (-0.04, 0.025), (0.04, -0.025), (-0.04, -0.025), (0, 0))
_CHIP_W, _CHIP_H = 0.2, 0.07
_ROOMY = 3.0   # beyond three chip lengths, a spot is as free as any


def _inside(layout: str, zone: str, x: float, y: float) -> bool:
    return all(0 <= x + dx <= 1 and 0 <= y + dy <= 1 and zone_of(layout, x + dx, y + dy) == zone
               for dx, dy in _MARGIN)


def _candidates(layout: str, zone: str) -> list[tuple[float, float]]:
    coarse = [p for p in _COARSE if _inside(layout, zone, *p)]
    # A small zone (the core of the circles) gets a finer lattice, so a dozen actors still part.
    return coarse if len(coarse) >= 12 else [p for p in _FINE if _inside(layout, zone, *p)]


_CANDIDATES = {layout: {zone: _candidates(layout, zone) for zone in ZONES[layout]} for layout in LAYOUTS}
_CENTRES = {"manage": (0.75, 0.25), "satisfy": (0.25, 0.25), "inform": (0.75, 0.75), "monitor": (0.25, 0.75),
            "core": (0.5, 0.5), "engaged": (0.5, 0.25), "periphery": (0.1, 0.1)}


def _room(x: float, y: float, tx: float, ty: float) -> float:
    return math.hypot((x - tx) / _CHIP_W, (y - ty) / _CHIP_H)


class Spreader:
    """Free spots of one layout's zones, given the points already taken. Each zone's room is
    worked out once and brought up to date as spots are taken, so placing a thousand actors
    costs a thousand passes over one zone's lattice, not over every actor each time."""

    def __init__(self, layout: str, taken=()):
        self.layout, self.taken, self.rooms = layout, list(taken), {}

    def _rooms(self, zone: str) -> list[float]:
        if zone not in self.rooms:
            self.rooms[zone] = [min((_room(x, y, tx, ty) for tx, ty in self.taken), default=_ROOMY)
                                for x, y in _CANDIDATES[self.layout][zone]]
        return self.rooms[zone]

    def take(self, zone: str, actor_id: str) -> tuple[float, float]:
        candidates, rooms = _CANDIDATES[self.layout][zone], self._rooms(zone)
        # The actor's id breaks ties between equally free spots, so two maps differ a little.
        turn = zlib.crc32(actor_id.encode())
        cx, cy = _CENTRES[zone]
        best = min(range(len(candidates)), key=lambda i: (
            -min(rooms[i], _ROOMY), round(math.hypot(candidates[i][0] - cx, candidates[i][1] - cy), 2),
            (i + turn) % 97))
        spot = candidates[best]
        self.taken.append(spot)
        for other, found in self.rooms.items():
            lattice = _CANDIDATES[self.layout][other]
            for i, (x, y) in enumerate(lattice):
                found[i] = min(found[i], _room(x, y, *spot))
        return spot


def spot_in(layout: str, zone: str, actor_id: str, taken=()) -> tuple[float, float]:
    return Spreader(layout, taken).take(zone, actor_id)
