"""The indicator framework board, without a server: budgets, ratings, statistics, waves."""

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from boards import indicators, rules
from boards.indicators import library as indicator_library
from boards.indicators import stats
from boards.actions import parse
from boards.errors import InvalidAction, Rejected
from boards.i18n import FIELD_LABELS
from boards.model import FACILITATOR, PARTICIPANT, Actor
from boards.state import apply, replay

LIBRARY = indicator_library.parse_json(
    (Path(__file__).resolve().parent.parent / "boards" / "data" / "indicators.json").read_text("utf-8"))


class Room:
    """A workshop folded in memory with one indicators board "b2", events numbered as the store would."""

    def __init__(self, workshop_id="w1", territory="QPV des Tilleuls", created_at="2026-01-10T09:00:00+00:00",
                 library=LIBRARY, previous=None):
        self.log = []
        self.ws = replay(workshop_id, [])
        self.do(rules.create_workshop(workshop_id, "Atelier", territory, "ABC234"), at=created_at)
        self.do([{"type": "board.added", "board": "b2", "kind": "indicators", "title": "Référentiel"}])
        self.host = self.do(rules.join(self.ws, "Animation", role=FACILITATOR))[0]["participant"]
        self.alice = self.do(rules.join(self.ws, "Alice"))[0]["participant"]
        self.bob = self.do(rules.join(self.ws, "Bob"))[0]["participant"]
        if library is not None:
            self.seed(library, previous)

    @property
    def data(self):
        return self.ws.boards["b2"].data

    def do(self, events, at=""):
        for event in events:
            event = {**event, "seq": self.ws.seq + 1, "at": at}
            apply(self.ws, event)
            self.log.append(event)
        return events

    def act(self, who, message, role=None):
        role = role or (FACILITATOR if who == self.host else PARTICIPANT)
        return self.do(rules.decide(self.ws, Actor(who, role), parse({"board": "b2", **message})))

    def seed(self, library, previous=None):
        action = indicators.Seed("b2", tuple(library), previous)
        return self.do(rules.decide(self.ws, Actor(self.host, FACILITATOR), action))

    def phase(self, phase):
        self.act(self.host, {"type": "board.phase", "phase": phase})

    def adopt(self, *ids):
        for key in ids:
            self.act(self.host, {"type": "indicator.choose", "indicator": key, "chosen": True})
        return self.act(self.host, {"type": "indicators.publish"})


def refused(room, who, message, match=None):
    """Asserts the action is refused and that nothing at all changed."""
    before = (room.ws.seq, indicators.freeze(room.ws.boards["b2"]), json.dumps(room.data.allocations),
              json.dumps(room.data.ratings))
    with pytest.raises((Rejected, InvalidAction), match=match):
        room.act(who, message)
    assert before == (room.ws.seq, indicators.freeze(room.ws.boards["b2"]), json.dumps(room.data.allocations),
                      json.dumps(room.data.ratings))


# Seeding and proposals ---------------------------------------------------------

def test_board_starts_from_the_library_grouped_by_dimension():
    room = Room()
    assert [i.id for i in room.data.candidates()] == [item["id"] for item in LIBRARY]
    assert room.data.dimension_names() == indicator_library.dimensions(LIBRARY)
    assert all(i.common and not i.chosen for i in room.data.candidates())
    # Replaying the log gives the same board: the seed event carries the library.
    again = replay("w1", room.log)
    assert indicators.freeze(again.boards["b2"]) == indicators.freeze(room.ws.boards["b2"])


def test_the_seed_action_cannot_come_from_a_socket():
    with pytest.raises(InvalidAction, match="inconnu"):
        parse({"type": "indicators.seed", "board": "b2", "library": [], "previous": None})


