"""The workshop websocket: origin and session checks, hello/resync, then one action per message."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import time

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from boards.errors import InvalidAction, Rejected
from boards.i18n import N_
from boards.model import FACILITATOR, PARTICIPANT, SCREEN

from . import auth, render
from .i18n import negotiate, translate
from .wsprotocol import FLOOD, WIRE

log = logging.getLogger("maillage.live")

# Close codes (docs/protocol.md): 4403 forbidden and 4404 unknown workshop mean "do not come back";
# 4429 "retry later" (too many connections, or a cooldown after a flood): the page backs off.
FORBIDDEN, NOT_FOUND, RETRY_LATER = 4403, 4404, 4429
# Scope key of the server's own send, stored by app.Maillage ahead of the session middleware.
RAW_SEND = "maillage.send"
# The workshop websocket's address; app.Maillage routes it here without Starlette's router.
_PATH = re.compile(r"/a/([^/]+)/ws")
COOLING = N_("Trop de messages envoyés : reconnexion possible dans quelques secondes.")


def _role(websocket: WebSocket, ws) -> tuple[str, str | None, str | None] | None:
    """The view this connection may have, the participant it acts as and for whom it types, or None."""
    app = websocket.app
    session = websocket.session
    view = websocket.query_params.get("view", PARTICIPANT)
    if view == FACILITATOR:
        person = auth.facilitator_of(session, ws.id)
        return (FACILITATOR, person, None) if person else None
    if view == SCREEN:
        key = websocket.query_params.get("cle", "")
        expected = auth.screen_key(app.state.secret, ws.id)
        if auth.facilitator_of(session, ws.id) or auth.same_secret(key, expected):
            return SCREEN, None, None
        return None
    proxied = websocket.query_params.get("pour")
    if proxied:
        helper = auth.proxy_helper(session, ws, proxied)
        return (PARTICIPANT, proxied, helper) if helper else None
    person = auth.participant_of(session, ws.id)
    return (PARTICIPANT, person, None) if person else None


def workshop_of(path: str) -> str | None:
    """The workshop id in a workshop websocket's path, or None for any other path."""
    found = _PATH.fullmatch(path)
    return found[1] if found else None


async def asgi(scope, receive, send) -> None:
    await live(WebSocket(scope, receive, send))


async def live(websocket: WebSocket) -> None:
    app = websocket.app
    workshops = app.state.workshops
    ws = workshops.get(websocket.path_params["workshop_id"])
    if ws is None:
        await websocket.close(NOT_FOUND)
        return
    origin = websocket.headers.get("origin")
    if not auth.origin_allowed(origin, websocket.headers.get("host"), app.state.settings.allowed_origins):
        log.warning("websocket refused: foreign origin")
        await websocket.close(FORBIDDEN)
        return
    granted = _role(websocket, ws)
    if granted is None:
        await websocket.close(FORBIDDEN)
        return
    role, participant, proxy_by = granted
    person = ws.participants.get(participant or "")
    if participant is not None and (person is None or person.removed):
        await websocket.close(FORBIDDEN)
        return

    admission = app.state.admission
    person_key, network = admission.keys(ws.id, participant if role != SCREEN else None,
                                         websocket.client.host if websocket.client else None)
    locale = negotiate(websocket.cookies.get("lang"), websocket.headers.get("accept-language"))
    if admission.cooling_down(person_key):
        # Closed for flooding a moment ago: refused at the handshake (HTTP 429), before any frame
        # of it is read. The page sees a failed connection and backs off.
        await websocket.send_denial_response(PlainTextResponse(translate(locale, COOLING), 429))
        return
    refusal = admission.refusal(person_key, network)
    await websocket.accept()
    if refusal is not None:
        # Accepted only to say why, then closed with 4429: the page waits and retries later.
        with contextlib.suppress(Exception):
            await websocket.send_text(render.notice(locale, Rejected(refusal)))
            await websocket.close(RETRY_LATER)
        return
    admission.enter(person_key, network)
    try:
        await _serve(websocket, app, ws, role, participant, proxy_by, locale, person_key)
    finally:
        admission.leave(person_key, network)


