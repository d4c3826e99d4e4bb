"""Messages a workshop owes its people: a warning before a likely duplicate actor, duplicates told
apart, a word to the author of a hidden note, a way back for whoever types for someone, cards the
facilitator hides, and agenda templates that never add a board twice."""

from __future__ import annotations

import re

import httpx
import pytest

from boards import rules
from boards.actions import parse
from boards.errors import InvalidAction, Rejected
from boards.model import FACILITATOR, PARTICIPANT, Actor
from boards.snapshot import freeze
from boards.state import apply, replay
from live_server import LiveServer
from server import render
from test_rules import Play
from test_stakeholders import B, Map


def refusal_text(refusal: Rejected) -> str:
    return refusal.message % refusal.params if refusal.params else refusal.message


# 9. Likely duplicates --------------------------------------------------------------------------------

def test_a_likely_duplicate_is_announced_before_it_is_added_and_the_panel_tells_twins_apart():
    play = Map()
    play.ws.current_board = B
    first = play.actor(play.alice, "Mairie de Lormont", "collectivité", at=(0.8, 0.2))
    caf = play.actor(play.alice, "CAF", "institution publique")
    play.tie(play.alice, first, caf)
    with pytest.raises(Rejected) as refused:
        play.act(play.bob, {"type": "actor.add", "name": "mairie de  LORMONT", "category": "collectivité"})
    assert refusal_text(refused.value).startswith("« Mairie de Lormont » est déjà sur la carte (collectivité).")
    assert "Un autre acteur porte ce nom" in refusal_text(refused.value)
    assert len(play.data.actors) == 2
    # The person may still add it, saying it is another one.
    second = play.actor(play.bob, "Mairie de Lormont", "collectivité", anyway=True)
    assert {a.name for a in play.data.actors.values()} == {"Mairie de Lormont", "CAF"} and second in play.data.actors

    page = render.frame(play.ws, "facilitator", "fr", play.host)
    panel = re.search(r'<section id="sh-dups-b2".*?</section>', page, re.S).group(0)
    buttons = re.findall(r'<button class="small">(Garder[^<]*)</button>', panel)
    assert buttons == ["Garder le n° 1 : « Mairie de Lormont »", "Garder le n° 2 : « Mairie de Lormont »"]
    described = re.findall(r'<li>Mairie de Lormont <span class="muted">\(([^)]*)\)</span></li>', panel)
    assert described == ["collectivité · n° 1 · ajouté par Alice · 1 lien · fort pouvoir / fort intérêt",
                         "collectivité · n° 2 · ajouté par Bob · 0 lien · pas encore placé"]
    questions = re.findall(r'data-confirm="([^"]*)"', panel)
    assert len(set(questions)) == 2
    assert questions[0].startswith("Fusionner « Mairie de Lormont » (n° 2 · ajouté par Bob")
    assert "dans « Mairie de Lormont » (n° 1 · ajouté par Alice · 1 lien" in questions[0]


# 12. A hidden note ------------------------------------------------------------------------------------

def test_the_author_of_a_hidden_note_is_told_and_nobody_else_gets_its_text():
    play = Play()
    play.ws.current_board = "b2"
    note = play.add(play.alice, "Le bailleur ne répond jamais")
    events = play.act(play.host, {"type": "note.hide", "board": "b2", "note": note, "hidden": True})
    notice = "L'animation a masqué une de vos notes"
    for fragment in (render.changes(play.ws, events, "participant", "fr"),
                     render.frame(play.ws, "participant", "fr", play.alice),
                     render.frame(play.ws, "participant", "fr", play.bob)):
        assert "Le bailleur ne répond jamais" not in fragment
        # The words sit in the note's place, inside its author's mark: board.js shows `own-only`
        # parts in the reader's own `data-author` only.
        assert re.search(rf'<div id="note-{note}" class="hidden-notice" data-author="{play.alice}"[^>]*>\s*'
                         rf'<p class="notice own-only" role="status"[^>]*>{notice}', fragment)
    screen = render.frame(play.ws, "screen", "fr")
    assert "Le bailleur" not in screen and notice not in screen
    # Shown again: the note is back in place of the notice.
    events = play.act(play.host, {"type": "note.hide", "board": "b2", "note": note, "hidden": False})
    again = render.changes(play.ws, events, "participant", "fr")
    assert "Le bailleur ne répond jamais" in again and notice not in again


# 12. Brake and lever cards hidden by the facilitator --------------------------------------------------

class Levers(Play):
    def __init__(self):
        super().__init__()
        self.do([{"type": "board.added", "board": "bl", "kind": "levers", "title": "Freins et leviers"}])
        self.ws.current_board = "bl"

    def phase(self, phase):
        return self.act(self.host, {"type": "board.phase", "board": "bl", "phase": phase})


