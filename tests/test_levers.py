"""The brakes and levers board: rules, rendering per reader, and a state machine driving the real
shell (SQLite store, workshops, rooms) with several participants, two tabs each, and retries."""

import re
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from boards import rules
from boards.levers import view as levers_view
from boards.actions import parse
from boards.errors import InvalidAction, Rejected
from boards.kinds import KINDS
from boards.levers.model import DEFAULT_CATEGORIES
from boards.model import FACILITATOR, PARTICIPANT, SCREEN, Actor, Board
from boards.state import apply, replay
from server import render
from server.hub import Hub
from server.store import Store
from server.workshops import Workshops

B = "b2"


class Room:
    """A workshop folded in memory with a brakes and levers board, numbered as the store would."""

    def __init__(self):
        self.log = []
        self.ws = replay("w1", [])
        self.do(rules.create_workshop("w1", "Atelier", "QPV", "ABC234"))
        self.do([{"type": "board.added", "board": B, "kind": "levers", "title": "Freins et leviers"}])
        self.host = self.do(rules.join(self.ws, "Animation", role=FACILITATOR))[0]["participant"]
        self.alice = self.do(rules.join(self.ws, "Alice Arnaud", "Centre social"))[0]["participant"]
        self.bob = self.do(rules.join(self.ws, "Bob Bernard"))[0]["participant"]

    @property
    def data(self):
        return self.ws.boards[B].data

    def do(self, events):
        for event in events:
            event = {**event, "seq": self.ws.seq + 1, "at": "2026-01-01T10:00:00+00:00"}
            apply(self.ws, event)
            self.log.append(event)
        return events

    def act(self, who, message, role=None):
        role = role or (FACILITATOR if who == self.host else PARTICIPANT)
        return self.do(rules.decide(self.ws, Actor(who, role), parse({"board": B, **message})))

    def card(self, who, text, side="frein", category="confiance", actors=()):
        events = self.act(who, {"type": "card.add", "side": side, "category": category, "text": text,
                                "actors": list(actors)})
        return events[0]["card"]

    def phase(self, phase):
        self.act(self.host, {"type": "board.phase", "phase": phase})

    def vote(self, who, card):
        return self.act(who, {"type": "vote.add", "card": card})

    def page(self, view, me=None):
        return render.frame(self.ws, view, "fr", me)

    def kick(self, who):
        message = {"type": "participant.remove", "participant": who}
        return self.do(rules.decide(self.ws, Actor(self.host, FACILITATOR), parse(message)))


def test_kind_is_registered_with_its_phases_and_default_categories():
    kind = KINDS["levers"]
    assert kind.PHASES == ("write", "reveal", "group", "vote", "results", "locked")
    assert set(kind.PHASE_LABELS) == set(kind.PHASES)
    room = Room()
    assert [c.id for c in room.data.categories.values()] == [key for key, _ in DEFAULT_CATEGORIES]
    page = room.page("participant", room.alice)
    for label in ("Social", "Économique", "Territorial", "Psychologique", "Gouvernance", "Moyens",
                  "Interconnaissance", "Confiance", "Partage d'information"):
        assert f">{label}</option>" in page


def test_a_private_card_is_rendered_for_its_author_only_until_the_reveal():
    room = Room()
    card = room.card(room.alice, "Les financeurs ne se parlent pas")
    room.card(room.bob, "Une autre carte")
    mine = room.page("participant", room.alice)
    assert "Les financeurs ne se parlent pas" in mine and f"lv-card-{card}" in mine
    assert "Une autre carte" not in mine
    for view, me in (("participant", room.bob), ("screen", None), ("facilitator", room.host)):
        page = room.page(view, me)
        assert "Les financeurs" not in page and card not in page
        assert "2 cartes écrites" in page
    # The facilitator's laptop may be projected: counts only, and no writing there meanwhile.
    with pytest.raises(Rejected, match="l'animation n'écrit pas"):
        room.card(room.host, "Carte de l'animation")
    room.phase("reveal")
    for view, me in (("participant", room.bob), ("screen", None), ("facilitator", room.host)):
        assert "Les financeurs ne se parlent pas" in room.page(view, me)


