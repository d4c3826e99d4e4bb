"""CSV exports: UTF-8 with a byte order mark (so Excel reads the accents right).

``sep=";"`` suits a French Excel, which also expects a decimal comma: numbers are then
written ``0,5`` unless ``decimal`` says otherwise. A text cell that a spreadsheet would run
as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a
leading ``'``; numbers, negative ones included, are written as numbers.
"""

from __future__ import annotations

import csv
import io

from . import rows

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def spell(value, decimal: str = "."):
    """One cell as text: booleans in French, numbers as numbers, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return repr(value).replace(".", decimal) if isinstance(value, float) else str(value)
    return neutralise(str(value))


def to_csv(table: tuple[list, list], *, sep: str = ",", decimal: str | None = None) -> bytes:
    headers, body = table
    decimal = decimal or ("," if sep == ";" else ".")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([spell(value, decimal) for value in row] for row in body)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def actors_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",",
               decimal: str | None = None) -> bytes:
    return to_csv(rows.actor_table(snapshot), sep=sep, decimal=decimal)


def ties_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",",
             decimal: str | None = None) -> bytes:
    return to_csv(rows.tie_table(snapshot), sep=sep, decimal=decimal)


def metrics_csv(snapshot: dict, analysis: dict, *, sep: str = ",",
                decimal: str | None = None) -> bytes:
    return to_csv(rows.metric_table(analysis), sep=sep, decimal=decimal)


def network_csv(snapshot: dict, analysis: dict, *, sep: str = ",",
                decimal: str | None = None) -> bytes:
    return to_csv(rows.network_table(analysis), sep=sep, decimal=decimal)


def levers_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",",
               decimal: str | None = None) -> bytes:
    return to_csv(rows.lever_table(snapshot), sep=sep, decimal=decimal)


def indicators_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",",
                   decimal: str | None = None) -> bytes:
    return to_csv(rows.indicator_table(snapshot), sep=sep, decimal=decimal)


def ideas_csv(snapshot: dict, analysis: dict | None = None, *, sep: str = ",",
              decimal: str | None = None) -> bytes:
    return to_csv(rows.idea_table(snapshot), sep=sep, decimal=decimal)


def changes_csv(comparison: dict, *, sep: str = ",", decimal: str | None = None) -> bytes:
    return to_csv(rows.change_table(comparison), sep=sep, decimal=decimal)
