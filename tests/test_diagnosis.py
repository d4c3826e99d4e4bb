"""The shared diagnosis board: its rules with plain asserts (refusals in French included), the
carrying of a wave's open items, what each view is sent, and the snapshot."""

import pytest

from boards import rules
from boards.actions import parse
from boards.diagnosis import decide_carry, freeze
from boards.errors import InvalidAction, Rejected
from boards.model import FACILITATOR, PARTICIPANT, Actor
from boards.snapshot import freeze as freeze_workshop
from boards.state import apply, replay
from server import render

B = "b2"


class Room:
    """A workshop folded in memory with a diagnosis board, numbered as the store would."""

    def __init__(self, workshop="w1", title="Atelier"):
        self.ws = replay(workshop, [])
        self.do(rules.create_workshop(workshop, title, "QPV Les Tilleuls", "ABC234"))
        self.do([{"type": "board.added", "board": B, "kind": "diagnosis", "title": "Diagnostic partagé"}])
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
        return events

    def act(self, who, message):
        role = FACILITATOR if who == self.host else PARTICIPANT
        return self.do(rules.decide(self.ws, Actor(who, role), parse({"board": B, **message})))

    def add(self, who, text, nature="need", theme="mobilite", source="lived"):
        return self.act(who, {"type": "diagnosis.add", "theme": theme, "nature": nature, "source": source,
                              "text": text})[0]["item"]

    def phase(self, phase):
        self.act(self.host, {"type": "board.phase", "phase": phase})

    def refused(self, who, message) -> str:
        with pytest.raises(Rejected) as caught:
            self.act(who, message)
        return str(caught.value)

    def render(self, view, me=None):
        return render.frame(self.ws, view, "fr", me)


def snapshot(room, label="T0", snapshot_id="s1", taken_at="2026-01-01T12:00:00+00:00"):
    return freeze_workshop(room.ws, snapshot_id, label, taken_at)


def test_a_contribution_has_a_theme_a_kind_and_a_source():
    room = Room()
    item = room.add(room.alice, "Pas de bus après 20 h")
    stored = room.data.items[item]
    assert (stored.theme, stored.nature, stored.source, stored.status) == ("mobilite", "need", "lived", "new")
    with pytest.raises(InvalidAction):
        parse({"type": "diagnosis.add", "board": B, "theme": "mobilite", "nature": "wish", "source": "lived",
               "text": "x"})
    assert room.refused(room.alice, {"type": "diagnosis.add", "theme": "nope", "nature": "need",
                                     "source": "study", "text": "x"}) == "Ce thème n'existe plus."


def test_the_facilitator_edits_the_themes_and_a_theme_in_use_stays():
    room = Room()
    assert [t for t in room.data.themes] == ["emploi", "mobilite", "logement", "sante", "numerique", "garde",
                                             "formation"]
    room.act(room.host, {"type": "diagnosis.theme.add", "label": "Sport"})
    added = [t for t in room.data.themes.values() if t.label == "Sport"][0]
    assert added.custom
    assert room.refused(room.host, {"type": "diagnosis.theme.add", "label": "sport"}) == "Ce thème existe déjà."
    room.add(room.alice, "Un club de foot", nature="resource", theme=added.id)
    assert room.refused(room.host, {"type": "diagnosis.theme.remove", "theme": added.id}).startswith(
        "Des contributions portent ce thème")
    room.act(room.host, {"type": "diagnosis.theme.remove", "theme": "garde"})
    assert "garde" not in room.data.themes
    assert room.refused(room.alice, {"type": "diagnosis.theme.add", "label": "Culture"}) == \
        "Seule l'animation peut faire cela."


