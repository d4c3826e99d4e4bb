"""Everything a browser context does that a person should never see: requests to another host,
console errors, uncaught exceptions, dialogs. Recorded on every page, checked at the end."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit


class Watch:
    def __init__(self, origin: str):
        # The server's origin (http://127.0.0.1:PORT), or "file://" for exports opened from disk.
        self.origin = origin
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.sockets: list[str] = []
        self._confirming = 0
        # Leaving a page with unsaved actions asks first: within `leaving()`, the person goes anyway.
        self._leaving = 0
        self.left = 0
        # Console messages a step expects (e.g. failed reconnections while offline), as regexes.
        self._tolerated: list[re.Pattern] = []

    # Wiring ---------------------------------------------------------------------------------
    def attach(self, context) -> None:
        context.route("**/*", self._route)
        context.on("page", self._page)
        for page in context.pages:
            self._page(page)

    def _page(self, page) -> None:
        where = lambda: page.url  # noqa: E731 - the page's address at the time of the message
        page.on("console", lambda msg: self._console(msg, where()))
        page.on("pageerror", lambda exc: self.errors.append(f"{where()}: uncaught {exc}"))
        page.on("dialog", self._dialog)
        page.on("websocket", lambda ws: self._socket(ws.url))

    def _local(self, url: str) -> bool:
        if self.origin == "file://":
            return url.startswith(("file://", "data:", "blob:", "about:"))
        if url.startswith(("data:", "blob:", "about:")):
            return True
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    def _route(self, route) -> None:
        url = route.request.url
        if self._local(url):
            route.continue_()
        else:
            # Recorded, and stopped here: nothing leaves the machine even when a test fails.
            self.foreign.append(url)
            route.abort()

    def _socket(self, url: str) -> None:
        self.sockets.append(url)
        parts = urlsplit(url)
        if f"http://{parts.netloc}" != self.origin:
            self.foreign.append(url)

    def _console(self, msg, where: str) -> None:
        if msg.type != "error":
            return
        if any(p.search(msg.text) for p in self._tolerated):
            return
        self.errors.append(f"{where}: console error: {msg.text}")

    def _dialog(self, dialog) -> None:
        if dialog.type == "confirm" and self._confirming:
            dialog.accept()
            return
        if dialog.type == "beforeunload" and self._leaving:
            self.left += 1
            dialog.accept()
            return
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    # Scoped allowances ----------------------------------------------------------------------
    @contextlib.contextmanager
    def leaving(self):
        """A page with actions not yet saved asks before it goes: the person leaves anyway."""
        self._leaving += 1
        try:
            yield
        finally:
            self._leaving -= 1

    @contextlib.contextmanager
    def confirming(self):
        """A deletion asks "are you sure?" with confirm(): the person says yes, within this block."""
        self._confirming += 1
        try:
            yield
        finally:
            self._confirming -= 1

    @contextlib.contextmanager
    def tolerating(self, pattern: str):
        """Console errors matching `pattern` are expected within this block (and only them)."""
        compiled = re.compile(pattern)
        self._tolerated.append(compiled)
        try:
            yield
        finally:
            self._tolerated.remove(compiled)

    # The verdict ----------------------------------------------------------------------------
    def assert_clean(self) -> None:
        assert not self.foreign, f"requests to other hosts: {self.foreign[:10]}"
        assert not self.errors, "console errors:\n" + "\n".join(self.errors[:20])
        assert not self.dialogs, f"unexpected dialogs: {self.dialogs}"
