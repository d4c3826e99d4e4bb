"""The dossier (dossier.zip) and the wave's workbook hold the boards of the method when the workshop
has them: the systems map (factors, links with their polarity, loops), the shared diagnosis (theme,
kind, source, priority, status and history of each item) and the ambition (statements, rounds,
reasons, the agreed statement, which heads the report). Opened as a partner would: zipfile,
Python's csv, openpyxl, networkx."""

import csv
import io
import json
import zipfile

import networkx as nx
from openpyxl import load_workbook

import exports
from boards import rules
from boards.actions import parse
from boards.diagnosis import decide_carry
from boards.model import FACILITATOR, PARTICIPANT, Actor
from boards.network import analyse
from test_diagnosis import B as DIAGNOSIS, carried_room, snapshot

SYSTEMS, AMBITION = "b90", "b91"
AGREED = "Un interlocuteur à 15 minutes pour chaque habitant, y compris le soir"


def method_wave():
    """A second wave of the territory: its diagnosis carried from T0 (one item kept, one closed),
    a systems map with the population model's two loops, an ambition agreed at the second round."""
    _, t0, room, _ = carried_room()
    room.do(decide_carry(room.ws, room.ws.boards[DIAGNOSIS], Actor(room.host, FACILITATOR), t0))
    room.do([{"type": "board.added", "board": SYSTEMS, "kind": "systems", "title": "Carte systémique"},
             {"type": "board.added", "board": AMBITION, "kind": "ambition", "title": "Ambition de changement"}])

    def act(who, board, message):
        role = FACILITATOR if who == room.host else PARTICIPANT
        return room.do(rules.decide(room.ws, Actor(who, role), parse({"board": board, **message})))

    bus, social, foot = [i.id for i in room.data.sorted_items()]
    act(room.host, DIAGNOSIS, {"type": "diagnosis.review", "item": social, "status": "kept"})
    act(room.host, DIAGNOSIS, {"type": "diagnosis.review", "item": foot, "status": "closed"})
    room.add(room.alice, "=Une crèche à horaires décalés", nature="missing", theme="garde", source="study")

    births, people, deaths = (act(room.alice, SYSTEMS, {"type": "factor.add", "text": t})[0]["factor"]
                              for t in ("Naissances", "Population", "Décès"))
    for source, target, polarity in ((births, people, "+"), (people, births, "+"), (people, deaths, "+"),
                                     (deaths, people, "-")):
        act(room.bob, SYSTEMS, {"type": "link.add", "source": source, "target": target, "polarity": polarity})

    statement = act(room.alice, AMBITION, {"type": "ambition.propose", "text": "Un interlocuteur à 15 minutes"})
    statement = statement[0]["statement"]
    act(room.host, AMBITION, {"type": "board.phase", "phase": "consent"})
    act(room.host, AMBITION, {"type": "ambition.round.open", "statement": statement})
    act(room.alice, AMBITION, {"type": "ambition.answer", "answer": "support"})
    act(room.bob, AMBITION, {"type": "ambition.answer", "answer": "object", "reason": "Le soir aucun bus"})
    act(room.host, AMBITION, {"type": "ambition.round.close"})
    act(room.host, AMBITION, {"type": "ambition.edit", "statement": statement, "text": AGREED})
    act(room.host, AMBITION, {"type": "ambition.round.open", "statement": statement})
    act(room.alice, AMBITION, {"type": "ambition.answer", "answer": "support"})
    act(room.bob, AMBITION, {"type": "ambition.answer", "answer": "reserve", "reason": "Vérifier avec le réseau"})
    act(room.host, AMBITION, {"type": "ambition.round.close"})
    wave = snapshot(room, "T1 — mars", "s2", "2026-03-01T12:00:00+00:00")
    return wave, analyse(wave)


