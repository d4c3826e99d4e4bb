"""The systems map without a server: factors, causal links, loops and their polarity, leverage
candidates and their sentences, moderation, anonymity, and what a snapshot keeps."""

import random

import pytest

from boards import rules
from boards.actions import parse
from boards.errors import InvalidAction, Rejected
from boards.kinds import KINDS
from boards.model import FACILITATOR, PARTICIPANT, Actor
from boards.state import apply, replay
from boards.systems import loops, text
from server.i18n import translate

B = "b2"


class Room:
    """A workshop with a systems map and a brakes and levers board, folded in memory."""

    def __init__(self):
        self.ws = replay("w1", [])
        self.log = []
        self.do(rules.create_workshop("w1", "Atelier", "QPV", "ABC234"))
        self.do([{"type": "board.added", "board": B, "kind": "systems", "title": "Carte systémique"},
                 {"type": "board.added", "board": "b3", "kind": "levers", "title": "Freins"}])
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

    def act(self, who, message, board=B):
        role = FACILITATOR if who == self.host else PARTICIPANT
        return self.do(rules.decide(self.ws, Actor(who, role), parse({"board": board, **message})))

    def factor(self, who, words):
        return self.act(who, {"type": "factor.add", "text": words})[0]["factor"]

    def link(self, who, source, target, polarity="+", delay=False):
        return self.act(who, {"type": "link.add", "source": source, "target": target, "polarity": polarity,
                              "delay": delay})[0]["link"]

    def phase(self, phase):
        self.act(self.host, {"type": "board.phase", "phase": phase})


def population(room):
    """The textbook population model: births and deaths both feed on the population."""
    births, people, deaths = (room.factor(room.alice, t) for t in ("Naissances", "Population", "Décès"))
    room.link(room.alice, births, people, "+")
    room.link(room.alice, people, births, "+")
    room.link(room.bob, people, deaths, "+")
    room.link(room.bob, deaths, people, "-", delay=True)
    return births, people, deaths


# Loops and polarity on published diagrams, expected loops written by hand -----------------------

def test_the_population_model_has_one_reinforcing_and_one_balancing_loop():
    room = Room()
    births, people, deaths = population(room)
    found = {tuple(loop["factors"]): (loop["kind"], loop["delay"]) for loop in room.data.loops()}
    assert found == {(births, people): ("R", False), (people, deaths): ("B", True)}
    assert [loop["label"] for loop in room.data.loops()] == ["R1", "B1"]
    assert room.data.counts() == {"factors": 3, "links": 4, "reinforcing": 1, "balancing": 1}


def test_a_classic_diagram_of_adoption_with_three_loops():
    """Sterman's Bass diffusion structure, by hand: adopters spread the word (R), the pool of
    potential adopters drains (B twice: by word of mouth and by advertising)."""
    graph = loops.causal_graph(
        ["potential", "adoption", "adopters", "advertising_effect", "contacts"],
        [("potential", "adoption", "+", False), ("adoption", "adopters", "+", False),
         ("adoption", "potential", "-", False), ("adopters", "contacts", "+", False),
         ("contacts", "adoption", "+", False), ("potential", "advertising_effect", "+", False),
         ("advertising_effect", "adoption", "+", False)])
    found, truncated = loops.find_loops(graph)
    kinds = {frozenset(loop["factors"]): loop["kind"] for loop in found}
    assert not truncated
    assert kinds == {
        frozenset({"potential", "adoption"}): "B",                       # saturation
        frozenset({"potential", "advertising_effect", "adoption"}): "B",  # advertising drains the pool
        frozenset({"adoption", "adopters", "contacts"}): "R",            # word of mouth
    }


@pytest.mark.parametrize("minus, kind", [(0, "R"), (1, "B"), (2, "R"), (3, "B"), (4, "R")])
def test_the_sign_of_a_loop_is_the_parity_of_its_minus_links(minus, kind):
    nodes = [f"f{i}" for i in range(5)]
    links = [(nodes[i], nodes[(i + 1) % 5], "-" if i < minus else "+", False) for i in range(5)]
    found, _ = loops.find_loops(loops.causal_graph(nodes, links))
    assert [loop["kind"] for loop in found] == [kind]


