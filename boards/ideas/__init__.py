"""The "idées" board: sticky notes for the shared diagnosis and the shared ambition."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..actions import Flag, Ident, Text, action, spec
from ..errors import Rejected
from ..i18n import N_
from ..model import Actor, Board, Workshop, new_id

KIND = "ideas"
TITLE = N_("Idées")
PHASES = ("open", "locked")
PHASE_LABELS = {
    "open": N_("Contributions ouvertes"),
    "locked": N_("Contributions fermées"),
}
# What is expected of a participant in each phase, shown under the board's title.
PHASE_HINTS = {
    "open": N_("Écrivez une idée par note. Vous pouvez modifier ou supprimer les vôtres."),
    "locked": N_("Le tableau est fermé : regardez et discutez."),
}
# A change of name: the facilitator's page shows each note's author (the `delta` macro).
PEOPLE_EVENTS = frozenset({"participant.renamed"})
NOTE_MAX = 500
NOTES_PER_PERSON = 200


@dataclass
class Note:
    id: str
    author: str
    text: str
    hidden: bool = False
    edited: bool = False
    created_at: str = ""


@dataclass
class IdeasData:
    notes: dict[str, Note] = field(default_factory=dict)
    # Counted as notes come and go (apply), so that each new note on a board of thousands does
    # not walk them all: once for its author's limit, once per view for the count it shows.
    hidden: int = 0
    per_author: Counter = field(default_factory=Counter)

    def visible(self) -> list[Note]:
        return [n for n in self.notes.values() if not n.hidden]

    def visible_count(self) -> int:
        return len(self.notes) - self.hidden


@action("note.add")
class AddNote:
    board: str = spec(Ident())
    text: str = spec(Text(NOTE_MAX, multiline=True))


@action("note.edit")
class EditNote:
    board: str = spec(Ident())
    note: str = spec(Ident())
    text: str = spec(Text(NOTE_MAX, multiline=True))


@action("note.delete")
class DeleteNote:
    board: str = spec(Ident())
    note: str = spec(Ident())


@action("note.hide", facilitator_only=True)
class HideNote:
    board: str = spec(Ident())
    note: str = spec(Ident())
    hidden: bool = spec(Flag())


ACTIONS = {AddNote, EditNote, DeleteNote, HideNote}


def new_data() -> IdeasData:
    return IdeasData()


def _own_note(board: Board, actor: Actor, note_id: str) -> Note:
    note = board.data.notes.get(note_id)
    if note is None:
        raise Rejected(N_("Cette note n'existe plus."))
    if note.author != actor.participant and not actor.is_facilitator:
        raise Rejected(N_("Vous ne pouvez modifier que vos propres notes."))
    return note


def _writable(board: Board, actor: Actor) -> None:
    if board.phase != "open" and not actor.is_facilitator:
        raise Rejected(N_("Ce tableau est fermé aux contributions."))


def decide(ws: Workshop, board: Board, actor: Actor, act) -> list[dict]:
    if isinstance(act, AddNote):
        _writable(board, actor)
        if board.data.per_author[actor.participant] >= NOTES_PER_PERSON:
            raise Rejected(N_("Vous avez atteint le nombre maximal de notes."))
        return [{"type": "note.added", "board": board.id, "note": new_id(ws, "n"),
                 "author": actor.participant, "text": act.text}]
    if isinstance(act, EditNote):
        _writable(board, actor)
        note = _own_note(board, actor, act.note)
        if note.text == act.text:
            return []
        return [{"type": "note.edited", "board": board.id, "note": note.id, "text": act.text}]
    if isinstance(act, DeleteNote):
        _writable(board, actor)
        note = _own_note(board, actor, act.note)
        return [{"type": "note.deleted", "board": board.id, "note": note.id}]
    if isinstance(act, HideNote):
        note = _own_note(board, actor, act.note)
        if note.hidden == act.hidden:
            return []
        return [{"type": "note.hidden", "board": board.id, "note": note.id, "hidden": act.hidden}]
    raise Rejected(N_("Action impossible sur ce tableau."))


def apply(ws: Workshop, board: Board, event: dict) -> None:
    data = board.data
    notes = data.notes
    kind = event["type"]
    if kind == "note.added":
        notes[event["note"]] = Note(event["note"], event["author"], event["text"],
                                    created_at=event.get("at", ""))
        data.per_author[event["author"]] += 1
    elif kind == "note.edited":
        notes[event["note"]].text = event["text"]
        notes[event["note"]].edited = True
    elif kind == "note.deleted":
        note = notes.pop(event["note"])
        data.per_author[note.author] -= 1
        data.hidden -= note.hidden
    elif kind == "note.hidden":
        note = notes[event["note"]]
        data.hidden += event["hidden"] - note.hidden
        note.hidden = event["hidden"]


def freeze(board: Board) -> dict:
    """The board's content for a snapshot: text only, no authors."""
    return {"notes": [{"id": n.id, "text": n.text} for n in board.data.visible()]}
