"""The coordinator's downloads: fetched by clicking their links, then opened the way a person would
(HTML pages in the browser from disk, spreadsheets and Gephi files in their own readers)."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import networkx as nx
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import DEVICES
from .watch import Watch


def analysed(page, timeout: float = 90) -> None:
    """A snapshot page, reloaded until its network analysis (run in a worker process) is there.

    Called right after the click that opens the page: it first waits for the page to show one of its
    two states, so it never judges the page it came from."""
    done = page.get_by_role("heading", name="Le réseau en chiffres")
    running = page.get_by_text("L'analyse du réseau est en cours")
    deadline = time.monotonic() + timeout
    while True:
        expect(done.or_(running)).to_be_visible()
        if done.count():
            return
        assert time.monotonic() < deadline, "the analysis never finished"
        page.wait_for_timeout(500)
        page.reload()


def download_all(page, links, folder: Path) -> dict[str, Path]:
    """Clicks every link in `links`; returns path by export name. A link with a download attribute
    must download; one without (the printable reports) must open its page in a new tab, whose
    bytes are then saved like a download's."""
    folder.mkdir(parents=True, exist_ok=True)
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs, "no export link"
    saved = {}
    for index, href in enumerate(hrefs):
        if index and index % 5 == 0:
            # Chromium silently drops the 11th download in a row from one page (a guard against
            # download floods): a person would not click that fast; reloading resets the count.
            page.reload()
        parts = urlsplit(href)
        name = parts.path.rsplit("/", 1)[1] + (" ;" if unquote(parts.query).endswith("sep=;") else "")
        link = page.locator(f'a[href="{href}"]')
        target = folder / name.replace(" ;", ".semicolon")
        if link.get_attribute("download") is None:
            with page.expect_popup() as popup:
                link.click()
            opened = popup.value
            expect(opened.locator("h1")).to_be_visible()
            address = opened.url
            assert address.endswith(href), address
            opened.close()
            target.write_bytes(page.request.get(address).body())
        else:
            with page.expect_download() as download:
                link.click()
            download.value.save_as(target)
            assert download.value.failure() is None
        saved[name] = target
    return saved


def open_offline_html(browser, path: Path, ready: str):
    """Opens a downloaded HTML file from disk, watched: it must need nothing but itself."""
    watch = Watch("file://")
    context = browser.new_context(**DEVICES["laptop"])
    watch.attach(context)
    page = context.new_page()
    page.goto(path.as_uri())
    expect(page.locator(ready).first).to_be_visible()
    return context, page, watch


def check_html(browser, path: Path, ready: str, texts: list[str]) -> None:
    context, page, watch = open_offline_html(browser, path, ready)
    try:
        body = page.locator("body")
        for text in texts:
            expect(body).to_contain_text(text)
        # Give the network page's script time to lay the graph out and fail, if it is to fail.
        page.wait_for_timeout(300)
        watch.assert_clean()
    finally:
        context.close()


def rows(path: Path, sep: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=sep))


def check_exports(room, snapshot: dict[str, Path], comparison: dict[str, Path], actors: list[str]) -> None:
    title = "Atelier coopération — mars"
    check_html(room.browser, snapshot["reseau.html"], "#network canvas", [title, "T1 — mars"])
    check_html(room.browser, snapshot["rapport.html"], "h1", [title, "Le réseau en chiffres", *actors])
    check_html(room.browser, comparison["comparaison.html"], "h1", ["T0 — mars", "T1 — mars", "CAF"])
    check_html(room.browser, comparison["reseau.html"], "#network canvas", ["Depuis T0 — mars"])

    cells = {cell for row in rows(snapshot["acteurs.csv"])[1:] for cell in row}
    assert set(actors) <= cells, cells
    assert len(rows(snapshot["liens.csv"])) == 3
    assert len(rows(snapshot["liens.csv ;"], ";")) == 3
    assert rows(snapshot["liens.csv ;"], ";")[0] == [cell for cell in rows(snapshot["liens.csv"])[0]]

    workbook = load_workbook(snapshot["classeur.xlsx"], read_only=True)
    cells = {str(c) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row}
    assert set(actors) <= cells

    for reader, name in ((nx.read_gexf, "reseau.gexf"), (nx.read_graphml, "reseau.graphml")):
        graph = reader(snapshot[name])
        # One edge per tie (both two-way here) over two linked pairs; GEXF's two-way ("mutual")
        # edges read back as two arcs each.
        pairs = {frozenset(edge) for edge in graph.edges()}
        assert (graph.number_of_nodes(), len(pairs)) == (3, 2), name
        assert graph.number_of_edges() == (4 if name == "reseau.gexf" else 2), name
    data = json.loads(snapshot["reseau.json"].read_text(encoding="utf-8"))
    assert data["snapshot"]["label"] == "T1 — mars"
    assert len(data["graph"]["nodes"]) == 3 and len(data["graph"]["edges"]) == 2

    levers = {row[3]: row[4] for row in rows(snapshot["freins_leviers.csv"])[1:]}
    assert levers["Un référent commun par quartier"] == "8", levers

    # The evidence packs: whole, and their HTML pages as self-contained as the single downloads.
    for pack, expected in ((snapshot["dossier.zip"], 2), (comparison["dossier.zip"], 3)):
        with zipfile.ZipFile(pack) as archive:
            assert archive.testzip() is None
            pages = [name for name in archive.namelist() if name.endswith(".html")]
            archive.extractall(pack.parent / pack.stem)
        assert len(pages) == expected, pages
        for name in pages:
            check_html(room.browser, pack.parent / pack.stem / name, "h1", [title if "comparaison" not in name
                                                                            else "T0 — mars"])
    assert len(rows(comparison["changements.csv"])) > 1
