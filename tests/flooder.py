"""A phone gone wild, in its own process so that its CPU is not the test's: it sends as fast as the
socket takes them, for a given time, and reads whatever comes back.

`python tests/flooder.py WS_URL ORIGIN COOKIE SECONDS KIND` prints one JSON line: messages sent,
operations acknowledged and refused, full frames received (`id="stage"`), closes. KIND is
"actions" (new notes) or "hello" (notes and hellos asking for everything, alternately).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time

import websockets

ACK = re.compile(r'data-ack="([^"]*)"')
REFUSED = re.compile(r'data-refused="([^"]*)"')


async def flood(url: str, origin: str, cookie: str, seconds: float, kind: str) -> dict:
    counts = {"sent": 0, "acked": 0, "refused": 0, "full_frames": 0, "closes": 0, "connected": 0.0}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        opened = time.monotonic()
        try:
            async with websockets.connect(url, origin=origin, additional_headers={"Cookie": cookie},
                                          close_timeout=1) as socket:
                async def drain():
                    async for frame in socket:
                        for found in ACK.findall(frame):
                            counts["acked"] += len(found.split())
                        for found in REFUSED.findall(frame):
                            counts["refused"] += len(found.split())
                        counts["full_frames"] += frame.count('id="stage"')
                reader = asyncio.create_task(drain())
                while time.monotonic() < end:
                    for _ in range(50):
                        number = counts["sent"]
                        if kind == "hello" and number % 2:
                            message = {"type": "hello", "last_seq": 0}
                        else:
                            message = {"type": "note.add", "board": "b2", "text": f"flot {number}",
                                       "op": f"flot{number}"}
                        await socket.send(json.dumps(message))
                        counts["sent"] += 1
                    await asyncio.sleep(0)
                # What the server still had to say about the last messages.
                await asyncio.sleep(1.0)
                reader.cancel()
        except websockets.ConnectionClosed:
            counts["closes"] += 1
        counts["connected"] += time.monotonic() - opened
    return counts


if __name__ == "__main__":
    url, origin, cookie, seconds, kind = sys.argv[1:6]
    print(json.dumps(asyncio.run(flood(url, origin, cookie, float(seconds), kind))))