def test_authors_edit_and_delete_their_cards_while_writing_then_only_the_facilitator_can():
    room = Room()
    card = room.card(room.alice, "Premier jet")
    room.act(room.alice, {"type": "card.edit", "card": card, "side": "levier", "category": "moyens",
                          "text": "Un lieu partagé"})
    assert (room.data.cards[card].side, room.data.cards[card].text) == ("levier", "Un lieu partagé")
    with pytest.raises(Rejected, match="privée"):
        room.act(room.bob, {"type": "card.delete", "card": card})
    with pytest.raises(Rejected, match="privée"):
        room.act(room.host, {"type": "card.edit", "card": card, "side": "frein", "category": "moyens",
                             "text": "Lu en cachette"})
    room.phase("reveal")
    with pytest.raises(Rejected, match="seule l'animation"):
        room.act(room.alice, {"type": "card.edit", "card": card, "side": "frein", "category": "moyens",
                              "text": "Trop tard"})
    with pytest.raises(Rejected, match="terminée"):
        room.card(room.bob, "Après coup")
    room.act(room.host, {"type": "card.edit", "card": card, "side": "levier", "category": "confiance",
                         "text": "Reformulée"})
    room.act(room.host, {"type": "card.delete", "card": card})
    assert room.data.cards == {}
    room.phase("locked")
    with pytest.raises(Rejected, match="verrouillé"):
        room.card(room.host, "Plus rien")


def test_dots_respect_the_budget_the_maximum_per_card_and_the_voting_phase():
    room = Room()
    first, second = room.card(room.alice, "Un"), room.card(room.bob, "Deux", side="levier")
    room.phase("reveal")
    with pytest.raises(Rejected, match="pas ouvert"):
        room.vote(room.alice, first)
    room.act(room.host, {"type": "levers.settings", "budget": 3, "per_card": 2})
    room.phase("vote")
    room.vote(room.alice, first)
    room.vote(room.alice, first)
    with pytest.raises(Rejected, match="maximum de 2"):
        room.vote(room.alice, first)
    room.vote(room.alice, second)
    with pytest.raises(Rejected, match="tous vos points"):
        room.vote(room.alice, second)
    assert room.data.spent(room.alice) == 3 and room.data.left(room.alice) == 0
    room.act(room.alice, {"type": "vote.remove", "card": first})
    with pytest.raises(Rejected, match="aucun point"):
        room.act(room.bob, {"type": "vote.remove", "card": first})
    room.vote(room.alice, second)
    assert room.data.totals == {first: 1, second: 2}
    with pytest.raises(Rejected, match="ne vote pas"):
        room.vote(room.host, first)
    with pytest.raises(Rejected, match="animation"):
        room.act(room.alice, {"type": "levers.settings", "budget": 20, "per_card": 20})
    with pytest.raises(Rejected, match="animation"):
        room.act(room.alice, {"type": "board.phase", "phase": "results"})
    room.phase("results")
    with pytest.raises(Rejected, match="pas ouvert"):
        room.vote(room.bob, first)


def test_the_budget_cannot_be_lowered_below_what_someone_already_placed():
    room = Room()
    card = room.card(room.alice, "Un")
    room.phase("vote")
    for _ in range(3):
        room.vote(room.bob, card)
    with pytest.raises(Rejected, match="3 points"):
        room.act(room.host, {"type": "levers.settings", "budget": 2, "per_card": 3})
    with pytest.raises(Rejected, match="3 points sur une carte"):
        room.act(room.host, {"type": "levers.settings", "budget": 5, "per_card": 2})
    room.act(room.host, {"type": "levers.settings", "budget": 4, "per_card": 4})
    assert (room.data.budget, room.data.per_card) == (4, 4)


