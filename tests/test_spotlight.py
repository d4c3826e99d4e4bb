"""The projector's spotlight and the group phase, decided in the pure core and rendered per view:
one card or one indicator's histogram on the whole screen, the facilitator's alone; cards gathered
under their cluster while grouping."""

import re

import pytest

from boards import rules
from boards.actions import parse
from boards.errors import Rejected
from boards.model import FACILITATOR, PARTICIPANT, Actor
from server import render

from test_levers import B, Room


def spot(room, who, card=""):
    return room.act(who, {"type": "card.spotlight", "card": card})


def test_only_the_facilitator_puts_a_revealed_card_in_the_spotlight_and_takes_it_off():
    room = Room()
    card = room.card(room.alice, "Personne n'anime la coordination")
    with pytest.raises(Rejected, match="encore privées"):
        spot(room, room.host, card)
    room.phase("reveal")
    with pytest.raises(Rejected, match="Seule l'animation"):
        spot(room, room.alice, card)
    assert room.data.spotlight is None
    assert spot(room, room.host, card) == [{"type": "card.spotlit", "board": B, "card": card, "by": room.host}]
    assert room.data.spotlight == card
    assert spot(room, room.host, card) == []
    with pytest.raises(Rejected, match="n'existe plus"):
        spot(room, room.host, "c999")
    # A locked board can still be read together, a card at a time.
    room.phase("locked")
    spot(room, room.host)
    assert room.data.spotlight is None
    spot(room, room.host, card)
    assert room.data.spotlight == card


def test_the_spotlight_follows_a_merge_and_leaves_with_a_deleted_card():
    room = Room()
    kept = room.card(room.alice, "Un annuaire partagé", side="levier")
    double = room.card(room.bob, "Un annuaire commun", side="levier")
    room.phase("reveal")
    spot(room, room.host, double)
    room.act(room.host, {"type": "card.merge", "card": double, "keep": kept})
    assert room.data.spotlight == kept
    room.act(room.host, {"type": "card.delete", "card": kept})
    assert room.data.spotlight is None


def test_the_spotlight_is_drawn_on_the_projector_and_the_console_never_on_phones():
    room = Room()
    text = "Des permanences partagées au centre social"
    card = room.card(room.alice, text, side="levier")
    room.phase("reveal")
    events = spot(room, room.host, card)
    screen = render.changes(room.ws, events, "screen", "fr")
    assert 'id="lv-spot-b2"' in screen and text in screen and "hidden" not in screen.split(">")[0]
    console = render.changes(room.ws, events, "facilitator", "fr")
    assert "Retirer de l'écran" in console
    assert render.changes(room.ws, events, "participant", "fr").strip() == ""
    assert "lv-spot" not in room.page("participant", room.alice)
    # Not one phone's page is rendered again for it.
    assert render.personal_readers(room.ws, events) == set()
    cleared = spot(room, room.host)
    assert re.search(r'<section id="lv-spot-b2"[^>]* hidden', render.changes(room.ws, cleared, "screen", "fr"))


def test_cards_stand_under_their_cluster_while_grouping_on_every_view():
    room = Room()
    first = room.card(room.alice, "Le turn-over des équipes")
    second = room.card(room.bob, "Une carte des acteurs dans chaque accueil", side="levier")
    room.phase("reveal")
    cluster = room.act(room.host, {"type": "cluster.add", "name": "Se connaître"})[0]["cluster"]
    room.act(room.host, {"type": "card.group", "card": second, "cluster": cluster})
    room.phase("group")
    for view, me in (("screen", None), ("facilitator", room.host), ("participant", room.alice)):
        page = room.page(view, me)
        groups = re.findall(r'<section class="lv-group[^"]*" data-cluster="(\w*)"(.*?)</section>', page, re.S)
        assert [key for key, _ in groups] == [cluster, ""], view
        assert f'id="lv-card-{second}"' in groups[0][1] and f'id="lv-card-{first}"' in groups[1][1], view
    # A card moved into a cluster is redrawn there on every view.
    events = room.act(room.host, {"type": "card.group", "card": first, "cluster": cluster})
    for view in ("screen", "facilitator", "participant"):
        frame = render.changes(room.ws, events, view, "fr")
        grouped = re.search(rf'data-cluster="{cluster}"(.*?)</section>', frame, re.S).group(1)
        assert f'id="lv-card-{first}"' in grouped, view


