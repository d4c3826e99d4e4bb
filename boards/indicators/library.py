"""The common library of indicators: its schema, validation, and CSV/JSON import and export.

Pure: bytes in, indicators or problems out. A library is a list of indicator
dicts with the keys of FIELDS. Import is all-or-nothing: `parse_file` returns
the whole validated library or raises `LibraryInvalid` carrying every problem
found (up to PROBLEMS_MAX), each with the line of the file it comes from, so
a coordinator can fix the spreadsheet in one pass.

CSV: one header row, then one indicator per row; `;`, `,` or tab separated
(French spreadsheets save with `;`); UTF-8, with a fallback to Windows-1252,
which is what a French Excel writes. JSON: {"indicators": [...]} or a bare list.
"""

from __future__ import annotations

import csv
import io
import json
import json.decoder
import json.scanner
import re
import unicodedata
from dataclasses import dataclass, field

from ..i18n import N_

# Wire key, column name in French (what exports write), maximum length.
FIELDS = (
    ("id", "id", 12),
    ("dimension", "dimension", 80),
    ("name", "nom", 120),
    ("definition", "définition", 600),
    ("measure", "mesure", 400),
    ("source", "source", 300),
)
KEYS = tuple(key for key, _, _ in FIELDS)
LABELS = {key: label for key, label, _ in FIELDS}
LIMITS = {key: limit for key, _, limit in FIELDS}
# Lower case only: ids of indicators proposed in a workshop start with an upper-case letter,
# so the two can never collide.
ID_PATTERN = re.compile(r"[a-z][a-z0-9]{0,11}")
INDICATORS_MAX = 300
PROBLEMS_MAX = 20
# Column names a file may use for each key, compared without accents or case.
ALIASES = {
    "id": ("id", "identifiant"),
    "dimension": ("dimension",),
    "name": ("nom", "name", "intitule"),
    "definition": ("definition",),
    "measure": ("mesure", "measure", "comment on le mesure"),
    "source": ("source", "sources", "d'ou viennent les donnees"),
}


AT_LINE = N_("Ligne %(line)s : %(problem)s")


@dataclass
class Problem:
    """What is wrong (a catalogue message and its parameters) and where: a line of the file, 0 if none."""

    line: int
    message: str
    params: dict = field(default_factory=dict)

    def text(self, translate=lambda message: message) -> str:
        body = translate(self.message) % self.params if self.params else translate(self.message)
        if not self.line:
            return body[:1].upper() + body[1:]
        return translate(AT_LINE) % {"line": self.line, "problem": body}


