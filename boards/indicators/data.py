"""The state of a "référentiel d'indicateurs" board, and what can be read from it.

Kept apart from the board's rules (boards/indicators/__init__.py) so both stay small:
this module only holds data and answers questions about it; it never decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from . import library
from . import stats
from ..model import Workshop

KIND = "indicators"
MODES = ("dots", "points")
POINTS_BUDGET = 100
DOTS_DEFAULT = 5
DOTS_MAX = 20
TEXT_FIELDS = ("name", "dimension", "definition", "measure", "source")


@dataclass
class Indicator:
    id: str
    name: str
    dimension: str = ""
    definition: str = ""
    measure: str = ""
    source: str = ""
    # From the common library (shared by every territory), or the territory's own.
    common: bool = False
    # Who proposed it on this board; None for the library and the previous wave's framework.
    author: str | None = None
    # Part of the framework the previous wave adopted.
    carried: bool = False
    hidden: bool = False
    chosen: bool = False

    def fields(self) -> dict:
        return {key: getattr(self, key) for key in ("id",) + TEXT_FIELDS}


@dataclass
class Version:
    number: int
    ids: tuple[str, ...]
    carried: bool = False


@dataclass
class IndicatorsData:
    seeded: bool = False
    wave: int = 1
    mode: str = "dots"
    budget: int = DOTS_DEFAULT
    # Insertion order is the display order: the library's, then the territory's proposals.
    indicators: dict[str, Indicator] = field(default_factory=dict)
    # participant -> indicator -> dots or points (no zeros kept).
    allocations: dict[str, dict[str, int]] = field(default_factory=dict)
    # participant -> indicator -> "1".."5" or "dk"; one answer per person per indicator in this wave.
    ratings: dict[str, dict[str, str]] = field(default_factory=dict)
    versions: list[Version] = field(default_factory=list)
    # The previous wave as the seed event carried it: workshop, title, date, wave, version, ids, stats.
    previous: dict | None = None
    # The indicator whose histogram the projector shows on its whole screen, if any.
    spotlight: str | None = None
    # Sums of the two dicts above, kept as each person allocates or rates (allot, rate), so that
    # an action in a room of 2,000 does not read everyone's answers again for every indicator
    # each page shows; whatever changes many people at once counts again (recount).
    totals: dict[str, int] = field(default_factory=dict)            # indicator -> dots or points
    support: dict[str, int] = field(default_factory=dict)           # indicator -> people with some
    completes: int = 0                                              # people who placed their whole budget
    tallies: dict[str, dict[str, int]] = field(default_factory=dict)  # indicator -> answer -> people
    rater_count: int = 0

    # Keeping the sums -----------------------------------------------------
    def allot(self, participant: str, allocation: dict[str, int] | None) -> None:
        old = self.allocations.pop(participant, None)
        if old:
            self._count(old, -1)
        allocation = {key: amount for key, amount in (allocation or {}).items() if amount}
        if allocation:
            self.allocations[participant] = allocation
            self._count(allocation, 1)

    def _count(self, allocation: dict[str, int], sign: int) -> None:
        for key, amount in allocation.items():
            _bump(self.totals, key, sign * amount)
            _bump(self.support, key, sign)
        if sum(allocation.values()) >= self.budget_total:
            self.completes += sign

    def rate(self, participant: str, indicator_id: str, value: str) -> None:
        answers = self.ratings.setdefault(participant, {})
        if not answers:
            self.rater_count += 1
        old = answers.get(indicator_id)
        if old is not None:
            self._tally(indicator_id, old, -1)
        answers[indicator_id] = value
        self._tally(indicator_id, value, 1)

    def _tally(self, indicator_id: str, value: str, by: int) -> None:
        counts = self.tallies.setdefault(indicator_id, {})
        _bump(counts, value, by)
        if not counts:
            del self.tallies[indicator_id]

    def recount(self) -> None:
        self.totals, self.support, self.tallies, self.completes = {}, {}, {}, 0
        for allocation in self.allocations.values():
            self._count(allocation, 1)
        for answers in self.ratings.values():
            for indicator_id, value in answers.items():
                self._tally(indicator_id, value, 1)
        self.rater_count = sum(1 for answers in self.ratings.values() if answers)

    # Candidates and grouping ----------------------------------------------
    def candidates(self) -> list[Indicator]:
        return [i for i in self.indicators.values() if not i.hidden]

    def visible(self, indicator_id: str) -> Indicator | None:
        found = self.indicators.get(indicator_id)
        return found if found is not None and not found.hidden else None

    def dimension_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for indicator in self.indicators.values():
            if indicator.dimension:
                seen.setdefault(indicator.dimension, None)
        return list(seen)

    def groups(self, indicators: list[Indicator] | None = None) -> list[tuple[int, str, list[Indicator]]]:
        """(key, dimension, indicators) in dimension order; key 0 is the territory's own, last."""
        indicators = self.candidates() if indicators is None else indicators
        names = self.dimension_names()
        result = [(n + 1, name, [i for i in indicators if i.dimension == name]) for n, name in enumerate(names)]
        result.append((0, "", [i for i in indicators if not i.dimension]))
        return result

    def group_key(self, indicator: Indicator) -> int:
        names = self.dimension_names()
        return names.index(indicator.dimension) + 1 if indicator.dimension in names else 0

    # Prioritisation --------------------------------------------------------
    @property
    def budget_total(self) -> int:
        return self.budget if self.mode == "dots" else POINTS_BUDGET

    def spent(self, participant: str | None) -> int:
        return sum(self.allocations.get(participant or "", {}).values())

    def mine(self, participant: str | None, indicator_id: str) -> int:
        return self.allocations.get(participant or "", {}).get(indicator_id, 0)

    def priority(self, indicator_id: str) -> int:
        return self.totals.get(indicator_id, 0)

    def supporters(self, indicator_id: str) -> int:
        return self.support.get(indicator_id, 0)

    def allocators(self) -> int:
        """People who placed at least part of their budget (empty allocations are not kept)."""
        return len(self.allocations)

    def complete(self) -> int:
        """People who placed all of their budget: 90 points of 100 is not a whole allocation."""
        return self.completes

    def ranking(self) -> list[Indicator]:
        order = {key: n for n, key in enumerate(self.indicators)}
        return sorted(self.candidates(), key=lambda i: (-self.priority(i.id), order[i.id]))

    # Framework -------------------------------------------------------------
    def version(self) -> int:
        return self.versions[-1].number if self.versions else 0

    def framework_ids(self) -> tuple[str, ...]:
        return self.versions[-1].ids if self.versions else ()

    def framework(self) -> list[Indicator]:
        return [self.indicators[i] for i in self.framework_ids() if i in self.indicators]

    def marked(self) -> list[Indicator]:
        return [i for i in self.candidates() if i.chosen]

    def draft_differs(self) -> bool:
        """The marks differ from the adopted framework: there is something to adopt."""
        return tuple(i.id for i in self.marked()) != self.framework_ids()

    # Baromètre ---------------------------------------------------------------
    def tally(self, indicator_id: str) -> dict[str, int]:
        return {**stats.counts(()), **self.tallies.get(indicator_id, {})}

    def summary(self, indicator_id: str) -> dict:
        return stats.summary(self.tally(indicator_id))

    def rating(self, participant: str | None, indicator_id: str) -> str | None:
        return self.ratings.get(participant or "", {}).get(indicator_id)

    def raters(self) -> int:
        return self.rater_count

    def previous_tally(self, indicator_id: str) -> dict[str, int] | None:
        if not self.previous:
            return None
        return self.previous.get("stats", {}).get(indicator_id)

    def previous_median(self, indicator_id: str) -> float | None:
        before = self.previous_tally(indicator_id)
        return stats.median(before) if before else None

    def bars(self, indicator_id: str) -> list[dict]:
        return stats.bars(self.tally(indicator_id), self.previous_tally(indicator_id))

    def cues(self) -> list[str]:
        return stats.cues({i.id: self.summary(i.id) for i in self.framework()})


