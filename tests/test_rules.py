"""Core rules and state folding, without any server."""

from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from boards import ideas, rules
from boards.actions import parse
from boards.errors import InvalidAction, Rejected
from boards.model import FACILITATOR, PARTICIPANT, SCREEN, Actor
from boards.state import apply, replay


class Play:
    """A workshop folded in memory, events numbered as the store would."""

    def __init__(self):
        self.log = []
        self.ws = replay("w1", [])
        self.do(rules.create_workshop("w1", "Atelier", "QPV", "ABC234"))
        self.do([{"type": "board.added", "board": "b2", "kind": "ideas", "title": "Diagnostic"}])
        self.host = self.do(rules.join(self.ws, "Animation", role=FACILITATOR))[0]["participant"]
        self.alice = self.do(rules.join(self.ws, "Alice"))[0]["participant"]
        self.bob = self.do(rules.join(self.ws, "Bob"))[0]["participant"]

    def do(self, events):
        for event in events:
            event = {**event, "seq": self.ws.seq + 1}
            apply(self.ws, event)
            self.log.append(event)
        return events

    def act(self, who, message, role=None):
        role = role or (FACILITATOR if who == self.host else PARTICIPANT)
        return self.do(rules.decide(self.ws, Actor(who, role), parse(message)))

    def add(self, who, text="Une idée"):
        return self.act(who, {"type": "note.add", "board": "b2", "text": text})[0]["note"]


def test_adding_editing_and_deleting_own_notes():
    play = Play()
    note = play.add(play.alice, "  Manque   de lieux\r\ncommuns ")
    assert play.ws.boards["b2"].data.notes[note].text == "Manque   de lieux\ncommuns"
    play.act(play.alice, {"type": "note.edit", "board": "b2", "note": note, "text": "Manque de lieux"})
    assert play.ws.boards["b2"].data.notes[note].edited
    with pytest.raises(Rejected):
        play.act(play.bob, {"type": "note.delete", "board": "b2", "note": note})
    play.act(play.alice, {"type": "note.delete", "board": "b2", "note": note})
    assert note not in play.ws.boards["b2"].data.notes


def test_facilitator_moderates_any_note_participants_cannot():
    play = Play()
    note = play.add(play.alice)
    with pytest.raises(Rejected, match="animation"):
        play.act(play.alice, {"type": "note.hide", "board": "b2", "note": note, "hidden": True})
    play.act(play.host, {"type": "note.hide", "board": "b2", "note": note, "hidden": "true"})
    assert play.ws.boards["b2"].data.visible() == []
    play.act(play.host, {"type": "note.edit", "board": "b2", "note": note, "text": "Reformulée"})
    play.act(play.host, {"type": "note.delete", "board": "b2", "note": note})
    assert play.ws.boards["b2"].data.notes == {}


def test_a_participant_claiming_the_facilitator_role_is_refused():
    play = Play()
    with pytest.raises(Rejected):
        play.act(play.alice, {"type": "workshop.lock", "locked": True}, role=FACILITATOR)
    with pytest.raises(Rejected):
        play.act(None, {"type": "note.add", "board": "b2", "text": "x"}, role=SCREEN)


def test_locked_board_and_workshop_refuse_contributions():
    play = Play()
    play.act(play.host, {"type": "board.phase", "board": "b2", "phase": "locked"})
    with pytest.raises(Rejected, match="fermé"):
        play.add(play.alice)
    play.act(play.host, {"type": "board.phase", "board": "b2", "phase": "open"})
    play.act(play.host, {"type": "workshop.lock", "locked": True})
    with pytest.raises(Rejected, match="verrouillé"):
        play.add(play.alice)
    play.add(play.host, "L'animation peut encore écrire")


def test_removed_participant_can_no_longer_act():
    play = Play()
    play.act(play.host, {"type": "participant.remove", "participant": play.bob})
    with pytest.raises(Rejected, match="plus partie"):
        play.add(play.bob)


