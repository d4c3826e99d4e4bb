"""Real Chromium (Debian's package, driven by Playwright) against a real `python run.py` process.

Every test gets its own server and SQLite file; the browser is shared by the session. Pages open
in contexts shaped like the devices of a workshop room, and each context is watched for requests
to other hosts, console errors and dialogs (see watch.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from players import ROOT, Server

from .watch import Watch

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
TOKEN = "jeton-coordination-navigateur"

# When the page last moved under a finger: scrolled, or changed by a frame (see steps.at_rest).
MOVES = """
window.__movedAt = 0;
for (const type of ["scroll", "htmx:wsAfterMessage"]) {
  document.addEventListener(type, () => { window.__movedAt = performance.now(); }, true);
}
"""

DEVICES = {
    # Phones: small screen, touch, French.
    "phone": dict(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True, locale="fr-FR"),
    "laptop": dict(viewport={"width": 1366, "height": 800}, locale="fr-FR", accept_downloads=True),
    # A facilitator's touch screen laptop or tablet: wide, and a finger as well as a mouse.
    "tablet": dict(viewport={"width": 1280, "height": 800}, has_touch=True, locale="fr-FR"),
    "projector": dict(viewport={"width": 1920, "height": 1080}, locale="fr-FR"),
}


@pytest.fixture(scope="package")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does), "
                    "or leave these tests out with -m 'not browser'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Room:
    """The devices of one workshop room, all watched by one Watch."""

    def __init__(self, browser, server: Server, artifacts: Path):
        self.browser, self.server, self.artifacts = browser, server, artifacts
        self.watch = Watch(server.url)
        self.contexts = []

    @property
    def url(self) -> str:
        return self.server.url

    def open(self, device: str, path: str = "/"):
        """A new browser (its own cookies) shaped like `device`, on `path`."""
        context = self.browser.new_context(**DEVICES[device])
        context.set_default_timeout(15_000)
        self.watch.attach(context)
        self.contexts.append(context)
        context.add_init_script(MOVES)
        page = context.new_page()
        page.goto(self.url + path)
        return page

    def shot(self, page, name: str, full_page: bool = False) -> Path:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def room(chromium, tmp_path, request):
    server = Server(tmp_path / "atelier.db", extra=("--coordinator-token", TOKEN)).start()
    artifacts = ARTIFACTS / request.node.name
    shutil.rmtree(artifacts, ignore_errors=True)
    here = Room(chromium, server, artifacts)
    try:
        yield here
    finally:
        here.close()
        server.stop()
    # Whatever the pages showed, the server must not have failed on the way.
    log = server.process.stderr.read().decode("utf-8", "replace")
    assert "Traceback" not in log, log[-5000:]