def test_merging_a_duplicate_moves_dots_within_the_maximum_and_keeps_its_actors_and_wording():
    room = Room()
    room.ws.boards["bmap"] = Board("bmap", "stakeholders", "Carte", "map", SimpleNamespace(actors={
        "a1": SimpleNamespace(name="Mission locale"), "a2": SimpleNamespace(name="Pôle emploi")}))
    keep = room.card(room.alice, "Les structures se connaissent mal", actors=["a1"])
    dup = room.card(room.bob, "On ne sait pas qui fait quoi", actors=["a2", "a1"])
    other = room.card(room.bob, "Un levier", side="levier")
    room.phase("vote")
    room.vote(room.alice, keep)
    room.vote(room.alice, keep)
    room.vote(room.alice, dup)
    room.vote(room.alice, dup)
    room.vote(room.bob, dup)
    with pytest.raises(Rejected, match="frein"):
        room.act(room.host, {"type": "card.merge", "card": other, "keep": keep})
    room.act(room.host, {"type": "card.merge", "card": dup, "keep": keep})
    survivor = room.data.cards[keep]
    assert dup not in room.data.cards
    assert survivor.actors == ["a1", "a2"] and survivor.merged == ["On ne sait pas qui fait quoi"]
    # Alice had 2 + 2 on the two cards; the maximum per card is 3, so one dot came back to her.
    assert room.data.mine(room.alice, keep) == 3 and room.data.left(room.alice) == 2
    assert room.data.total(keep) == 4
    assert replay("w1", room.log).boards[B].data == room.data


def test_deleting_a_card_gives_its_dots_back():
    room = Room()
    card = room.card(room.alice, "Un")
    room.phase("vote")
    room.vote(room.bob, card)
    room.act(room.host, {"type": "card.delete", "card": card})
    assert room.data.left(room.bob) == room.data.budget and room.data.totals == {}


def test_anonymous_by_default_and_a_card_written_anonymously_never_shows_its_author():
    room = Room()
    hidden = room.card(room.alice, "Écrite sous anonymat")
    room.act(room.host, {"type": "levers.anonymous", "anonymous": False})
    signed = room.card(room.alice, "Écrite signée")
    room.phase("reveal")
    page = room.page("facilitator", room.host)
    article = re.search(rf'<article id="lv-card-{signed}".*?</article>', page, re.S).group(0)
    assert "Alice Arnaud (Centre social)" in article
    article = re.search(rf'<article id="lv-card-{hidden}".*?</article>', page, re.S).group(0)
    assert "Alice" not in article
    room.act(room.host, {"type": "levers.anonymous", "anonymous": True})
    for view, me in (("facilitator", room.host), ("screen", None), ("participant", room.bob)):
        cards = "".join(re.findall(r'<article id="lv-card-.*?</article>', room.page(view, me), re.S))
        assert "Alice" not in cards
    frozen = KINDS["levers"].freeze(room.ws.boards[B])
    assert "Alice" not in repr(frozen) and room.alice not in repr(frozen)


def test_cards_name_actors_of_the_stakeholder_map_when_there_is_one():
    room = Room()
    with pytest.raises(Rejected, match="Aucune cartographie"):
        room.card(room.alice, "Un", actors=["a9"])
    room.do(rules.decide(room.ws, Actor(room.host, FACILITATOR),
                         parse({"type": "board.add", "kind": "stakeholders", "title": "Carte"})))
    map_id = next(b.id for b in room.ws.boards.values() if b.kind == "stakeholders")
    added = room.do(rules.decide(room.ws, Actor(room.host, FACILITATOR),
                                 parse({"type": "actor.add", "board": map_id, "name": "Régie de quartier",
                                          "category": "association"})))
    actor = added[0]["actor"]
    with pytest.raises(Rejected, match="ne figure pas"):
        room.card(room.alice, "Un", actors=["a999"])
    card = room.card(room.alice, "La régie est seule", actors=[actor])
    assert room.data.cards[card].actors == [actor]
    assert "Régie de quartier" in room.page("participant", room.alice)


@pytest.mark.parametrize("raw, expected", [
    (None, ()), ("", ()), ("a5", ("a5",)), (["", "a5", "a7", "a5"], ("a5", "a7")), ([], ()),
])
def test_the_actors_field_reads_what_forms_and_programs_send(raw, expected):
    message = {"type": "card.add", "board": B, "side": "frein", "category": "moyens", "text": "x"}
    if raw is not None:
        message["actors"] = raw
    assert parse(message).actors == expected


@pytest.mark.parametrize("message", [
    {"type": "card.add", "board": B, "side": "obstacle", "category": "moyens", "text": "x"},
    {"type": "card.add", "board": B, "side": "frein", "category": "moyens", "text": "x" * 281},
    {"type": "card.add", "board": B, "side": "frein", "category": "moyens", "text": "x", "actors": ["a/1"]},
    {"type": "card.add", "board": B, "side": "frein", "category": "moyens", "text": "x",
     "actors": [str(i) for i in range(13)]},
    {"type": "levers.settings", "board": B, "budget": 0, "per_card": 1},
    {"type": "levers.settings", "board": B, "budget": 21, "per_card": 1},
    {"type": "vote.add", "board": B},
])
def test_malformed_messages_are_refused_with_a_message(message):
    with pytest.raises(InvalidAction) as refused:
        parse(message)
    assert str(refused.value)


