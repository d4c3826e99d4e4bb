"""Reading actor lists people bring (often from Excel) and writing the map back out as CSV."""

import codecs
import csv
import io

import pytest

from boards.stakeholders.actor_csv import (ACTOR_HEADERS, CsvRejected, MAX_ROWS, actor_rows, read_actors,
                              tie_rows)
from exports.csvfile import defuse as neutralise, write
from boards.stakeholders.model import DEFAULT_ACTOR_TYPES

TYPES = list(DEFAULT_ACTOR_TYPES)


def rows(data, types=TYPES):
    return [(r.line, r.name, r.category) for r in read_actors(data, types)]


def problems(data, types=TYPES):
    with pytest.raises(CsvRejected) as refused:
        read_actors(data, types)
    return [p.message % p.params for p in refused.value.problems]


def test_excel_semicolons_with_bom_header_accents_and_empty_lines():
    data = codecs.BOM_UTF8 + "Nom;Type\r\n\r\nMission locale;Service public de l'emploi\r\n;\r\nCentre social Étoile;ASSOCIATION\r\n\r\n".encode()
    assert rows(data) == [(3, "Mission locale", "service public de l'emploi"),
                          (5, "Centre social Étoile", "association")]


def test_windows_1252_bytes_are_read_as_excel_wrote_them():
    data = "nom;type\nRégie de quartier;collectivité\nŒuvre sociale;santé et social\n".encode("cp1252")
    assert rows(data) == [(2, "Régie de quartier", "collectivité"), (3, "Œuvre sociale", "santé et social")]


def test_utf16_text_export_with_tabs():
    data = "Acteur\tCatégorie\r\nCAF\tinstitution publique\r\n".encode("utf-16")
    assert rows(data) == [(2, "CAF", "institution publique")]


def test_commas_without_header_and_quoted_names_holding_separators():
    data = b'"Mairie, service jeunesse",collectivit\xc3\xa9\nAPEI,entreprise\n'
    assert rows(data) == [(1, "Mairie, service jeunesse", "collectivité"), (2, "APEI", "entreprise")]
    # Commas inside names do not outvote the ";" that separates every line.
    data = "Mairie, jeunesse;collectivité\nCAF;autre\nAPEI, insertion;entreprise\n".encode()
    assert rows(data)[0] == (1, "Mairie, jeunesse", "collectivité")
    data = b'nom;type\n"Mairie; service jeunesse";collectivit\xc3\xa9\n"Centre\nsocial";association\n'
    assert rows(data) == [(2, "Mairie; service jeunesse", "collectivité"), (4, "Centre social", "association")]


def test_header_in_another_order_and_extra_columns_are_ignored():
    data = "id;Catégorie;Nom de la structure;commentaire\n1;entreprise;Boulangerie du marché;ouvre à 7h\n".encode()
    assert rows(data) == [(2, "Boulangerie du marché", "entreprise")]


def test_a_list_of_names_alone_gets_the_type_autre():
    assert rows("Nom\nCAF\nMairie\n".encode()) == [(2, "CAF", "autre"), (3, "Mairie", "autre")]
    assert rows(b"CAF;\nMairie;  \n") == [(1, "CAF", "autre"), (2, "Mairie", "autre")]
    assert "Ligne 1 : le type est vide." in problems(b"CAF;\n", ["association"])


def test_bad_rows_are_all_reported_by_line_and_nothing_is_kept():
    data = "nom;type\nCAF;institution publique\n;association\nClub;club de foot\n{};autre\n".format("x" * 81).encode()
    assert problems(data) == [
        "Ligne 3 : le nom est vide.",
        "Ligne 4 : type « club de foot » inconnu ; ajoutez-le à la liste des types ou corrigez la ligne.",
        "Ligne 5 : le nom dépasse 80 caractères.",
    ]


@pytest.mark.parametrize("data, expected", [
    (b"", "Le fichier ne contient aucun acteur."),
    (b"\r\n\r\n;;\r\n", "Le fichier ne contient aucun acteur."),
    (b"nom;type\n", "Le fichier ne contient aucun acteur."),
    (codecs.BOM_UTF16_LE + b"\x00\xd8", "Le fichier n'est pas un texte lisible : enregistrez-le en CSV UTF-8."),
    (b"x" * (512 * 1024 + 1), "Le fichier dépasse 512 Ko."),
])
def test_empty_unreadable_or_oversized_files_are_refused(data, expected):
    assert problems(data) == [expected]


def test_row_cap():
    header = b"nom;type\n"
    body = b"".join(b"Acteur %d;autre\n" % n for n in range(MAX_ROWS))
    assert len(read_actors(header + body, TYPES)) == MAX_ROWS
    assert problems(header + body + b"Un de trop;autre\n") == ["Le fichier dépasse 1000 lignes d'acteurs."]


def test_control_characters_and_nul_bytes_do_not_reach_names():
    assert rows(b"C\x00A\x07F;autre\n") == [(1, "CA F", "autre")]


def test_export_is_excel_friendly_and_neutralises_formulas():
    frozen = {
        "layout": "grid",
        "actors": [{"id": "a1", "name": "=HYPERLINK(\"http://x\")", "type": "autre", "x": 0.25, "y": 0.5,
                    "zone": "faible pouvoir / faible intérêt", "own": True,
                    "layouts": {"grid": {"x": 0.25, "y": 0.5, "zone": "faible pouvoir / faible intérêt"},
                                "circles": {"x": 0.1, "y": 0.1, "zone": "périphérie"}}},
                   {"id": "a2", "name": "Café; « l'Étoile »", "type": "association", "x": None, "y": None,
                    "zone": "", "own": False}],
        "ties": [{"id": "t3", "source": "a1", "target": "a2", "type": "projet commun", "strength": 2,
                  "directed": False, "trust": 2.5, "value": None, "ratings": 2}],
    }
    body = write(actor_rows(frozen, list(ACTOR_HEADERS)))
    assert body.startswith(codecs.BOM_UTF8)
    table = list(csv.reader(io.StringIO(body[3:].decode()), delimiter=";"))
    assert table[0][:2] == ["nom", "type"]
    assert table[1] == ["'=HYPERLINK(\"http://x\")", "autre", "faible pouvoir / faible intérêt", "0,25", "0,5",
                        "1", "1", "périphérie", "a1"]
    assert table[2][0] == "Café; « l'Étoile »" and table[2][3:5] == ["", ""]
    ties = list(csv.reader(io.StringIO(write(tie_rows(frozen, ["h"] * 11, "deux", "un"))[3:].decode()), delimiter=";"))
    assert ties[1] == ["'=HYPERLINK(\"http://x\")", "Café; « l'Étoile »", "projet commun", "2", "deux", "2,5", "",
                       "2", "a1", "a2", "t3"]
    for dangerous in ("=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("Mission locale") == "Mission locale"


def test_an_exported_list_reads_back_as_an_import():
    frozen = {"actors": [{"id": "a1", "name": "-Collectif des mères", "type": "collectif d'habitants", "x": None,
                          "y": None, "zone": "", "own": False}], "ties": []}
    assert rows(write(actor_rows(frozen, list(ACTOR_HEADERS)))) == [(2, "-Collectif des mères", "collectif d'habitants")]
