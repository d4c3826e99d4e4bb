"""The stakeholder map's rules, without any server: actors, zones, ties, ratings, merges, imports."""

import math
import re

import pytest
from hypothesis import given, settings, strategies as st

from boards import levers, rules, stakeholders
from boards.actions import parse
from boards.stakeholders.actor_csv import ImportRow
from boards.errors import InvalidAction, Rejected
from boards.model import FACILITATOR, PARTICIPANT, Actor
from boards.state import apply, replay
from boards.stakeholders.model import BEND, ZONES, normalise, spot_in, zone_of

B = "b2"


class Map:
    """A workshop with one stakeholder map, folded in memory with numbered events."""

    def __init__(self):
        self.log = []
        self.ws = replay("w1", [])
        self.do(rules.create_workshop("w1", "Atelier", "QPV", "ABC234"))
        self.do([{"type": "board.added", "board": B, "kind": "stakeholders", "title": "Carte"}])
        self.host = self.do(rules.join(self.ws, "Animation", role=FACILITATOR))[0]["participant"]
        self.alice = self.do(rules.join(self.ws, "Alice"))[0]["participant"]
        self.bob = self.do(rules.join(self.ws, "Bob"))[0]["participant"]

    @property
    def data(self):
        return self.ws.boards[B].data

    def do(self, events):
        stored = []
        for event in events:
            event = {**event, "seq": self.ws.seq + 1}
            apply(self.ws, event)
            self.log.append(event)
            stored.append(event)
        return stored

    def act(self, who, message):
        role = FACILITATOR if who == self.host else PARTICIPANT
        if message["type"] != "workshop.lock":
            message = {"board": B, **message}
        return self.do(rules.decide(self.ws, Actor(who, role), parse(message)))

    def actor(self, who, name, category="association", at=None, anyway=False):
        message = {"type": "actor.add", "name": name, "category": category, "anyway": anyway}
        actor_id = self.act(who, message)[0]["actor"]
        if at:
            self.act(who, {"type": "actor.move", "actor": actor_id, "x": at[0], "y": at[1]})
        return actor_id

    def tie(self, who, source, target, category="projet commun", strength=2, direction="one"):
        return self.act(who, {"type": "tie.add", "source": source, "target": target, "category": category,
                              "strength": strength, "direction": direction})[0]["tie"]

    def phase(self, phase):
        self.act(self.host, {"type": "board.phase", "phase": phase})

    def rate(self, who, tie, **scores):
        return self.act(who, {"type": "tie.rate", "tie": tie, **scores})

    def snapshot(self):
        return stakeholders.freeze(self.ws.boards[B])


def unchanged(play, message, who=None, error=(InvalidAction, Rejected)):
    """Asserts that `message` is refused with a message and that the map did not move."""
    before = repr(play.data)
    with pytest.raises(error) as refused:
        play.act(who or play.alice, message)
    assert str(refused.value)
    assert repr(play.data) == before
    return refused.value


# Actors and positions -------------------------------------------------------------------------

def test_actors_are_added_with_a_type_from_the_list_and_start_unplaced():
    play = Map()
    actor = play.actor(play.alice, "  Mission   locale ", "service public de l'emploi")
    added = play.data.actors[actor]
    assert (added.name, added.category, added.author, added.placed) == (
        "Mission locale", "service public de l'emploi", play.alice, False)
    unchanged(play, {"type": "actor.add", "name": "Club", "category": "club de foot"})
    unchanged(play, {"type": "actor.add", "name": "", "category": "association"})
    unchanged(play, {"type": "actor.add", "name": "x" * 81, "category": "association"})
    frozen = play.snapshot()["actors"][0]
    assert frozen == {"id": actor, "name": "Mission locale", "type": "service public de l'emploi",
                      "x": None, "y": None, "zone": "", "own": False, "layouts": {}}


@pytest.mark.parametrize("x, y", [(1.01, 0.5), (-0.1, 0.5), ("abc", 0.5), ("nan", 0.5), ("inf", 0.5),
                                  (True, 0.5), (None, 0.5), ("", 0.5), ([0.2], 0.5), ("1" * 30, 0.5)])
def test_positions_outside_the_map_or_not_numbers_are_refused(x, y):
    play = Map()
    actor = play.actor(play.alice, "CAF", at=(0.2, 0.3))
    refusal = unchanged(play, {"type": "actor.move", "actor": actor, "x": x, "y": y})
    assert refusal.params.get("field") == "x"
    assert (play.data.actors[actor].x, play.data.actors[actor].y) == (0.2, 0.3)