# Against an independent count on random graphs -------------------------------------------------

def dfs_cycles(nodes, edges, bound):
    """Every simple cycle of at most `bound` nodes, by a plain depth-first search from each node
    through larger nodes only (so each cycle is found once, from its smallest node)."""
    out = {n: [] for n in nodes}
    for a, b in edges:
        out[a].append(b)
    rank = {n: i for i, n in enumerate(nodes)}
    found = set()

    def walk(start, path):
        for nxt in out[path[-1]]:
            if nxt == start:
                found.add(tuple(path))
            elif rank[nxt] > rank[start] and nxt not in path and len(path) < bound:
                walk(start, path + [nxt])

    for node in nodes:
        walk(node, [node])
    return found


@pytest.mark.parametrize("seed", range(12))
def test_loops_match_an_independent_enumeration_on_random_graphs(seed):
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(rng.randint(4, 9))]
    pairs = [(a, b) for a in nodes for b in nodes if a != b]
    edges = rng.sample(pairs, rng.randint(len(nodes), min(len(pairs), 3 * len(nodes))))
    signs = {edge: rng.choice("+-") for edge in edges}
    bound = rng.randint(2, 6)
    found, truncated = loops.find_loops(loops.causal_graph(nodes, [(a, b, signs[a, b], False) for a, b in edges]),
                                        length_max=bound, limit=10_000)
    assert not truncated
    assert {tuple(loop["factors"]) for loop in found} == dfs_cycles(nodes, edges, bound)
    for loop in found:
        steps = zip(loop["factors"], loop["factors"][1:] + loop["factors"][:1])
        minus = sum(1 for step in steps if signs[step] == "-")
        assert loop["kind"] == ("R" if minus % 2 == 0 else "B")


def test_a_dense_map_stops_at_the_loop_limit_and_says_so():
    nodes = [f"n{i}" for i in range(12)]
    graph = loops.causal_graph(nodes, [(a, b, "+", False) for a in nodes for b in nodes if a != b])
    found, truncated = loops.find_loops(graph, limit=50)
    assert truncated and len(found) == 50
    assert [len(l["factors"]) for l in found] == sorted(len(l["factors"]) for l in found)


# Leverage candidates and the sentences --------------------------------------------------------

def test_leverage_names_the_factor_on_most_loops_and_the_one_in_between():
    room = Room()
    births, people, deaths = population(room)
    names = {f.id: f.text for f in room.data.shown()}
    lever = room.data.leverage()
    assert lever["loops"] == [{"factor": people, "count": 2}]
    assert lever["betweenness"][0]["factor"] == people
    message, params = text.on_loops(lever["loops"][0], 2, names[people])
    assert translate("fr", message, params) == "« Population » se trouve sur toutes les boucles de la carte."
    assert translate("en", message, params) == "“Population” is on every loop of the map."
    message, params = text.between(lever["betweenness"][0], names[people])
    assert translate("fr", message, params) == ("« Population » se trouve sur 100 % des chaînes de causes les plus "
                                                "courtes entre les autres facteurs.")
    assert text.on_loops({"count": 2}, 5, "Confiance") == (
        "« %(name)s » se trouve sur %(count)s boucles sur %(total)s.", {"name": "Confiance", "count": 2, "total": 5})


def test_each_loop_is_told_in_plain_french_and_english():
    room = Room()
    births, people, deaths = population(room)
    names = {f.id: f.text for f in room.data.shown()}
    reinforcing, balancing = room.data.loops()
    assert text.sentence(reinforcing, names) == (
        "plus de « Naissances », donc plus de « Population », donc plus de « Naissances » : "
        "la boucle se renforce, le changement revient plus fort.")
    assert text.sentence(balancing, names) == (
        "plus de « Population », donc plus de « Décès », donc moins de « Population » : "
        "la boucle s'équilibre, le changement revient en sens inverse.")
    english = text.sentence(balancing, names, lambda m, **p: translate("en", m, p))
    assert english.startswith("more “Population”, so more “Décès”, so less “Population”")


