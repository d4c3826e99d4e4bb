"""The facilitator's "Doublons probables" panel counts each likely duplicate's ties: a page kept
live by the map's fragments must show the same counts as a fresh render after ties come and go."""

from htmx_dom import Page, regions
from server import render
from test_stakeholders import B, Map


def assert_follows(play, view, me, step):
    page = Page(render.frame(play.ws, view, "fr", me))
    events = step()
    page.apply(render.changes(play.ws, events, view, "fr"))
    for region, expected in regions(render.frame(play.ws, view, "fr", me)).items():
        assert page.region(region) == expected, (region, [e["type"] for e in events])


def test_the_duplicates_panel_counts_ties_drawn_and_removed_live():
    play = Map()
    play.ws.current_board = B
    keep, gone = play.actor(play.alice, "Mission locale"), play.actor(play.alice, "mission locale", anyway=True)
    caf = play.actor(play.bob, "CAF")
    assert_follows(play, "facilitator", play.host, lambda: play.act(play.alice, {
        "type": "tie.add", "source": keep, "target": caf, "category": "projet commun", "strength": 2,
        "direction": "one"}))
    ties = list(play.data.ties)
    assert 'class="muted">(association · n° 1 · ajouté par Alice · 1 lien ·' in str(
        render.frame(play.ws, "facilitator", "fr", play.host))
    assert_follows(play, "facilitator", play.host, lambda: play.act(play.alice, {"type": "tie.delete", "tie": ties[0]}))
    # Nobody but the facilitator sees the panel: the other views get no copy of it.
    events = play.act(play.alice, {"type": "tie.add", "source": gone, "target": caf, "category": "projet commun",
                                   "strength": 1, "direction": "one"})
    assert f"sh-dups-{B}" in render.changes(play.ws, events, "facilitator", "fr")
    for view in ("participant", "screen"):
        assert f"sh-dups-{B}" not in render.changes(play.ws, events, view, "fr")
