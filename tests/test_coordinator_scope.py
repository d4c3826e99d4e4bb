"""A territory's coordinator sees that territory only; the national coordination sees them all."""

from __future__ import annotations

import hashlib
import html
import re
import sqlite3
import subprocess
import sys
import time

from live_server import LiveServer
from players import ROOT, Person

NATIONAL = "jeton-national-assez-long-pour-le-test"


def cli(db, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.coordinator", "--db", str(db), *args],
                          cwd=ROOT, capture_output=True, text=True)


def signed_in(srv, token: str) -> Person:
    person = Person(srv)
    assert person.http.post("/coordination/connexion", data={"token": token}).status_code == 303
    return person


def wave(host: Person, workshop: dict, label: str) -> None:
    assert host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": label}).status_code == 303


def ready(coordinator: Person, snapshot: str) -> None:
    deadline = time.monotonic() + 60
    while coordinator.http.get(f"/coordination/instantanes/{snapshot}/export/reseau.json").status_code != 200:
        assert time.monotonic() < deadline, "analysis did not finish"
        time.sleep(0.2)


def test_a_territorial_token_opens_its_territory_and_nothing_else(tmp_path):
    db = tmp_path / "archive.db"
    with LiveServer(db, coordinator_token=NATIONAL) as srv:
        north_host, south_host = Person(srv), Person(srv)
        north = north_host.create_workshop("Atelier Nord", "QPV Les Aubiers")
        south = south_host.create_workshop("Atelier Sud", "QPV Saige")
        for host, workshop in ((north_host, north), (south_host, south)):
            wave(host, workshop, "T0")
            wave(host, workshop, "T1")
        national = signed_in(srv, NATIONAL)
        page = national.http.get("/coordination").text
        snapshots = {name: re.findall(r"/coordination/instantanes/(s[0-9a-f]+)", section)
                     for name, section in zip(("north", "south"), page.split("<h3>")[1:])}
        assert "Atelier Nord" in page and "Atelier Sud" in page
        for ids in snapshots.values():
            for snapshot in ids:
                ready(national, snapshot)

        made = cli(db, "add", "--territory", "qpv les  aubiers", "--label", "Coordination Bordeaux Nord")
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip()
        # Only the token's digest is kept. (Read through SQLite: opening the live file by hand from the
        # process that runs the server would drop that server's file locks.)
        conn = sqlite3.connect(db)
        stored = conn.execute("SELECT label, territory, digest FROM coordinator_tokens").fetchall()
        conn.close()
        assert token and stored == [("Coordination Bordeaux Nord", "qpv les aubiers", hashlib.sha256(token.encode()).hexdigest())]
        local = signed_in(srv, token)

        index = local.http.get("/coordination").text
        assert "Atelier Nord" in index and "Atelier Sud" not in index
        mine, theirs = snapshots["north"][0], snapshots["south"][0]
        assert local.http.get(f"/coordination/instantanes/{mine}").status_code == 200
        assert local.http.get(f"/coordination/instantanes/{theirs}").status_code == 404
        assert local.http.get(f"/coordination/instantanes/{theirs}/export/acteurs.csv").status_code == 404
        assert local.http.get("/coordination/comparer", params={
            "avant": snapshots["north"][0], "apres": snapshots["north"][1]}).status_code == 200
        assert local.http.get("/coordination/comparer", params={"avant": mine, "apres": theirs}).status_code == 404
        assert "QPV Saige" not in local.http.get("/coordination/indicateurs").text
        assert local.http.get(f"/coordination/ateliers/{south['id']}/export.maillage.json").status_code == 404
        assert local.http.get(f"/coordination/ateliers/{north['id']}/export.maillage.json").status_code == 200
        assert local.http.get(f"/territoires/QPV Saige").status_code == 403
        # Another territory's file is not theirs to import, even one the server already has.
        south_file = national.http.get(f"/coordination/ateliers/{south['id']}/export.maillage.json").content
        refused = local.http.post("/coordination/ateliers/importer",
                                  files={"fichier": ("sud.maillage.json", south_file, "application/json")})
        assert refused.status_code == 400 and "ne couvre pas ce territoire" in html.unescape(refused.text)
        # The common library: read and exported, changed only by the national coordination.
        library = html.unescape(local.http.get("/coordination/bibliotheque").text)
        assert "Ajouter un indicateur" not in library and "coordination nationale" in library
        assert local.http.get("/coordination/bibliotheque/export.json").status_code == 200
        edit = local.http.post("/coordination/bibliotheque/supprimer", data={"id": "x", "version": "0"})
        assert edit.status_code == 403 and "coordination nationale" in html.unescape(edit.text)
        assert "Ajouter un indicateur" in html.unescape(national.http.get("/coordination/bibliotheque").text)

        # Revoked: the browser that signed in with it is out at the next page.
        listed = cli(db, "list").stdout
        token_id = listed.split("\t")[0]
        assert "Coordination Bordeaux Nord" in listed and "active" in listed
        assert cli(db, "revoke", token_id).returncode == 0
        assert local.http.get("/coordination").headers["location"].startswith("/coordination/connexion")
        assert Person(srv).http.post("/coordination/connexion", data={"token": token}).status_code == 403
        assert cli(db, "revoke", token_id).returncode == 2