def test_positions_accept_text_and_decimal_commas_and_are_rounded():
    play = Map()
    actor = play.actor(play.alice, "CAF")
    play.act(play.bob, {"type": "actor.move", "actor": actor, "x": "0,123456", "y": "1"})
    assert (play.data.actors[actor].x, play.data.actors[actor].y) == (0.1235, 1.0)
    # The same point again changes nothing and records nothing.
    assert play.act(play.bob, {"type": "actor.move", "actor": actor, "x": 0.1235, "y": 1}) == []


def test_each_layout_keeps_its_own_placement_and_a_switch_back_restores_the_first():
    play = Map()
    centre = play.actor(play.alice, "Centre social", at=(0.55, 0.45))
    corner = play.actor(play.alice, "Bailleur", at=(0.05, 0.95))
    mairie = play.actor(play.alice, "Mairie", at=(0.2, 0.1))
    unplaced = play.actor(play.alice, "CAF")
    zones = lambda: {a["name"]: a["zone"] for a in play.snapshot()["actors"]}
    first = {a: (play.data.actors[a].x, play.data.actors[a].y) for a in (centre, corner, mairie)}
    assert zones() == {"Centre social": "fort pouvoir / fort intérêt", "Bailleur": "faible pouvoir / faible intérêt",
                       "Mairie": "fort pouvoir / faible intérêt", "CAF": ""}
    unchanged(play, {"type": "map.layout", "layout": "circles"}, who=play.alice)
    play.act(play.host, {"type": "map.layout", "layout": "circles"})
    # A key player goes to the core, not to wherever its grid point falls among the rings.
    assert zones() == {"Centre social": "cœur", "Bailleur": "périphérie", "Mairie": "engagés", "CAF": ""}
    # Moved on the circles, an actor keeps that place there and its first place on the grid.
    play.act(play.bob, {"type": "actor.move", "actor": corner, "x": 0.5, "y": 0.75})
    on_circles = {a: (play.data.actors[a].x, play.data.actors[a].y) for a in (centre, corner, mairie)}
    frozen = {a["name"]: a for a in play.snapshot()["actors"]}
    assert play.snapshot()["layout"] == "circles"
    assert frozen["Bailleur"]["layouts"] == {
        "grid": {"x": 0.05, "y": 0.95, "zone": "faible pouvoir / faible intérêt"},
        "circles": {"x": 0.5, "y": 0.75, "zone": "engagés"}}
    play.act(play.host, {"type": "map.layout", "layout": "grid"})
    assert {a: (play.data.actors[a].x, play.data.actors[a].y) for a in first} == first
    assert zones()["Bailleur"] == "faible pouvoir / faible intérêt" and zones()["CAF"] == ""
    play.act(play.host, {"type": "map.layout", "layout": "circles"})
    assert {a: (play.data.actors[a].x, play.data.actors[a].y) for a in first} == on_circles
    # Replaying the log gives the same map, kept placements included.
    assert repr(replay("w1", play.log).boards[B].data) == repr(play.data)


def test_a_switch_logged_before_layouts_kept_their_placement_rereads_the_positions():
    play = Map()
    centre = play.actor(play.alice, "Centre social", at=(0.55, 0.45))
    play.do([{"type": "map.layout", "board": B, "layout": "circles"}])
    assert (play.data.actors[centre].x, play.data.actors[centre].y) == (0.55, 0.45)
    assert play.snapshot()["actors"][0]["zone"] == "cœur"


