"""The state of a shared diagnosis board, and the questions the rules and the views ask of it.

An item keeps two ids: `id`, local to this board (what actions name), and `ref`, the stable id it
keeps from wave to wave when a later diagnosis carries it over, with its `history`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import N_

NATURES = ("resource", "need", "works", "missing")
NATURE_LABELS = {
    "resource": N_("Ressource du territoire"),
    "need": N_("Besoin"),
    "works": N_("Ce qui marche"),
    "missing": N_("Ce qui manque"),
}
SOURCES = ("lived", "partner", "study")
SOURCE_LABELS = {
    "lived": N_("Expérience vécue"),
    "partner": N_("Données d'un partenaire"),
    "study": N_("Étude"),
}
DEFAULT_THEMES = (
    ("emploi", N_("Emploi")),
    ("mobilite", N_("Mobilité")),
    ("logement", N_("Logement")),
    ("sante", N_("Santé et santé mentale")),
    ("numerique", N_("Numérique")),
    ("garde", N_("Garde d'enfants")),
    ("formation", N_("Formation")),
)
# An item written in this wave is "new"; one carried from an earlier wave is "carried" until the
# room says what becomes of it: kept as is, updated (its text or sorting changed), or closed.
STATUSES = ("new", "carried", "kept", "updated", "closed")
STATUS_LABELS = {
    "new": N_("Nouveau"),
    "carried": N_("Repris, à revoir"),
    "kept": N_("Maintenu"),
    "updated": N_("Mis à jour"),
    "closed": N_("Fermé"),
}
BUDGET_DEFAULT = 3
# Phases where the dots on needs are shown to everyone.
TALLY_PHASES = ("prioritise", "locked")


@dataclass
class Theme:
    id: str
    label: str
    # A label typed by the facilitator is shown as is; a default one is a catalogue message.
    custom: bool = False


@dataclass
class Item:
    id: str
    ref: str
    author: str
    theme: str
    nature: str
    source: str
    text: str
    actors: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)
    # Written while the board was not anonymous: only such items may ever show their author.
    signed: bool = False
    hidden: bool = False
    status: str = "new"
    # Earlier waves, oldest first: {"wave", "taken_at", "workshop", "status", "text", "votes"}.
    history: list[dict] = field(default_factory=list)
    order: int = 0

    @property
    def carried(self) -> bool:
        return self.status != "new"


@dataclass
class DiagnosisData:
    items: dict[str, Item] = field(default_factory=dict)
    themes: dict[str, Theme] = field(default_factory=lambda: {
        key: Theme(key, label) for key, label in DEFAULT_THEMES})
    budget: int = BUDGET_DEFAULT
    anonymous: bool = True
    # voter -> needs they marked as a priority (one dot per need, in the order placed), and
    # need -> dots, both kept by apply.
    votes: dict[str, list[str]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    # The wave this board carried its items from: {"snapshot", "wave", "taken_at", "workshop"}.
    carried_from: dict | None = None

    def visible(self) -> list[Item]:
        return [i for i in self.sorted_items() if not i.hidden]

    def sorted_items(self) -> list[Item]:
        return sorted(self.items.values(), key=lambda i: i.order)

    def total(self, item_id: str) -> int:
        return self.totals.get(item_id, 0)

    def mine(self, voter: str | None) -> list[str]:
        return self.votes.get(voter or "", [])

    def left(self, voter: str | None) -> int:
        return max(0, self.budget - len(self.mine(voter)))

    def by_author(self, author: str | None) -> list[Item]:
        return [i for i in self.items.values() if author and i.author == author and not i.carried]

    def unvote(self, item_id: str) -> None:
        for voter, mine in list(self.votes.items()):
            if item_id in mine:
                mine.remove(item_id)
                if not mine:
                    del self.votes[voter]
        self.totals.pop(item_id, None)