def test_a_participant_proposes_edits_and_withdraws_their_own_indicator():
    room = Room()
    event = room.act(room.alice, {"type": "indicator.propose", "name": "Jeunes reçus à la Mission locale",
                                  "definition": "", "measure": "Relevé mensuel", "data_source": "Mission locale",
                                  "dimension": "Effets pour les personnes"})[0]
    key = event["indicator"]
    assert key.startswith("Tw1n") and room.data.indicators[key].author == room.alice
    assert room.data.indicators[key].source == "Mission locale" and room.data.indicators[key].measure
    refused(room, room.bob, {"type": "indicator.edit", "indicator": key, "name": "Pris"}, "vos propres")
    room.act(room.alice, {"type": "indicator.edit", "indicator": key, "name": "Jeunes accueillis"})
    assert room.data.indicators[key].name == "Jeunes accueillis"
    assert room.data.indicators[key].dimension == ""
    refused(room, room.alice, {"type": "indicator.edit", "indicator": "inter1", "name": "Autre"}, "bibliothèque")
    room.act(room.alice, {"type": "indicator.withdraw", "indicator": key})
    assert key not in room.data.indicators


def test_bad_proposals_are_refused_and_change_nothing():
    room = Room()
    refused(room, room.alice, {"type": "indicator.propose", "name": "   "}, "vide")
    refused(room, room.alice, {"type": "indicator.propose", "name": "x" * 121}, "120")
    refused(room, room.alice, {"type": "indicator.propose", "name": "Nouveau", "dimension": "Inventée"}, "dimension")
    refused(room, room.alice, {"type": "indicator.propose", "name": "acteurs  ISOLÉS"}, "déjà ce nom")
    refused(room, room.alice, {"type": "indicator.propose", "name": "Nouveau", "couleur": "rouge"}, "inattendu")
    with pytest.raises(InvalidAction) as caught:
        room.act(room.alice, {"type": "indicator.propose", "name": "Nouveau", "data_source": "x" * 301})
    assert FIELD_LABELS[caught.value.params["field"]] == "d'où viennent les données"
    room.phase("prioritise")
    refused(room, room.alice, {"type": "indicator.propose", "name": "Trop tard"}, "closes")
    # The facilitator may still add one, e.g. to merge two proposals.
    room.act(room.host, {"type": "indicator.propose", "name": "Fusion de deux propositions"})


def test_participants_cannot_steer_the_board():
    room = Room()
    for message in ({"type": "indicator.hide", "indicator": "inter1", "hidden": True},
                    {"type": "indicator.choose", "indicator": "inter1", "chosen": True},
                    {"type": "indicators.publish"},
                    {"type": "indicators.mode", "mode": "points"}):
        refused(room, room.alice, message, "animation")
    with pytest.raises(Rejected, match="animation"):
        room.do(rules.decide(room.ws, Actor(room.alice, PARTICIPANT), indicators.Seed("b2", tuple(LIBRARY))))


# Allocation budgets --------------------------------------------------------------

def test_dots_never_exceed_the_budget():
    room = Room()
    room.act(room.host, {"type": "indicators.mode", "mode": "dots", "budget": "3"})
    refused(room, room.alice, {"type": "indicator.dot", "indicator": "inter1", "add": True}, "pas ouverte")
    room.phase("prioritise")
    for key in ("inter1", "inter1", "coord2"):
        room.act(room.alice, {"type": "indicator.dot", "indicator": key, "add": "true"})
    assert room.data.allocations[room.alice] == {"inter1": 2, "coord2": 1}
    refused(room, room.alice, {"type": "indicator.dot", "indicator": "hab1", "add": True}, "toutes vos gommettes")
    room.act(room.alice, {"type": "indicator.dot", "indicator": "inter1", "add": False})
    room.act(room.alice, {"type": "indicator.dot", "indicator": "hab1", "add": True})
    assert room.data.spent(room.alice) == 3
    refused(room, room.alice, {"type": "indicator.dot", "indicator": "effet1", "add": False}, "pas de gommette")
    refused(room, room.alice, {"type": "indicator.dot", "indicator": "nexiste", "add": True}, "n'existe pas")
    refused(room, room.host, {"type": "indicators.mode", "mode": "dots", "budget": 21}, "entre 1 et 20")


