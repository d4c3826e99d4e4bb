"""What a coordinator reads: waves compared from the earlier to the later, every figure named and
spelled as the glossary says, the ideas boards in every page and file, the report opened to print.

One real server (in this process, so the boards are filled through the core quickly), one
workshop with two waves, shared by the tests of this module.
"""

from __future__ import annotations

import csv
import html as markup
import io
import json
import re
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from boards import indicators, rules
from boards.actions import parse
from boards.indicators import library as indicator_library
from boards.model import FACILITATOR, PARTICIPANT, Actor
from live_server import LiveServer
from server.i18n import translate

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "jeton-revue-glossaire"
LIBRARY = indicator_library.parse_json((ROOT / "boards" / "data" / "indicators.json").read_text("utf-8"))
SHOWN_NOTE = "Les permanences du centre social sont mal connues"
HIDDEN_NOTE = "Note masquée par l'animation : propos blessant"


def glossary() -> dict[str, str]:
    """French term -> English term, from every table of docs/glossary.md."""
    terms = {}
    for line in (ROOT / "docs" / "glossary.md").read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3 and cells[0] not in ("French", "---"):
            terms[cells[0]] = cells[1]
    return terms


class Room:
    """The workshop, acted on through the core on the server's own event loop."""

    def __init__(self, server: LiveServer, workshop_id: str):
        self.server = server
        self.workshops = server.app.state.workshops
        self.ws = self.workshops.get(workshop_id)

    def act(self, who: str, message: dict, role: str = PARTICIPANT) -> list[dict]:
        def decide(ws):
            events = rules.decide(ws, Actor(who, role), parse(message))
            for event in events:
                event.setdefault("by", who)
            return events

        stored = []
        self.server.call(lambda: self.workshops.commit(self.ws, lambda ws: stored.extend(decide(ws)) or stored))
        return stored

    def join(self, name: str) -> str:
        return self.server.call(self.workshops.join, self.ws, name)


def signed_in(server, locale: str = "fr") -> httpx.Client:
    client = httpx.Client(base_url=server.url, follow_redirects=False,
                          headers={"Origin": server.url, "Accept-Language": locale}, timeout=30)
    assert client.post("/coordination/connexion", data={"token": TOKEN, "suite": "/coordination"}).status_code == 303
    return client


def wait_ready(client: httpx.Client, snapshot_id: str) -> str:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        page = client.get(f"/coordination/instantanes/{snapshot_id}")
        assert page.status_code == 200
        if "/export/reseau.json" in page.text:
            return page.text
        time.sleep(0.2)
    raise AssertionError("the analysis never finished")


