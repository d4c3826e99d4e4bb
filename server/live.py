"""The workshop websocket: origin and session checks, hello/resync, then one action per message."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from boards.errors import InvalidAction, Rejected
from boards.i18n import N_
from boards.model import FACILITATOR, PARTICIPANT, SCREEN

from . import auth, render
from .i18n import negotiate

log = logging.getLogger("maillage.live")

# Close codes: 4403 forbidden, 4404 unknown workshop. htmx reconnects only on 1006/1011/1012/1013,
# so a refused connection is not retried in a loop.
FORBIDDEN, NOT_FOUND = 4403, 4404


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

    await websocket.accept()
    locale = negotiate(websocket.cookies.get("lang"), websocket.headers.get("accept-language"))
    view = role
    client = app.state.hub.client(websocket, view, participant, locale, proxy_by)
    room = app.state.hub.room(ws.id)
    room.add(client)
    sender = asyncio.create_task(client.run())
    here = asyncio.current_task()

    def sender_stopped(_) -> None:
        # The sender gave up on this client (it fell behind, or was told to close): end the
        # connection now, even if this loop is waiting for a message that may never come.
        here.cancel()
    sender.add_done_callback(sender_stopped)
    workshops.presence_soon(ws)
    settings = app.state.settings
    bucket = auth.TokenBucket(settings.actions_per_second, settings.actions_per_second * 4)
    # Refusals for rate a connection may collect: a burst's worth, then one a second.
    patience = auth.TokenBucket(1.0, settings.actions_per_second * 4)
    told = float("-inf")
    try:
        while not sender.done():
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                client.push(render.notice(locale, InvalidAction(N_("Message illisible."))))
            elif bucket.take():
                _handle(workshops, ws, client, role, text)
            elif not patience.take():
                # Still flooding after many refusals: a runaway page or a script. Drop the connection
                # and what it has queued in its TCP buffers (1008: htmx does not reconnect after it).
                log.warning("websocket closed: sustained flood")
                sender.remove_done_callback(sender_stopped)
                sender.cancel()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(websocket.close(1008), 1.0)
                break
            else:
                # A flood is refused cheaply: its ops are listed as refused, the reason rendered once a second.
                now = time.monotonic()
                notice = ""
                if now - told >= 1.0:
                    told = now
                    notice = render.notice(locale, Rejected(N_("Trop de messages : ralentissez un peu.")))
                client.push(notice, refused=_op_of(text))
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
        if not sender.done():
            raise
        here.uncancel()
    finally:
        sender.remove_done_callback(sender_stopped)
        room.discard(client)
        sender.cancel()
        workshops.presence_soon(ws)


def _decode(text: str):
    """The JSON value a client sent, or None when it cannot be read as text: malformed JSON, nesting
    deeper than the parser's recursion limit, or lone surrogates written as \\u escapes (they would
    fail later, when stored or echoed back as UTF-8)."""
    try:
        message = json.loads(text)
        json.dumps(message, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return None
    return message


def _op_of(text: str) -> str | None:
    message = _decode(text)
    op = message.get("op") if isinstance(message, dict) else None
    return op if isinstance(op, str) and len(op) <= 64 and op.isascii() and op.replace("-", "").isalnum() \
        else None


def _handle(workshops, ws, client, role: str, text: str) -> None:
    message = _decode(text)
    # Every message is a JSON object (docs/protocol.md); anything else goes no further.
    if not isinstance(message, dict):
        client.push(render.notice(client.locale, InvalidAction(N_("Message illisible."))))
        return
    if message.get("type") == "hello":
        last = message.get("last_seq")
        if client.greeted:
            # Only the first hello of a connection may ask for everything: later changes reach it live,
            # in order, and a full frame renders every region (tens of ms on a big board), which a
            # client repeating hello would otherwise get for free.
            last = ws.seq
        client.greeted = True
        workshops.resync(ws, client, last if isinstance(last, int) and not isinstance(last, bool) else None)
        return
    try:
        workshops.perform(ws, client, role, message)
    except Exception:
        log.exception("action failed")
        client.push(render.notice(client.locale, Rejected(N_("Erreur du serveur : l'action n'a pas été enregistrée."))),
                    refused=_op_of(text))