def rows_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_dossier_holds_the_systems_map_the_diagnosis_and_the_ambition():
    wave, analysis = method_wave()
    archive = zipfile.ZipFile(io.BytesIO(exports.evidence_pack(wave, analysis)))
    folder = "maillage-t1-mars/"
    names = set(archive.namelist())
    method = {"systeme_facteurs.csv", "systeme_liens.csv", "systeme_boucles.csv", "systeme.gexf",
              "systeme.graphml", "diagnostic.csv", "diagnostic.json", "ambition.csv", "ambition.json"}
    assert {folder + name for name in method} <= names
    readme = archive.read(folder + "README.txt").decode("utf-8")
    for name in method:
        assert name in readme

    factors = rows_of(archive.read(folder + "systeme_facteurs.csv"))
    assert sorted((f["texte"], f["boucles"]) for f in factors) == [
        ("Décès", "1"), ("Naissances", "1"), ("Population", "2")]
    links = rows_of(archive.read(folder + "systeme_liens.csv"))
    assert sorted((l["cause_texte"], l["effet_texte"], l["polarite"]) for l in links) == [
        ("Décès", "Population", "négatif"), ("Naissances", "Population", "positif"),
        ("Population", "Décès", "positif"), ("Population", "Naissances", "positif")]
    loops = rows_of(archive.read(folder + "systeme_boucles.csv"))
    assert sorted((l["boucle"], l["type"]) for l in loops) == [("B1", "équilibre"), ("R1", "renforcement")]
    graph = nx.read_graphml(io.BytesIO(archive.read(folder + "systeme.graphml")))
    assert sorted(d["polarity"] for _, _, d in graph.edges(data=True)) == ["+", "+", "+", "-"]

    items = {i["texte"]: i for i in rows_of(archive.read(folder + "diagnostic.csv"))}
    assert set(items) == {"Pas de bus après 20 h", "Le centre social", "Un club de foot",
                          "'=Une crèche à horaires décalés"}
    bus = items["Pas de bus après 20 h"]
    assert (bus["theme"], bus["nature"], bus["source"], bus["points"], bus["statut"]) == (
        "Mobilité", "Besoin", "Expérience vécue", "0", "Repris, à revoir")
    assert bus["vagues_precedentes"] == "1" and "T0" in bus["historique"] and "Nouveau" in bus["historique"]
    assert (items["Un club de foot"]["statut"], items["Le centre social"]["statut"]) == ("Fermé", "Maintenu")
    assert items["'=Une crèche à horaires décalés"]["source"] == "Étude"
    document = json.loads(archive.read(folder + "diagnostic.json"))
    assert [h["votes"] for h in next(i for i in document["items"] if i["text"] == "Pas de bus après 20 h")
            ["history"]] == [1]

    rounds = rows_of(archive.read(folder + "ambition.csv"))
    assert [(r["tour"], r["resultat"], r["objections"], r["reserves"], r["raisons"]) for r in rounds] == [
        ("1", "objection", "1", "0", "objection : Le soir aucun bus"),
        ("2", "consentement", "0", "1", "réserve : Vérifier avec le réseau")]
    assert {r["texte_actuel"] for r in rounds} == {AGREED}
    assert [r["adoptee"] for r in rounds] == ["oui", "oui"]
    statements = json.loads(archive.read(folder + "ambition.json"))["statements"]
    assert statements[0]["agreed"] and statements[0]["versions"] == ["Un interlocuteur à 15 minutes"]
    for name in method:
        assert b"Alice" not in archive.read(folder + name) and b"Bob" not in archive.read(folder + name)

    # The report heads with the agreed ambition, before the network.
    report = archive.read(folder + "rapport.html").decode("utf-8")
    assert report.index("Notre ambition de changement") < report.index(AGREED) < report.index("Le réseau en chiffres")


def test_the_workbook_has_a_sheet_for_each_board_of_the_method_it_held():
    wave, analysis = method_wave()
    book = load_workbook(io.BytesIO(exports.workbook_xlsx(wave, analysis)))
    assert {"systeme_facteurs", "systeme_liens", "systeme_boucles", "diagnostic", "ambition"} <= set(book.sheetnames)

    def table(name):
        header, *body = book[name].iter_rows(values_only=True)
        return [dict(zip(header, row)) for row in body]

    assert sorted((l["cause_texte"], l["effet_texte"], l["signe"]) for l in table("systeme_liens")) == [
        ("Décès", "Population", -1), ("Naissances", "Population", 1),
        ("Population", "Décès", 1), ("Population", "Naissances", 1)]
    assert sorted(l["type"] for l in table("systeme_boucles")) == ["renforcement", "équilibre"]
    items = {i["texte"]: i for i in table("diagnostic")}
    assert items["Un club de foot"]["statut"] == "Fermé" and items["Pas de bus après 20 h"]["vagues_precedentes"] == 1
    # A cell that would start a formula is defused, as in the CSV files.
    assert "'=Une crèche à horaires décalés" in items
    rounds = table("ambition")
    assert [(r["tour"], r["resultat"]) for r in rounds] == [(1, "objection"), (2, "consentement")]
    assert rounds[0]["raisons"] == "objection : Le soir aucun bus" and rounds[1]["adoptee"] is True

    # A wave without those boards gets none of their sheets, nor their files in the dossier.
    bare = {"id": "vide"}
    assert load_workbook(io.BytesIO(exports.workbook_xlsx(bare, analyse(bare)))).sheetnames == [
        "acteurs", "liens", "indicateurs_reseau", "metriques_acteurs", "freins_leviers", "indicateurs", "idees"]
    assert len(zipfile.ZipFile(io.BytesIO(exports.evidence_pack(bare, analyse(bare)))).namelist()) == 14
