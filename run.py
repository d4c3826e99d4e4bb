"""python run.py: start Maillage on this machine, with a demo workshop, and say how to join."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys

import segno
import uvicorn


def lan_address() -> str:
    """This machine's address on the local network, for phones in the room."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # connect() on UDP sends nothing; it only asks the kernel which interface it would use.
        probe.connect(("192.0.2.1", 9))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


# Descriptors kept for what is not a connection: the database and its WAL, the snapshot analysis
# worker and its pipes, the listening socket, logs.
RESERVED_DESCRIPTORS = 64


def raise_descriptor_limit() -> int:
    """Lifts the soft limit on open files to the hard one (often 1,024 against 500,000+): each
    phone holds one. Returns how many connections the process can hold."""
    try:
        import resource
    except ImportError:  # not on Linux or macOS: the system's own limit stands
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    elif hard == resource.RLIM_INFINITY and soft != resource.RLIM_INFINITY and soft < 1_048_576:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1_048_576, hard))
        soft = 1_048_576
    return max(0, soft - RESERVED_DESCRIPTORS)


# Kernel send buffer of each connection. Left to itself Linux grows it to several MiB, so a phone
# that stopped reading would swallow that much before the server saw it fall behind and dropped it.
SEND_BUFFER = 64 * 1024


def listening_socket(host: str, port: int) -> socket.socket:
    """The listening socket; connections accepted on it inherit its send buffer size."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Named TCP (not left at 0): asyncio turns Nagle's algorithm off only on sockets whose protocol
    # says TCP, and an accepted socket takes its listener's. With it on, a frame that follows
    # another before the phone acknowledged the first waited for that acknowledgement, which
    # phones delay by up to 40 ms (200 ms on some): bench/latency.py's room of 200 received each
    # note over 25 ms instead of 6 (docs/performance.md).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    if family == socket.AF_INET6:
        # "::" then serves IPv4 phones too, as uvicorn's own socket would.
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Maillage: live collective-impact workshops.")
    parser.add_argument("--host", default=os.environ.get("MAILLAGE_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("MAILLAGE_PORT", "8000")))
    parser.add_argument("--db", default=os.environ.get("MAILLAGE_DB", "maillage.db"),
                        help="SQLite file holding every workshop (created if missing), or a PostgreSQL "
                             "URL postgresql://user@host/base shared by several machines (pip install '.[postgres]')")
    parser.add_argument("--no-demo", action="store_true", help="do not create the demo workshop")
    parser.add_argument("--public-url", default=os.environ.get("MAILLAGE_PUBLIC_URL"),
                        help="address phones use, e.g. https://ateliers.example.org (default: LAN address)")
    parser.add_argument("--allowed-origin", action="append", default=[],
                        help="extra page origin allowed to open websockets (repeatable)")
    parser.add_argument("--coordinator-token", default=os.environ.get("MAILLAGE_COORDINATOR_TOKEN"))
    parser.add_argument("--https", action="store_true", help="served behind HTTPS: secure cookies")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("MAILLAGE_WORKERS", "1")),
                        help="server processes sharing the port (needs --broker when more than 1)")
    parser.add_argument("--broker", default=os.environ.get("MAILLAGE_BROKER"),
                        help="Redis URL relaying changes between processes, e.g. redis://127.0.0.1:6379/0")
    parser.add_argument("--retention-days", type=int, default=os.environ.get("MAILLAGE_RETENTION_DAYS"),
                        help="delete workshops idle for more than this many days (checked at start-up and daily)")
    parser.add_argument("--send-timeout", type=float, default=float(os.environ.get("MAILLAGE_SEND_TIMEOUT", "30")),
                        help="seconds a phone that stopped reading keeps its connection")
    parser.add_argument("--flood-cooldown", type=float, default=float(os.environ.get("MAILLAGE_FLOOD_COOLDOWN", "15")),
                        help="seconds a connection closed for flooding must wait before coming back")
    parser.add_argument("--connections-per-address", type=int,
                        default=int(os.environ.get("MAILLAGE_CONNECTIONS_PER_ADDRESS", "400")),
                        help="open websockets allowed from one address (a venue's router)")
    parser.add_argument("--join-guesses-per-address", type=int,
                        default=int(os.environ.get("MAILLAGE_JOIN_GUESSES_PER_ADDRESS", "240")),
                        help="wrong join codes allowed per minute from one address")
    return parser.parse_args(argv)


def shown_database(target: str) -> str:
    """The SQLite file's full path, or the PostgreSQL URL without its password."""
    from server.store import is_postgres
    if not is_postgres(target):
        return os.path.abspath(target)
    from urllib.parse import urlsplit
    parts = urlsplit(target)
    host = parts.hostname or ""
    where = f"{parts.username}@{host}" if parts.username else host
    return f"{parts.scheme}://{where}{f':{parts.port}' if parts.port else ''}{parts.path}"