@pytest.fixture(scope="module")
def waves(tmp_path_factory):
    db = tmp_path_factory.mktemp("revue") / "revue.db"
    with LiveServer(db, coordinator_token=TOKEN) as server:
        host = httpx.Client(base_url=server.url, follow_redirects=False, headers={"Origin": server.url}, timeout=30)
        created = host.post("/ateliers", data={"title": "Atelier des Tilleuls", "territory": "QPV des Tilleuls"})
        assert host.get(created.headers["location"]).status_code == 303
        workshop_id = created.headers["location"].split("/")[2]
        room = Room(server, workshop_id)
        facilitator = next(p.id for p in room.ws.participants.values() if p.role == FACILITATOR)
        alice, bob = room.join("Alice"), room.join("Bob")

        def host_act(message):
            return room.act(facilitator, message, FACILITATOR)

        # A free ideas board beside the structured diagnosis the workshop opened on.
        host_act({"type": "board.add", "kind": "ideas", "title": "Enseignements de la vague"})
        ideas = next(b.id for b in room.ws.boards.values() if b.kind == "ideas")
        room.act(alice, {"type": "note.add", "board": ideas, "text": SHOWN_NOTE})
        hidden = room.act(bob, {"type": "note.add", "board": ideas, "text": HIDDEN_NOTE})[0]["note"]
        host_act({"type": "note.hide", "board": ideas, "note": hidden, "hidden": True})
        for kind in ("stakeholders", "levers", "indicators"):
            host_act({"type": "board.add", "kind": kind, "title": kind})
        board = {b.kind: b.id for b in room.ws.boards.values()}
        room.server.call(lambda: room.workshops.commit(room.ws, lambda ws: [
            {**e, "by": facilitator} for e in rules.decide(ws, Actor(facilitator, FACILITATOR),
                                                            indicators.Seed(board["indicators"], tuple(LIBRARY)))]))
        actors = {}
        for name, kind in (("Mission locale", "service public de l'emploi"), ("Centre social", "association"),
                           ("CAF", "institution publique"), ("Mairie de Lormont", "collectivité")):
            actors[name] = room.act(alice, {"type": "actor.add", "board": board["stakeholders"], "name": name,
                                            "category": kind})[0]["actor"]
        tie = room.act(bob, {"type": "tie.add", "board": board["stakeholders"], "source": actors["Mission locale"],
                             "target": actors["Centre social"], "category": "projet commun", "strength": 2,
                             "direction": "both"})[0]["tie"]
        room.act(bob, {"type": "tie.add", "board": board["stakeholders"], "source": actors["CAF"],
                       "target": actors["Centre social"], "category": "financement", "strength": 3,
                       "direction": "one"})
        host_act({"type": "board.phase", "board": board["stakeholders"], "phase": "rate"})
        room.act(alice, {"type": "tie.rate", "board": board["stakeholders"], "tie": tie, "trust": 3, "value": 4})
        card = room.act(bob, {"type": "card.add", "board": board["levers"], "side": "frein", "category": "confiance",
                              "text": "Personne ne se parle"})[0]["card"]
        host_act({"type": "board.phase", "board": board["levers"], "phase": "vote"})
        room.act(alice, {"type": "vote.add", "board": board["levers"], "card": card})
        first = LIBRARY[0]["id"]
        host_act({"type": "board.phase", "board": board["indicators"], "phase": "prioritise"})
        room.act(alice, {"type": "indicator.dot", "board": board["indicators"], "indicator": first, "add": True})
        host_act({"type": "indicator.choose", "board": board["indicators"], "indicator": first, "chosen": True})
        host_act({"type": "indicators.publish", "board": board["indicators"]})
        host_act({"type": "board.phase", "board": board["indicators"], "phase": "rate"})
        room.act(alice, {"type": "indicator.rate", "board": board["indicators"], "indicator": first, "value": "4"})

        def snapshot(label):
            taken = host.post(f"/a/{workshop_id}/instantanes", data={"label": label})
            assert taken.status_code == 303
            return re.search(r"instantane=(s[0-9a-f]+)", taken.headers["location"]).group(1)

        first_wave = snapshot("T0 — janvier")
        # Between the waves an actor arrives and is tied in.
        host_act({"type": "board.phase", "board": board["stakeholders"], "phase": "map"})
        regie = room.act(alice, {"type": "actor.add", "board": board["stakeholders"], "name": "Régie de quartier",
                                 "category": "association"})[0]["actor"]
        room.act(alice, {"type": "tie.add", "board": board["stakeholders"], "source": regie,
                         "target": actors["Mairie de Lormont"], "category": "projet commun", "strength": 1,
                         "direction": "both"})
        second_wave = snapshot("T1 — juin")
        coordinator = signed_in(server)
        for snapshot_id in (first_wave, second_wave):
            wait_ready(coordinator, snapshot_id)
        yield {"server": server, "fr": coordinator, "en": signed_in(server, "en"),
               "T0": first_wave, "T1": second_wave}
        assert not server.records.errors()


def test_a_comparison_opened_from_the_earlier_wave_reads_from_it_to_the_later(waves):
    fr, t0, t1 = waves["fr"], waves["T0"], waves["T1"]
    # The form of T0's page names T0 "apres" and the wave chosen "avant": whatever the names say,
    # the comparison runs from the earlier wave to the later one.
    page = fr.get(f"/coordination/instantanes/{t0}").text
    assert f'name="apres" value="{t0}"' in page and f'<option value="{t1}">' in page
    for query in (f"apres={t0}&avant={t1}", f"avant={t0}&apres={t1}"):
        compared = fr.get(f"/coordination/comparer?{query}").text
        assert "Évolution du réseau : T0 — janvier → T1 — juin" in compared
        assert re.search(r"Acteurs apparus \(1\)</h3>\s*<ul[^>]*><li>Régie de quartier</li>", compared)
        assert "Acteurs disparus (0)" in compared
        changes = fr.get(f"/coordination/comparer/export/changements.csv?{query}")
        rows = list(csv.DictReader(io.StringIO(changes.content.decode("utf-8-sig"))))
        assert [(r["changement"], r["nom"]) for r in rows if r["changement"].startswith("acteur")] == [
            ("acteur ajouté", "Régie de quartier")]
        actors = next(r for r in rows if r["id"] == "actors")
        assert (actors["avant"], actors["apres"], actors["ecart"]) == ("4", "5", "1")


