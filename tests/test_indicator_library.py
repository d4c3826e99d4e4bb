"""The common library: the shipped data, CSV/JSON import and export, line-numbered refusals, storage."""

import json
from pathlib import Path

import pytest

from boards.indicators import library as lib
from boards.indicators.library import LibraryInvalid
from exports import csvfile

SHIPPED = Path(__file__).resolve().parent.parent / "boards" / "data" / "indicators.json"
HEADER = "id;dimension;nom;définition;mesure;source\n"


def shipped():
    return lib.parse_file("indicators.json", SHIPPED.read_bytes())


def problems(filename, text, encoding="utf-8"):
    with pytest.raises(LibraryInvalid) as caught:
        lib.parse_file(filename, text.encode(encoding) if isinstance(text, str) else text)
    return [(p.line, p.text()) for p in caught.value.problems]


def row(key="a1", dimension="D", name="Nom", definition="Déf", measure="Mesure", source="Source"):
    return ";".join((key, dimension, name, definition, measure, source)) + "\n"


def test_the_shipped_library_is_valid_and_covers_five_dimensions():
    library = shipped()
    assert 20 <= len(library) <= 25
    groups = lib.grouped(library)
    assert [name for name, _ in groups] == [
        "Interconnaissance entre acteurs", "Coordination et orientation des publics", "Projets co-portés",
        "Participation des habitants", "Effets pour les personnes"]
    assert all(len(items) >= 4 for _, items in groups)
    assert all(item[key] for item in library for key in lib.KEYS)


def test_csv_and_json_exports_read_back_identically():
    library = shipped()
    assert lib.parse_file("export.csv", csvfile.write(lib.table(library))) == library
    assert lib.parse_file("export.json", lib.to_json(library)) == library
    exported = csvfile.write(lib.table(library))
    assert exported.startswith("\ufeff".encode()) and b"\r\n" in exported
    assert exported.decode("utf-8-sig").splitlines()[0] == "id;dimension;nom;définition;mesure;source"


def test_csv_as_spreadsheets_write_it():
    # A French Excel: Windows-1252, semicolons, a quoted field spanning two lines.
    text = HEADER + 'inter1;Interconnaissance;"Connaissance mutuelle";"Sur deux\nlignes";Questionnaire;Atelier\n'
    library = lib.parse_file("biblio.CSV", text.encode("cp1252"))
    assert library[0]["definition"] == "Sur deux lignes" and library[0]["dimension"] == "Interconnaissance"
    # Commas, English column names in another order, blank lines.
    text = "name,id,source,measure,definition,dimension\n\nA name,x1,src,how,what,dim\n"
    assert lib.parse_file("x.csv", text.encode())[0] == {
        "id": "x1", "dimension": "dim", "name": "A name", "definition": "what", "measure": "how", "source": "src"}


def test_every_bad_row_is_reported_with_its_line():
    text = (HEADER + row("a1") + row("a2", name="") + "\n" + row("a3", name="x" * 121) + row("a1", name="Autre")
            + row("B4", name="Quatre") + "a5;D;Cinq;Déf\n" + row("a6", name="nom"))
    found = problems("biblio.csv", text)
    assert found == [
        (3, "Ligne 3 : le champ « nom » est vide."),
        (5, "Ligne 5 : le champ « nom » dépasse 120 caractères."),
        (6, "Ligne 6 : l'identifiant « a1 » est déjà utilisé ligne 2."),
        (7, "Ligne 7 : l'identifiant « B4 » n'est pas valable (une lettre minuscule puis des lettres minuscules "
            "ou des chiffres, 12 caractères au plus)."),
        (8, "Ligne 8 : 4 valeurs au lieu de 6."),
        (9, "Ligne 9 : le nom « nom » est déjà utilisé ligne 2."),
    ]


def test_line_numbers_count_multiline_cells():
    text = HEADER + 'a1;D;Un;"trois\nlignes\nici";M;S\n' + row("a2", source="")
    assert problems("b.csv", text) == [(5, "Ligne 5 : le champ « source » est vide.")]