def ensure_demo(app, url: str) -> dict:
    """The demo workshop: the whole agenda, opening on a systems map with its two loops, a shared
    diagnosis and an ambition already begun, so that every board has something to show."""
    store, workshops = app.state.store, app.state.workshops
    demo = next((row for row in store.workshops() if row["demo"]), None)
    if demo is None:
        from boards import console, rules
        from boards.actions import parse
        from boards.model import Actor, FACILITATOR

        agenda = tuple((title, kind) for kind, title in console.TEMPLATES["complet"][1])
        demo = workshops.create("Atelier de démonstration", "QPV des Tilleuls", boards=agenda, demo=True)
        ws = workshops.get(demo["id"])
        host = Actor(workshops.facilitator(ws, "Animation"), FACILITATOR)
        board = {b.kind: b.id for b in ws.boards.values()}

        def act(message: dict) -> list[dict]:
            events = rules.decide(ws, host, parse(message))
            workshops.commit(ws, events)
            return events

        factors = {}
        for text in ("Interconnaissance entre structures", "Orientations réussies", "Confiance des habitants",
                     "Fréquentation des permanences", "Charge des conseillers"):
            factors[text] = act({"type": "factor.add", "board": board["systems"], "text": text})[0]["factor"]
        for cause, effect, polarity in (
                ("Interconnaissance entre structures", "Orientations réussies", "+"),
                ("Orientations réussies", "Confiance des habitants", "+"),
                ("Confiance des habitants", "Fréquentation des permanences", "+"),
                ("Fréquentation des permanences", "Interconnaissance entre structures", "+"),
                ("Fréquentation des permanences", "Charge des conseillers", "+"),
                ("Charge des conseillers", "Orientations réussies", "-")):
            act({"type": "link.add", "board": board["systems"], "source": factors[cause],
                 "target": factors[effect], "polarity": polarity})
        for theme, nature, source, text in (
                ("mobilite", "need", "lived", "Pas de bus après 20 h vers la zone d'activités"),
                ("emploi", "works", "partner", "Des permanences communes au centre social"),
                ("emploi", "need", "lived", "Les habitants ne savent pas à qui s'adresser"),
                ("garde", "missing", "study", "Aucune crèche à horaires décalés")):
            act({"type": "diagnosis.add", "board": board["diagnosis"], "theme": theme, "nature": nature,
                 "source": source, "text": text})
        act({"type": "ambition.propose", "board": board["ambition"],
             "text": "Chaque habitant sans emploi trouve un interlocuteur à moins de 15 minutes de chez lui"})
    return demo


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.workers > 1 and not args.broker:
        sys.exit("--workers au-delà de 1 demande --broker (l'adresse d'un serveur Redis).")
    # Listen before loading the application (over a second of imports and replay): phones that
    # reconnect during a restart then wait in the accept queue instead of being refused, which
    # would send each of them into a longer back-off.
    sock = listening_socket(args.host, args.port)
    capacity = raise_descriptor_limit()
    from server import privacy
    from server.app import create_app, settle_collector
    from server.httpprotocol import BoundedHttpTools
    from server.settings import Settings
    from server.wsprotocol import GuardedWebSocket

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Every record through this handler has its addresses masked; uvicorn's too (log_config=None below).
    privacy.mask_logs()
    host_for_phones = lan_address() if args.host in ("0.0.0.0", "::") else args.host
    url = (args.public_url or f"http://{host_for_phones}:{args.port}").rstrip("/")
    settings = Settings(db_path=args.db, public_url=url, allowed_origins=tuple(args.allowed_origin),
                        coordinator_token=args.coordinator_token, https=args.https,
                        retention_days=int(args.retention_days) if args.retention_days else None,
                        broker_url=args.broker, send_timeout=args.send_timeout,
                        flood_cooldown=args.flood_cooldown, connections_per_address=args.connections_per_address,
                        join_guesses_per_address=args.join_guesses_per_address)
    app = create_app(settings)
    if settings.retention_days:
        privacy.purge_expired(app, settings.retention_days)
    print(f"\nMaillage est prêt : {url}/   (base : {shown_database(args.db)})")
    if capacity:
        print(f"Connexions simultanées possibles : {capacity} (limite de fichiers ouverts du système)")
    print(f"Coordination : {url}/coordination   (jeton : {app.state.coordinator_token})")
    if not args.no_demo:
        demo = ensure_demo(app, url)
        join = f"{url}/j/{demo['join_code']}"
        print(f"Atelier de démonstration — code : {demo['join_code']}")
        print(f"  Participants : {join}")
        print(f"  Animation (lien secret) : {url}/a/{demo['id']}/animer/{demo['facilitator_key']}")
        segno.make(join, error="m").terminal(compact=True)
    sys.stdout.flush()
    settle_collector()
    options = dict(host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                   http=BoundedHttpTools, ws_max_size=settings.ws_max_size, ws_per_message_deflate=True,
                   ws=GuardedWebSocket, timeout_graceful_shutdown=3)
    if args.workers > 1:
        serve_workers(settings, args.workers, sock, options)
    else:
        privacy.keep_for(app, settings.retention_days)
        uvicorn.Server(uvicorn.Config(app, log_config=None, **options)).run(sockets=[sock])


def serve_workers(settings, workers: int, sock: socket.socket, options: dict) -> None:
    """Several processes accepting on one socket; each builds its own application from the settings."""
    import dataclasses
    import json

    from uvicorn.supervisors import Multiprocess

    from server.app import SETTINGS_VARIABLE

    os.environ[SETTINGS_VARIABLE] = json.dumps(dataclasses.asdict(settings))
    config = uvicorn.Config("server.app:from_environment", factory=True, workers=workers, **options)
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    main()