def test_actors_switched_into_a_crowded_zone_are_spread_over_it():
    play = Map()
    ids = [play.actor(play.alice, f"Acteur {n}", at=(0.6 + n % 4 * 0.1, 0.05 + n // 4 * 0.1)) for n in range(16)]
    play.act(play.host, {"type": "map.layout", "layout": "circles"})
    spots = {(play.data.actors[a].x, play.data.actors[a].y) for a in ids}
    assert len(spots) == 16
    assert all(play.data.zone(play.data.actors[a]) in ("core", "engaged") for a in ids)


@pytest.mark.parametrize("layout, x, y, zone", [
    ("grid", 0.5, 0.5, "inform"), ("grid", 0.49, 0.49, "satisfy"), ("grid", 0.5, 0.49, "manage"),
    ("grid", 0.0, 1.0, "monitor"), ("circles", 0.5, 0.5, "core"), ("circles", 0.5, 0.6666, "core"), ("circles", 0.5, 0.6667, "engaged"),
    ("circles", 0.5, 0.8333, "engaged"), ("circles", 0.5, 0.8334, "periphery"), ("circles", 0.0, 0.0, "periphery"),
])
def test_zone_boundaries(layout, x, y, zone):
    assert zone_of(layout, x, y) == zone


@given(st.sampled_from(["grid", "circles"]), st.integers(1, 10**6), st.data())
def test_the_list_alternative_puts_an_actor_inside_the_chosen_zone(layout, number, data):
    zone = data.draw(st.sampled_from(ZONES[layout]))
    x, y = spot_in(layout, zone, f"a{number}")
    assert 0 <= x <= 1 and 0 <= y <= 1
    assert zone_of(layout, x, y) == zone


def test_actors_placed_from_a_list_spread_over_their_zone():
    play = Map()
    for layout, zone, count in (("grid", "manage", 12), ("grid", "monitor", 12), ("circles", "engaged", 12)):
        if play.data.layout != layout:
            play.act(play.host, {"type": "map.layout", "layout": layout})
        placed = []
        for n in range(count):
            actor = play.actor(play.alice, f"{zone} {n}")
            play.act(play.alice, {"type": "actor.place", "actor": actor, "zone": zone})
            placed.append(play.data.actors[actor])
        assert all(play.data.zone(a) == zone for a in placed)
        # Far enough apart for two names side by side or one above the other (a chip is about a
        # fifth of the map wide and a fifteenth high).
        for i, one in enumerate(placed):
            for other in placed[i + 1:]:
                assert abs(one.x - other.x) >= 0.09 or abs(one.y - other.y) >= 0.06, (one, other)


def test_placing_from_a_list_uses_the_current_layout():
    play = Map()
    actor = play.actor(play.alice, "CAF")
    play.act(play.alice, {"type": "actor.place", "actor": actor, "zone": "manage"})
    assert play.snapshot()["actors"][0]["zone"] == "fort pouvoir / fort intérêt"
    assert play.act(play.alice, {"type": "actor.place", "actor": actor, "zone": "manage"}) == []
    unchanged(play, {"type": "actor.place", "actor": actor, "zone": "core"})
    unchanged(play, {"type": "actor.place", "actor": actor, "zone": "ailleurs"})


def test_the_facilitator_alone_puts_an_actor_in_the_spotlight_and_clears_it():
    play = Map()
    caf = play.actor(play.alice, "CAF", at=(0.2, 0.2))
    mission = play.actor(play.alice, "Mission locale", at=(0.7, 0.2))
    lonely = play.actor(play.alice, "Club", at=(0.7, 0.8))
    tie = play.tie(play.alice, caf, mission)
    refusal = unchanged(play, {"type": "actor.spotlight", "actor": caf})
    assert str(refusal) == "Seule l'animation peut faire cela."
    play.phase("locked")
    play.act(play.host, {"type": "actor.spotlight", "actor": caf})
    assert play.data.spotlight == caf and play.data.lit() == ({caf, mission}, {tie})
    assert play.act(play.host, {"type": "actor.spotlight", "actor": caf}) == []
    unchanged(play, {"type": "actor.spotlight", "actor": "a999"}, who=play.host)
    unchanged(play, {"type": "actor.spotlight", "actor": ""}, who=play.bob)
    play.act(play.host, {"type": "actor.spotlight"})
    assert play.data.spotlight is None and play.data.lit() == (set(), set())
    # The spotlight follows a merge and goes out with a deleted actor.
    play.act(play.host, {"type": "actor.spotlight", "actor": lonely})
    play.act(play.host, {"type": "actor.merge", "actor": lonely, "into": mission})
    assert play.data.spotlight == mission
    play.act(play.host, {"type": "actor.delete", "actor": mission})
    assert play.data.spotlight is None


def test_drawing_closes_outside_the_map_phase_except_for_the_facilitator():
    play = Map()
    actor = play.actor(play.alice, "CAF")
    play.phase("rate")
    unchanged(play, {"type": "actor.add", "name": "Nouvelle", "category": "autre"})
    unchanged(play, {"type": "actor.move", "actor": actor, "x": 0.1, "y": 0.1})
    play.act(play.host, {"type": "actor.move", "actor": actor, "x": 0.1, "y": 0.1})
    play.act(play.host, {"type": "workshop.lock", "locked": True})
    play.phase("map")
    unchanged(play, {"type": "actor.add", "name": "Nouvelle", "category": "autre"})


def test_a_participant_edits_and_deletes_only_the_actors_they_added():
    play = Map()
    mine = play.actor(play.alice, "Mairie", "collectivité")
    unchanged(play, {"type": "actor.edit", "actor": mine, "name": "Mairie annexe", "category": "collectivité"},
              who=play.bob)
    unchanged(play, {"type": "actor.delete", "actor": mine}, who=play.bob)
    play.act(play.alice, {"type": "actor.edit", "actor": mine, "name": "Mairie de quartier", "category": "collectivité"})
    assert play.data.actors[mine].name == "Mairie de quartier"
    play.act(play.host, {"type": "actor.edit", "actor": mine, "name": "Mairie", "category": "institution publique"})
    assert play.data.actors[mine].category == "institution publique"


# Ties ---------------------------------------------------------------------------------------------

def test_ties_join_two_existing_different_actors_once_per_type():
    play = Map()
    a, b = play.actor(play.alice, "Mission locale"), play.actor(play.alice, "CAF")
    tie = play.tie(play.alice, a, b, "orientation de publics", 3, "one")
    assert play.snapshot()["ties"] == [{"id": tie, "source": a, "target": b, "type": "orientation de publics",
                                        "strength": 3, "directed": True, "trust": None, "value": None,
                                        "ratings": 0}]
    message = {"type": "tie.add", "category": "orientation de publics", "strength": 1, "direction": "one"}
    unchanged(play, {**message, "source": a, "target": a})
    unchanged(play, {**message, "source": a, "target": "a999"})
    unchanged(play, {**message, "source": a, "target": b})
    unchanged(play, {**message, "source": b, "target": a}, who=play.bob)
    unchanged(play, {**message, "source": a, "target": b, "category": "amitié"})
    for strength in (0, 4, "forte", 2.5):
        unchanged(play, {**message, "source": a, "target": b, "category": "financement", "strength": strength})
    unchanged(play, {**message, "source": a, "target": b, "category": "financement", "direction": "les deux"})
    # Another type between the same two actors is another tie.
    other = play.tie(play.bob, b, a, "financement", 1, "both")
    assert play.data.ties[other].directed is False
    assert play.data.counts() == {"actors": 2, "ties": 2, "isolated": 0}


def test_ties_are_edited_and_deleted_by_their_author_or_the_facilitator():
    play = Map()
    a, b = play.actor(play.alice, "Mission locale"), play.actor(play.alice, "CAF")
    tie = play.tie(play.alice, a, b, strength=1)
    unchanged(play, {"type": "tie.edit", "tie": tie, "strength": 3, "direction": "both"}, who=play.bob)
    unchanged(play, {"type": "tie.delete", "tie": tie}, who=play.bob)
    play.act(play.alice, {"type": "tie.edit", "tie": tie, "strength": 3, "direction": "both"})
    assert (play.data.ties[tie].strength, play.data.ties[tie].directed) == (3, False)
    play.act(play.host, {"type": "tie.delete", "tie": tie})
    assert play.data.ties == {}
    unchanged(play, {"type": "tie.edit", "tie": tie, "strength": 2, "direction": "one"})


# Ratings ----------------------------------------------------------------------------------------

def test_ratings_open_in_the_rating_phase_and_one_per_person_counts():
    play = Map()
    a, b = play.actor(play.alice, "Mission locale"), play.actor(play.alice, "CAF")
    tie = play.tie(play.alice, a, b)
    unchanged(play, {"type": "tie.rate", "tie": tie, "trust": 3})
    play.phase("rate")
    for bad in (0, 5, "4,5", True):
        unchanged(play, {"type": "tie.rate", "tie": tie, "trust": bad})
    unchanged(play, {"type": "tie.rate", "tie": tie})
    unchanged(play, {"type": "tie.rate", "tie": tie, "trust": "", "value": ""})
    play.rate(play.alice, tie, trust=1, value=4)
    play.rate(play.alice, tie, trust=2)            # replaces Alice's trust, keeps her value
    play.rate(play.bob, tie, trust="4")
    frozen = play.snapshot()["ties"][0]
    assert (frozen["trust"], frozen["value"], frozen["ratings"]) == (3.0, 4.0, 2)
    assert play.rate(play.bob, tie, trust=4) == []
    play.phase("locked")
    unchanged(play, {"type": "tie.rate", "tie": tie, "value": 1}, who=play.bob)


# Deleting and merging -------------------------------------------------------------------------------

def _middle(points):
    return tuple(map(float, points.split()[1].split(",")))


def test_ties_of_several_types_between_two_actors_are_drawn_apart_and_a_lone_tie_straight():
    from server import render
    play = Map()
    caf, ml, cs = (play.actor(play.alice, n, at=at) for n, at in (("CAF", (0.2, 0.2)), ("Mission locale", (0.8, 0.2)),
                                                                   ("Centre social", (0.2, 0.8))))
    funds = play.tie(play.alice, caf, ml, "financement")
    talks = play.tie(play.bob, ml, caf, "échange d'information", direction="both")
    alone = play.tie(play.bob, caf, cs, "financement")
    data = play.data
    slots = data.slots()
    assert slots == {funds: -0.5, talks: 0.5, alone: 0}
    lines = {t: _middle(data.points(data.ties[t], slots[t])) for t in (funds, talks, alone)}
    assert lines[alone] == (20.0, 50.0)
    # Both sit on the perpendicular through the middle, one each side, BEND apart; whichever way
    # each was drawn.
    (x1, y1), (x2, y2) = lines[funds], lines[talks]
    assert x1 == x2 == 50.0 and y1 < 20 < y2
    assert (y2 - y1, (y1 + y2) / 2) == pytest.approx((BEND, 20), abs=0.15)
    # Every view draws them so, and a tie added later moves its sibling aside on the wire too.
    for view in ("participant", "facilitator", "screen"):
        page = render.frame(play.ws, view, "fr", play.alice)
        drawn = dict(re.findall(r'<polyline id="tie-(t\d+)"[^>]*points="([^"]+)"', page))
        assert len({drawn[funds], drawn[talks], drawn[alone]}) == 3
    events = play.act(play.alice, {"type": "tie.add", "source": caf, "target": ml, "category": "projet commun",
                                   "strength": 2, "direction": "both"})
    wire = render.changes(play.ws, events, "screen", "fr")
    drawn = dict(re.findall(r'<polyline id="tie-(t\d+)"[^>]*points="([^"]+)"', wire))
    assert set(drawn) == {funds, talks, events[0]["tie"]} and len(set(drawn.values())) == 3
    assert _middle(drawn[events[0]["tie"]]) == (50.0, 20.0)


def test_a_removed_participant_s_ratings_leave_the_ties_and_the_map_redraws_them():
    from server import render
    play = Map()
    caf, ml = (play.actor(play.alice, n, at=at) for n, at in (("CAF", (0.2, 0.2)), ("Mission locale", (0.8, 0.2))))
    tie = play.tie(play.alice, caf, ml)
    play.phase("rate")
    play.rate(play.alice, tie, trust=4, value=3)
    play.rate(play.bob, tie, trust=1, value=1)
    assert play.data.ties[tie].summary == "2.5 2 2 2 2"
    removed = play.do(rules.decide(play.ws, Actor(play.host, FACILITATOR),
                                   parse({"type": "participant.remove", "participant": play.bob})))[0]
    assert play.data.ties[tie].summary == "4 1 3 1 1"
    assert "participant.removed" in stakeholders.PEOPLE_EVENTS
    delta = render.env("fr").get_template("boards/stakeholders.html").module.delta
    for view in ("participant", "facilitator", "screen"):
        out = str(delta(play.ws, play.ws.boards[B], removed, view))
        assert f'<i id="tie-{tie}" hx-swap-oob="delete">' in out
        assert re.search(rf'<polyline id="tie-{tie}" class="s2 q4 d k2"[^>]*data-q="4 1 3 1 1"', out)
    assert replay("w1", play.log).boards[B].data == play.data


def test_deleting_an_actor_removes_its_ties_in_the_same_event():
    play = Map()
    a, b, c = (play.actor(play.alice, n) for n in ("Mission locale", "CAF", "Mairie"))
    t1, t2 = play.tie(play.alice, a, b), play.tie(play.bob, c, a)
    kept = play.tie(play.bob, b, c)
    play.act(play.alice, {"type": "actor.own", "actor": a})
    # Alice added the actor: she may delete it, ties drawn by others included.
    event = play.act(play.alice, {"type": "actor.delete", "actor": a})[0]
    assert event["type"] == "actor.removed" and sorted(event["dropped"]) == sorted([t1, t2])
    assert set(play.data.ties) == {kept} and a not in play.data.actors
    assert play.data.claims == {}
    unchanged(play, {"type": "actor.delete", "actor": a})


def test_the_facilitator_may_reassign_the_ties_of_a_deleted_actor():
    play = Map()
    a, b, c = (play.actor(play.alice, n) for n in ("Pôle emploi", "France Travail", "CAF"))
    tie = play.tie(play.alice, a, c)
    loop = play.tie(play.alice, a, b)
    unchanged(play, {"type": "actor.delete", "actor": a, "into": b})
    unchanged(play, {"type": "actor.delete", "actor": a, "into": a}, who=play.host)
    play.act(play.host, {"type": "actor.delete", "actor": a, "into": b})
    assert (play.data.ties[tie].source, play.data.ties[tie].target) == (b, c)
    assert loop not in play.data.ties


def test_merging_moves_ties_and_ratings_to_the_survivor():
    play = Map()
    keep, gone, caf, mairie = (play.actor(play.alice, n, anyway=True) for n in ("Mission locale", "mission  locale", "CAF", "Mairie"))
    kept_tie = play.tie(play.alice, keep, caf, "projet commun", 1, "one")       # keep -> caf
    twin = play.tie(play.bob, caf, gone, "projet commun", 3, "one")             # caf -> gone: opposite way
    moved = play.tie(play.bob, gone, mairie, "financement", 2, "one")
    loop = play.tie(play.bob, gone, keep, "échange d'information", 2, "both")
    play.phase("rate")
    play.rate(play.alice, kept_tie, trust=4, value=1)
    play.rate(play.alice, twin, trust=2)        # later than her rating of the kept tie: it wins
    play.rate(play.bob, twin, value=3)
    play.rate(play.bob, loop, trust=1)
    play.act(play.alice, {"type": "actor.own", "actor": gone})
    unchanged(play, {"type": "actor.merge", "actor": gone, "into": keep})
    unchanged(play, {"type": "actor.merge", "actor": keep, "into": keep}, who=play.host)
    event = play.act(play.host, {"type": "actor.merge", "actor": gone, "into": keep})[0]
    assert event["rewired"] == [moved] and event["dropped"] == [loop]
    assert event["combined"] == [{"tie": twin, "into": kept_tie, "strength": 3, "directed": False}]
    assert set(play.data.ties) == {kept_tie, moved} and gone not in play.data.actors
    survivor = play.data.ties[kept_tie]
    assert (survivor.strength, survivor.directed) == (3, False)
    assert {p: s for p, (s, _) in survivor.trust.items()} == {play.alice: 2}
    assert {p: s for p, (s, _) in survivor.value.items()} == {play.alice: 1, play.bob: 3}
    assert play.data.ties[moved].source == keep
    assert play.data.claims == {play.alice: keep}
    assert {a["id"]: a["own"] for a in play.snapshot()["actors"]}[keep] is True
    assert replay("w1", play.log).boards[B].data == play.data


def test_merging_keeps_a_one_way_tie_when_both_records_run_the_same_way():
    play = Map()
    keep, gone, caf = (play.actor(play.alice, n, anyway=True) for n in ("CCAS", "C.C.A.S.", "CAF"))
    kept = play.tie(play.alice, keep, caf, strength=2)
    play.tie(play.alice, gone, caf, strength=1)
    play.act(play.host, {"type": "actor.merge", "actor": gone, "into": keep})
    assert (play.data.ties[kept].strength, play.data.ties[kept].directed) == (2, True)


def test_brake_and_lever_cards_follow_a_merged_actor_to_the_one_kept_without_duplicates():
    play = Map()
    keep, gone, caf = (play.actor(play.alice, n, anyway=True) for n in ("Mission locale", "Mission Locale", "CAF"))
    play.do([{"type": "board.added", "board": "b9", "kind": "levers", "title": "Freins et leviers"}])

    def card(text, actors):
        message = {"type": "card.add", "board": "b9", "side": "frein", "category": "confiance", "text": text,
                   "actors": actors}
        return play.do(rules.decide(play.ws, Actor(play.alice, PARTICIPANT), parse(message)))[0]["card"]

    both = card("Les deux se renvoient les jeunes", [gone, caf, keep])
    only_gone = card("La Mission Locale ne rappelle pas", [gone])
    play.act(play.host, {"type": "actor.merge", "actor": gone, "into": keep})
    cards = play.ws.boards["b9"].data.cards
    assert cards[both].actors == [caf, keep]
    assert cards[only_gone].actors == [keep]
    play.act(play.host, {"type": "board.phase", "board": "b9", "phase": "reveal"})
    assert [c["actors"] for c in levers.freeze(play.ws.boards["b9"])["levers"]] == [[caf, keep], [keep]]
    # A plain deletion takes the actor off the cards that named it.
    play.act(play.host, {"type": "actor.delete", "actor": caf})
    assert cards[both].actors == [keep]
    assert replay("w1", play.log).boards["b9"].data == play.ws.boards["b9"].data


def test_likely_duplicates_ignore_case_accents_spacing_and_punctuation():
    play = Map()
    for name in ("Mission locale", "mission  locale", "MISSION-LOCALE", "Centre social", "Centre sociale", "Œuvre"):
        play.actor(play.alice, name, anyway=True)
    groups = [[a.name for a in group] for group in play.data.duplicates()]
    assert groups == [["MISSION-LOCALE", "Mission locale", "mission locale"]]
    assert normalise("  L'Œuvre  d’Émile ") == normalise("l oeuvre d emile")


# Claims, types, import, snapshot ------------------------------------------------------------------

def test_each_participant_names_one_actor_as_their_organisation():
    play = Map()
    a, b = play.actor(play.alice, "Mairie"), play.actor(play.alice, "CAF")
    play.act(play.alice, {"type": "actor.own", "actor": a})
    play.act(play.alice, {"type": "actor.own", "actor": b})
    play.act(play.bob, {"type": "actor.own", "actor": b})
    assert play.data.claims == {play.alice: b, play.bob: b}
    play.act(play.bob, {"type": "actor.own", "actor": ""})
    assert play.data.claims == {play.alice: b}
    assert [a["own"] for a in play.snapshot()["actors"]] == [False, True]


def test_type_lists_are_edited_by_the_facilitator_and_keep_the_types_in_use():
    play = Map()
    play.actor(play.alice, "CAF", "institution publique")
    message = {"type": "map.types", "list": "actor", "names": "association\nautre"}
    unchanged(play, message, who=play.alice)
    unchanged(play, message, who=play.host)
    unchanged(play, {**message, "names": "institution publique\nAssociation\nassociation"}, who=play.host)
    unchanged(play, {**message, "names": " \n \n"}, who=play.host)
    unchanged(play, {**message, "names": "\n".join(f"type {n}" for n in range(31))}, who=play.host)
    play.act(play.host, {**message, "names": "institution publique\n  association  de  quartier \nautre"})
    assert play.data.actor_types == ["institution publique", "association de quartier", "autre"]
    play.actor(play.alice, "Les jardins", "association de quartier")
    play.act(play.host, {"type": "map.types", "list": "tie", "names": "voisinage\nprojet commun"})
    a, b = list(play.data.actors)
    play.tie(play.alice, a, b, "voisinage")
    assert play.snapshot()["tie_types"] == ["voisinage", "projet commun"]


def test_an_import_adds_new_names_only_all_or_nothing():
    play = Map()
    play.actor(play.alice, "Mission locale")
    host = Actor(play.host, FACILITATOR)
    rows = [ImportRow(2, "CAF", "institution publique"), ImportRow(3, "mission  LOCALE", "association"),
            ImportRow(4, "Régie de quartier", "association"), ImportRow(5, "caf", "autre")]
    with pytest.raises(Rejected):
        stakeholders.decide_import(play.ws, B, Actor(play.alice, PARTICIPANT), rows)
    with pytest.raises(Rejected):
        stakeholders.decide_import(play.ws, B, Actor(play.alice, FACILITATOR), rows)
    with pytest.raises(Rejected, match="type"):
        stakeholders.decide_import(play.ws, B, host, rows + [ImportRow(6, "Club", "club")])
    assert len(play.data.actors) == 1
    events, skipped = stakeholders.decide_import(play.ws, B, host, rows)
    assert [row.line for row in skipped] == [3, 5]
    play.do(events)
    assert sorted(a.name for a in play.data.actors.values()) == ["CAF", "Mission locale", "Régie de quartier"]
    assert len(set(play.data.actors)) == 3 and all(i.isalnum() for i in play.data.actors)
    assert stakeholders.decide_import(play.ws, B, host, rows) == ([], rows)


def test_the_snapshot_keeps_no_identity():
    play = Map()
    a, b = play.actor(play.alice, "Mairie", at=(0.1, 0.1)), play.actor(play.bob, "CAF")
    tie = play.tie(play.alice, a, b)
    play.phase("rate")
    play.rate(play.bob, tie, trust=3)
    play.act(play.bob, {"type": "actor.own", "actor": b})
    text = repr(play.snapshot())
    for person in (play.alice, play.bob, "Alice", "Bob"):
        assert f"'{person}'" not in text


# Whatever happens, the map stays a graph whose ties join existing actors ---------------------------

ACTIONS = st.sampled_from(["add", "move", "tie", "delete", "merge", "reassign", "rate", "edit_tie", "phase"])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["alice", "bob", "host"]), ACTIONS, st.integers(0, 9),
                          st.integers(0, 9), st.integers(-1, 5)), max_size=40))