def test_a_hundred_points_are_set_at_once_and_never_exceeded():
    room = Room()
    room.act(room.host, {"type": "indicators.mode", "mode": "points"})
    room.phase("prioritise")
    refused(room, room.alice, {"type": "indicator.dot", "indicator": "inter1", "add": True}, "100 points")
    # As a form sends it: parallel lists of strings, an empty box meaning zero.
    room.act(room.alice, {"type": "indicators.allocate", "indicator": ["inter1", "coord2", "hab1"],
                          "points": ["60", "", "40"]})
    assert room.data.allocations[room.alice] == {"inter1": 60, "hab1": 40}
    refused(room, room.alice, {"type": "indicators.allocate", "indicator": ["inter1", "coord2"],
                               "points": [60, 41]}, "101 points pour 100")
    refused(room, room.alice, {"type": "indicators.allocate", "indicator": ["inter1", "inter1"],
                               "points": [10, 10]}, "deux fois")
    refused(room, room.alice, {"type": "indicators.allocate", "indicator": ["inter1"], "points": [10, 10]},
            "incomplète")
    refused(room, room.alice, {"type": "indicators.allocate", "indicator": "inter1", "points": "-5"}, "entre 0")
    refused(room, room.alice, {"type": "indicators.allocate", "indicator": "inter1", "points": "101"}, "entre 0")
    # A new allocation replaces the previous one entirely.
    room.act(room.alice, {"type": "indicators.allocate", "indicator": "coord2", "points": "100"})
    assert room.data.allocations[room.alice] == {"coord2": 100}
    assert room.act(room.alice, {"type": "indicators.allocate", "indicator": "coord2", "points": 100}) == []


def test_changing_the_mode_starts_everyone_over():
    room = Room()
    room.phase("prioritise")
    room.act(room.alice, {"type": "indicator.dot", "indicator": "inter1", "add": True})
    room.act(room.host, {"type": "indicators.mode", "mode": "dots", "budget": 1})
    assert room.data.allocations == {} and room.data.budget_total == 1


def test_hiding_an_indicator_gives_its_dots_back():
    room = Room()
    room.phase("prioritise")
    room.act(room.alice, {"type": "indicator.dot", "indicator": "inter1", "add": True})
    room.act(room.alice, {"type": "indicator.dot", "indicator": "coord1", "add": True})
    room.act(room.host, {"type": "indicator.hide", "indicator": "inter1", "hidden": True})
    assert room.data.allocations[room.alice] == {"coord1": 1}
    assert "inter1" not in [i.id for i in room.data.candidates()]
    refused(room, room.alice, {"type": "indicator.dot", "indicator": "inter1", "add": True}, "n'existe pas")


ACTIONS = st.one_of(
    st.tuples(st.just("dot"), st.sampled_from(["alice", "bob"]), st.sampled_from(["inter1", "coord1", "hab2"]),
              st.booleans()),
    st.tuples(st.just("allocate"), st.sampled_from(["alice", "bob"]),
              st.lists(st.sampled_from(["inter1", "coord1", "hab2", "effet5"]), max_size=4),
              st.lists(st.integers(0, 120), min_size=4, max_size=4)),
    st.tuples(st.just("mode"), st.sampled_from(["dots", "points"]), st.integers(1, 20)),
    st.tuples(st.just("hide"), st.sampled_from(["inter1", "coord1"]), st.booleans()),
    st.tuples(st.just("remove"), st.sampled_from(["alice", "bob"])),
)


def remove(room, participant):
    room.do(rules.decide(room.ws, Actor(room.host, FACILITATOR),
                         parse({"type": "participant.remove", "participant": participant})))


def kept_sums(data):
    return (data.totals, data.support, data.completes, data.tallies, data.rater_count)


def assert_sums_kept(data):
    """The sums kept action by action are those of the allocations and ratings themselves."""
    kept = kept_sums(data)
    fresh = copy.deepcopy(data)
    fresh.recount()
    assert kept == kept_sums(fresh)
    for key in data.indicators:
        assert data.priority(key) == sum(a.get(key, 0) for a in data.allocations.values())
        assert data.supporters(key) == sum(1 for a in data.allocations.values() if a.get(key))
        assert data.tally(key) == stats.counts(r[key] for r in data.ratings.values() if key in r)
    assert data.complete() == sum(1 for a in data.allocations.values() if sum(a.values()) >= data.budget_total)
    assert data.raters() == sum(1 for r in data.ratings.values() if r)