def test_people_edit_their_own_contributions_only_while_collecting():
    room = Room()
    item = room.add(room.alice, "Pas de bus après 20 h")
    edit = {"type": "diagnosis.edit", "item": item, "theme": "mobilite", "nature": "need", "source": "study",
            "text": "Pas de bus après 20 h (enquête)"}
    assert room.refused(room.bob, edit) == "Vous ne pouvez modifier que vos propres contributions."
    room.act(room.alice, edit)
    assert room.data.items[item].source == "study"
    room.phase("prioritise")
    assert room.refused(room.alice, {"type": "diagnosis.delete", "item": item}) == \
        "Les contributions au diagnostic sont fermées."
    room.phase("locked")
    assert room.refused(room.host, {"type": "diagnosis.delete", "item": item}) == "Ce tableau est verrouillé."


def test_the_room_prioritises_needs_with_a_budget_of_dots():
    room = Room()
    needs = [room.add(room.alice, f"Besoin {n}") for n in range(4)]
    resource = room.add(room.bob, "Le centre social", nature="resource")
    dot = lambda who, item, on=True: room.act(who, {"type": "diagnosis.dot", "item": item, "on": on})
    with pytest.raises(Rejected, match="La priorisation des besoins n'est pas ouverte."):
        dot(room.bob, needs[0])
    room.phase("prioritise")
    assert room.refused(room.bob, {"type": "diagnosis.dot", "item": resource, "on": True}) == \
        "Seuls les besoins se priorisent."
    assert room.refused(room.host, {"type": "diagnosis.dot", "item": needs[0], "on": True}).startswith(
        "L'animation ne vote pas")
    for item in needs[:3]:
        dot(room.bob, item)
    assert dot(room.bob, needs[0]) == []  # one dot per need: a second tap changes nothing
    assert room.refused(room.bob, {"type": "diagnosis.dot", "item": needs[3], "on": True}) == \
        "Vous avez déjà placé tous vos points (3)."
    dot(room.bob, needs[0], on=False)
    dot(room.bob, needs[3])
    dot(room.alice, needs[3])
    assert room.data.total(needs[3]) == 2 and room.data.total(needs[0]) == 0
    ranked = room.ws.boards[B]
    from boards.diagnosis import view
    assert [(rank, item.id, n) for rank, item, n in view.needs_ranking(ranked)][:3] == [
        (1, needs[3], 2), (2, needs[1], 1), (2, needs[2], 1)]
    assert room.refused(room.host, {"type": "diagnosis.settings", "budget": 1, "anonymous": True}).startswith(
        "Une personne a déjà placé 3 points")
    # Removing someone takes their dots out of every tally.
    room.do(rules.decide(room.ws, Actor(room.host, FACILITATOR),
                         parse({"type": "participant.remove", "participant": room.bob})))
    assert room.data.total(needs[3]) == 1 and room.bob not in room.data.votes


def test_hidden_items_reach_the_facilitator_only_and_never_a_snapshot():
    room = Room()
    item = room.add(room.alice, "Texte à modérer 7Q2")
    room.act(room.host, {"type": "diagnosis.hide", "item": item, "hidden": True})
    assert "Texte à modérer 7Q2" in room.render("facilitator", room.host)
    assert "Texte à modérer 7Q2" not in room.render("screen")
    assert "Texte à modérer 7Q2" not in room.render("participant", room.bob)
    assert freeze(room.ws.boards[B])["diagnosis"] == []


def test_anonymous_by_default_and_names_only_on_items_written_signed():
    room = Room()
    room.add(room.alice, "Écrit en anonyme")
    room.act(room.host, {"type": "diagnosis.settings", "budget": 3, "anonymous": False})
    room.add(room.alice, "Écrit signé")
    page = room.render("screen")
    assert page.count("Alice Arnaud (Centre social)") == 1
    room.act(room.host, {"type": "diagnosis.settings", "budget": 3, "anonymous": True})
    assert "Alice Arnaud" not in room.render("screen")
    assert "author" not in str(freeze(room.ws.boards[B]))


