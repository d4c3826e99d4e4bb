"""The state of a brakes and levers board, and the questions the rules and the views ask of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import N_

SIDES = ("frein", "levier")
SIDE_LABELS = {"frein": N_("Frein"), "levier": N_("Levier")}
# The four families of obstacles people face, then what helps or hinders actors working together.
DEFAULT_CATEGORIES = (
    ("social", N_("Social")),
    ("economique", N_("Économique")),
    ("territorial", N_("Territorial")),
    ("psychologique", N_("Psychologique")),
    ("gouvernance", N_("Gouvernance")),
    ("moyens", N_("Moyens")),
    ("interconnaissance", N_("Interconnaissance")),
    ("confiance", N_("Confiance")),
    ("information", N_("Partage d'information")),
)
BUDGET_DEFAULT = 5
PER_CARD_DEFAULT = 3
# Phases where the tallies are shown whatever the facilitator's toggle says: the vote is over.
TALLY_PHASES = ("results", "locked")


@dataclass
class Category:
    id: str
    label: str
    # A label typed by the facilitator is shown as is; a default one is a catalogue message.
    custom: bool = False


@dataclass
class Card:
    id: str
    author: str
    side: str
    category: str
    text: str
    actors: list[str] = field(default_factory=list)
    # Written while the board was not anonymous: only such cards may ever show their author.
    signed: bool = False
    cluster: str | None = None
    # Texts of the duplicates merged into this card, so nothing said is silently dropped.
    merged: list[str] = field(default_factory=list)
    order: int = 0
    # Hidden by the facilitator: its text reaches the facilitator's pages only, and no snapshot.
    hidden: bool = False


@dataclass
class Cluster:
    id: str
    name: str
    order: int = 0


@dataclass
class LeversData:
    cards: dict[str, Card] = field(default_factory=dict)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=lambda: {
        key: Category(key, label) for key, label in DEFAULT_CATEGORIES})
    budget: int = BUDGET_DEFAULT
    per_card: int = PER_CARD_DEFAULT
    # On by default: brakes often name partners' shortcomings, and people say more when unsigned.
    anonymous: bool = True
    tallies_shown: bool = False
    # voter -> card -> dots, and card -> dots; both kept by apply so no read walks every vote.
    votes: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    # Voters who placed their whole budget, and those who placed part of it: kept by apply so the
    # voting progress shown after each dot does not walk the room.
    finished: int = 0
    started: int = 0
    # The card the projector shows on its whole screen, if any (see levers_spotlight).
    spotlight: str | None = None

    # Votes ---------------------------------------------------------------------------------
    def spent(self, voter: str | None) -> int:
        return sum(self.votes.get(voter or "", {}).values())

    def left(self, voter: str | None) -> int:
        return max(0, self.budget - self.spent(voter))

    def mine(self, voter: str | None, card_id: str) -> int:
        return self.votes.get(voter or "", {}).get(card_id, 0)

    def stage(self, voter: str) -> int:
        """0: no dot placed, 1: some, 2: the whole budget."""
        spent = self.spent(voter)
        return 2 if spent >= self.budget else 1 if spent else 0

    def total(self, card_id: str) -> int:
        return self.totals.get(card_id, 0)

    def cluster_total(self, cluster_id: str) -> int:
        return sum(self.total(c.id) for c in self.cards.values() if c.cluster == cluster_id)

    # Cards ---------------------------------------------------------------------------------
    def actor_gone(self, gone: str, into: str | None) -> None:
        """An actor of the stakeholder map was merged into `into`, or deleted (None): cards that
        named it name the actor kept instead, once, or no longer name it."""
        for card in self.cards.values():
            if gone in card.actors:
                kept = [a for a in card.actors if a != gone]
                if into is not None and into not in kept:
                    kept.insert(card.actors.index(gone), into)
                card.actors = kept

    def by_author(self, author: str | None) -> list[Card]:
        return [c for c in self.cards.values() if author and c.author == author]

    def count(self, side: str | None = None) -> int:
        return sum(1 for c in self.cards.values() if side is None or c.side == side)

    def authors(self) -> int:
        return len({c.author for c in self.cards.values()})

    def cluster_cards(self, cluster_id: str) -> list[Card]:
        return sorted((c for c in self.cards.values() if c.cluster == cluster_id), key=lambda c: c.order)

    def sorted_cards(self) -> list[Card]:
        return sorted(self.cards.values(), key=lambda c: c.order)
