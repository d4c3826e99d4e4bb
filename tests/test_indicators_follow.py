"""The indicators board's pages follow every change: after any sequence of actions, each reader's
page (loaded once, then changed only by the out-of-band fragments the shell would send it, shared
part then own part) equals a fresh render of its view.

tests/test_convergence.py checks this for the whole workshop over a real delivery path, where an
indicators board rarely gets far; here the board is seeded and on screen from the start, and
every step is one action on it, so that its macros are the ones under test.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

import test_indicators as base
from boards import indicators, rules
from boards.actions import parse
from boards.errors import InvalidAction, Rejected
from boards.model import FACILITATOR, PARTICIPANT, Actor
from htmx_dom import Page
from server import render

LIBRARY = [item for item in base.LIBRARY if item["id"] in ("inter1", "inter2", "coord1", "coord2", "pers1")]
NAMES = ("Accès aux droits", "Jeunes reçus", "accès aux DROITS", "Partage des données")
DIMENSIONS = ("", LIBRARY[0]["dimension"], LIBRARY[-1]["dimension"])
READERS = ("facilitator", "screen", "alice", "bob")


class Following(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.room = base.Room(library=None)
        self.pages = {}
        for name in READERS:
            view, me = self.reader(name)
            self.pages[name] = Page(render.frame(self.room.ws, view, "fr", me))

    def reader(self, name):
        room = self.room
        return {"facilitator": ("facilitator", room.host), "screen": ("screen", None),
                "alice": ("participant", room.alice), "bob": ("participant", room.bob)}[name]

    def commit(self, events):
        """Folds the events and gives each page what the shell would send it."""
        if not events:
            return
        events = self.room.do(events)
        ws = self.room.ws
        for event in events:
            if event["type"] == "participant.removed":
                # The removed person's phone is closed: their page is no longer anyone's.
                self.pages = {name: page for name, page in self.pages.items()
                              if self.reader(name)[1] != event["participant"]}
        for name, page in self.pages.items():
            view, me = self.reader(name)
            page.apply(render.changes(ws, events, view, "fr"))
            readers = render.personal_readers(ws, events)
            if readers is None or me in readers:
                page.apply(render.personal(ws, events, view, "fr", me))
        for name, page in self.pages.items():
            view, me = self.reader(name)
            expected = Page(render.frame(ws, view, "fr", me)).region("stage")
            assert page.region("stage") == expected, (name, events)

    def act(self, who, message, role, board="b2"):
        try:
            message = {"board": board, **message} if board else message
            events = rules.decide(self.room.ws, Actor(who, role), parse(message))
        except (Rejected, InvalidAction):
            return
        self.commit(events)

    def person(self, data):
        room = self.room
        who = data.draw(st.sampled_from(("host", "alice", "bob")), label="who")
        return getattr(room, who), FACILITATOR if who == "host" else PARTICIPANT

    def indicator(self, data):
        keys = sorted(self.room.data.indicators) + ["inter1"]
        return data.draw(st.sampled_from(keys), label="indicator")

    @rule(data=st.data())
    def seed(self, data):
        action = indicators.Seed("b2", tuple(LIBRARY), None)
        try:
            events = rules.decide(self.room.ws, Actor(self.room.host, FACILITATOR), action)
        except Rejected:
            return
        self.commit(events)

    @rule(who=st.sampled_from(("alice", "bob")))
    def remove(self, who):
        self.act(self.room.host, {"type": "participant.remove", "participant": getattr(self.room, who)},
                 FACILITATOR, board=None)

    @rule(data=st.data(), phase=st.sampled_from(indicators.PHASES))
    def phase(self, data, phase):
        self.act(self.room.host, {"type": "board.phase", "phase": phase}, FACILITATOR)

    @rule(data=st.data(), name=st.sampled_from(NAMES), dimension=st.sampled_from(DIMENSIONS))
    def propose(self, data, name, dimension):
        who, role = self.person(data)
        self.act(who, {"type": "indicator.propose", "name": name, "dimension": dimension}, role)

    @rule(data=st.data(), name=st.sampled_from(NAMES), dimension=st.sampled_from(DIMENSIONS))
    def edit(self, data, name, dimension):
        who, role = self.person(data)
        self.act(who, {"type": "indicator.edit", "indicator": self.indicator(data), "name": name,
                       "dimension": dimension}, role)

    @rule(data=st.data())
    def withdraw(self, data):
        who, role = self.person(data)
        self.act(who, {"type": "indicator.withdraw", "indicator": self.indicator(data)}, role)

    @rule(data=st.data(), hidden=st.booleans())
    def hide(self, data, hidden):
        self.act(self.room.host, {"type": "indicator.hide", "indicator": self.indicator(data), "hidden": hidden},
                 FACILITATOR)

    @rule(data=st.data(), mode=st.sampled_from(("dots", "points")), budget=st.integers(1, 3))
    def mode(self, data, mode, budget):
        self.act(self.room.host, {"type": "indicators.mode", "mode": mode, "budget": budget}, FACILITATOR)

    @rule(data=st.data(), add=st.booleans())
    def dot(self, data, add):
        who, role = self.person(data)
        self.act(who, {"type": "indicator.dot", "indicator": self.indicator(data), "add": add}, role)

    @rule(data=st.data(), points=st.integers(0, 100))
    def allocate(self, data, points):
        who, role = self.person(data)
        self.act(who, {"type": "indicators.allocate", "indicator": [self.indicator(data)], "points": [points]},
                 role)

    @rule(data=st.data(), chosen=st.booleans())
    def choose(self, data, chosen):
        self.act(self.room.host, {"type": "indicator.choose", "indicator": self.indicator(data), "chosen": chosen},
                 FACILITATOR)

    @rule(data=st.data())
    def publish(self, data):
        self.act(self.room.host, {"type": "indicators.publish"}, FACILITATOR)

    @rule(data=st.data(), value=st.sampled_from(("1", "3", "5", "dk")))
    def rate(self, data, value):
        who, role = self.person(data)
        self.act(who, {"type": "indicator.rate", "indicator": self.indicator(data), "value": value}, role)


Following.TestCase.settings = settings(max_examples=int(os.environ.get("MAILLAGE_FOLLOW_EXAMPLES", "60")),
                                       stateful_step_count=30, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestFollowing = Following.TestCase