@settings(max_examples=60, deadline=None)
@given(st.lists(ACTIONS, max_size=30))
def test_no_sequence_of_actions_overspends_a_budget(steps):
    room = Room()
    room.phase("prioritise")
    for step in steps:
        try:
            if step[0] == "dot":
                room.act(getattr(room, step[1]), {"type": "indicator.dot", "indicator": step[2], "add": step[3]})
            elif step[0] == "allocate":
                keys = step[2]
                room.act(getattr(room, step[1]), {"type": "indicators.allocate", "indicator": keys,
                                                  "points": step[3][:len(keys)]})
            elif step[0] == "mode":
                room.act(room.host, {"type": "indicators.mode", "mode": step[1], "budget": step[2]})
            elif step[0] == "remove":
                remove(room, getattr(room, step[1]))
            else:
                room.act(room.host, {"type": "indicator.hide", "indicator": step[1], "hidden": step[2]})
        except (Rejected, InvalidAction):
            pass
        for owner in room.data.allocations:
            assert 0 < room.data.spent(owner) <= room.data.budget_total
            assert all(room.data.visible(key) for key in room.data.allocations[owner])
        assert_sums_kept(room.data)
    again = replay("w1", room.log).boards["b2"].data
    assert again.allocations == room.data.allocations
    assert kept_sums(again) == kept_sums(room.data)


def test_whole_allocations_are_counted_as_people_place_move_and_lose_them():
    room = Room()
    room.phase("prioritise")
    room.act(room.alice, {"type": "indicators.allocate", "indicator": ["inter1", "coord1"], "points": [3, 2]})
    room.act(room.bob, {"type": "indicators.allocate", "indicator": ["inter1"], "points": [4]})
    assert (room.data.complete(), room.data.allocators(), room.data.priority("inter1")) == (1, 2, 7)
    room.act(room.bob, {"type": "indicator.dot", "indicator": "hab2", "add": True})
    assert room.data.complete() == 2 and room.data.supporters("inter1") == 2
    room.act(room.host, {"type": "indicator.hide", "indicator": "coord1", "hidden": True})
    assert (room.data.complete(), room.data.priority("coord1")) == (1, 0)
    remove(room, room.bob)
    assert (room.data.complete(), room.data.allocators(), room.data.priority("inter1")) == (0, 1, 3)
    assert_sums_kept(room.data)


RATINGS = st.lists(st.one_of(
    st.tuples(st.just("rate"), st.sampled_from(["alice", "bob", "carol"]), st.sampled_from(["inter1", "coord2"]),
              st.sampled_from(list(stats.VALUES))),
    st.tuples(st.just("remove"), st.sampled_from(["alice", "bob", "carol"])),
), max_size=25)


@settings(max_examples=60, deadline=None)
@given(RATINGS)
def test_the_baromètre_counts_every_answer_once_whatever_the_sequence(steps):
    room = Room()
    room.carol = room.do(rules.join(room.ws, "Carol"))[0]["participant"]
    room.adopt("inter1", "coord2")
    room.phase("rate")
    for step in steps:
        try:
            if step[0] == "rate":
                room.act(getattr(room, step[1]), {"type": "indicator.rate", "indicator": step[2], "value": step[3]})
            else:
                remove(room, getattr(room, step[1]))
        except (Rejected, InvalidAction):
            pass
        assert_sums_kept(room.data)
    assert kept_sums(replay("w1", room.log).boards["b2"].data) == kept_sums(room.data)


def test_ranking_sums_everyone_and_keeps_library_order_on_ties():
    room = Room()
    room.phase("prioritise")
    for who, key in ((room.alice, "hab1"), (room.bob, "hab1"), (room.bob, "coord3"), (room.alice, "inter2")):
        room.act(who, {"type": "indicator.dot", "indicator": key, "add": True})
    ranking = room.data.ranking()
    assert [i.id for i in ranking[:3]] == ["hab1", "inter2", "coord3"]
    assert room.data.priority("hab1") == 2 and room.data.supporters("hab1") == 2
    assert room.data.allocators() == 2


# Framework and baromètre ---------------------------------------------------------

