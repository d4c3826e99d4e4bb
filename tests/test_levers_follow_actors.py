"""The levers board on screen follows the stakeholder map's actors and its own categories: a page
kept live by fragments must equal a fresh render, and only small parts are sent, never the board."""

import pytest

from boards import levers, rules
from boards.actions import parse
from boards.model import PARTICIPANT, Actor
from htmx_dom import Page, regions
from server import render
from test_stakeholders import Map

L = "b9"


def levers_on_screen(phase="write"):
    play = Map()
    play.do([{"type": "board.added", "board": L, "kind": "levers", "title": "Freins et leviers"}])
    play.ws.current_board = L
    play.caf = play.actor(play.alice, "CAF")
    play.ml = play.actor(play.bob, "Mission locale")
    message = {"type": "card.add", "board": L, "side": "frein", "category": "confiance",
               "text": "On ne se connaît pas", "actors": [play.caf]}
    play.card = play.do(rules.decide(play.ws, Actor(play.alice, PARTICIPANT), parse(message)))[0]["card"]
    for step in ("reveal", "group", "vote", "results")[:("write", "reveal", "group", "vote", "results").index(phase)]:
        play.act(play.host, {"type": "board.phase", "board": L, "phase": step})
    return play


READERS = {"facilitator": "host", "participant": "alice", "screen": None}


def follow(play, step):
    """Each view's page before `step`, moved on by what the server sends: it equals a fresh render."""
    pages = {}
    for view, who in READERS.items():
        me = getattr(play, who) if who else None
        pages[view] = (me, Page(render.frame(play.ws, view, "fr", me)))
    events = step()
    sent = {}
    for view, (me, page) in pages.items():
        shared = render.changes(play.ws, events, view, "fr")
        readers = render.personal_readers(play.ws, events)
        own = render.personal(play.ws, events, view, "fr", me) if readers is None or me in readers else ""
        page.apply(shared)
        page.apply(own)
        sent[view] = shared + own
        for region, expected in regions(render.frame(play.ws, view, "fr", me)).items():
            assert page.region(region) == expected, (view, region, [e["type"] for e in events])
    return sent


def map_steps(play):
    def act(who, message):
        return lambda: play.act(who, message)
    return [
        act(play.alice, {"type": "actor.add", "name": "Centre social", "category": "association"}),
        act(play.alice, {"type": "actor.edit", "actor": play.caf, "name": "CAF 93", "category": "association"}),
        act(play.host, {"type": "actor.merge", "actor": play.caf, "into": play.ml}),
        act(play.host, {"type": "actor.delete", "actor": play.ml}),
    ]


def test_the_levers_kind_declares_the_map_events_it_shows():
    assert {"actor.added", "actor.edited", "actor.merged", "actor.removed", "actors.imported"} <= levers.WATCHES


@pytest.mark.parametrize("phase", ["write", "reveal", "vote", "results"])
def test_actor_pickers_and_card_names_follow_the_map_while_the_levers_board_is_on_screen(phase):
    play = levers_on_screen(phase)
    for step in map_steps(play):
        sent = follow(play, step)
        for view, html in sent.items():
            assert f'id="lv-{L}"' not in html and f'id="lv-field-{L}"' not in html, view
    # The last step took the actor off the card: no name left on it, for anyone.
    assert play.ws.boards[L].data.cards[play.card].actors == []


def test_while_writing_nobody_else_is_sent_a_phone_s_own_card():
    play = levers_on_screen("write")
    events = play.act(play.alice, {"type": "actor.edit", "actor": play.caf, "name": "CAF 93", "category": "association"})
    for view in READERS:
        assert play.card not in render.changes(play.ws, events, view, "fr")
        assert play.card not in render.personal(play.ws, events, view, "fr", play.bob)
    assert play.card in render.personal(play.ws, events, "participant", "fr", play.alice)


def test_the_facilitator_keeps_editing_categories_with_the_panel_open():
    play = levers_on_screen("write")
    sent = follow(play, lambda: play.act(play.host, {"type": "levers.category.add", "board": L, "label": "Argent"}))
    # The panel comes open so the next category can be typed at once; a reload shows it closed,
    # and the pages are equal all the same: the open state is the reader's own.
    assert '<details class="lv-categories" open>' in sent["facilitator"]
