"""The indicators board's answer to people coming and going, rendered by its own delta macro: a
page that applies the fragments of a removal shows what a fresh render shows, for every view and
phase, without its own panel being sent again."""

import re

import pytest

import test_indicators as base
from boards import rules
from boards.kinds import KINDS
from boards.model import FACILITATOR, Actor
from boards.actions import parse
from htmx_dom import Page, regions
from server import render

PHASES = KINDS["indicators"].PHASES
READERS = ("facilitator", "screen", "alice", "bob")


def played(rate=True, adopt=True):
    """Alice and Bob spread their dots; with `adopt`, a framework is adopted; with `rate`, both answer."""
    room = base.Room()
    room.phase("prioritise")
    for who, keys in ((room.alice, ("inter1", "inter1", "coord2")), (room.bob, ("coord2",))):
        for key in keys:
            room.act(who, {"type": "indicator.dot", "indicator": key, "add": True})
    if adopt:
        room.phase("choose")
        room.adopt("inter1", "coord2")
    if rate:
        room.phase("rate")
        room.act(room.alice, {"type": "indicator.rate", "indicator": "inter1", "value": "1"})
        room.act(room.bob, {"type": "indicator.rate", "indicator": "inter1", "value": "5"})
        room.act(room.alice, {"type": "indicator.rate", "indicator": "coord2", "value": "dk"})
    return room


def reader(room, name):
    """(view, me) of one reader; Alice and Bob read as participants."""
    return {"facilitator": ("facilitator", room.host), "screen": ("screen", None),
            "alice": ("participant", room.alice), "bob": ("participant", room.bob)}[name]


def stage(room, name) -> str:
    view, me = reader(room, name)
    return Page(render.frame(room.ws, view, "fr", me)).region("stage")


def people_delta(room, event, view) -> str:
    board = room.ws.boards["b2"]
    return str(render._macros("fr", "indicators").delta(room.ws, board, event, view))


def remove(room, who) -> dict:
    return room.do(rules.decide(room.ws, Actor(room.host, FACILITATOR),
                                parse({"type": "participant.remove", "participant": who})))[0]


def test_the_kind_declares_the_people_events_its_delta_answers():
    assert KINDS["indicators"].PEOPLE_EVENTS == {"participant.removed", "participant.renamed"}


@pytest.mark.parametrize("phase", PHASES)
def test_a_removal_redraws_what_the_removed_person_counted_in_on_every_page(phase):
    room = played()
    room.phase(phase)
    pages = {}
    for name in ("facilitator", "screen", "bob"):
        view, me = reader(room, name)
        pages[name] = Page(render.frame(room.ws, view, "fr", me))
    event = remove(room, room.alice)
    for name, page in pages.items():
        view, _ = reader(room, name)
        fragment = people_delta(room, event, view)
        # Small fragments, never the board whole nor a phone's own panel.
        assert 'id="ind-b2"' not in fragment and 'id="ind-b2-me"' not in fragment
        page.apply(fragment)
        assert page.region("stage") == stage(room, name), (phase, name)


def test_a_removal_sends_only_the_regions_it_changes():
    """A removal may come in the middle of a plenary: the candidates' cards (with their forms)
    are not sent again, and in the baromètre only its histograms are."""
    histograms = {"ind-b2-h-inter1", "ind-b2-h-coord2", "ind-b2-cues"}
    expected = {"propose": set(), "prioritise": set(), "reveal": {"ind-b2-main"}, "choose": {"ind-b2-main"},
                "rate": histograms, "locked": histograms}
    for phase in PHASES:
        room = played()
        room.phase(phase)
        event = remove(room, room.alice)
        for view in ("facilitator", "screen", "participant"):
            sent = set(regions(people_delta(room, event, view)))
            shown = expected[phase] if view != "participant" or phase != "rate" else set()
            tools = {"ind-b2-tools"} if view == "facilitator" else set()
            assert sent == {"ind-b2-head"} | shown | tools, (phase, view)


def test_the_ranking_and_the_barometre_no_longer_count_a_removed_person():
    room = played()
    room.phase("reveal")
    before = people_delta(room, {"type": "board.phase", "board": "b2"}, "screen")
    # Three dots of five and one of five: both have started, neither has placed them all.
    assert "0 personne a réparti tout son budget." in before
    assert "2 personnes ont commencé sans tout répartir." in before
    # Coordination's two dots, one from each; Alice's two on interconnaissance.
    assert "2 gommettes · 2 personnes" in before and "2 gommettes · 1 personne" in before
    event = remove(room, room.alice)
    after = people_delta(room, event, "screen")
    assert "1 personne a commencé sans tout répartir." in after
    assert "1 gommette · 1 personne" in after and "0 gommette · 0 personne" in after
    assert "2 gommettes" not in after

    room = played()
    room.phase("locked")
    assert "Médiane : 3" in people_delta(room, {"type": "board.phase", "board": "b2"}, "screen")
    after = people_delta(room, remove(room, room.alice), "screen")
    assert "1 personne a répondu au baromètre." in after
    histogram = re.search(r'<article id="ind-b2-h-inter1".*?</article>', after, re.S).group(0)
    assert "Médiane : 5" in histogram and "1 réponse" in histogram


def test_once_the_only_allocator_is_removed_the_board_may_be_seeded_again():
    """Nothing counts any more: the facilitator's tools offer the library again, without a reload."""
    room = played(rate=False, adopt=False)
    room.act(room.bob, {"type": "indicator.dot", "indicator": "coord2", "add": False})
    tools = people_delta(room, {"type": "indicators.mode_set", "board": "b2"}, "facilitator")
    assert "Recharger la bibliothèque commune" not in tools
    after = people_delta(room, remove(room, room.alice), "facilitator")
    assert "Recharger la bibliothèque commune" in after
    assert "Recharger la bibliothèque commune" in stage(room, "facilitator")


@pytest.mark.parametrize("phase", PHASES)
def test_a_join_changes_nothing_the_board_shows(phase):
    """Why joins are not among the people events: nothing on this board counts those present."""
    room = played()
    room.phase(phase)
    before = {name: stage(room, name) for name in READERS}
    room.do(rules.join(room.ws, "Chloé"))
    assert {name: stage(room, name) for name in READERS} == before