def test_bad_headers_and_files_are_refused():
    assert problems("b.csv", "id;dimension;nom;définition;mesure\n" + "a;b;c;d;e\n") == [
        (1, "Ligne 1 : colonne manquante « source ».")]
    assert problems("b.csv", HEADER.replace("source", "sauce")) == [
        (1, "Ligne 1 : colonne inconnue ou en double « sauce »."), (1, "Ligne 1 : colonne manquante « source ».")]
    assert problems("b.csv", HEADER) == [(0, "Le fichier ne contient aucun indicateur.")]
    assert problems("b.csv", "")[0][0] == 1
    assert problems("b.xlsx", "x")[0][1].startswith("Format de fichier inconnu")
    assert problems("b.csv", b"\x81\x8d\x8f\x90\x9d")[0][1].startswith("Le fichier n'est pas un texte lisible")
    assert problems("b.csv", HEADER + row("a1") + 'a2;D;"N;Def;M;S\n' + row("a3")) == [
        (3, "Ligne 3 : guillemets mal fermés.")]


def test_json_refusals_point_at_the_line_of_the_object():
    good = {"id": "a1", "dimension": "D", "name": "N", "definition": "d", "measure": "m", "source": "s"}
    text = json.dumps({"indicators": [good, {**good, "id": "a2", "name": "N2", "colour": "red"},
                                      {**good, "id": "a3", "name": 3}]}, indent=2)
    found = problems("b.json", text)
    second = text.splitlines().index("    {", 10) + 1
    assert found[0] == (second, f"Ligne {second} : champ inconnu « colour ».")
    assert found[1][1].endswith("le champ « nom » doit être un texte.")
    assert problems("b.json", '{"indicators": [\n  {"id": "a1",\n}') == [
        (3, "Ligne 3 : JSON illisible (colonne 1).")]
    assert problems("b.json", '{"indicateurs": []}')[0][1].endswith("une liste « indicators ».")
    assert "n° 2" in problems("b.json", json.dumps([good, "texte"]))[0][1]
    assert lib.parse_file("b.json", json.dumps([good]).encode()) == [good]
    assert problems("b.json", "[" * 100_000)[0][1].startswith("Ligne")


def test_one_indicator_is_added_rewritten_or_removed_all_or_nothing():
    library = shipped()
    item = {"id": "local1", "dimension": "Projets co-portés", "name": "Chantiers communs",
            "definition": "d", "measure": "m", "source": "s"}
    added = lib.replace(library, None, item)
    assert added[-1] == item and len(added) == len(library) + 1
    renamed = lib.replace(added, "local1", {**item, "id": "local2", "name": "  Chantiers   partagés "})
    assert renamed[-1]["id"] == "local2" and renamed[-1]["name"] == "Chantiers partagés"
    with pytest.raises(LibraryInvalid) as caught:
        lib.replace(added, None, {**item, "id": "inter1", "name": "ACTEURS isolés", "source": ""})
    assert [p.text() for p in caught.value.problems] == ["Le champ « source » est vide."]
    with pytest.raises(LibraryInvalid) as caught:
        lib.replace(added, "local1", {**item, "id": "inter1", "name": "Acteurs isolés"})
    assert [p.text() for p in caught.value.problems] == [
        "L'identifiant « inter1 » est déjà pris par « Connaissance mutuelle des missions ».",
        "Un autre indicateur s'appelle déjà « Acteurs isolés »."]
    with pytest.raises(LibraryInvalid):
        lib.replace(added, "local1", {**item, "name": "acteurs isolés"})
    with pytest.raises(LibraryInvalid):
        lib.replace(library, "disparu", item)
    assert [i["id"] for i in lib.remove(added, "local1")] == [i["id"] for i in library]
    with pytest.raises(LibraryInvalid):
        lib.remove(library[:1], library[0]["id"])


def test_storage_keeps_whole_versions_and_refuses_stale_saves(tmp_path):
    from server import library as stored
    from server.store import Store

    store = Store(str(tmp_path / "bibliotheque.db"))
    try:
        db = store
        version, library = stored.current(db)
        assert version == 0 and library == shipped() and stored.history(db) == []
        changed = lib.remove(library, "inter4")
        assert stored.save(db, 0, changed, "delete", "inter4") == 1
        with pytest.raises(stored.Stale):
            stored.save(db, 0, library, "import", "vieux.csv")
        assert stored.current(db) == (1, changed)
        assert stored.current(db, 0)[1] == shipped()
        assert [(row["version"], row["action"], row["size"]) for row in stored.history(db)] == [
            (1, "delete", len(library) - 1)]
        with pytest.raises(KeyError):
            stored.current(db, 7)
    finally:
        store.close()
    # The table survives a restart: a new connection reads the same latest version.
    again = Store(str(tmp_path / "bibliotheque.db"))
    try:
        assert stored.current(again)[0] == 1
    finally:
        again.close()
