"""Lists of actors as CSV: reading what people bring (often from Excel), writing the map out.

Reading takes bytes and returns rows, or raises `CsvRejected` listing every line to fix:
a file is imported whole or not at all. What is accepted:

* encodings: UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"), and
  Windows-1252 when the bytes are not UTF-8 (Excel's "CSV (séparateur: point-virgule)");
* separators: ";", "," or tab, detected from the first lines; a single column is a list
  of names;
* an optional header naming the columns ("nom;type", "Name,Type", "Acteur;Catégorie"...,
  case and accents ignored); without one, the name comes first and the type second;
* empty lines anywhere.

A type is matched against the board's list without minding case, accents or spacing. An
empty type becomes "autre" when the list has it. An unknown type is an error naming the
line, not silently "autre": the facilitator either fixes the file or adds the type to the
list first, so the map keeps the categories people meant.

Writing neutralises spreadsheet formulas: a cell starting with = + - @, a tab or a carriage
return gets a leading apostrophe, which reading removes again.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from ..errors import Rejected
from ..i18n import N_
from .actions import NAME_MAX
from .model import FALLBACK_TYPE, normalise

MAX_ROWS = 1000
MAX_BYTES = 512 * 1024
MAX_PROBLEMS = 20
SEPARATORS = (";", ",", "\t")
NAME_HEADERS = {"nom", "name", "acteur", "actor", "organisation", "organization", "structure",
                "nom de l acteur", "nom de la structure", "partie prenante"}
TYPE_HEADERS = {"type", "categorie", "category", "type d acteur", "famille", "nature"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# Column titles of the exports (catalogue ids; the route translates them for the reader).
ACTOR_HEADERS = (N_("nom"), N_("type"), N_("zone"), "x", "y", N_("liens"),
                 N_("organisation d'une personne présente"), N_("zone dans l'autre disposition"), N_("identifiant"))
TIE_HEADERS = (N_("premier acteur"), N_("second acteur"), N_("type"), N_("force"), N_("sens"),
               N_("confiance moyenne"), N_("valeur moyenne"), N_("personnes ayant noté"),
               N_("identifiant du premier acteur"), N_("identifiant du second acteur"), N_("identifiant"))
ONE_WAY, BOTH_WAYS = N_("du premier vers le second"), N_("dans les deux sens")


@dataclass(frozen=True)
class ImportRow:
    line: int
    name: str
    category: str


class CsvRejected(Rejected):
    """The file as a whole is refused; `problems` are the reasons, line by line."""

    def __init__(self, problems: list[Rejected]):
        super().__init__(N_("Rien n'a été importé : corrigez le fichier puis recommencez."))
        self.problems = problems


def decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _strict(data, "cp1252")


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise CsvRejected([Rejected(N_("Le fichier n'est pas un texte lisible : enregistrez-le en CSV UTF-8."))])


def _separator(lines: list[str]) -> str | None:
    """The separator that splits the first lines most consistently into several columns."""
    sample = [line for line in lines if line.strip()][:20]
    best, best_score = None, 0
    for sep in SEPARATORS:
        widths = [len(row) for row in csv.reader(sample, delimiter=sep)]
        score = sum(1 for width in widths if width > 1)
        # A comma inside names ("Mairie, service jeunesse") must not beat a real ";" separator.
        if score > best_score:
            best, best_score = sep, score
    return best


def _header(cells: list[str]) -> tuple[int, int | None] | None:
    labels = [normalise(cell) for cell in cells]
    name = next((i for i, label in enumerate(labels) if label in NAME_HEADERS), None)
    kind = next((i for i, label in enumerate(labels) if label in TYPE_HEADERS), None)
    if name is None:
        return None
    return name, kind


def _clean(cell: str) -> str:
    cell = " ".join("".join(ch if ch >= " " else " " for ch in cell).split())
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_START[:4]:
        cell = cell[1:]
    return cell


def _records(reader):
    try:
        yield from reader
    except csv.Error:
        raise CsvRejected([Rejected(N_("Ligne %(line)s : le fichier n'est pas un CSV lisible."),
                                    line=reader.line_num)])


def read_actors(data: bytes, types: list[str]) -> list[ImportRow]:
    if len(data) > MAX_BYTES:
        raise CsvRejected([Rejected(N_("Le fichier dépasse %(max)s Ko."), max=MAX_BYTES // 1024)])
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = text.split("\n")
    sep = _separator(lines)
    reader = csv.reader(io.StringIO(text), delimiter=sep or "\x00", strict=False)
    by_key = {normalise(t): t for t in types}
    fallback = by_key.get(normalise(FALLBACK_TYPE))
    rows: list[ImportRow] = []
    problems: list[Rejected] = []
    columns: tuple[int, int | None] | None = None
    first = True
    for cells in _records(reader):
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if first:
            first = False
            columns = _header(cells)
            if columns is not None:
                continue
            columns = (0, 1)
        name_at, type_at = columns
        name = _clean(cells[name_at]) if name_at < len(cells) else ""
        raw_type = _clean(cells[type_at]) if type_at is not None and type_at < len(cells) else ""
        if not name:
            problems.append(Rejected(N_("Ligne %(line)s : le nom est vide."), line=line))
        elif len(name) > NAME_MAX:
            problems.append(Rejected(N_("Ligne %(line)s : le nom dépasse %(max)s caractères."),
                                     line=line, max=NAME_MAX))
        category = by_key.get(normalise(raw_type)) if raw_type else fallback
        if category is None and raw_type:
            problems.append(Rejected(N_("Ligne %(line)s : type « %(type)s » inconnu ; ajoutez-le à la liste des "
                                        "types ou corrigez la ligne."), line=line, type=raw_type[:50]))
        elif category is None:
            problems.append(Rejected(N_("Ligne %(line)s : le type est vide."), line=line))
        if len(rows) >= MAX_ROWS:
            raise CsvRejected([Rejected(N_("Le fichier dépasse %(max)s lignes d'acteurs."), max=MAX_ROWS)])
        rows.append(ImportRow(line, name, category or ""))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise CsvRejected(problems)
    if not rows:
        raise CsvRejected([Rejected(N_("Le fichier ne contient aucun acteur."))])
    return rows


# Writing ---------------------------------------------------------------------------------------

def decimal(value: float | None, digits: int = 2) -> str:
    """A number the way a French spreadsheet reads it next to ";" separators: decimal comma."""
    if value is None:
        return ""
    return f"{value:.{digits}f}".rstrip("0").rstrip(".").replace(".", ",")


def actor_rows(frozen: dict, headers: list[str], zone_label=str) -> list[list]:
    """The actors of a frozen map; the first two columns (name, type) read back as an import."""
    degree: dict[str, int] = {}
    for tie in frozen["ties"]:
        for end in (tie["source"], tie["target"]):
            degree[end] = degree.get(end, 0) + 1
    rows = [headers]
    shown = frozen.get("layout")
    for actor in frozen["actors"]:
        zone = zone_label(actor["zone"]) if actor["zone"] else ""
        # Each layout keeps its own placement: the zone the actor has in the layout not shown
        # (the identifier stays the last column, where scripts read it).
        other = [p["zone"] for layout, p in (actor.get("layouts") or {}).items() if layout != shown]
        rows.append([actor["name"], actor["type"], zone, decimal(actor["x"], 4), decimal(actor["y"], 4),
                     degree.get(actor["id"], 0), int(actor["own"]), zone_label(other[0]) if other else "",
                     actor["id"]])
    return rows


def tie_rows(frozen: dict, headers: list[str], both_ways: str, one_way: str) -> list[list]:
    names = {actor["id"]: actor["name"] for actor in frozen["actors"]}
    rows = [headers]
    for tie in frozen["ties"]:
        rows.append([names[tie["source"]], names[tie["target"]], tie["type"], tie["strength"],
                     one_way if tie["directed"] else both_ways, decimal(tie["trust"]),
                     decimal(tie["value"]), tie["ratings"], tie["source"], tie["target"], tie["id"]])
    return rows