def test_the_facilitator_edits_the_category_list_and_typed_labels_are_escaped():
    room = Room()
    room.act(room.host, {"type": "levers.category.add", "label": "<img src=x onerror=alert(1)>"})
    new = list(room.data.categories)[-1]
    with pytest.raises(Rejected, match="existe déjà"):
        room.act(room.host, {"type": "levers.category.add", "label": "confiance"})
    with pytest.raises(Rejected, match="animation"):
        room.act(room.alice, {"type": "levers.category.add", "label": "Logement"})
    room.card(room.alice, "Carte rangée", category=new)
    with pytest.raises(Rejected, match="déplacez"):
        room.act(room.host, {"type": "levers.category.remove", "category": new})
    room.act(room.host, {"type": "levers.category.rename", "category": "moyens", "label": "Moyens & 100 %"})
    page = room.page("participant", room.alice)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Moyens &amp; 100 %" in page
    room.act(room.host, {"type": "levers.category.remove", "category": "social"})
    assert "social" not in room.data.categories


def test_tallies_stay_out_of_every_page_until_revealed_and_results_rank_cards_and_clusters():
    room = Room()
    a, b = room.card(room.alice, "Frein A"), room.card(room.bob, "Frein B")
    c = room.card(room.bob, "Levier C", side="levier")
    room.phase("group")
    room.act(room.host, {"type": "cluster.add", "name": "Connaissance mutuelle"})
    cluster = list(room.data.clusters)[0]
    room.act(room.host, {"type": "card.group", "card": b, "cluster": cluster})
    room.act(room.host, {"type": "card.group", "card": c, "cluster": cluster})
    room.phase("vote")
    for who, card in ((room.alice, a), (room.alice, a), (room.bob, b), (room.bob, b), (room.bob, c)):
        room.vote(who, card)
    for view, me in (("participant", room.bob), ("screen", None), ("facilitator", room.host)):
        assert "lv-tally" not in room.page(view, me) and "Résultats du vote" not in room.page(view, me)
    assert "0 sur 2 participants ont placé tous leurs points" in room.page("facilitator", room.host)
    room.phase("results")
    page = room.page("screen")
    assert 'id="lv-tally-' in page
    ranks = re.findall(r'<li value="(\d+)" id="lv-rank-(c\d+)"', page)
    assert ranks == [("1", a), ("1", b), ("1", c)]
    assert re.search(r'<li value="1"><span class="lv-rank-text">Connaissance mutuelle</span> '
                     r'<span class="lv-rank-n">3 points</span>', page)
    frozen = KINDS["levers"].freeze(room.ws.boards[B])
    assert {(x["id"], x["votes"], x["cluster"]) for x in frozen["levers"]} == {
        (a, 2, None), (b, 2, cluster), (c, 1, cluster)}
    assert set(frozen["levers"][0]) == {"id", "kind", "category", "text", "votes", "cluster", "actors"}
    assert frozen["clusters"] == [{"id": cluster, "name": "Connaissance mutuelle", "votes": 3}]


def test_a_snapshot_during_private_writing_holds_no_card():
    room = Room()
    room.card(room.alice, "Encore privée")
    frozen = KINDS["levers"].freeze(room.ws.boards[B])
    assert frozen["levers"] == [] and frozen["unrevealed"] == 1


def test_the_phone_shows_the_dots_left_and_the_facilitator_who_has_finished():
    room = Room()
    card = room.card(room.alice, "Un")
    room.act(room.host, {"type": "levers.settings", "budget": 2, "per_card": 2})
    room.phase("vote")
    room.vote(room.bob, card)
    assert 'data-left="1"' in room.page("participant", room.bob)
    room.vote(room.bob, card)
    phone = room.page("participant", room.bob)
    assert 'data-left="0"' in phone and "Vous avez placé tous vos points" in phone
    assert 'id="lv-my-' + card + '" class="lv-my" data-n="2"' in phone
    assert "1 sur 2 participants ont placé tous leurs points" in room.page("facilitator", room.host)
    # A page rendered for the whole view (no reader) marks the dots as to be fetched again.
    assert "data-lv-stale" in room.page("participant", None)