def test_every_explanation_is_a_sentence_in_both_languages():
    for message in text.KIND_LABELS.values():
        assert translate("en", message) != message
    for key, message in text.EXPLANATIONS.items():
        assert translate("en", message) != message, key
        assert message.endswith(".") and translate("en", message).endswith("."), key


# Rules -------------------------------------------------------------------------------------

def test_only_authors_and_the_facilitator_change_a_factor_and_phases_close_things():
    room = Room()
    mine = room.factor(room.alice, "Confiance entre partenaires")
    with pytest.raises(Rejected, match="Seuls l'animation"):
        room.act(room.bob, {"type": "factor.edit", "factor": mine, "text": "Défiance"})
    with pytest.raises(Rejected, match="figure déjà"):
        room.factor(room.bob, "confiance  entre PARTENAIRES")
    other = room.factor(room.bob, "Orientations vers l'emploi")
    link = room.link(room.bob, mine, other)
    with pytest.raises(Rejected, match="existe déjà"):
        room.link(room.alice, mine, other, "-")
    with pytest.raises(Rejected, match="différents"):
        room.link(room.alice, mine, mine)
    room.phase("links")
    with pytest.raises(Rejected, match="facteurs sont terminés"):
        room.factor(room.alice, "Réunions communes")
    room.link(room.alice, other, mine, "-")
    room.phase("loops")
    with pytest.raises(Rejected, match="tracé des liens est terminé"):
        room.act(room.bob, {"type": "link.delete", "link": link})
    room.act(room.host, {"type": "link.edit", "link": link, "polarity": "-", "delay": True})
    assert (room.data.links[link].polarity, room.data.links[link].delay) == ("-", True)
    with pytest.raises(InvalidAction):
        parse({"type": "link.add", "board": B, "source": mine, "target": other, "polarity": "x"})
    with pytest.raises(Rejected, match="Seule l'animation"):
        room.act(room.alice, {"type": "systems.spotlight", "loop": room.data.loops()[0]["key"]})


def test_a_hidden_factor_leaves_the_loops_the_snapshot_and_the_participants_hands():
    room = Room()
    births, people, deaths = population(room)
    room.act(room.host, {"type": "factor.hide", "factor": deaths, "hidden": True})
    assert [loop["kind"] for loop in room.data.loops()] == ["R"]
    frozen = KINDS["systems"].freeze(room.ws.boards[B])
    assert "Décès" not in repr(frozen)
    assert {l["target"] for l in frozen["links"]} | {l["source"] for l in frozen["links"]} == {births, people}
    with pytest.raises(Rejected, match="n'existe plus"):
        room.link(room.alice, births, deaths)
    with pytest.raises(Rejected, match="n'existe plus"):
        room.act(room.bob, {"type": "factor.edit", "factor": deaths, "text": "Morts"})
    with pytest.raises(Rejected, match="n'existe plus"):
        room.act(room.bob, {"type": "factor.delete", "factor": deaths})  # hidden, and not his
    room.act(room.host, {"type": "factor.hide", "factor": deaths, "hidden": False})
    assert [loop["kind"] for loop in room.data.loops()] == ["R", "B"]
    room.act(room.host, {"type": "factor.hide", "factor": births, "hidden": True})
    room.act(room.alice, {"type": "factor.delete", "factor": births})  # her own, from her contributions page
    assert births not in room.data.factors


def test_deleting_a_factor_takes_its_links_and_breaks_its_loops():
    room = Room()
    births, people, deaths = population(room)
    room.act(room.alice, {"type": "factor.delete", "factor": births})
    assert [loop["kind"] for loop in room.data.loops()] == ["B"]
    assert all(births not in (l.source, l.target) for l in room.data.links.values())
    KINDS["systems"].check(room.ws, room.ws.boards[B])


