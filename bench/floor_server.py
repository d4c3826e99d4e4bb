"""The stack's floor: starlette and uvicorn, run as our server runs them, doing the least a join does.

`python bench/floor_server.py --port P`. The join storm's second anchor. A phone posts a join
form (a code and a name): the form is parsed, the name put in starlette's signed session cookie
and the phone sent on with a 303. It then opens a websocket with that cookie, says hello and gets
one frame of the size it asks for (the anchor's padded first render). No rules, no database, no
templates, no presence, no hub: what is left is the price of the chosen stack itself (uvicorn's
httptools parser and sans-I/O websockets, starlette's routing, form parser and session
middleware), which every starlette application pays for the same exchange.

Measured beside the bare `websockets` anchor (bench/anchor_server.py), it says how much of our
storm's distance to the anchor is ours and how much comes with the stack.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.anchor_server import Board  # noqa: E402
from server.settings import Settings  # noqa: E402

COOKIE = "maillage"


async def home(request) -> PlainTextResponse:
    return PlainTextResponse("floor")


async def join(request) -> RedirectResponse | PlainTextResponse:
    form = await request.form()
    name = str(form.get("name", "")).strip()
    if not name or not form.get("code"):
        return PlainTextResponse("code and name wanted", status_code=400)
    request.session["p"] = name[:40]
    return RedirectResponse("/a/floor", status_code=303)


async def live(socket: WebSocket) -> None:
    # A phone without the cookie the join set is refused, as ours refuses it.
    if "p" not in socket.session:
        await socket.close(code=1008)
        return
    await socket.accept()
    board = Board(0, 0)
    try:
        hello = await socket.receive_json()
        await socket.send_text(board.first(int(hello.get("size") or 4000)))
        while True:
            await socket.receive_text()
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[Route("/", home), Route("/rejoindre", join, methods=["POST"]),
                        WebSocketRoute("/live", live)],
                middleware=[Middleware(SessionMiddleware, secret_key=secrets.token_urlsafe(32),
                                       session_cookie=COOKIE, same_site="lax")])

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                http="httptools", ws="websockets-sansio", ws_max_size=Settings().ws_max_size,
                ws_per_message_deflate=True, timeout_graceful_shutdown=3)