def test_framework_versions_are_numbered_and_only_its_indicators_are_rated():
    room = Room()
    refused(room, room.host, {"type": "indicators.publish"}, "au moins un")
    room.adopt("inter1", "coord2")
    assert room.data.version() == 1 and room.data.framework_ids() == ("inter1", "coord2")
    refused(room, room.host, {"type": "indicators.publish"}, "déjà adopté")
    room.adopt("hab3")
    assert room.data.version() == 2 and room.data.framework_ids() == ("inter1", "coord2", "hab3")
    refused(room, room.host, {"type": "indicator.hide", "indicator": "hab3", "hidden": True}, "référentiel adopté")
    refused(room, room.alice, {"type": "indicator.rate", "indicator": "inter1", "value": "3"}, "pas ouvert")
    room.phase("rate")
    refused(room, room.alice, {"type": "indicator.rate", "indicator": "effet1", "value": "3"}, "ne fait pas partie")
    room.act(room.alice, {"type": "indicator.rate", "indicator": "inter1", "value": "3"})
    assert room.data.rating(room.alice, "inter1") == "3"


def test_a_new_rating_replaces_the_old_one():
    room = Room()
    room.adopt("inter1")
    room.phase("rate")
    room.act(room.alice, {"type": "indicator.rate", "indicator": "inter1", "value": "2"})
    room.act(room.alice, {"type": "indicator.rate", "indicator": "inter1", "value": 4})
    room.act(room.bob, {"type": "indicator.rate", "indicator": "inter1", "value": "dk"})
    assert room.data.tally("inter1") == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0, "dk": 1}
    # The same answer again is acknowledged without a new event.
    assert room.act(room.alice, {"type": "indicator.rate", "indicator": "inter1", "value": "4"}) == []
    for bad in ("6", "0", 3.5, True, "", "3 "):
        refused(room, room.alice, {"type": "indicator.rate", "indicator": "inter1", "value": bad}, "Réponse")


def test_distribution_median_and_disagreement():
    assert stats.counts(["1", "5", "dk", "5"]) == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 2, "dk": 1}
    same = stats.counts(["3"] * 6)
    assert stats.median(same) == 3 and stats.disagreement(same) == 0
    split = stats.counts(["1"] * 4 + ["5"] * 4 + ["dk"] * 3)
    assert stats.disagreement(split) == 1 and stats.median(split) == 3
    assert stats.disagreement(stats.counts(list("12345"))) == pytest.approx(0.6)
    assert stats.disagreement(stats.counts(["3", "4"])) == pytest.approx(0.25)
    assert stats.disagreement(stats.counts(["2", "4"])) == pytest.approx(0.5)
    assert stats.median(stats.counts(["1", "2", "4", "5", "dk", "dk", "dk"])) == 3
    assert stats.median(stats.counts(["2", "2", "4"])) == 2
    only_unsure = stats.counts(["dk", "dk"])
    assert stats.median(only_unsure) is None and stats.disagreement(only_unsure) is None
    assert stats.summary(only_unsure)["unsure"] and not stats.summary(only_unsure)["cue"]
    summaries = {"a": stats.summary(stats.counts(["2", "4"])), "b": stats.summary(stats.counts(["1", "5", "5"])),
                 "c": stats.summary(stats.counts(["3", "3", "4"])), "d": stats.summary(stats.counts(["1"]))}
    assert stats.cues(summaries) == ["b", "a"]


def test_histogram_bars_compare_shares_between_waves():
    now = stats.counts(["1", "1", "2", "dk"])
    before = stats.counts(["1"] * 2 + ["5"] * 8)
    bars = {bar["value"]: bar for bar in stats.bars(now, before)}
    assert bars["5"]["before_height"] == 100 and bars["1"]["height"] == round(100 * 0.5 / 0.8)
    assert bars["dk"]["percent"] == 25 and bars["5"]["count"] == 0
    assert [bar["height"] for bar in stats.bars(stats.counts([]))] == [0] * 6


def test_the_room_disagreeing_most_is_flagged_on_the_board():
    room = Room()
    room.adopt("inter1", "coord1")
    room.phase("rate")
    for who, key, value in ((room.alice, "inter1", "1"), (room.bob, "inter1", "5"),
                            (room.alice, "coord1", "3"), (room.bob, "coord1", "3")):
        room.act(who, {"type": "indicator.rate", "indicator": key, "value": value})
    assert room.data.cues() == ["inter1"]
    frozen = {item["id"]: item for item in indicators.freeze(room.ws.boards["b2"])["indicators"]}
    assert frozen["inter1"]["disagreement"] == 1 and frozen["coord1"]["median"] == 3
    assert frozen["inter1"]["chosen"] and not frozen["hab1"]["chosen"]


