"""Evidence pack: every export of one wave in a single zip, with a short README.txt.

The pack is the partners' dossier and is written in French as a whole (README, report, pages,
tables for a French Excel), whoever downloads it: its files go together and are compared
across waves and territories. The report and pages alone come in the reader's language."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from . import ambition, diagnosis, gephi, systems, tables
from .network_page import network_html
from .report import comparison_report_html, report_html
from .workbook import workbook_xlsx

README = """Dossier de preuves — {title}
Vague : {wave}{taken}

Contenu
- rapport.html : rapport imprimable (ouvrir dans un navigateur, puis Imprimer en A4).
- reseau_interactif.html : carte interactive des coopérations ; s'ouvre sans connexion.
- classeur.xlsx : toutes les tables dans un classeur (une feuille par table).
- acteurs.csv, liens.csv, metriques_acteurs.csv, indicateurs_reseau.csv,
  freins_leviers.csv, indicateurs.csv, idees.csv : les mêmes tables en CSV (UTF-8, séparateur « ; »,
  virgule décimale, pour Excel en français).
- reseau.gexf, reseau.graphml : le réseau pour Gephi ou d'autres logiciels d'analyse.
- reseau.json : toutes les données du réseau et de l'analyse, pour des traitements
  automatiques.
{method}{comparison}
Les acteurs sont des organisations ; aucune donnée ne désigne un participant.
Dans les tableurs, une cellule de texte qui commence par = + - ou @ est précédée
d'une apostrophe pour qu'elle ne soit jamais exécutée comme une formule.
"""

# The boards of the method, when the workshop held them: (files, line of the README).
SYSTEMS_NOTE = """- systeme_facteurs.csv, systeme_liens.csv (avec le sens de chaque lien : positif ou
  négatif), systeme_boucles.csv (boucles de renforcement et d'équilibre), systeme.gexf,
  systeme.graphml : la carte systémique.
"""
DIAGNOSIS_NOTE = """- diagnostic.csv, diagnostic.json : le diagnostic partagé, un élément par ligne (thème,
  nature, source, priorité, suite donnée et historique des vagues précédentes).
"""
AMBITION_NOTE = """- ambition.csv, ambition.json : l'ambition de changement, ses propositions et ses tours de
  consentement (réponses comptées, raisons des réserves et des objections, sans nom).
"""

COMPARISON_NOTE = """- comparaison.html, changements.csv : ce qui a changé depuis {before}.
"""


def ascii_slug(text: str, fallback: str = "vague") -> str:
    bare = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", bare).strip("-").lower()[:60].strip("-")
    return slug or fallback


def evidence_pack(snapshot: dict, analysis: dict, *, comparison: dict | None = None) -> bytes:
    """A zip holding the report, the interactive page, tables, graph files and a README."""
    workshop = snapshot.get("workshop") if isinstance(snapshot.get("workshop"), dict) else {}
    wave = str(snapshot.get("label") or "")
    folder = "maillage-" + ascii_slug(wave or str(snapshot.get("id") or ""))
    french = {"sep": ";"}
    files = {
        "rapport.html": report_html(snapshot, analysis, comparison=comparison).encode("utf-8"),
        "reseau_interactif.html": network_html(snapshot, analysis,
                                               comparison=comparison).encode("utf-8"),
        "classeur.xlsx": workbook_xlsx(snapshot, analysis),
        "acteurs.csv": tables.actors_csv(snapshot, analysis, **french),
        "liens.csv": tables.ties_csv(snapshot, analysis, **french),
        "metriques_acteurs.csv": tables.metrics_csv(snapshot, analysis, **french),
        "indicateurs_reseau.csv": tables.network_csv(snapshot, analysis, **french),
        "freins_leviers.csv": tables.levers_csv(snapshot, analysis, **french),
        "indicateurs.csv": tables.indicators_csv(snapshot, analysis, **french),
        "idees.csv": tables.ideas_csv(snapshot, analysis, **french),
        "reseau.gexf": gephi.gexf_bytes(snapshot, analysis),
        "reseau.graphml": gephi.graphml_bytes(snapshot, analysis),
        "reseau.json": gephi.json_bytes(snapshot, analysis),
    }
    method = ""
    if systems.maps(snapshot):
        method += SYSTEMS_NOTE
        files |= {"systeme_facteurs.csv": systems.factors_csv(snapshot, **french),
                  "systeme_liens.csv": systems.links_csv(snapshot, **french),
                  "systeme_boucles.csv": systems.loops_csv(snapshot, **french),
                  "systeme.gexf": systems.gexf_bytes(snapshot),
                  "systeme.graphml": systems.graphml_bytes(snapshot)}
    if diagnosis.items(snapshot):
        method += DIAGNOSIS_NOTE
        files |= {"diagnostic.csv": diagnosis.diagnosis_csv(snapshot, **french),
                  "diagnostic.json": diagnosis.diagnosis_json(snapshot)}
    if ambition.statements(snapshot):
        method += AMBITION_NOTE
        files |= {"ambition.csv": ambition.ambition_csv(snapshot, **french),
                  "ambition.json": ambition.ambition_json(snapshot)}
    if comparison:
        files["comparaison.html"] = comparison_report_html(comparison).encode("utf-8")
        files["changements.csv"] = tables.changes_csv(comparison, **french)
    taken = str(snapshot.get("taken_at") or "")[:10]
    readme = README.format(
        title=str(workshop.get("title") or "atelier"), wave=wave or "sans nom",
        taken=f" (instantané du {taken})" if taken else "", method=method,
        comparison=COMPARISON_NOTE.format(before=comparison["before"]["label"] or
                                          "la vague précédente") if comparison else "")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/README.txt", readme.replace("\n", "\r\n").encode("utf-8"))
        for name, content in files.items():
            archive.writestr(f"{folder}/{name}", content)
    return buffer.getvalue()