async def _serve(websocket, app, ws, role, participant, proxy_by, locale, person_key) -> None:
    workshops = app.state.workshops
    view = role
    raw = websocket.scope[RAW_SEND]
    # Frames go straight to the server's send, past the session middleware's send wrapper (which
    # looks only at HTTP responses): every frame to every client paid for it.
    send = lambda text: raw({"type": "websocket.send", "text": text})  # noqa: E731
    client = app.state.hub.client(websocket, view, participant, locale, proxy_by, send,
                                  websocket.scope.get(WIRE))
    room = app.state.hub.room(ws.id)
    room.add(client)
    here = asyncio.current_task()

    def hub_stopped() -> None:
        # The hub gave up on this client (it fell behind, or was told to close): end the
        # connection now, even if this loop is waiting for a message that may never come.
        here.cancel()
    client.on_stop = hub_stopped
    if view == FACILITATOR:
        workshops.presence.console_connected(ws)
    workshops.presence.soon(ws)
    settings = app.state.settings
    bucket = auth.TokenBucket(settings.actions_per_second, settings.actions_per_second * 4)
    # Refusals for rate a connection may collect: two seconds' worth, then one a second.
    patience = auth.TokenBucket(1.0, settings.actions_per_second * 2)
    told, refused = float("-inf"), 0
    try:
        while not client.stopped:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                if message.get("reason") == FLOOD:
                    # The wire cut it for sending too many frames (server/wsprotocol.py).
                    app.state.admission.flooded(person_key)
                break
            text = message.get("text")
            if bucket.take():
                if text is None:
                    # Binary frames count like any other message, and carry nothing we read.
                    client.push(render.notice(locale, InvalidAction(N_("Message illisible."))))
                else:
                    _handle(workshops, ws, client, role, text)
            elif not patience.take():
                # Still flooding after many refusals: a runaway page or a script. Drop the connection
                # and what it has queued in its TCP buffers (1008: nothing more is read from it), and
                # keep it out for a while.
                log.warning("websocket closed: sustained flood")
                app.state.admission.flooded(person_key)
                client.on_stop = None
                client.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(websocket.close(1008), 1.0)
                break
            else:
                # A flood is refused cheaply: its ops are listed as refused, the reason rendered once a second.
                refused += 1
                now = time.monotonic()
                notice = ""
                if now - told >= 1.0:
                    told = now
                    notice = render.notice(locale, Rejected(N_("Trop de messages : ralentissez un peu.")))
                client.push(notice, refused=_decode(text)[1] if text is not None else None)
                # Then stop reading this connection until a token is due: what it keeps sending waits
                # in its own TCP buffers (uvicorn reads only when we do), not in our event loop.
                await asyncio.sleep(1 / settings.actions_per_second)
                continue
            # Frames that arrived together are queued together and receive() would hand them over
            # without yielding: let the other connections run between two messages of this one.
            await asyncio.sleep(0)
    except WebSocketDisconnect:
        pass
    except asyncio.CancelledError:
        if not client.stopped:
            raise
        here.uncancel()
    finally:
        if refused >= settings.actions_per_second:
            # A second's worth of refused messages, then gone (dropped behind, or left to come back
            # afresh): a flood all the same, kept out for the cooldown.
            app.state.admission.flooded(person_key)
        client.on_stop = None
        client.stop()
        room.discard(client)
        workshops.presence.soon(ws)


def _decode(text: str) -> tuple[object, str | None]:
    """The JSON value a client sent (None when it cannot be read as text) and its operation id.

    Unreadable: malformed JSON, nesting deeper than the parser's recursion limit, or lone
    surrogates written as \\u escapes (they would fail later, when stored or echoed back as UTF-8).
    The op is still found when it can be, so the refusal names it and the client stops waiting."""
    try:
        message = json.loads(text, parse_int=_bounded_int)
    except (ValueError, RecursionError):
        found = _OP_IN_TEXT.search(text[:200_000])
        return None, found.group(1) if found else None
    op = message.get("op") if isinstance(message, dict) else None
    op = op if isinstance(op, str) and _OP.fullmatch(op) else None
    try:
        json.dumps(message, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return None, op
    return message, op


# An operation id as docs/protocol.md defines it, alone and as written in a JSON text.
_OP = re.compile(r"[A-Za-z0-9-]{1,64}")
_OP_IN_TEXT = re.compile(r'"op"\s*:\s*"([A-Za-z0-9-]{1,64})"')


def _bounded_int(digits: str):
    """JSON integers past any field's range stay out of reach of float() and int() overflows: an
    infinite value, which every numeric reader refuses with a readable message."""
    return int(digits) if len(digits) <= 30 else math.inf


def _handle(workshops, ws, client, role: str, text: str) -> None:
    message, op = _decode(text)
    # Every message is a JSON object (docs/protocol.md); anything else goes no further.
    if not isinstance(message, dict):
        client.push(render.notice(client.locale, InvalidAction(N_("Message illisible."))), refused=op)
        return
    if message.get("type") == "hello":
        last = message.get("last_seq")
        if client.greeted:
            # Only the first hello of a connection may ask for everything: later changes reach it live,
            # in order, and a full frame renders every region (tens of ms on a big board), which a
            # client repeating hello would otherwise get for free.
            client.push(seq=ws.seq)
            return
        client.greeted = True
        workshops.resync(ws, client, last if isinstance(last, int) and not isinstance(last, bool) else None)
        return
    try:
        workshops.perform(ws, client, role, message)
    except Exception:
        log.exception("action failed")
        client.push(render.notice(client.locale, Rejected(N_("Erreur du serveur : l'action n'a pas été enregistrée."))),
                    refused=op)