# Waves -------------------------------------------------------------------------------

def first_wave():
    room = Room()
    own = room.act(room.alice, {"type": "indicator.propose", "name": "Permanences communes au centre social",
                                "dimension": "Projets co-portés"})[0]["indicator"]
    room.adopt("inter1", own)
    room.adopt("coord2")
    room.phase("rate")
    for who, key, value in ((room.alice, "inter1", "2"), (room.bob, "inter1", "3"), (room.alice, own, "dk")):
        room.act(who, {"type": "indicator.rate", "indicator": key, "value": value})
    return room, own


def test_a_later_workshop_of_the_territory_starts_from_the_adopted_framework():
    first, own = first_wave()
    other_place = Room("w9", territory="QPV des Érables", created_at="2026-02-01T09:00:00+00:00")
    other_place.adopt("hab1")
    later = Room("w2", territory="  qpv des TILLEULS ", created_at="2026-06-01T09:00:00+00:00", library=None)
    found = indicators.previous_wave([first.ws, other_place.ws, later.ws], later.ws)
    assert found["workshop"] == "w1" and found["version"] == 2 and found["wave"] == 1
    # In the board's order: the library first, then the territory's own.
    assert [i["id"] for i in found["indicators"]] == ["inter1", "coord2", own]
    later.seed(LIBRARY, found)
    data = later.data
    assert data.wave == 2 and data.version() == 2
    assert data.framework_ids() == ("inter1", "coord2", own)
    assert data.indicators[own].name == "Permanences communes au centre social" and not data.indicators[own].common
    assert [i.id for i in data.candidates()].count("inter1") == 1
    # The second wave rates at once, beside the first wave's answers.
    later.phase("rate")
    later.act(later.alice, {"type": "indicator.rate", "indicator": "inter1", "value": "4"})
    frozen = {item["id"]: item for item in indicators.freeze(later.ws.boards["b2"])["indicators"]}
    assert frozen["inter1"]["previous"] == {"counts": {"1": 0, "2": 1, "3": 1, "4": 0, "5": 0, "dk": 0},
                                            "median": 2.5}
    assert frozen["inter1"]["counts"]["4"] == 1 and frozen["hab1"]["previous"] is None
    # The next adopted version continues the territory's numbering.
    later.adopt("hab1")
    assert data.version() == 3
    # Replay needs nothing but the log: the previous wave travels in the seed event.
    assert indicators.freeze(replay("w2", later.log).boards["b2"]) == indicators.freeze(later.ws.boards["b2"])


def test_only_earlier_workshops_with_a_framework_are_carried_over():
    first, _ = first_wave()
    empty = Room("w3", created_at="2026-03-01T09:00:00+00:00")
    earlier = Room("w0", created_at="2025-12-01T09:00:00+00:00", library=None)
    assert indicators.previous_wave([first.ws, empty.ws, earlier.ws], earlier.ws) is None
    assert indicators.previous_wave([first.ws, empty.ws], empty.ws)["workshop"] == "w1"


def test_a_board_in_use_cannot_be_seeded_again():
    room = Room()
    proposal = room.act(room.alice, {"type": "indicator.propose", "name": "Nos permanences"})[0]["indicator"]
    room.seed(LIBRARY[:3])
    # Reseeding while nothing was spent keeps the group's own proposals.
    assert [i.id for i in room.data.candidates()] == ["inter1", "inter2", "inter3", proposal]
    room.phase("prioritise")
    room.act(room.bob, {"type": "indicator.dot", "indicator": "inter2", "add": True})
    with pytest.raises(Rejected, match="déjà servi"):
        room.seed(LIBRARY)
    broken = [{**LIBRARY[0], "id": "Pas valable"}]
    fresh = Room(library=None)
    with pytest.raises(Rejected, match="invalide"):
        fresh.seed(broken)
