"""The state of a workshop, as folded from its events.

State objects are mutable on purpose: replaying thousands of events into fresh
copies would cost more than it protects. Only `boards.state.apply` mutates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FACILITATOR = "facilitator"
PARTICIPANT = "participant"
SCREEN = "screen"


@dataclass
class Participant:
    id: str
    name: str
    organisation: str = ""
    role: str = PARTICIPANT
    removed: bool = False
    joined_at: str = ""
    # A person without a phone, whose contributions the facilitator or a table captain types in.
    offline: bool = False
    captain: bool = False
    # Removed and kept out: their browser and their name may not join this workshop again.
    banned: bool = False


@dataclass
class Board:
    id: str
    kind: str
    title: str
    phase: str
    data: Any = None


@dataclass
class Workshop:
    id: str
    title: str = ""
    territory: str = ""
    join_code: str = ""
    created_at: str = ""
    seq: int = 0
    locked: bool = False
    participants: dict[str, Participant] = field(default_factory=dict)
    # Insertion order is the agenda order.
    boards: dict[str, Board] = field(default_factory=dict)
    current_board: str | None = None
    # Participants may open boards shown earlier, not only the one on screen.
    allow_browse: bool = False
    timer: "Timer | None" = None
    # The timer ran out with "lock at zero": contributions wait for the facilitator.
    time_up: bool = False
    # Contributions per board and participant, for the facilitator's presence panel.
    activity: dict[str, dict[str, int]] = field(default_factory=dict)
    # len(people()), kept by the fold: read after every vote, it must not walk the room.
    people_count: int = 0
    # Ids of the table captains and of the people excluded, kept by the fold: each join reads
    # them, and a storm of 2,000 joins must not walk the room 2,000 times.
    captains: set[str] = field(default_factory=set)
    banned_ids: set[str] = field(default_factory=set)
    # The facilitator's remote for the projector's pages: how many times it was used (the projector
    # acts on each new one once), the last step asked, and whether the pages are held still.
    screen_turns: int = 0
    screen_step: str = ""
    screen_held: bool = False

    def board(self, board_id: str) -> Board | None:
        return self.boards.get(board_id)

    def people(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.role == PARTICIPANT and not p.removed]

    def banned(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.banned]

    def facilitators(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.role == FACILITATOR and not p.removed]

    def shown_boards(self) -> list[Board]:
        """Boards up to and including the one on screen, in agenda order."""
        shown = []
        for board in self.boards.values():
            shown.append(board)
            if board.id == self.current_board:
                return shown
        return []


@dataclass
class Timer:
    """A countdown. `left` seconds remained at `since` (an ISO time); it runs down only while running."""

    left: float
    since: str
    running: bool
    lock: bool
    version: int


@dataclass(frozen=True)
class Actor:
    """Who is asking: a participant id and the role the connection proved."""

    participant: str | None
    role: str
    # Who is typing on behalf of `participant` (a person without a phone), if anyone.
    proxy_by: str | None = None

    @property
    def is_facilitator(self) -> bool:
        return self.role == FACILITATOR


def new_id(ws: Workshop, prefix: str, offset: int = 0) -> str:
    """An id for something created by the event that will get sequence seq+1+offset.

    Decisions are pure, so ids come from the sequence the events will receive:
    unique within the workshop and identical on every replay.
    """
    return f"{prefix}{ws.seq + 1 + offset}"