def test_any_sequence_keeps_ties_between_existing_actors_and_replays(steps):
    play = Map()
    people = {"alice": play.alice, "bob": play.bob, "host": play.host}
    types = play.data.tie_types
    for who, verb, i, j, k in steps:
        actors, ties = list(play.data.actors), list(play.data.ties)
        pick = lambda items, n: items[n % len(items)] if items else "a1"
        message = {
            "add": {"type": "actor.add", "name": f"Acteur {i}", "category": "autre"},
            "move": {"type": "actor.move", "actor": pick(actors, i), "x": k / 4, "y": j / 9},
            "tie": {"type": "tie.add", "source": pick(actors, i), "target": pick(actors, j),
                    "category": types[k % len(types)], "strength": k, "direction": "one" if i % 2 else "both"},
            "delete": {"type": "actor.delete", "actor": pick(actors, i)},
            "merge": {"type": "actor.merge", "actor": pick(actors, i), "into": pick(actors, j)},
            "reassign": {"type": "actor.delete", "actor": pick(actors, i), "into": pick(actors, j)},
            "rate": {"type": "tie.rate", "tie": pick(ties, i), "trust": k, "value": j % 4 + 1},
            "edit_tie": {"type": "tie.edit", "tie": pick(ties, i), "strength": k, "direction": "one"},
            "phase": {"type": "board.phase", "phase": ("map", "rate", "locked")[i % 3]},
        }[verb]
        before = repr(play.data)
        try:
            play.act(people[who], message)
        except (InvalidAction, Rejected):
            assert repr(play.data) == before
        data = play.data
        seen = set()
        for tie in data.ties.values():
            assert tie.source in data.actors and tie.target in data.actors and tie.source != tie.target
            key = (frozenset((tie.source, tie.target)), tie.category)
            assert key not in seen
            seen.add(key)
            assert 1 <= tie.strength <= 3
            assert all(1 <= s <= 4 for s, _ in list(tie.trust.values()) + list(tie.value.values()))
        assert set(data.claims.values()) <= set(data.actors)
        for actor in data.actors.values():
            assert actor.x is None or (0 <= actor.x <= 1 and 0 <= actor.y <= 1)
    frozen = play.snapshot()
    assert all(t["trust"] is None or (1 <= t["trust"] <= 4 and not math.isnan(t["trust"])) for t in frozen["ties"])
    assert replay("w1", play.log).boards[B].data == play.data