class Framework:
    """A workshop with an indicators board whose framework holds two indicators of three."""

    def __init__(self):
        self.room = Room()
        room = self.room
        room.do([{"type": "board.added", "board": "b9", "kind": "indicators", "title": "Indicateurs"}])
        items = [{"id": key, "name": name, "dimension": "", "definition": "", "measure": "", "source": "",
                  "common": True, "carried": False} for key, name in (("i1", "Un"), ("i2", "Deux"), ("i3", "Trois"))]
        room.do([{"type": "indicators.seeded", "board": "b9", "wave": 1, "indicators": items, "previous": None}])
        for key in ("i1", "i2"):
            self.act(room.host, {"type": "indicator.choose", "indicator": key, "chosen": True})
        self.act(room.host, {"type": "indicators.publish"})

    def act(self, who, message):
        room = self.room
        role = FACILITATOR if who == room.host else PARTICIPANT
        return room.do(rules.decide(room.ws, Actor(who, role), parse({"board": "b9", **message})))


def test_only_an_adopted_indicator_goes_in_the_spotlight_and_only_by_the_facilitator():
    framework = Framework()
    room = framework.room
    with pytest.raises(Rejected, match="Seule l'animation"):
        framework.act(room.alice, {"type": "indicator.spotlight", "indicator": "i1"})
    with pytest.raises(Rejected, match="référentiel adopté"):
        framework.act(room.host, {"type": "indicator.spotlight", "indicator": "i3"})
    events = framework.act(room.host, {"type": "indicator.spotlight", "indicator": "i2"})
    assert room.ws.boards["b9"].data.spotlight == "i2"
    room.do([{"type": "board.shown", "board": "b9"}])
    screen = render.frame(room.ws, "screen", "fr")
    assert re.search(r'<section id="ind-b9-spot" class="ind-spot" aria-live', screen)
    assert 'id="ind-b9-s-i2"' in screen
    assert "ind-b9-spot" not in render.frame(room.ws, "participant", "fr", room.alice)
    assert render.personal_readers(room.ws, events) == set()
    framework.act(room.host, {"type": "indicator.spotlight", "indicator": ""})
    assert room.ws.boards["b9"].data.spotlight is None


def test_the_facilitator_turns_and_holds_the_projectors_pages_from_the_console():
    room = Room()

    def page(who, step):
        role = FACILITATOR if who == room.host else PARTICIPANT
        return room.do(rules.decide(room.ws, Actor(who, role), parse({"type": "screen.page", "step": step})))

    with pytest.raises(Rejected, match="Seule l'animation"):
        page(room.alice, "next")
    events = page(room.host, "next") + page(room.host, "next")
    assert room.ws.screen_turns == 2 and room.ws.screen_step == "next"
    screen = render.changes(room.ws, events, "screen", "fr")
    assert re.search(r'<div id="screen-remote" hidden data-turns="2" data-step="next" data-held="false" hx-swap-oob', screen)
    assert render.changes(room.ws, events, "participant", "fr") == ""
    page(room.host, "hold")
    assert room.ws.screen_held and page(room.host, "hold") == []
    assert "Laisser tourner les pages" in render.frame(room.ws, "facilitator", "fr", room.host)
    assert 'data-held="true"' in render.frame(room.ws, "screen", "fr")
    page(room.host, "play")
    assert not room.ws.screen_held


def test_a_card_hidden_from_the_room_is_neither_gathered_nor_spotlit_on_the_projector_or_a_phone():
    room = Room()
    secret = "Une remarque masquée par la modération"
    card = room.card(room.alice, secret)
    room.phase("reveal")
    spot(room, room.host, card)
    room.phase("group")
    # As the moderation's fold marks it (card.hide): on the facilitator's pages only.
    room.data.cards[card].hidden = True
    for view, me in (("screen", None), ("participant", room.bob)):
        assert secret not in room.page(view, me), view
    assert secret in room.page("facilitator", room.host)
    with pytest.raises(Rejected, match="masquée"):
        spot(room, room.host, card)