def test_the_facilitator_hides_and_shows_a_card_whose_text_then_reaches_the_facilitator_only():
    play = Levers()
    card = play.act(play.bob, {"type": "card.add", "board": "bl", "side": "frein", "category": "confiance",
                               "text": "Untel ment en réunion"})[0]["card"]
    other = play.act(play.alice, {"type": "card.add", "board": "bl", "side": "levier", "category": "confiance",
                                  "text": "Un café partagé"})[0]["card"]
    hide = {"type": "card.hide", "board": "bl", "card": card, "hidden": True}
    with pytest.raises(Rejected, match="encore privées"):
        play.act(play.host, hide)
    play.phase("vote")
    for _ in range(2):
        play.act(play.alice, {"type": "vote.add", "board": "bl", "card": card})
    with pytest.raises((InvalidAction, Rejected)):
        play.act(play.bob, hide)
    assert not play.ws.boards["bl"].data.cards[card].hidden

    events = play.act(play.host, hide)
    data = play.ws.boards["bl"].data
    assert data.cards[card].hidden and data.left(play.alice) == data.budget and data.total(card) == 0
    with pytest.raises(Rejected, match="masqué cette carte"):
        play.act(play.alice, {"type": "vote.add", "board": "bl", "card": card})
    for view, me in (("participant", play.alice), ("participant", play.bob), ("screen", None)):
        assert "Untel ment" not in render.changes(play.ws, events, view, "fr")
        assert "Untel ment" not in render.frame(play.ws, view, "fr", me)
        assert "Un café partagé" in render.frame(play.ws, view, "fr", me)
        assert "0 frein · 1 levier" in render.frame(play.ws, view, "fr", me)
    console = render.frame(play.ws, "facilitator", "fr", play.host)
    article = re.search(rf'<article id="lv-card-{card}".*?</article>', console, re.S).group(0)
    assert "Untel ment" in article and "masquée" in article and "Afficher pour tous" in article
    assert "1 frein · 1 levier" in console
    assert "Untel ment" in render.changes(play.ws, events, "facilitator", "fr")
    play.phase("results")
    frozen = freeze(play.ws, "s1", "T0", "2027-01-01T10:00:00+00:00")
    assert [c["text"] for c in frozen["levers"]] == ["Un café partagé"]
    assert "Untel ment" not in render.frame(play.ws, "screen", "fr")

    events = play.act(play.host, {**hide, "hidden": False})
    assert "Untel ment" in render.changes(play.ws, events, "screen", "fr")
    assert replay("w1", play.log).boards["bl"].data == play.ws.boards["bl"].data
    assert other in play.ws.boards["bl"].data.cards


# 12. Agenda templates and the way back for whoever types for someone ------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("atelier") / "atelier.db") as server:
        yield server
        assert not server.records.errors()


def _browser(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, headers={"Origin": server.url}, timeout=30)


def _workshop(server):
    host = _browser(server)
    created = host.post("/ateliers", data={"title": "Atelier complet", "territory": "QPV du Parc"})
    assert host.get(created.headers["location"]).status_code == 303
    return host, created.headers["location"].split("/")[2]


def test_applying_a_template_never_adds_a_board_the_agenda_holds(live):
    host, workshop_id = _workshop(live)
    ws = live.app.state.workshops.get(workshop_id)
    assert [(b.kind, b.title) for b in ws.boards.values()] == [("diagnosis", "Diagnostic partagé")]
    assert host.post(f"/a/{workshop_id}/modele", data={"template": "complet"}).status_code == 303
    # One diagnosis, the structured one the workshop opened on; the template adds the rest in its order.
    assert [(b.kind, b.title) for b in ws.boards.values()] == [
        ("diagnosis", "Diagnostic partagé"), ("systems", "Carte systémique"), ("ambition", "Ambition de changement"),
        ("stakeholders", "Cartographie des acteurs"), ("levers", "Freins et leviers"),
        ("indicators", "Référentiel d'indicateurs")]
    again = host.post(f"/a/{workshop_id}/modele", data={"template": "complet"})
    assert again.status_code == 400 and "déjà dans l&#39;ordre du jour" in again.text
    # A template in English finds the boards named in French: nothing is added twice.
    host.cookies.set("lang", "en")
    english = _browser(live)
    english.cookies = host.cookies
    assert english.get("/langue/en?next=/").status_code == 303
    assert english.post(f"/a/{workshop_id}/modele", data={"template": "diagnostic"}).status_code == 400
    assert len(ws.boards) == 6


def test_whoever_types_for_someone_without_a_phone_has_a_way_back_to_their_own_page(live):
    host, workshop_id = _workshop(live)
    workshops = live.app.state.workshops
    ws = workshops.get(workshop_id)
    alice = _browser(live)
    code = ws.join_code
    assert alice.post("/rejoindre", data={"code": code, "name": "Alice"}).status_code == 303
    alice_id = next(p.id for p in ws.participants.values() if p.name == "Alice")
    facilitator = next(p.id for p in ws.participants.values() if p.role == FACILITATOR)

    def as_host(message):
        live.call(lambda: workshops.commit(ws, lambda w: [
            {**e, "by": facilitator} for e in rules.decide(w, Actor(facilitator, FACILITATOR), parse(message))]))

    as_host({"type": "participant.add_offline", "name": "Mme Diallo"})
    offline = next(p.id for p in ws.participants.values() if p.name == "Mme Diallo")
    as_host({"type": "participant.captain", "participant": alice_id, "captain": True})

    typed = alice.get(f"/a/{workshop_id}/pour/{offline}")
    assert typed.status_code == 200 and "Vous saisissez pour Mme Diallo" in typed.text
    back = re.search(r'<p class="back-own"><a class="button small" href="([^"]+)">([^<]+)</a>', typed.text)
    assert back.groups() == (f"/a/{workshop_id}", "← Revenir à ma page")
    assert alice.get(back.group(1)).status_code == 200
    console = host.get(f"/a/{workshop_id}/pour/{offline}").text
    back = re.search(r'<p class="back-own"><a class="button small" href="([^"]+)">([^<]+)</a>', console)
    assert back.groups() == (f"/a/{workshop_id}/animation", "← Revenir à la console d'animation")
    # One's own page has no such link.
    assert "back-own" not in alice.get(f"/a/{workshop_id}").text
