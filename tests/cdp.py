"""Just enough of the Chrome DevTools protocol to load a page in Debian's headless Chromium, run a
script in it and read the answer; `Phone` adds a phone-sized screen with touch.

Kept apart from Playwright (tests/browser/) so that a few end-to-end tests can check one page in a
real browser without that suite's setup."""

import itertools
import json
import shutil
import subprocess
import tempfile
import time

import httpx
from websockets.sync.client import connect as connect_sync

from players import free_port

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic")


class Chromium:
    """A headless Chromium with its own throwaway profile, driven through the DevTools protocol."""

    def __init__(self, extra=()):
        self.profile = tempfile.mkdtemp()
        port = free_port()
        self.process = subprocess.Popen(
            [shutil.which("chromium"), *FLAGS, *extra,
             f"--remote-debugging-port={port}", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                targets = httpx.get(f"http://127.0.0.1:{port}/json", timeout=1).json()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        page = next(t for t in targets if t["type"] == "page")
        self.socket = connect_sync(page["webSocketDebuggerUrl"], max_size=None, legacy=True)
        self.ids = itertools.count(1)

    def call(self, method, **params):
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=20))
            if message.get("id") == number:
                assert "error" not in message, message
                return message["result"]

    def value(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait(self, expression, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Elements do not cross the protocol by value: ask the page for a plain boolean.
            if self.value(f"Boolean({expression})"):
                return
            time.sleep(0.1)
        # What the page told its reader last usually says why: the outbox and the notice, if any.
        state = self.value("['outbox', 'notice'].map(id => document.getElementById(id))"
                           ".map(e => e ? e.textContent : null)")
        raise AssertionError(f"never true in the page: {expression}; outbox and notice: {state}")

    def open_workshop(self, person, server, workshop_id: str) -> None:
        """The workshop's page as `person` sees it (their session cookie), once it is online."""
        for name, value in person.http.cookies.items():
            self.call("Network.setCookie", name=name, value=value, url=server.url)
        self.call("Page.navigate", url=f"{server.url}/a/{workshop_id}")
        self.wait("document.getElementById('conn') && document.getElementById('conn').classList.contains('on')")

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


class Phone(Chromium):
    """Chromium the size of a phone, with touch: drags and taps arrive as a thumb's would."""

    def __init__(self, extra=()):
        super().__init__(extra)
        self.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
        self.call("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=5)

    def centre(self, selector):
        self.value(f"document.querySelector('{selector}').scrollIntoView({{block: 'center'}})")
        return self.value(f"(() => {{ const r = document.querySelector('{selector}').getBoundingClientRect();"
                          " return [r.left + r.width / 2, r.top + r.height / 2]; })()")

    def touch(self, kind, x=None, y=None):
        points = [] if x is None else [{"x": x, "y": y}]
        self.call("Input.dispatchTouchEvent", type=kind, touchPoints=points)

    def tap(self, x, y):
        self.touch("touchStart", x, y)
        self.touch("touchEnd")

    def drag(self, start, end, steps=10):
        self.touch("touchStart", *start)
        for step in range(1, steps + 1):
            self.touch("touchMove", start[0] + (end[0] - start[0]) * step / steps,
                       start[1] + (end[1] - start[1]) * step / steps)
        self.touch("touchEnd")
