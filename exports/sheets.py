"""One table as one sheet of a write-only openpyxl workbook, shared by every workbook the exports
write (the wave's workbook, the systems map's Kumu workbook).

Text cells get the same formula defusing as the CSV files. openpyxl refuses control
characters that XML cannot carry (it raises IllegalCharacterError), and Excel cuts cells
at 32,767 characters, so text is cleaned and clipped first.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .tables import neutralise

EXCEL_CELL_LIMIT = 32_767
WIDE_COLUMNS = {"nom", "texte", "source_nom", "cible_nom", "explication", "indicateur",
                "dimension", "type", "categorie", "regroupement", "zone", "tableau",
                "cause_texte", "effet_texte", "facteurs", "theme", "historique", "proposition",
                "texte_actuel", "texte_du_tour", "raisons"}


def cell_value(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))[:EXCEL_CELL_LIMIT]


def add_sheet(book: Workbook, title: str, table: tuple[list, list]) -> None:
    headers, body = table
    sheet = book.create_sheet(title)
    for position, header in enumerate(headers):
        width = 40 if header in WIDE_COLUMNS else 14
        sheet.column_dimensions[get_column_letter(position + 1)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in body:
        sheet.append([cell_value(value) for value in row])