def test_every_row_of_the_changes_file_names_its_figure_in_words(waves):
    fr = waves["fr"]
    raw = fr.get(f"/coordination/comparer/export/changements.csv?avant={waves['T0']}&apres={waves['T1']}")
    rows = [r for r in csv.DictReader(io.StringIO(raw.content.decode("utf-8-sig")))
            if r["changement"] == "indicateur réseau"]
    assert rows and all(r["nom"] != r["id"] for r in rows), [r for r in rows if r["nom"] == r["id"]]
    assert {r["id"]: r["nom"] for r in rows}["ignored_ties"] == "Liens non pris en compte"
    assert all(r["nom"] in glossary() for r in rows)


def test_the_ideas_board_is_in_the_review_page_the_report_and_every_data_file(waves):
    fr, t0 = waves["fr"], waves["T0"]
    base = f"/coordination/instantanes/{t0}"
    page = fr.get(base).text
    assert "<h2>Enseignements de la vague</h2>" in page and SHOWN_NOTE in page
    assert "Enseignements de la vague" in fr.get(f"{base}/export/rapport.html").text
    assert SHOWN_NOTE in fr.get(f"{base}/export/rapport.html").text
    notes = list(csv.DictReader(io.StringIO(fr.get(f"{base}/export/idees.csv").content.decode("utf-8-sig"))))
    assert [(n["tableau"], n["texte"]) for n in notes] == [("Enseignements de la vague", SHOWN_NOTE)]
    book = load_workbook(io.BytesIO(fr.get(f"{base}/export/classeur.xlsx").content))
    assert [row[1:] for row in book["idees"].iter_rows(min_row=2, values_only=True)] == [
        ("Enseignements de la vague", SHOWN_NOTE)]
    document = json.loads(fr.get(f"{base}/export/reseau.json").content)
    assert [(b["title"], [n["text"] for n in b["notes"]]) for b in document["ideas"]] == [
        ("Enseignements de la vague", [SHOWN_NOTE])]
    pack = zipfile.ZipFile(io.BytesIO(fr.get(f"{base}/export/dossier.zip").content))
    (name,) = [n for n in pack.namelist() if n.endswith("/idees.csv")]
    assert SHOWN_NOTE in pack.read(name).decode("utf-8-sig")
    # A note the facilitator hid is in none of them.
    everything = [page, fr.get(f"{base}/export/rapport.html").text, fr.get(f"{base}/export/reseau.json").text]
    everything += [pack.read(n).decode("utf-8", "ignore") for n in pack.namelist() if not n.endswith(".xlsx")]
    assert not any(HIDDEN_NOTE in text for text in everything)


def test_the_printable_report_opens_in_the_browser_and_data_files_download(waves):
    fr, t0 = waves["fr"], waves["T0"]
    page = fr.get(f"/coordination/instantanes/{t0}").text
    link = re.search(r'<a href="[^"]*/export/rapport\.html"[^>]*>', page).group(0)
    assert "download" not in link and 'target="_blank"' in link
    report = fr.get(f"/coordination/instantanes/{t0}/export/rapport.html")
    assert report.headers["content-disposition"].startswith("inline;")
    assert report.headers["content-type"].startswith("text/html")
    assert "@page { size: A4" in report.text and "Imprimer (Ctrl+P)" in report.text
    assert fr.get(f"/coordination/instantanes/{t0}/export/acteurs.csv").headers[
        "content-disposition"].startswith("attachment;")


def _figures(html: str) -> dict[str, str]:
    """Label -> value of a "figures" table (first two cells of each row)."""
    return dict(re.findall(r'<tr><td>([^<]+)</td><td class="num">([^<]*)</td>', html))