def test_a_removed_participant_s_dots_no_longer_count_anywhere_but_their_cards_stay():
    room = Room()
    theirs = room.card(room.bob, "Carte de Bob")
    other = room.card(room.alice, "Carte d'Alice", side="levier")
    room.phase("reveal")
    cluster = room.act(room.host, {"type": "cluster.add", "name": "Tout"})[0]["cluster"]
    room.act(room.host, {"type": "card.group", "card": theirs, "cluster": cluster})
    room.act(room.host, {"type": "levers.settings", "budget": 3, "per_card": 3})
    room.phase("vote")
    for _ in range(3):
        room.vote(room.bob, theirs)
    room.vote(room.alice, other)
    room.vote(room.alice, theirs)
    assert room.data.total(theirs) == 4
    assert "1 sur 2 participants ont placé tous leurs points" in room.page("screen")

    room.kick(room.bob)
    data = room.data
    assert theirs in data.cards, "removal keeps what the person wrote"
    assert data.total(theirs) == 1 and data.cluster_total(cluster) == 1 and room.bob not in data.votes
    assert "0 sur 1 participant a placé tous ses points" in room.page("screen")
    # The budget may now go below what the removed person had placed.
    room.act(room.host, {"type": "levers.settings", "budget": 2, "per_card": 2})
    room.phase("results")
    results = re.search(r'<section id="lv-results-b2".*?</section>\s*</div>', room.page("screen"), re.S).group(0)
    assert re.search(r"Carte de Bob</span> <span class=\"lv-rank-n\">1 point<", results)
    frozen = {c["id"]: c["votes"] for c in KINDS["levers"].freeze(room.ws.boards[B])["levers"]}
    assert frozen == {theirs: 1, other: 1}
    assert replay("w1", room.log).boards[B].data == data


def test_the_board_s_answer_to_a_join_or_a_removal_is_the_count_and_the_tallies_only():
    """What the board sends when someone joins or is removed (the shell asks each board's delta
    macro): the voting progress on the projector and the facilitator's laptop, the tallies a
    removal changed; never a phone's force field, which carries that phone's own dots."""
    room = Room()
    card = room.card(room.alice, "Un")
    room.phase("vote")
    room.act(room.host, {"type": "levers.tallies", "shown": True})
    for _ in range(3):
        room.vote(room.bob, card)
    room.vote(room.alice, card)
    delta = render.env("fr").get_template("boards/levers.html").module.delta
    board = room.ws.boards[B]
    assert KINDS["levers"].PEOPLE_EVENTS == {"participant.joined", "participant.removed", "participant.renamed"}

    joined = room.do(rules.join(room.ws, "Chloé"))[0]
    for view in ("screen", "facilitator"):
        out = str(delta(room.ws, board, joined, view))
        assert "0 sur 3 participants ont placé tous leurs points" in out and "lv-field" not in out
    assert str(delta(room.ws, board, joined, "participant")).strip() == ""

    removed = room.kick(room.bob)[0]
    for view in ("screen", "facilitator", "participant"):
        out = str(delta(room.ws, board, removed, view))
        assert re.search(rf'id="lv-tally-{card}" class="lv-tally" hx-swap-oob="true">1 point<', out)
        assert "lv-field" not in out and ("0 sur 2 participants" in out) == (view != "participant")


def _progress_from_scratch(ws, data):
    spent = [data.spent(p.id) for p in ws.people()]
    return (sum(1 for s in spent if s >= data.budget), sum(1 for s in spent if 0 < s < data.budget),
            len(ws.people()))


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(["add", "add", "add", "remove", "settings", "delete", "merge",
                                                  "kick", "join"]),
                                st.integers(0, 9), st.integers(0, 9), st.integers(1, 6)), max_size=60))