class LibraryInvalid(Exception):
    """The file or library is refused as a whole; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.text() for p in problems))
        self.problems = problems


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


_COLUMN = {fold(alias): key for key, aliases in ALIASES.items() for alias in aliases}
_COLUMN.update({fold(label): key for key, label in LABELS.items()})
_COLUMN.update({key: key for key in KEYS})


def clean(value: str) -> str:
    """One line of text, as the workshop forms keep it: no control characters, single spaces."""
    value = "".join(ch if ch >= " " else " " for ch in value.replace("\r\n", "\n"))
    return " ".join(value.split())


def _check(raw: dict, line: int, problems: list[Problem]) -> dict | None:
    """One indicator, cleaned, or None after adding its problems."""
    item = {}
    before = len(problems)
    for key in KEYS:
        value = raw.get(key, "")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "id":
            value = str(value)
        if not isinstance(value, str):
            problems.append(Problem(line, N_("le champ « %(field)s » doit être un texte."),
                                    {"field": LABELS[key]}))
            continue
        value = clean(value)
        if not value:
            problems.append(Problem(line, N_("le champ « %(field)s » est vide."),
                                    {"field": LABELS[key]}))
        elif len(value) > LIMITS[key]:
            problems.append(Problem(line, N_("le champ « %(field)s » dépasse %(max)s caractères."),
                                    {"field": LABELS[key], "max": LIMITS[key]}))
        elif key == "id" and not ID_PATTERN.fullmatch(value):
            problems.append(Problem(line, N_("l'identifiant « %(value)s » n'est pas valable "
                                             "(une lettre minuscule puis des lettres minuscules ou des chiffres, "
                                             "12 caractères au plus)."), {"value": value[:40]}))
        item[key] = value
    return item if len(problems) == before else None


def validate(rows: list[tuple[int, dict]], problems: list[Problem] | None = None) -> list[dict]:
    """Checks (line, raw indicator) pairs; the cleaned library, or LibraryInvalid listing every
    problem, those found earlier while reading the file (`problems`) included, in line order."""
    problems = list(problems or [])
    library: list[dict] = []
    ids: dict[str, int] = {}
    names: dict[str, int] = {}
    if not rows and not problems:
        raise LibraryInvalid([Problem(0, N_("Le fichier ne contient aucun indicateur."))])
    if len(rows) > INDICATORS_MAX:
        raise LibraryInvalid([Problem(rows[INDICATORS_MAX][0], N_(
            "trop d'indicateurs, %(max)s au plus."), {"max": INDICATORS_MAX})])
    for line, raw in rows:
        if len(problems) >= PROBLEMS_MAX:
            break
        unknown = sorted(set(raw) - set(KEYS))
        if unknown:
            problems.append(Problem(line, N_("champ inconnu « %(field)s »."),
                                    {"field": str(unknown[0])[:40]}))
            continue
        item = _check(raw, line, problems)
        if item is None:
            continue
        if item["id"] in ids:
            problems.append(Problem(line, N_("l'identifiant « %(value)s » est déjà utilisé "
                                             "ligne %(first)s."), {"value": item["id"], "first": ids[item["id"]]}))
            continue
        folded = fold(item["name"])
        if folded in names:
            problems.append(Problem(line, N_("le nom « %(value)s » est déjà utilisé "
                                             "ligne %(first)s."), {"value": item["name"], "first": names[folded]}))
            continue
        ids[item["id"]], names[folded] = line, line
        library.append(item)
    if problems:
        raise LibraryInvalid(sorted(problems, key=lambda p: p.line)[:PROBLEMS_MAX])
    return library


def replace(library: list[dict], original_id: str | None, raw: dict) -> list[dict]:
    """The library with one indicator added (original_id None) or rewritten, all-or-nothing.

    Problems carry no line: they concern the one indicator of a form.
    """
    problems: list[Problem] = []
    item = _check({key: raw.get(key, "") for key in KEYS}, 0, problems)
    if original_id is not None and not any(other["id"] == original_id for other in library):
        problems.append(Problem(0, N_("cet indicateur n'existe plus dans la bibliothèque.")))
    if item is not None:
        for other in library:
            if other["id"] == original_id:
                continue
            if other["id"] == item["id"]:
                problems.append(Problem(0, N_("l'identifiant « %(value)s » est déjà pris par « %(name)s »."),
                                        {"value": item["id"], "name": other["name"]}))
            elif fold(other["name"]) == fold(item["name"]):
                problems.append(Problem(0, N_("un autre indicateur s'appelle déjà « %(value)s »."),
                                        {"value": other["name"]}))
    if problems:
        raise LibraryInvalid(problems)
    if original_id is None:
        if len(library) >= INDICATORS_MAX:
            raise LibraryInvalid([Problem(0, N_("trop d'indicateurs, %(max)s au plus."), {"max": INDICATORS_MAX})])
        return [*library, item]
    return [item if other["id"] == original_id else other for other in library]


def remove(library: list[dict], indicator_id: str) -> list[dict]:
    remaining = [item for item in library if item["id"] != indicator_id]
    if len(remaining) == len(library):
        raise LibraryInvalid([Problem(0, N_("cet indicateur n'existe plus dans la bibliothèque."))])
    if not remaining:
        raise LibraryInvalid([Problem(0, N_("la bibliothèque doit garder au moins un indicateur."))])
    return remaining


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LibraryInvalid([Problem(0, N_("Le fichier n'est pas un texte lisible : enregistrez-le en UTF-8."))])


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _restore(cell: str) -> str:
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in _FORMULA_STARTS else cell


def parse_csv(text: str) -> list[dict]:
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error:
        header = None
    if not header or not any(cell.strip() for cell in header):
        raise LibraryInvalid([Problem(1, N_("la ligne d'en-tête (id, dimension, nom, "
                                            "définition, mesure, source) manque."))])
    columns = []
    problems = []
    for cell in header:
        key = _COLUMN.get(fold(cell))
        if key is None or key in columns:
            problems.append(Problem(1, N_("colonne inconnue ou en double « %(field)s »."),
                                    {"field": cell.strip()[:40]}))
        columns.append(key)
    for key in KEYS:
        if key not in columns:
            problems.append(Problem(1, N_("colonne manquante « %(field)s »."),
                                    {"field": LABELS[key]}))
    if problems:
        raise LibraryInvalid(problems)
    rows = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                problems.append(Problem(line, N_("%(count)s valeurs au lieu de %(expected)s."),
                                        {"count": len(cells), "expected": len(columns)}))
                continue
            # A cell our export defused (a leading ' before = + - @) reads back as it was written.
            rows.append((line, {key: _restore(cell) for key, cell in zip(columns, cells)}))
    except csv.Error:
        problems.append(Problem(start, N_("guillemets mal fermés.")))
    return validate(rows, problems)


class _Located(dict):
    """A JSON object that remembers the line it starts on."""

    line = 0


class _LineDecoder(json.JSONDecoder):
    # The pure-Python scanner calls parse_object for each object; the C one does not.
    def __init__(self):
        super().__init__()
        plain = self.parse_object

        def parse_object(s_and_end, *args):
            text, end = s_and_end
            value, after = plain(s_and_end, *args)
            located = _Located(value)
            located.line = text.count("\n", 0, end - 1) + 1
            return located, after

        self.parse_object = parse_object
        self.scan_once = json.scanner.py_make_scanner(self)


def parse_json(text: str) -> list[dict]:
    try:
        data = _LineDecoder().decode(text)
    except json.JSONDecodeError as error:
        raise LibraryInvalid([Problem(error.lineno, N_("JSON illisible (colonne %(column)s)."),
                                      {"column": error.colno})]) from None
    except RecursionError:
        raise LibraryInvalid([Problem(1, N_("JSON trop imbriqué."))]) from None
    items = data.get("indicators") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise LibraryInvalid([Problem(1, N_("le fichier doit contenir une liste "
                                            "« indicators »."))])
    rows, problems = [], []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, _Located):
            # Only objects remember their line: point at the list's owner and count the items.
            problems.append(Problem(getattr(data, "line", 1), N_(
                "l'élément n° %(index)s de la liste n'est pas un indicateur (objet JSON "
                "attendu)."), {"index": index}))
            continue
        rows.append((item.line, dict(item)))
    return validate(rows, problems)


def parse_file(filename: str, data: bytes) -> list[dict]:
    """The validated library in an uploaded file, whose format follows its name (.csv or .json)."""
    name = (filename or "").lower()
    if name.endswith(".json"):
        return parse_json(_decode(data))
    if name.endswith((".csv", ".txt")):
        return parse_csv(_decode(data))
    raise LibraryInvalid([Problem(0, N_("Format de fichier inconnu : choisissez un fichier .csv ou .json."))])


def table(library: list[dict]) -> list[list[str]]:
    """The library as rows for a spreadsheet, the header first (written by exports/csvfile.py)."""
    return [[label for _, label, _ in FIELDS]] + [[item[key] for key in KEYS] for item in library]


def to_json(library: list[dict]) -> bytes:
    document = {"format": "maillage-indicateurs", "version": 1,
                "indicators": [{key: item[key] for key in KEYS} for item in library]}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def dimensions(library: list[dict]) -> list[str]:
    """The dimensions in the order they first appear: the library's own grouping."""
    seen: dict[str, None] = {}
    for item in library:
        seen.setdefault(item["dimension"], None)
    return list(seen)


def grouped(library: list[dict]) -> list[tuple[str, list[dict]]]:
    return [(name, [item for item in library if item["dimension"] == name]) for name in dimensions(library)]