def test_a_proxy_types_for_a_person_without_a_phone():
    room = Room()
    offline = room.do(rules.join(room.ws, "Chantal"))[0]["participant"]
    room.ws.participants[offline].offline = True
    events = rules.decide(room.ws, Actor(offline, PARTICIPANT, proxy_by=room.host),
                          parse({"type": "diagnosis.add", "board": B, "theme": "emploi", "nature": "need",
                                 "source": "lived", "text": "Trouver une formation"}))
    assert events[0]["author"] == offline and events[0]["proxy"] == room.host
    with pytest.raises(Rejected, match="On ne peut saisir que pour une personne sans téléphone."):
        rules.decide(room.ws, Actor(room.bob, PARTICIPANT, proxy_by=room.host),
                     parse({"type": "diagnosis.add", "board": B, "theme": "emploi", "nature": "need",
                            "source": "lived", "text": "x"}))


def test_items_link_to_actors_of_the_map_and_revealed_cards_only():
    room = Room()
    room.do([{"type": "board.added", "board": "b50", "kind": "levers", "title": "Freins et leviers"}])
    card = room.do(rules.decide(room.ws, Actor(room.bob, PARTICIPANT), parse(
        {"type": "card.add", "board": "b50", "side": "frein", "category": "confiance", "text": "Carte privée"})))
    card_id = card[0]["card"]
    message = {"type": "diagnosis.add", "theme": "emploi", "nature": "need", "source": "lived",
               "text": "Relié", "cards": [card_id]}
    assert room.refused(room.alice, message) == "Cette carte ne figure pas parmi les freins et leviers dévoilés."
    assert "Carte privée" not in room.render("participant", room.alice)
    room.do([{"type": "board.phase", "board": "b50", "phase": "reveal"}])
    item = room.act(room.alice, message)[0]["item"]
    assert room.data.items[item].cards == [card_id]
    assert room.refused(room.alice, {**message, "cards": [], "actors": ["a1"]}) == \
        "Cet acteur ne figure pas dans la cartographie."


def carried_room():
    """Wave 1 (T0): three items, one closed later... then a second workshop of the territory."""
    first = Room("w1", "Atelier d'octobre")
    bus = first.add(first.alice, "Pas de bus après 20 h")
    first.add(first.bob, "Le centre social", nature="resource", theme="sante")
    first.act(first.host, {"type": "diagnosis.theme.add", "label": "Sport"})
    sport = [t.id for t in first.data.themes.values() if t.label == "Sport"][0]
    first.add(first.bob, "Un club de foot", nature="resource", theme=sport)
    first.phase("prioritise")
    first.act(first.alice, {"type": "diagnosis.dot", "item": bus, "on": True})
    t0 = snapshot(first, "T0")
    second = Room("w2", "Atelier de mars")
    return first, t0, second, bus


def test_a_new_wave_carries_the_open_items_with_their_ref_and_history():
    first, t0, second, bus = carried_room()
    events = second.do(decide_carry(second.ws, second.ws.boards[B], Actor(second.host, FACILITATOR), t0))
    items = second.data.sorted_items()
    assert [i.text for i in items] == ["Pas de bus après 20 h", "Le centre social", "Un club de foot"]
    assert all(i.status == "carried" for i in items)
    assert items[0].ref == first.data.items[bus].ref == f"w1-{bus}"
    assert items[0].history == [{"wave": "T0", "taken_at": "2026-01-01", "workshop": "Atelier d'octobre",
                                 "status": "new", "text": "Pas de bus après 20 h", "votes": 1}]
    assert "Sport" in [t.label for t in second.data.themes.values()]
    assert events[0]["source"]["wave"] == "T0"
    with pytest.raises(Rejected, match="Ce diagnostic a déjà repris la vague « T0 »."):
        decide_carry(second.ws, second.ws.boards[B], Actor(second.host, FACILITATOR), t0)
    with pytest.raises(Rejected, match="Seule l'animation peut faire cela."):
        decide_carry(second.ws, second.ws.boards[B], Actor(second.alice, PARTICIPANT), t0)