def test_voting_progress_kept_by_the_fold_equals_a_count_from_scratch(steps):
    """The finished/started counts the fold keeps for the status equal those of a walk of the room,
    whatever sequence of dots, withdrawn dots, budget changes, deleted or merged cards and removals."""
    room = Room()
    people = [room.alice, room.bob]
    people += [room.do(rules.join(room.ws, f"P{i}"))[0]["participant"] for i in range(3)]
    cards = [room.card(people[i % len(people)], f"Carte {i}", side=SIDES[i % 2]) for i in range(5)]
    room.act(room.host, {"type": "levers.settings", "budget": 3, "per_card": 2})
    room.phase("vote")
    for action, i, j, n in steps:
        who, card = people[i % len(people)], cards[j % len(cards)]
        message = {
            "add": {"type": "vote.add", "card": card},
            "remove": {"type": "vote.remove", "card": card},
            "settings": {"type": "levers.settings", "budget": n, "per_card": max(1, n - 1)},
            "delete": {"type": "card.delete", "card": card},
            "merge": {"type": "card.merge", "card": card, "keep": cards[i % len(cards)]},
            "kick": {"type": "participant.remove", "participant": who},
        }.get(action)
        try:
            if action == "join":
                people.append(room.do(rules.join(room.ws, f"Q{len(people)}"))[0]["participant"])
            elif action == "kick":
                room.kick(who)
            elif action in ("add", "remove"):
                room.act(who, message)
            else:
                room.act(room.host, message, role=FACILITATOR)
        except Rejected:
            pass
        data = room.data
        assert room.ws.people_count == len(room.ws.people())
        assert levers_view.voting_progress(room.ws, room.ws.boards[B]) == _progress_from_scratch(room.ws, data)
        for card_id in data.cards:
            assert data.total(card_id) == sum(mine.get(card_id, 0) for mine in data.votes.values())
    folded = replay("w1", room.log)
    assert folded.boards[B].data == room.data and folded.people_count == room.ws.people_count


# The state machine ---------------------------------------------------------------------------

NAMES = ("Awa Diallo", "Bernard Petit", "Chloé Martin")
SIDES = ("frein", "levier")
CATEGORIES = [key for key, _ in DEFAULT_CATEGORIES]
JUNK = st.text(st.characters(blacklist_characters="zZ", blacklist_categories=("Cs",)), max_size=12)
REGION = re.compile(r'id="lv-(dots|mine)-b2"([^>]*)>')
LEFT = re.compile(r'id="lv-dots-b2" class="lv-dots" data-left="(\d+)"')
MY = re.compile(r'<span id="lv-my-(c\d+)" class="lv-my" data-n="(\d+)"')
ARTICLE = re.compile(r'<article id="lv-card-(c\d+)".*?</article>', re.S)