# What each change sends to the screens ----------------------------------------------------------

def test_every_change_renders_as_small_fragments_for_every_view():
    from server import render

    play = Map()
    play.ws.current_board = B
    a, b = play.actor(play.alice, "Mission locale", at=(0.2, 0.2)), play.actor(play.alice, "mission locale", anyway=True)
    c = play.actor(play.bob, "CAF")
    tie = play.tie(play.alice, a, c)
    steps = [
        (play.alice, {"type": "actor.edit", "actor": b, "name": "Mission Locale", "category": "association"}),
        (play.bob, {"type": "actor.move", "actor": c, "x": 0.7, "y": 0.6}),
        (play.bob, {"type": "actor.own", "actor": c}),
        (play.alice, {"type": "tie.edit", "tie": tie, "strength": 3, "direction": "both"}),
        (play.host, {"type": "tie.rate", "tie": tie, "trust": 2}),
        (play.host, {"type": "actor.merge", "actor": b, "into": a}),
        (play.alice, {"type": "tie.delete", "tie": tie}),
        (play.host, {"type": "map.layout", "layout": "circles"}),
        (play.host, {"type": "map.types", "list": "tie", "names": "projet commun\nvoisinage"}),
    ]
    for who, message in steps:
        events = play.act(who, message)
        for view in ("participant", "facilitator", "screen"):
            html = render.changes(play.ws, events, view, "fr")
            whole = f'id="sh-{B}"' in html
            assert whole == (message["type"] in ("map.layout", "map.types")), (message, view)
            if not whole:
                assert 0 < len(html) < 2500, (message, view, len(html))
            if view == "screen":
                assert "data-by" not in html and "data-own" not in html
    assert 'class="sh-a t9 own"' in render.changes(
        play.ws, play.act(play.host, {"type": "actor.edit", "actor": c, "name": "CAF 93", "category": "autre"}),
        "screen", "fr")