def test_carried_items_are_kept_updated_or_closed_and_closed_ones_stay_behind():
    first, t0, second, bus = carried_room()
    second.do(decide_carry(second.ws, second.ws.boards[B], Actor(second.host, FACILITATOR), t0))
    bus_here, social, foot = [i.id for i in second.data.sorted_items()]
    assert second.refused(second.alice, {"type": "diagnosis.edit", "item": bus_here, "theme": "mobilite",
                                         "nature": "need", "source": "lived", "text": "x"}) == \
        "Seule l'animation met à jour un élément repris d'une vague précédente."
    assert second.refused(second.host, {"type": "diagnosis.delete", "item": social}).startswith(
        "Un élément repris d'une vague précédente ne se supprime pas")
    second.act(second.host, {"type": "diagnosis.edit", "item": bus_here, "theme": "mobilite", "nature": "need",
                             "source": "partner", "text": "Pas de bus après 21 h"})
    second.act(second.host, {"type": "diagnosis.review", "item": social, "status": "kept"})
    second.act(second.host, {"type": "diagnosis.review", "item": foot, "status": "closed"})
    new = second.add(second.bob, "Une crèche manque", nature="missing", theme="garde")
    assert second.refused(second.host, {"type": "diagnosis.review", "item": new, "status": "closed"}) == \
        "Seuls les éléments repris d'une vague précédente se maintiennent ou se ferment."
    assert [i.status for i in second.data.sorted_items()] == ["updated", "kept", "closed", "new"]
    # The third wave carries what is still open; the history of the bus has two waves.
    t1 = snapshot(second, "T1", "s2", "2026-03-01T12:00:00+00:00")
    third = Room("w3", "Atelier de juin")
    third.do(decide_carry(third.ws, third.ws.boards[B], Actor(third.host, FACILITATOR), t1))
    texts = [i.text for i in third.data.sorted_items()]
    assert texts == ["Pas de bus après 21 h", "Le centre social", "Une crèche manque"]
    bus_then = third.data.sorted_items()[0]
    assert bus_then.ref == f"w1-{bus}"
    assert [(h["wave"], h["status"], h["text"]) for h in bus_then.history] == [
        ("T0", "new", "Pas de bus après 20 h"), ("T1", "updated", "Pas de bus après 21 h")]
    page = third.render("screen")
    assert "Historique : 2 vagues précédentes" in page and "Pas de bus après 20 h" in page


def test_nothing_to_carry_is_said_plainly():
    room = Room()
    with pytest.raises(Rejected) as caught:
        decide_carry(room.ws, room.ws.boards[B], Actor(room.host, FACILITATOR), None)
    assert str(caught.value) == "Aucun diagnostic précédent de ce territoire n'a d'élément ouvert à reprendre."


def test_a_phone_is_sent_its_own_dots_and_tools_only():
    room = Room()
    mine = room.add(room.alice, "Besoin d'Alice")
    room.add(room.bob, "Besoin de Bob")
    page = room.render("participant", room.alice)
    assert page.count("diagnosis.delete") == 1  # her own item's tools, not Bob's
    assert room.alice not in page and room.bob not in page  # no author id on an anonymous board
    room.phase("prioritise")
    room.act(room.alice, {"type": "diagnosis.dot", "item": mine, "on": True})
    events = [{"type": "diagnosis.dotted", "board": B, "item": mine, "voter": room.alice}]
    assert render.personal_readers(room.ws, events) == {room.alice}
    shared = render.changes(room.ws, events, "participant", "fr")
    assert "Il vous reste" not in shared and "1 point" in shared
    own = render.personal(room.ws, events, "participant", "fr", room.alice)
    assert "Il vous reste 2 points" in own and 'aria-pressed="true"' in own


def test_views_render_in_english():
    room = Room()
    room.add(room.alice, "Pas de bus")
    page = render.frame(room.ws, "participant", "en", room.alice)
    assert "Mobility" in page and "Lived experience" in page and "Need" in page
