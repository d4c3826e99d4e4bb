"""The shared ambition board: statements drafted by the room, consent rounds run by the
facilitator, results explained in plain French; refusals in French; what each view is sent."""

import pytest

from boards import rules
from boards.actions import parse
from boards.ambition import freeze, view
from boards.errors import InvalidAction, Rejected
from boards.model import FACILITATOR, PARTICIPANT, Actor
from boards.state import apply, replay
from server import render

B = "b2"


class Room:
    def __init__(self):
        self.ws = replay("w1", [])
        self.do(rules.create_workshop("w1", "Atelier", "QPV Les Tilleuls", "ABC234"))
        self.do([{"type": "board.added", "board": B, "kind": "ambition", "title": "Ambition de changement"}])
        self.host = self.do(rules.join(self.ws, "Animation", role=FACILITATOR))[0]["participant"]
        self.alice = self.do(rules.join(self.ws, "Alice Arnaud", "Centre social"))[0]["participant"]
        self.bob = self.do(rules.join(self.ws, "Bob Bernard"))[0]["participant"]
        self.chloe = self.do(rules.join(self.ws, "Chloé"))[0]["participant"]

    @property
    def data(self):
        return self.ws.boards[B].data

    def do(self, events):
        for event in events:
            apply(self.ws, {**event, "seq": self.ws.seq + 1, "at": "2026-01-01T10:00:00+00:00"})
        return events

    def act(self, who, message):
        role = FACILITATOR if who == self.host else PARTICIPANT
        return self.do(rules.decide(self.ws, Actor(who, role), parse({"board": B, **message})))

    def refused(self, who, message) -> str:
        with pytest.raises(Rejected) as caught:
            self.act(who, message)
        return str(caught.value)

    def propose(self, who, text):
        return self.act(who, {"type": "ambition.propose", "text": text})[0]["statement"]

    def answer(self, who, answer, reason=""):
        return self.act(who, {"type": "ambition.answer", "answer": answer, "reason": reason})

    def render(self, view_name, me=None, locale="fr"):
        return render.frame(self.ws, view_name, locale, me)


def consent_phase(room):
    room.act(room.host, {"type": "board.phase", "phase": "consent"})


def test_the_room_drafts_statements_and_only_authors_change_theirs():
    room = Room()
    mine = room.propose(room.alice, "Que chaque habitant sans emploi trouve un interlocuteur à moins de 15 minutes")
    assert room.refused(room.bob, {"type": "ambition.edit", "statement": mine, "text": "x"}) == \
        "Vous ne pouvez modifier que vos propres propositions."
    room.act(room.alice, {"type": "ambition.edit", "statement": mine, "text": "Un interlocuteur à 15 minutes"})
    assert room.data.statements[mine].versions == []  # a draft's wording is not an amendment
    consent_phase(room)
    assert room.refused(room.bob, {"type": "ambition.propose", "text": "Trop tard"}) == \
        "La rédaction des propositions est terminée."