def test_boards_are_added_shown_and_phased_by_the_facilitator():
    play = Play()
    added = play.act(play.host, {"type": "board.add", "kind": "ideas", "title": "Ambition partagée"})
    board = added[0]["board"]
    assert play.ws.current_board == "b2"
    play.act(play.host, {"type": "board.show", "board": board})
    assert play.ws.current_board == board
    with pytest.raises(Rejected):
        play.act(play.host, {"type": "board.phase", "board": board, "phase": "vote"})
    with pytest.raises(Rejected):
        play.act(play.host, {"type": "board.add", "kind": "nope", "title": "x"})


@pytest.mark.parametrize("message", [
    None, [], "note.add", {"type": 3}, {"type": "unknown"},
    {"type": "note.add", "board": "b2"},
    {"type": "note.add", "board": "b2", "text": ""},
    {"type": "note.add", "board": "b2", "text": "x" * 501},
    {"type": "note.add", "board": "b/2", "text": "x"},
    {"type": "note.add", "board": "b2", "text": ["x"]},
    {"type": "note.add", "board": "b2", "text": "x", "surprise": True},
    {"type": "note.hide", "board": "b2", "note": "n1", "hidden": "peut-être"},
])
def test_malformed_messages_are_refused_with_a_message(message):
    with pytest.raises(InvalidAction) as refused:
        parse(message)
    assert str(refused.value)


def test_replay_rebuilds_the_same_state():
    play = Play()
    first = play.add(play.alice, "A")
    play.add(play.bob, "B")
    play.act(play.alice, {"type": "note.edit", "board": "b2", "note": first, "text": "A'"})
    play.act(play.host, {"type": "note.hide", "board": "b2", "note": first, "hidden": True})
    rebuilt = replay("w1", play.log)
    assert rebuilt.boards["b2"].data == play.ws.boards["b2"].data
    assert rebuilt.participants == play.ws.participants


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["alice", "bob", "host"]),
                          st.sampled_from(["add", "edit", "delete", "hide"]),
                          st.integers(0, 5), st.text(max_size=30)), max_size=30))
def test_any_sequence_keeps_authorship_and_replays_identically(steps):
    play = Play()
    people = {"alice": play.alice, "bob": play.bob, "host": play.host}
    for who, verb, index, text in steps:
        notes = list(play.ws.boards["b2"].data.notes)
        target = notes[index % len(notes)] if notes else "n1"
        message = {"add": {"type": "note.add", "board": "b2", "text": text},
                   "edit": {"type": "note.edit", "board": "b2", "note": target, "text": text},
                   "delete": {"type": "note.delete", "board": "b2", "note": target},
                   "hide": {"type": "note.hide", "board": "b2", "note": target, "hidden": index % 3 != 0}}[verb]
        before = {k: (n.author, n.text, n.hidden) for k, n in play.ws.boards["b2"].data.notes.items()}
        try:
            play.act(people[who], message)
        except (InvalidAction, Rejected):
            after = {k: (n.author, n.text, n.hidden) for k, n in play.ws.boards["b2"].data.notes.items()}
            assert after == before
            continue
        if who != "host" and verb in ("edit", "delete"):
            assert before[target][0] == people[who]
    data = play.ws.boards["b2"].data
    assert replay("w1", play.log).boards["b2"].data == data
    # The counts kept as notes come and go are those of the notes themselves.
    assert data.visible_count() == len(data.visible())
    assert data.per_author == Counter(note.author for note in data.notes.values())


def test_a_participant_writes_up_to_the_limit_and_again_after_deleting_one():
    play = Play()
    notes = [play.add(play.alice, f"Idée {k}") for k in range(ideas.NOTES_PER_PERSON)]
    with pytest.raises(Rejected, match="maximal"):
        play.add(play.alice)
    play.add(play.bob)
    play.act(play.host, {"type": "note.hide", "board": "b2", "note": notes[0], "hidden": True})
    play.act(play.alice, {"type": "note.delete", "board": "b2", "note": notes[0]})
    play.add(play.alice, "Une de plus")
    data = play.ws.boards["b2"].data
    assert data.visible_count() == ideas.NOTES_PER_PERSON + 1 and data.hidden == 0
