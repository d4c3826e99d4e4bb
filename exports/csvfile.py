"""The one CSV writer of the server: every CSV it hands out goes through `write`.

UTF-8 with a byte order mark (so Excel reads the accents right). A text cell that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
gets a leading ``'``, which spreadsheets show as text; numbers, negative ones included, are
written as numbers. Our own importers drop that ``'`` again (`restore`), so an export reads back
as it was.
"""

from __future__ import annotations

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def restore(cell: str) -> str:
    """A cell as it was before `defuse`."""
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS else cell


def cell(value, decimal: str = ".") -> str:
    """One cell as text: booleans in French, numbers as numbers, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return repr(value).replace(".", decimal) if isinstance(value, float) else str(value)
    return defuse(str(value))


def write(rows, *, sep: str = ";", decimal: str | None = None) -> bytes:
    """A CSV file of `rows` (the header row first). A French spreadsheet expects ";" and a decimal
    comma: numbers are written ``0,5`` with ";" unless `decimal` says otherwise."""
    decimal = decimal or ("," if sep == ";" else ".")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerows([cell(value, decimal) for value in row] for row in rows)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