def test_two_rounds_one_objection_then_consent():
    room = Room()
    statement = room.propose(room.alice, "Un interlocuteur à 15 minutes")
    assert room.refused(room.host, {"type": "ambition.round.open", "statement": statement}) == \
        "Les tours de consentement se tiennent dans la phase « Consentement »."
    consent_phase(room)
    assert room.refused(room.alice, {"type": "ambition.round.open", "statement": statement}) == \
        "Seule l'animation peut faire cela."
    room.act(room.host, {"type": "ambition.round.open", "statement": statement})
    assert room.refused(room.host, {"type": "ambition.round.close"}).startswith("Personne n'a encore répondu")
    assert room.refused(room.bob, {"type": "ambition.answer", "answer": "object"}) == \
        "Dites pourquoi : une réserve ou une objection s'accompagne de sa raison."
    assert room.refused(room.host, {"type": "ambition.answer", "answer": "support"}).startswith(
        "L'animation ne répond pas")
    room.answer(room.alice, "support")
    room.answer(room.bob, "object", "15 minutes à pied ou en bus ? Le soir aucun bus.")
    room.answer(room.chloe, "reserve", "Il faudra le mesurer")
    # While the round is open nobody else sees a reason, not even the facilitator's laptop.
    for page in (room.render("screen"), room.render("facilitator", room.host), room.render("participant", room.alice)):
        assert "Le soir aucun bus" not in page and "Il faudra le mesurer" not in page
        assert "3 réponses" in page
    assert "Le soir aucun bus" in room.render("participant", room.bob)  # his own answer
    assert room.refused(room.host, {"type": "ambition.edit", "statement": statement, "text": "x"}).startswith(
        "Un tour de consentement est ouvert sur cette proposition")
    room.act(room.host, {"type": "ambition.round.close"})
    first = room.data.statements[statement].rounds[0]
    assert first.result == "objected" and not room.data.statements[statement].agreed
    screen = room.render("screen")
    assert "Pas de consentement : 1 personne s'oppose." in screen
    assert "15 minutes à pied ou en bus ? Le soir aucun bus." in screen and "Il faudra le mesurer" in screen
    assert "Bob" not in screen  # anonymous by default
    # Amended by the facilitator, then a second round agrees despite a reserve.
    assert room.refused(room.alice, {"type": "ambition.edit", "statement": statement, "text": "x"}) == \
        "Après un tour de consentement, seule l'animation amende la proposition."
    room.act(room.host, {"type": "ambition.edit", "statement": statement,
                         "text": "Un interlocuteur à 15 minutes à pied ou en transport, y compris le soir"})
    assert room.data.statements[statement].versions == ["Un interlocuteur à 15 minutes"]
    room.act(room.host, {"type": "ambition.round.open", "statement": statement})
    room.answer(room.alice, "support")
    room.answer(room.bob, "support")
    room.answer(room.chloe, "reserve", "Il faudra le mesurer")
    room.act(room.host, {"type": "ambition.round.close"})
    stored = room.data.statements[statement]
    assert stored.agreed and [r.result for r in stored.rounds] == ["objected", "agreed"]
    assert [r.text for r in stored.rounds] == ["Un interlocuteur à 15 minutes", stored.text]
    screen = room.render("screen")
    assert "Adoptée par consentement : personne ne s'oppose, 2 personnes soutiennent." in screen
    assert "1 réserve est notée : elle n'empêche pas la décision, et l'on en tiendra compte." in screen
    assert "Notre ambition de changement" in screen
    assert room.refused(room.host, {"type": "ambition.round.open", "statement": statement}) == \
        "Cette proposition est déjà adoptée."
    assert room.refused(room.host, {"type": "ambition.edit", "statement": statement, "text": "x"}) == \
        "Cette proposition est adoptée : elle ne change plus."
    frozen = freeze(room.ws.boards[B])["ambition"][0]
    assert frozen["agreed"] and [r["result"] for r in frozen["rounds"]] == ["objected", "agreed"]
    assert frozen["rounds"][0]["object"] == 1 and frozen["rounds"][1]["support"] == 2
    assert "participant" not in str(frozen) and room.bob not in str(frozen)


def test_consent_results_are_explained_in_plain_french_singular_and_plural():
    room = Room()
    statement = room.propose(room.alice, "Texte")
    consent_phase(room)
    room.act(room.host, {"type": "ambition.round.open", "statement": statement})
    room.answer(room.bob, "object", "Non")
    room.answer(room.chloe, "object", "Pas ainsi")
    room.act(room.host, {"type": "ambition.round.close"})
    assert "Pas de consentement : 2 personnes s'opposent." in room.render("screen")
    assert view.verdict(room.data.statements[statement].rounds[0]) == {
        "support": 0, "reserve": 0, "object": 2, "answers": 2, "agreed": False, "closed": True}
    room.act(room.host, {"type": "ambition.round.open", "statement": statement})
    room.answer(room.bob, "support")
    room.act(room.host, {"type": "ambition.round.close"})
    page = room.render("screen")
    assert "Adoptée par consentement : personne ne s'oppose, 1 personne soutient." in page
    assert "réserve" not in page.split("Résultat du tour n° 2")[1].split("</section>")[0]
    english = room.render("screen", locale="en")
    assert "Agreed by consent: nobody objects, 1 person supports it." in english


