"""XLSX workbook of a snapshot, one sheet per table (openpyxl, write-only for speed); the sheets of
the systems map, the shared diagnosis and the ambition when the workshop held those boards."""

from __future__ import annotations

import io

from openpyxl import Workbook

from . import ambition, diagnosis, rows, systems
from .sheets import add_sheet


def workbook_xlsx(snapshot: dict, analysis: dict) -> bytes:
    book = Workbook(write_only=True)
    add_sheet(book, "acteurs", rows.actor_table(snapshot))
    add_sheet(book, "liens", rows.tie_table(snapshot))
    add_sheet(book, "indicateurs_reseau", rows.network_table(analysis))
    add_sheet(book, "metriques_acteurs", rows.metric_table(analysis))
    add_sheet(book, "freins_leviers", rows.lever_table(snapshot))
    add_sheet(book, "indicateurs", rows.indicator_table(snapshot))
    add_sheet(book, "idees", rows.idea_table(snapshot))
    if systems.maps(snapshot):
        add_sheet(book, "systeme_facteurs", systems.factor_table(snapshot))
        add_sheet(book, "systeme_liens", systems.link_table(snapshot))
        add_sheet(book, "systeme_boucles", systems.loop_table(snapshot))
    if diagnosis.items(snapshot):
        add_sheet(book, "diagnostic", diagnosis.diagnosis_table(snapshot))
    if ambition.statements(snapshot):
        add_sheet(book, "ambition", ambition.ambition_table(snapshot))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
