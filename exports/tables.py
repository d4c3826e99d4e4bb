"""The tables of a snapshot as CSV files, written by the shared formula-safe writer
(exports/csvfile.py). ``sep=";"`` suits a French Excel."""

from __future__ import annotations

from . import csvfile, rows

# Kept under these names for the workbook, which defuses its cells the same way.
neutralise = csvfile.defuse
spell = csvfile.cell


def to_csv(table: tuple[list, list], *, sep: str = ",", decimal: str | None = None) -> bytes:
    headers, body = table
    return csvfile.write([headers, *body], sep=sep, decimal=decimal)


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