@pytest.mark.parametrize("locale, share, decimal", [("fr", r"^\d+,\d\xa0%$", r"^\d+,\d\d$"),
                                                     ("en", r"^\d+\.\d%$", r"^\d+\.\d\d$")])
def test_a_figure_reads_the_same_on_the_review_page_and_in_the_report(waves, locale, share, decimal):
    client, t0 = waves[locale], waves["T0"]
    review = _figures(client.get(f"/coordination/instantanes/{t0}").text)
    report = _figures(client.get(f"/coordination/instantanes/{t0}/export/rapport.html").text)
    density, average = translate(locale, "Densité"), translate(locale, "Partenaires par acteur (moyenne)")
    assert review[density] == report[density] and re.match(share, review[density]), review
    assert review[average] == report[average] and re.match(decimal, review[average]), review
    assert review == {k: v for k, v in report.items() if k in review}


def _labels(html: str, *, figures=True) -> set[str]:
    """The metric and rating words of a page: first cells of figure rows, numeric column heads."""
    found = set(re.findall(r'<th[^>]*class="num"[^>]*>([^<]+)</th>', html))
    if figures:
        found |= set(re.findall(r'<tr><td>([^<]+)</td><td class="num">', html))
    return {markup.unescape(label) for label in found}


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_metric_and_rating_label_a_coordinator_reads_is_the_glossarys(waves, locale):
    terms = glossary()
    words = set(terms) if locale == "fr" else set(terms.values())
    client, t0, t1 = waves[locale], waves["T0"], waves["T1"]
    waves_labels = {"T0 — janvier", "T1 — juin"}
    pages = {
        "review index": client.get("/coordination").text,
        "snapshot": client.get(f"/coordination/instantanes/{t0}").text,
        # The later wave's page follows the territory over both waves (charts and tables).
        "snapshot with its waves": client.get(f"/coordination/instantanes/{t1}").text,
        "comparison": client.get(f"/coordination/comparer?avant={t0}&apres={t1}").text,
        "indicators review": client.get("/coordination/indicateurs").text,
        "report": client.get(f"/coordination/instantanes/{t1}/export/rapport.html").text,
        "comparison report": client.get(f"/coordination/comparer/export/comparaison.html?avant={t0}&apres={t1}").text,
    }
    network = client.get(f"/coordination/instantanes/{t0}/export/reseau.html").text
    seen = {}
    for name, html in pages.items():
        assert "Utilité" not in html and "usefulness" not in html.lower(), name
        assert not re.search(r"\b[Vv]otes?\b", html) or name == "review index", name
        # Actor names fill the rows of the brokers' table: only its heads are words of ours.
        brokers = html.split(translate(locale, "Passeurs"), 1)
        labels = _labels(brokers[0]) | _labels(brokers[1], figures=False) if len(brokers) == 2 else _labels(html)
        seen[name] = labels - waves_labels
    seen["network page"] = set(map(markup.unescape, re.findall(r'<option value="(?:degree|betweenness|closeness|eigenvector|strength)">'
                                          r'([^<]+)</option>', network)))
    assert all(seen[name] for name in ("snapshot", "comparison", "report", "comparison report", "network page"))
    assert {translate(locale, "Score de confiance du réseau"), translate(locale, "Contrainte (Burt)")} <= seen[
        "snapshot with its waves"]
    strangers = {name: labels - words for name, labels in seen.items() if labels - words}
    assert not strangers, strangers


def test_the_catalogue_translates_every_glossary_term_as_the_glossary_does():
    from boards.network.text import ACTOR_LABELS, NETWORK_LABELS
    from exports.rows import CHANGE_LABELS

    terms = glossary()
    for label in (*NETWORK_LABELS.values(), *ACTOR_LABELS.values(), *CHANGE_LABELS.values(),
                  "Confiance", "Valeur", "Force", "Médiane", "Réponses", "Points"):
        assert label in terms, label
    wrong = {fr: (translate("en", fr), en) for fr, en in terms.items()
             if translate("en", fr) != fr and translate("en", fr) != en}
    untranslated = [fr for fr, en in terms.items() if translate("en", fr) == fr and fr != en]
    assert not wrong, wrong
    # Words the interface shows alone are catalogue messages; the others are words of the docs.
    assert set(untranslated) <= {"Tableau", "Vague", "Instantané"}, untranslated
