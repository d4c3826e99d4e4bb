"""The anchor: a bare `websockets` server doing the least a live board must do.

`python bench/anchor_server.py --port P`. No session, no rules, no database, no templates: a
client says hello and gets a first frame; a client sends an action and every other client gets
one frame through `websockets.broadcast` (one write per connection, no task per client), the
sender the same frame with its acknowledgement. Frames are htmx-like HTML padded to the sizes
the load generator asks for (it measures them on our server first), so both servers move the
same bytes. It runs on uvloop when it is installed (as uvicorn would), with our server's
permessage-deflate settings (server/wsprotocol.py's DEFLATE), frame size limit and pings.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import sys
from pathlib import Path

from websockets.asyncio.server import broadcast, serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from server.wsprotocol import DEFLATE  # noqa: E402

PAD = ('<form ws-send class="stack compact" data-label="Modification"><input type="hidden" '
       'name="type" value="note.edit"><textarea name="text" maxlength="500" required rows="3">')


def padded(body: str, size: int, tail: str) -> str:
    missing = size - len(body) - len(tail) - len("<!---->")
    if missing <= 0:
        return body + tail
    filler = (PAD * (missing // len(PAD) + 1))[:missing].replace("--", "- ")
    return body + "<!--" + filler + "-->" + tail


class Board:
    def __init__(self, frame_bytes: int, first_bytes: int):
        self.clients: set = set()
        self.seq = 0
        self.frame_bytes, self.first_bytes = frame_bytes, first_bytes

    def sync(self, ack: str = "") -> str:
        acked = f' data-ack="{ack}"' if ack else ""
        return f'<div id="sync" hx-swap-oob="true" hidden data-seq="{self.seq}"{acked}></div>'

    def first(self, size: int) -> str:
        body = '<div id="stage" hx-swap-oob="true"><div class="ideas"><div class="notes" id="notes-b2">'
        return padded(body, size, "</div></div></div>" + self.sync())

    def change(self, text: str, size: int, ack: str = "") -> str:
        body = (f'<div hx-swap-oob="beforeend:#notes-b2"><article id="note-n{self.seq}" class="note">'
                f'<p class="text">{html.escape(text)}</p>')
        return padded(body, size, "</article></div>" + self.sync(ack))

    async def handler(self, socket) -> None:
        self.clients.add(socket)
        try:
            async for raw in socket:
                message = json.loads(raw)
                if message.get("type") == "hello":
                    await socket.send(self.first(int(message.get("size") or self.first_bytes)))
                    continue
                self.seq += 1
                size = int(message.get("size") or self.frame_bytes)
                text = str(message.get("text", ""))
                others = [c for c in self.clients if c is not socket]
                broadcast(others, self.change(text, size))
                op = str(message.get("op", ""))
                await socket.send(self.change(text, size, op))
        finally:
            self.clients.discard(socket)


async def main(port: int, frame_bytes: int, first_bytes: int) -> None:
    board = Board(frame_bytes, first_bytes)
    async with serve(board.handler, "127.0.0.1", port, max_size=64 * 1024, ping_interval=20, compression=None,
                     extensions=[ServerPerMessageDeflateFactory(**DEFLATE)],
                     ping_timeout=20, backlog=2048) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frame-bytes", type=int, default=1500)
    parser.add_argument("--first-bytes", type=int, default=4000)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        uvloop = None
    running = main(args.port, args.frame_bytes, args.first_bytes)
    uvloop.run(running) if uvloop else asyncio.run(running)
