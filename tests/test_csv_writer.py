"""Every CSV the server writes goes through one formula-safe writer (exports/csvfile.py)."""

from __future__ import annotations

import ast
import csv
import io

import pytest

from players import ROOT, Person, Server

TOKEN = "jeton-de-test-des-tableurs"


def test_only_the_shared_writer_writes_csv():
    """No other module of the application builds a csv.writer (or DictWriter) of its own."""
    writers = []
    for folder in ("server", "boards", "exports"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter") \
                        and isinstance(node.value, ast.Name) and node.value.id == "csv":
                    writers.append(str(path.relative_to(ROOT)))
    assert writers == ["exports/csvfile.py"]


@pytest.fixture
def coordinated(tmp_path):
    running = Server(tmp_path / "atelier.db", extra=("--coordinator-token", TOKEN)).start()
    yield running
    running.stop()


def test_the_library_export_defuses_formulas_and_reads_back(coordinated):
    coordinator = Person(coordinated)
    coordinator.http.post("/coordination/connexion", data={"token": TOKEN, "suite": "/coordination"})
    hostile = ('id;dimension;nom;définition;mesure;source\r\n'
               'x1;=1+1;"=HYPERLINK(""http://x.example"",""clic"")";@SUM(A1);+33 6;-2\r\n')
    imported = coordinator.http.post("/coordination/bibliotheque/importer", data={"version": "0"},
                                     files={"fichier": ("biblio.csv", hostile.encode(), "text/csv")})
    assert imported.status_code == 303, imported.text
    exported = coordinator.http.get("/coordination/bibliotheque/export.csv").content
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["x1", "'=1+1", "'=HYPERLINK(\"http://x.example\",\"clic\")", "'@SUM(A1)", "'+33 6", "'-2"]
    # Imported again, the file gives back what was typed.
    again = coordinator.http.post("/coordination/bibliotheque/importer", data={"version": "1"},
                                  files={"fichier": ("biblio.csv", exported, "text/csv")})
    assert again.status_code == 303, again.text
    assert coordinator.http.get("/coordination/bibliotheque/export.csv").content == exported