class LeversMachine(RuleBasedStateMachine):
    """Several people, two tabs each, a projector and the facilitator, through the real shell."""

    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.store = Store(str(self.dir / "atelier.db"))
        self.hub = Hub()
        self.shell = Workshops(self.store, self.hub)
        row = self.shell.create("Atelier", "QPV", boards=(("Freins et leviers", "levers"),))
        self.ws = self.shell.get(row["id"])
        assert self.ws.current_board == B
        self.host = self.shell.facilitator(self.ws, "Animation Hôte")
        self.people = [self.shell.join(self.ws, name) for name in NAMES]
        room = self.hub.room(self.ws.id)
        self.tabs = {p: [self.hub.client(None, PARTICIPANT, p, "fr") for _ in range(2)] for p in self.people}
        self.screen = self.hub.client(None, SCREEN, None, "fr")
        self.desk = self.hub.client(None, FACILITATOR, self.host, "fr")
        self.clients = [t for tabs in self.tabs.values() for t in tabs] + [self.screen, self.desk]
        for client in self.clients:
            room.add(client)
            client.take()
        self.written: dict[str, str] = {}   # token -> author
        self.revealed: set[str] = set()
        self.ids: dict[str, str] = {}       # card id -> author
        self.stale = {client: set() for client in self.clients}
        self.shown_left = {client: None for client in self.clients}
        self.shown_mine = {client: {} for client in self.clients}
        self.ops = 0
        self.last_seq = self.ws.seq

    def teardown(self):
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def board(self):
        return self.ws.boards[B]

    def send(self, client, message, op=None):
        if op is None:
            self.ops += 1
            op = f"o{self.ops}"
        role = client.view
        self.shell.perform(self.ws, client, role, {"board": B, **message, "op": op})
        return op

    def pick(self, index):
        ids = sorted(self.ids, key=lambda c: int(c[1:]))
        return ids[index % len(ids)] if ids else "c1"

    def settle(self, phase_before):
        """Reads what every client received for this step and checks it against the rules."""
        phase = self.board.phase
        for event in self.store.events(self.ws.id, after=self.last_seq):
            if event["type"] == "card.added":
                self.ids[event["card"]] = event["author"]
            if event["type"].startswith("vote."):
                assert phase_before == "vote", "a dot landed outside the voting phase"
        self.last_seq = self.ws.seq
        data = self.board.data
        if phase != "write":
            # Shown to the room now; a text revealed once may stay with the card it was merged into.
            self.revealed.update(t for t in self.written if any(t in c.text for c in data.cards.values()))
        for client in self.clients:
            self.read(client, client.take())
            # Each phone must get its own rendering whenever the stage is re-rendered.
            assert not self.stale[client], "a phone was sent a board without its own part"
            if client.view == PARTICIPANT and phase == "vote":
                reader, shown = client.participant, self.shown_mine[client]
                assert self.shown_left[client] == data.left(reader), "the phone shows wrong dots left"
                for card_id in data.cards:
                    if card_id in shown or data.mine(reader, card_id):
                        assert shown.get(card_id) == data.mine(reader, card_id)

    def read(self, client, frame):
        """Checks one frame received by one client, and follows what its page now shows."""
        reader = client.participant
        data = self.board.data
        if self.board.phase == "write":
            for token, author in self.written.items():
                if token not in self.revealed:
                    assert author == reader or token not in frame, "a private card reached another reader"
            for card_id, author in self.ids.items():
                assert author == reader or not re.search(rf"\b{card_id}\b", frame), "a private card id leaked"
        if not (data.tallies_shown or self.board.phase in ("results", "locked")):
            assert "lv-tally" not in frame, "a tally went out before the reveal"
        for article in ARTICLE.finditer(frame):
            card = data.cards.get(article.group(1))
            if card is not None and (data.anonymous or not card.signed):
                for person in self.people:
                    name = self.ws.participants[person].name
                    assert name not in article.group(0), "an anonymous card shows its author"
        if 'id="stage"' in frame:
            self.stale[client], self.shown_left[client], self.shown_mine[client] = set(), None, {}
        for region, attributes in REGION.findall(frame):
            (self.stale[client].add if "data-lv-stale" in attributes else self.stale[client].discard)(region)
        for left in LEFT.findall(frame):
            self.shown_left[client] = int(left)
        for card_id, n in MY.findall(frame):
            self.shown_mine[client][card_id] = int(n)

    def step(self, client, message, op=None):
        before = self.board.phase
        op = self.send(client, message, op)
        self.settle(before)
        return op

    @initialize(cards=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.sampled_from(SIDES),
                                         st.sampled_from(CATEGORIES), JUNK), min_size=1, max_size=6),
                signed=st.booleans())
    def first_cards(self, cards, signed):
        if signed:
            self.step(self.desk, {"type": "levers.anonymous", "anonymous": False})
        for card in cards:
            self.write(*card)

    @rule(who=st.integers(0, 2), tab=st.integers(0, 1), side=st.sampled_from(SIDES),
          category=st.sampled_from(CATEGORIES), junk=JUNK)
    def write(self, who, tab, side, category, junk):
        person = self.people[who]
        token = f"zq{len(self.written)}k"
        self.written[token] = person
        self.step(self.tabs[person][tab], {"type": "card.add", "side": side, "category": category,
                                           "text": f"{junk} {token}"})

    @rule(who=st.integers(0, 3), index=st.integers(0, 40), junk=JUNK)
    def edit(self, who, index, junk):
        card = self.pick(index)
        person = self.people[who] if who < 3 else self.host
        client = self.tabs[person][0] if who < 3 else self.desk
        token = f"zq{len(self.written)}k"
        self.written[token] = self.ids.get(card, person)
        self.step(client, {"type": "card.edit", "card": card, "side": "levier", "category": "moyens",
                           "text": f"{junk} {token}"})

    @rule(who=st.integers(0, 3), index=st.integers(0, 40))
    def delete(self, who, index):
        client = self.tabs[self.people[who]][1] if who < 3 else self.desk
        self.step(client, {"type": "card.delete", "card": self.pick(index)})

    @rule(who=st.integers(0, 2), tab=st.integers(0, 1), index=st.integers(0, 40),
          retry=st.sampled_from(["no", "same tab", "other tab"]), remove=st.booleans())
    def vote(self, who, tab, index, retry, remove):
        person = self.people[who]
        message = {"type": "vote.remove" if remove else "vote.add", "card": self.pick(index)}
        spent = self.board.data.spent(person)
        op = self.step(self.tabs[person][tab], message)
        applied = self.board.data.spent(person) - spent
        if retry != "no":
            again = self.tabs[person][tab if retry == "same tab" else 1 - tab]
            spent = self.board.data.spent(person)
            self.step(again, message, op)
            if applied:
                assert self.board.data.spent(person) == spent, "a retried dot was counted twice"

    @rule(who=st.integers(0, 2), index=st.integers(0, 40), clicks=st.integers(2, 9))
    def burst(self, who, index, clicks):
        """Quick taps from both tabs of one phone, each retried once from the other tab."""
        person = self.people[who]
        for click in range(clicks):
            message = {"type": "vote.add", "card": self.pick(index + click // 2)}
            op = self.step(self.tabs[person][click % 2], message)
            self.step(self.tabs[person][1 - click % 2], message, op)

    @rule()
    def open_voting(self):
        self.step(self.desk, {"type": "board.phase", "phase": "vote"})

    @rule(by_host=st.booleans(), who=st.integers(0, 2), phase=st.sampled_from(KINDS["levers"].PHASES))
    def phase(self, by_host, who, phase):
        before = self.board.phase
        self.step(self.desk if by_host else self.tabs[self.people[who]][0], {"type": "board.phase", "phase": phase})
        assert self.board.phase == (phase if by_host else before)

    @rule(budget=st.integers(1, 6), per_card=st.integers(1, 4))
    def settings(self, budget, per_card):
        self.step(self.desk, {"type": "levers.settings", "budget": budget, "per_card": per_card})

    @rule(a=st.integers(0, 40), b=st.integers(0, 40))
    def merge(self, a, b):
        self.step(self.desk, {"type": "card.merge", "card": self.pick(a), "keep": self.pick(b)})

    @rule(index=st.integers(0, 40), name=st.sampled_from(["Accès aux droits", "Mobilité"]))
    def group(self, index, name):
        self.step(self.desk, {"type": "cluster.add", "name": name})
        clusters = list(self.board.data.clusters) or ["g1"]
        self.step(self.desk, {"type": "card.group", "card": self.pick(index),
                              "cluster": clusters[index % len(clusters)]})

    @rule(flag=st.booleans())
    def anonymous(self, flag):
        self.step(self.desk, {"type": "levers.anonymous", "anonymous": flag})

    @rule(flag=st.booleans())
    def tallies(self, flag):
        self.step(self.desk, {"type": "levers.tallies", "shown": flag})

    @rule(who=st.integers(0, 2), index=st.integers(0, 40))
    def lock(self, who, index):
        """A lock re-renders every stage; while it lasts, phones cannot act."""
        before = self.board.phase
        self.shell.perform(self.ws, self.desk, FACILITATOR, {"type": "workshop.lock", "locked": True})
        self.settle(before)
        spent = self.board.data.spent(self.people[who])
        self.step(self.tabs[self.people[who]][0], {"type": "vote.add", "card": self.pick(index)})
        assert self.board.data.spent(self.people[who]) == spent
        self.shell.perform(self.ws, self.desk, FACILITATOR, {"type": "workshop.lock", "locked": False})
        self.settle(before)

    @rule(index=st.integers(0, 7))
    def resync(self, index):
        client = self.clients[index]
        before = self.board.phase
        self.shell.resync(self.ws, client, None)
        self.settle(before)

    @invariant()
    def budgets_hold(self):
        data = self.board.data
        for voter, cards in data.votes.items():
            assert sum(cards.values()) <= data.budget
            assert all(0 < n <= data.per_card for n in cards.values())
            assert set(cards) <= set(data.cards)
        for card_id, total in data.totals.items():
            assert total == sum(cards.get(card_id, 0) for cards in data.votes.values()) > 0

    @invariant()
    def state_is_the_fold_of_the_stored_events(self):
        if self.ws.seq % 7 == 0:
            assert replay(self.ws.id, self.store.events(self.ws.id)).boards[B].data == self.board.data


LeversMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestLevers = LeversMachine.TestCase
