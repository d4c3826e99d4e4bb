"""The state of a shared ambition board: statements, and the consent rounds held on them.

A round records the statement's text when it opened and everyone's answer. Answers stay private
while the round is open (a person sees their own); closing it makes the objections and reserves,
with their reasons, the room's. A round closed with no objection makes its statement agreed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import N_

ANSWERS = ("support", "reserve", "object")
ANSWER_LABELS = {
    "support": N_("Je soutiens"),
    "reserve": N_("J'ai une réserve"),
    "object": N_("Je m'oppose"),
}
# An answer that needs its reason said.
REASONED = ("reserve", "object")


@dataclass
class Answer:
    answer: str
    reason: str = ""
    # Given while the board was not anonymous: only such answers may ever show their author.
    signed: bool = False


@dataclass
class Round:
    number: int
    text: str
    answers: dict[str, Answer] = field(default_factory=dict)
    open: bool = True
    # "agreed" (no objection) or "objected", once closed.
    result: str | None = None

    def count(self, answer: str) -> int:
        return sum(1 for a in self.answers.values() if a.answer == answer)


@dataclass
class Statement:
    id: str
    author: str
    text: str
    order: int = 0
    signed: bool = False
    hidden: bool = False
    agreed: bool = False
    # Earlier wordings, oldest first: each amendment keeps what was there before.
    versions: list[str] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)

    @property
    def open_round(self) -> Round | None:
        return self.rounds[-1] if self.rounds and self.rounds[-1].open else None


@dataclass
class AmbitionData:
    statements: dict[str, Statement] = field(default_factory=dict)
    # The statement whose round is open, if any: one round at a time in a room.
    current: str | None = None
    # The statement whose round closed last: its result stays before the room until the next round.
    last: str | None = None
    anonymous: bool = True

    def sorted_statements(self) -> list[Statement]:
        return sorted(self.statements.values(), key=lambda s: s.order)

    def visible(self) -> list[Statement]:
        return [s for s in self.sorted_statements() if not s.hidden]

    def last_round(self) -> Round | None:
        statement = self.statements.get(self.last or "")
        return statement.rounds[-1] if statement and statement.rounds and not statement.hidden else None

    def round_open(self) -> Round | None:
        statement = self.statements.get(self.current or "")
        return statement.open_round if statement else None
