"""The systems map's data: factors, causal links between them, and the loops they close.

The loops and leverage candidates are derived, never stored: they are worked out again from the
factors and links shown to the room (hidden factors and their links left out), once per change
of the board, and kept until the next change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import loops as analysis

# Radius of the spotlight's circle, in percent of its square.
RING = 36
# Where a factor came from, when it was brought in from another board of the workshop.
ORIGINS = ("levers", "indicators")

@dataclass
class Factor:
    id: str
    author: str
    text: str
    # Written while the board was not anonymous: only such factors may ever show their author.
    signed: bool = False
    hidden: bool = False
    # "levers:c12" or "indicators:i3" when brought in from a card or an indicator.
    origin: str = ""
    order: int = 0

@dataclass
class Link:
    id: str
    author: str
    source: str
    target: str
    polarity: str
    delay: bool = False

@dataclass
class SystemsData:
    factors: dict[str, Factor] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    anonymous: bool = True
    # The key of the loop the facilitator spotlights on every screen, or "".
    spotlight: str = ""
    # Bumped by every change of factors or links: the derived analysis is kept for one version.
    version: int = 0
    _derived: tuple | None = field(default=None, repr=False, compare=False)

    def touch(self) -> None:
        self.version += 1
        self._derived = None

    # What the room may see ------------------------------------------------------------------
    def shown(self) -> list[Factor]:
        return sorted((f for f in self.factors.values() if not f.hidden), key=lambda f: f.order)

    def listed(self, view: str) -> list[Factor]:
        """The factors a view lists: hidden ones for the facilitator only."""
        return sorted((f for f in self.factors.values() if view == "facilitator" or not f.hidden),
                      key=lambda f: f.order)

    def visible_links(self, view: str = "participant") -> list[Link]:
        """Links whose two factors the view may see."""
        seen = {f.id for f in self.listed(view)}
        return [l for l in self.links.values() if l.source in seen and l.target in seen]

    def name(self, factor_id: str) -> str:
        found = self.factors.get(factor_id)
        return found.text if found is not None else "?"

    def find_link(self, source: str, target: str) -> Link | None:
        return next((l for l in self.links.values() if l.source == source and l.target == target), None)

    def links_of(self, factor_id: str) -> list[Link]:
        return [l for l in self.links.values() if factor_id in (l.source, l.target)]

    def by_author(self, author: str | None) -> list[Factor]:
        return [f for f in self.factors.values() if author and f.author == author]

    # Analysis -----------------------------------------------------------------------------------
    def derived(self) -> tuple[list[dict], bool, dict]:
        """(loops, whether some were left out, leverage candidates), on the factors shown."""
        if self._derived is None:
            shown = self.shown()
            graph = analysis.causal_graph([f.id for f in shown],
                                          [(l.source, l.target, l.polarity, l.delay) for l in self.links.values()])
            found, truncated = analysis.find_loops(graph)
            self._derived = (found, truncated, analysis.leverage(graph, found))
        return self._derived

    def loops(self) -> list[dict]:
        return self.derived()[0]

    def truncated(self) -> bool:
        return self.derived()[1]

    def leverage(self) -> dict:
        return self.derived()[2]

    def loop(self, key: str) -> dict | None:
        return next((loop for loop in self.loops() if loop["key"] == key), None)

    def spotlit(self) -> dict | None:
        return self.loop(self.spotlight) if self.spotlight else None

    def chain(self, loop: dict) -> list[tuple[str, bool]]:
        return analysis.chain(loop)

    def counts(self) -> dict[str, int]:
        found = self.loops()
        return {"factors": len(self.shown()), "links": len(self.visible_links()),
                "reinforcing": sum(1 for l in found if l["kind"] == analysis.REINFORCING),
                "balancing": sum(1 for l in found if l["kind"] == analysis.BALANCING)}

    def ring(self, loop: dict) -> dict:
        """How the spotlight draws a loop, in a 100 x 100 square: its factors round a circle,
        clockwise from the top (`x`, `y` in percent), an arc with an arrow from each to the next
        with its sign at the middle, and the closed path a dot runs along."""
        count = len(loop["factors"])
        turn = 2 * math.pi / count
        gap = turn * 0.24

        def at(angle: float, radius: float = RING) -> tuple[float, float]:
            return round(50 + radius * math.cos(angle), 2), round(50 + radius * math.sin(angle), 2)

        nodes, arcs = [], []
        for index, factor_id in enumerate(loop["factors"]):
            angle = -math.pi / 2 + turn * index
            x, y = at(angle)
            (x1, y1), (x2, y2) = at(angle + gap), at(angle + turn - gap)
            sx, sy = at(angle + turn / 2)
            nodes.append({"factor": factor_id, "x": x, "y": y})
            arcs.append({"d": f"M{x1} {y1}A{RING} {RING} 0 0 1 {x2} {y2}", "sx": sx, "sy": sy,
                         "polarity": loop["polarities"][index]})
        top, bottom = at(-math.pi / 2), at(math.pi / 2)
        run = (f"M{top[0]} {top[1]}A{RING} {RING} 0 1 1 {bottom[0]} {bottom[1]}"
               f"A{RING} {RING} 0 1 1 {top[0]} {top[1]}")
        return {"nodes": nodes, "arcs": arcs, "run": run, "seconds": 2 * count}
