"""Snapshot -> files: interactive network page, CSV/XLSX tables, Gephi and JSON graph files,
printable report, comparison of two waves, and a zip holding all of them.

Every function takes plain dicts (a snapshot, its analysis from ``boards.network.analyse``,
or a comparison from ``boards.network.compare.compare``) and returns str or bytes; none
writes to disk.

Languages. The pages people read (report, comparison, network page) take the reader's
``locale``: their text, and our shipped defaults among the data (default actor and tie types,
brake/lever categories, the common indicator library), come in that language; whatever a
person typed is shown as typed. The data files (CSV, XLSX, GEXF, GraphML, JSON) and the
evidence pack are not translated: their columns hold the workshop's values as stored, in
French, whoever downloads them. Partners join and compare these files across waves and
territories, and a type or indicator name must be the same string in every file for that
to work; a column that changed with the downloader's language would split one type in two.
"""

from .ambition import ambition_csv, ambition_json, statements as ambition_statements
from .diagnosis import diagnosis_csv, diagnosis_json
from .gephi import gephi_graph, gexf_bytes, graphml_bytes, json_bytes
from .network_page import network_html
from .pack import evidence_pack
from .report import comparison_report_html, report_html
from .tables import (actors_csv, changes_csv, ideas_csv, indicators_csv, levers_csv,
                     metrics_csv, network_csv, ties_csv)
from .workbook import workbook_xlsx
from . import systems  # noqa: E402  (the systems maps' files: systems.EXPORTS)

__all__ = ["actors_csv", "ambition_csv", "ambition_json", "ambition_statements", "changes_csv", "comparison_report_html", "diagnosis_csv", "diagnosis_json", "evidence_pack",
           "gephi_graph", "gexf_bytes", "graphml_bytes", "ideas_csv", "indicators_csv", "json_bytes",
           "levers_csv", "metrics_csv", "network_csv", "network_html", "report_html",
           "systems", "ties_csv", "workbook_xlsx"]
