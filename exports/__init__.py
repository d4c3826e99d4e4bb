"""Snapshot -> files: interactive network page, CSV/XLSX tables, Gephi and JSON graph files,
printable report, comparison of two waves, and a zip holding all of them.

Every function takes plain dicts (a snapshot, its analysis from ``boards.network.analyse``,
or a comparison from ``boards.network_compare.compare``) and returns str or bytes; none
writes to disk.
"""

from .gephi import gephi_graph, gexf_bytes, graphml_bytes, json_bytes
from .network_page import network_html
from .pack import evidence_pack
from .report import comparison_report_html, report_html
from .tables import (actors_csv, changes_csv, indicators_csv, levers_csv, metrics_csv,
                     network_csv, ties_csv)
from .workbook import workbook_xlsx

__all__ = ["actors_csv", "changes_csv", "comparison_report_html", "evidence_pack",
           "gephi_graph", "gexf_bytes", "graphml_bytes", "indicators_csv", "json_bytes",
           "levers_csv", "metrics_csv", "network_csv", "network_html", "report_html",
           "ties_csv", "workbook_xlsx"]