def test_one_round_at_a_time_answers_replace_and_a_removed_person_no_longer_counts():
    room = Room()
    first, second = room.propose(room.alice, "Un"), room.propose(room.bob, "Deux")
    consent_phase(room)
    room.act(room.host, {"type": "ambition.round.open", "statement": first})
    assert room.refused(room.host, {"type": "ambition.round.open", "statement": second}) == \
        "Un tour est déjà ouvert : clôturez-le d'abord."
    room.answer(room.bob, "object", "Non")
    assert room.answer(room.bob, "object", "Non") == []
    room.answer(room.bob, "support")
    assert room.data.round_open().answers[room.bob].answer == "support"
    room.do(rules.decide(room.ws, Actor(room.host, FACILITATOR),
                         parse({"type": "participant.remove", "participant": room.bob})))
    assert room.data.round_open().answers == {}
    with pytest.raises(InvalidAction):
        parse({"type": "ambition.answer", "board": B, "answer": "peut-être"})


def test_a_proxy_answers_for_a_person_without_a_phone_and_moderation_hides_a_statement():
    room = Room()
    offline = room.do(rules.join(room.ws, "Sans téléphone"))[0]["participant"]
    room.ws.participants[offline].offline = True
    statement = room.propose(room.alice, "Une ambition")
    hidden = room.propose(room.bob, "Texte injurieux 9XK")
    room.act(room.host, {"type": "ambition.hide", "statement": hidden, "hidden": True})
    assert "Texte injurieux 9XK" not in room.render("screen")
    assert "Texte injurieux 9XK" not in room.render("participant", room.alice)
    assert "Texte injurieux 9XK" in room.render("facilitator", room.host)
    assert [s["text"] for s in freeze(room.ws.boards[B])["ambition"]] == ["Une ambition"]
    consent_phase(room)
    assert room.refused(room.host, {"type": "ambition.round.open", "statement": hidden}) == \
        "Cette proposition est masquée."
    room.act(room.host, {"type": "ambition.round.open", "statement": statement})
    events = room.do(rules.decide(room.ws, Actor(offline, PARTICIPANT, proxy_by=room.host),
                                  parse({"type": "ambition.answer", "board": B, "answer": "support"})))
    assert events[0]["participant"] == offline and events[0]["proxy"] == room.host


def test_names_only_with_answers_given_signed():
    room = Room()
    statement = room.propose(room.alice, "Une ambition")
    room.act(room.host, {"type": "ambition.anonymous", "anonymous": False})
    consent_phase(room)
    room.act(room.host, {"type": "ambition.round.open", "statement": statement})
    room.answer(room.bob, "object", "Trop vague")
    room.act(room.host, {"type": "ambition.round.close"})
    assert "Trop vague" in room.render("screen") and "Bob Bernard" in room.render("screen")
    assert "Alice Arnaud" not in room.render("screen")  # proposed while anonymous
    room.act(room.host, {"type": "ambition.anonymous", "anonymous": True})
    assert "Bob Bernard" not in room.render("screen")


def test_a_phone_gets_its_own_answer_only():
    room = Room()
    statement = room.propose(room.alice, "Une ambition")
    consent_phase(room)
    room.act(room.host, {"type": "ambition.round.open", "statement": statement})
    events = room.answer(room.bob, "reserve", "Mesurer comment ?")
    assert render.personal_readers(room.ws, events) == {room.bob}
    for view_name in ("participant", "screen", "facilitator"):
        shared = render.changes(room.ws, events, view_name, "fr")
        assert "Mesurer comment ?" not in shared and "1 réponse" in shared
    own = render.personal(room.ws, events, "participant", "fr", room.bob)
    assert "Mesurer comment ?" in own and "J'ai une réserve" in own
