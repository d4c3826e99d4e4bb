"""create_app(settings) -> the Starlette application: routes, lifespan, middleware."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import agendas, auth, coordinator, live, pages, review, snapshots
from . import stakeholders_routes
from . import diagnosis_routes
from . import library
from . import pictos
from .privacy import pages as privacy_pages
from . import transfer
from .cluster import Broker
from .admission import Admission
from .hub import Hub
from .settings import Settings
from .store import Store
from .workshops import Workshops
from .wsprotocol import LIMITS, Limits, Throttled

STATIC = Path(__file__).resolve().parent.parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# run.py hands the settings to worker processes through this variable, as JSON.
SETTINGS_VARIABLE = "MAILLAGE_SETTINGS"
# Largest request body: a CSV of a thousand actors or an indicator library is well under this.
MAX_BODY = 2 * 1024 * 1024
TOO_LARGE = PlainTextResponse("Fichier trop volumineux (2 Mo au plus).", 413)


class Guard:
    """Security headers on every response; cross-site form posts refused."""

    def __init__(self, app, allowed: tuple[str, ...] = ()):
        self.app, self.allowed = app, allowed

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["method"] in UNSAFE:
            origin = headers.get("origin") or _origin_of(headers.get("referer"))
            if not auth.origin_allowed(origin, headers.get("host"), self.allowed):
                response = PlainTextResponse("Requête refusée : elle ne vient pas de ce site.", 403)
                return await response(scope, receive, send)
            declared = headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
                return await TOO_LARGE(scope, receive, send)
            receive = _bounded(receive)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = [(b"content-security-policy", CSP.encode()),
                         (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"same-origin"),
                         (b"x-frame-options", b"DENY")]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        return await self.app(scope, receive, send_with_headers)


class Maillage(Starlette):
    """The application, with one door of its own: the workshop websocket goes to live.py through the
    session middleware alone. Each middleware and the router are a coroutine, and a send wrapper,
    that a websocket keeps alive for as long as it is open (a dozen objects per phone, scanned by
    every full pass of the collector) and that every frame to every client would go through,
    though they look only at HTTP responses."""

    def __init__(self, *, sessions: dict, **options):
        super().__init__(**options)
        self.live_socket = SessionMiddleware(live.asgi, **sessions)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and (workshop_id := live.workshop_of(scope["path"])):
            scope["app"] = self
            scope["path_params"] = {"workshop_id": workshop_id}
            scope[live.RAW_SEND] = send
            return await self.live_socket(scope, receive, send)
        return await super().__call__(scope, receive, send)


class BodyTooLarge(Exception):
    pass


def _bounded(receive):
    """Stops reading a request body (chunked ones included) past MAX_BODY."""
    seen = 0

    async def bounded():
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > MAX_BODY:
            raise BodyTooLarge()
        return message
    return bounded


def _origin_of(referer: str | None) -> str | None:
    if not referer:
        return None
    parts = referer.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 else None


def create_app(settings: Settings) -> Starlette:
    store = Store(settings.db_path)
    hub = Hub(settings.client_queue)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        watch_descriptors(asyncio.get_running_loop())
        broker = None
        if settings.broker_url:
            broker = app.state.workshops.broker = Broker(settings.broker_url, app.state.workshops)
            await broker.start()
        app.state.workshops.start_writer()
        app.state.workshops.start_timers()
        pending = asyncio.create_task(app.state.snapshots.analyse_pending())
        app.state.background.add(pending)
        pending.add_done_callback(app.state.background.discard)
        # Read by the websocket protocol (server/wsprotocol.py) of every connection.
        yield {LIMITS: Limits(settings.frames_per_second, settings.frame_burst, settings.send_timeout,
                              settings.flood_cooldown)}
        app.state.snapshots.close()
        app.state.workshops.stop_writer()
        if broker is not None:
            await broker.stop()
        for room in hub.rooms.values():
            for client in list(room.clients):
                with contextlib.suppress(Exception):
                    await client.socket.close(1012)
        store.close()

    routes = [
        Route("/", pages.home),
        Route("/ateliers", pages.create, methods=["POST"]),
        Route("/rejoindre", pages.join_form),
        Route("/rejoindre", pages.join, methods=["POST"]),
        Route("/j/{code}", pages.join_form),
        Route("/langue/{locale}", pages.switch_language),
        Route("/a/{workshop_id}", pages.participant_page),
        Route("/a/{workshop_id}/animer/{key}", pages.facilitate_link),
        Route("/a/{workshop_id}/animation", pages.facilitator_page),
        Route("/a/{workshop_id}/ecran", pages.screen_page),
        Route("/a/{workshop_id}/qr.svg", pages.qr),
        Route("/a/{workshop_id}/pour/{participant_id}", pages.proxy_page),
        Route("/a/{workshop_id}/tableaux/{board_id}", pages.earlier_board),
        Route("/a/{workshop_id}/modele", agendas.apply, methods=["POST"]),
        Route("/a/{workshop_id}/modeles", agendas.save, methods=["POST"]),
        Route("/territoires/{name:path}", pages.territory),
        Route("/a/{workshop_id}/instantanes", snapshots.take, methods=["POST"]),
        Route("/coordination/connexion", coordinator.sign_in_form),
        Route("/coordination/connexion", coordinator.sign_in, methods=["POST"]),
        Route("/coordination/deconnexion", coordinator.sign_out, methods=["POST"]),
        Route("/coordination", review.index),
        Route("/coordination/instantanes/{snapshot_id}", review.snapshot_page),
        Route("/coordination/instantanes/{snapshot_id}/export/{name}", review.export),
        Route("/coordination/comparer", review.comparison_page),
        Route("/coordination/comparer/export/{name}", review.comparison_export),
        Route("/coordination/indicateurs", review.indicators_page),
        Route("/coordination/ateliers/{workshop_id}/export.maillage.json", transfer.download),
        Route("/coordination/ateliers/importer", transfer.upload, methods=["POST"]),
        Route("/a/{workshop_id}/cartographie/{board_id}/import", stakeholders_routes.import_actors, methods=["POST"]),
        Route("/a/{workshop_id}/cartographie/{board_id}/acteurs.csv", stakeholders_routes.export_actors),
        Route("/a/{workshop_id}/cartographie/{board_id}/liens.csv", stakeholders_routes.export_ties),
        Route("/a/{workshop_id}/diagnostic/{board_id}/reprendre", diagnosis_routes.carry, methods=["POST"]),
        Route("/coordination/bibliotheque", library.index),
        Route("/coordination/bibliotheque/export.{format}", library.export),
        Route("/coordination/bibliotheque/importer", library.import_file, methods=["POST"]),
        Route("/coordination/bibliotheque/indicateur", library.edit_form),
        Route("/coordination/bibliotheque/indicateur", library.save_indicator, methods=["POST"]),
        Route("/coordination/bibliotheque/supprimer", library.delete, methods=["POST"]),
        Route("/bibliotheque", library.legacy),
        Route("/a/{workshop_id}/indicateurs/{board_id}/amorcer", library.seed, methods=["POST"]),
        Route("/a/{workshop_id}/indicateurs/{board_id}/moi", library.my_panel),
        Route("/a/{workshop_id}/mes-contributions", privacy_pages.mine),
        Route("/a/{workshop_id}/mes-contributions", privacy_pages.delete_mine, methods=["POST"]),
        Route("/a/{workshop_id}/supprimer", privacy_pages.erase_form),
        Route("/a/{workshop_id}/supprimer", privacy_pages.erase, methods=["POST"]),
        Route("/pictos.svg", pictos.serve),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    secret = store.secret("session")
    sessions = dict(secret_key=secret, session_cookie="maillage", max_age=30 * 86400, same_site="lax",
                    https_only=settings.https)
    middleware = [
        Middleware(Guard, allowed=settings.allowed_origins),
        Middleware(SessionMiddleware, **sessions),
    ]
    async def too_large(request, exc):
        return TOO_LARGE

    app = Maillage(routes=routes, middleware=middleware, lifespan=lifespan, sessions=sessions,
                   exception_handlers={BodyTooLarge: too_large})
    app.state.settings = settings
    app.state.store = store
    app.state.hub = hub
    app.state.secret = secret
    # Without a token on the command line, one is made once and kept, and run.py prints it.
    app.state.coordinator_token = settings.coordinator_token or store.secret("coordinator")
    app.state.workshops = Workshops(store, hub)
    app.state.snapshots = snapshots.Snapshots(store)
    # Tasks that outlive their request (snapshot analyses): kept referenced until done.
    app.state.background = set()
    app.state.join_limiter = auth.JoinLimiter(per_client=settings.join_failures_per_minute,
                                              per_address=settings.join_guesses_per_address)
    app.state.admission = Admission(settings)
    return app


_out_of_descriptors = Throttled(logging.getLogger("maillage.app"))


def watch_descriptors(loop: asyncio.AbstractEventLoop) -> None:
    """Out of file descriptors, asyncio retries accept() every second but reports each failed
    attempt, up to the listen backlog's length each time (thousands of lines a second): say it
    once a second at most. The connections already open are served meanwhile."""
    previous = loop.get_exception_handler()

    def handler(loop, context):
        if context.get("message", "").startswith("socket.accept() out of system resource"):
            _out_of_descriptors.warning(f"out of file descriptors: new connections wait ({context.get('exception')})")
            return
        if isinstance(context.get("exception"), ValueError) and "_start_serving" in repr(context.get("handle")):
            # Each of those failed accepts also scheduled a retry; the ones still due when the server
            # closes its listening socket at shutdown find it gone. Nothing is lost.
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)
    loop.set_exception_handler(handler)


def from_environment() -> Starlette:
    """The application of one worker process among several (python run.py --workers N)."""
    values = json.loads(os.environ[SETTINGS_VARIABLE])
    values["allowed_origins"] = tuple(values.get("allowed_origins", ()))
    app = create_app(Settings(**values))
    settle_collector()
    return app


# Objects allocated, net of those freed, between two young collections; Python's default is 700.
YOUNG_COLLECTION_EVERY = 10_000


def settle_collector() -> None:
    """Sets the garbage collector for a server that has just loaded everything it keeps.

    What is alive then (modules, templates, the workshops read back) stays alive: frozen, the
    collector's full passes need not scan it again. And the passes come less often. A phone's
    connection is a hundred-odd objects that live as long as it does; with Python's defaults, a
    room of 2,000 arriving set off a full pass each time the heap grew by a quarter, six to eight
    in a join storm, the last ones stopping the loop 140–200 ms each, up to a fifth of the storm's
    CPU.
    Counted every 10,000 allocations instead of every 700, the full pass is considered fourteen
    times less often; cycles still die young in the young passes."""
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 10, 10)
    gc.freeze()