def _bump(counts: dict[str, int], key: str, by: int) -> None:
    """Adds `by` to a count, keeping no zeros (a sum kept and a sum made afresh compare equal)."""
    total = counts.get(key, 0) + by
    if total:
        counts[key] = total
    else:
        counts.pop(key, None)


# Carry-over between waves ------------------------------------------------------

def carry_over(previous: Workshop) -> dict | None:
    """What the next wave of the territory starts from: the last framework adopted in `previous`
    (its indicators as worded then) and the distribution of that wave's ratings."""
    for board in reversed(list(previous.boards.values())):
        if board.kind != KIND or not board.data.versions:
            continue
        data: IndicatorsData = board.data
        adopted = data.framework()
        return {"workshop": previous.id, "title": previous.title, "date": previous.created_at[:10],
                "wave": data.wave, "version": data.version(),
                "indicators": [{**i.fields(), "common": i.common} for i in adopted],
                "stats": {i.id: data.tally(i.id) for i in adopted}}
    return None


def previous_wave(workshops: Iterable[Workshop], ws: Workshop) -> dict | None:
    """The latest earlier workshop of the same territory that adopted a framework, carried over."""
    territory = library.fold(ws.territory)
    earlier = [other for other in workshops
               if other.id != ws.id and library.fold(other.territory) == territory
               and other.created_at <= ws.created_at]
    for other in sorted(earlier, key=lambda o: (o.created_at, o.id), reverse=True):
        found = carry_over(other)
        if found is not None:
            return found
    return None