def test_the_spotlight_names_a_loop_that_exists():
    room = Room()
    population(room)
    balancing = room.data.loops()[1]["key"]
    room.act(room.host, {"type": "systems.spotlight", "loop": balancing})
    assert room.data.spotlit()["kind"] == "B"
    with pytest.raises(Rejected, match="n'existe plus"):
        room.act(room.host, {"type": "systems.spotlight", "loop": "f1-f2"})
    room.act(room.host, {"type": "systems.spotlight", "loop": ""})
    assert room.data.spotlit() is None


def test_brake_cards_come_in_once_they_are_revealed_and_indicators_too():
    room = Room()
    card = room.act(room.alice, {"type": "card.add", "side": "frein", "category": "confiance",
                                 "text": "Les partenaires  ne se connaissent pas"}, board="b3")[0]["card"]
    with pytest.raises(Rejected, match="pas encore visible"):
        room.act(room.alice, {"type": "factor.bring", "origin": "levers", "item": card})
    room.act(room.host, {"type": "board.phase", "phase": "reveal"}, board="b3")
    factor = room.act(room.bob, {"type": "factor.bring", "origin": "levers", "item": card})[0]
    assert (factor["text"], factor["origin"]) == ("Les partenaires ne se connaissent pas", f"levers:{card}")
    with pytest.raises(Rejected, match="déjà été repris"):
        room.act(room.alice, {"type": "factor.bring", "origin": "levers", "item": card})


def test_authors_show_only_for_factors_written_outside_anonymous_mode_and_never_in_snapshots():
    room = Room()
    board = room.ws.boards[B]
    quiet = room.factor(room.alice, "Mobilité")
    room.act(room.host, {"type": "systems.anonymous", "anonymous": False})
    signed = room.factor(room.alice, "Garde d'enfants")
    systems = KINDS["systems"]
    assert systems.author(room.ws, board, room.data.factors[quiet]) == ""
    assert systems.author(room.ws, board, room.data.factors[signed]) == "Alice"
    assert room.alice not in repr(systems.freeze(board)) and "Alice" not in repr(systems.freeze(board))


def test_a_proxy_adds_a_factor_for_a_person_without_a_phone():
    room = Room()
    offline = room.do([{"type": "participant.joined", "participant": "p90", "name": "Sans téléphone",
                        "role": "participant", "offline": True}])[0]["participant"]
    events = rules.decide(room.ws, Actor(offline, PARTICIPANT, proxy_by=room.host),
                          parse({"type": "factor.add", "board": B, "text": "Horaires des crèches"}))
    assert events[0]["author"] == offline and events[0]["proxy"] == room.host


def test_replaying_the_events_gives_the_same_map_and_loops():
    room = Room()
    population(room)
    again = replay("w1", room.log)
    assert again.boards[B].data.loops() == room.data.loops()
    assert repr(again) == repr(room.ws)


def test_pages_never_carry_a_private_card_or_a_hidden_factor():
    """What each view is sent: a card still private on its board is not offered to bring in; a
    hidden factor is on the facilitator's page only, with none of its links."""
    from server import render

    room = Room()
    room.act(room.host, {"type": "board.show", "board": B})
    births, people, deaths = population(room)
    card = room.act(room.alice, {"type": "card.add", "side": "levier", "category": "confiance",
                                 "text": "Un café des partenaires chaque mois"}, board="b3")[0]["card"]
    room.act(room.host, {"type": "factor.hide", "factor": deaths, "hidden": True})
    pages = {view: render.frame(room.ws, view, "fr", who)
             for view, who in (("participant", room.bob), ("screen", None), ("facilitator", room.host))}
    assert all("café des partenaires" not in page for page in pages.values())
    assert "Décès" not in pages["participant"] and "Décès" not in pages["screen"]
    assert "Décès" in pages["facilitator"]
    assert 'id="sy-l-' in pages["participant"]
    assert not any(f'value="{deaths}"' in page for page in (pages["participant"], pages["screen"]))
    room.act(room.host, {"type": "board.phase", "phase": "reveal"}, board="b3")
    offered = render.frame(room.ws, "participant", "fr", room.bob)
    assert f'<option value="{card}">Un café des partenaires chaque mois</option>' in offered
