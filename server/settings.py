"""Runtime settings: one frozen value built from flags and environment in run.py, injected everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    db_path: str = "maillage.db"
    # The address phones should use (printed and put in QR codes); None means "from the request".
    public_url: str | None = None
    # Extra origins allowed to open the websocket besides the server's own host.
    allowed_origins: tuple[str, ...] = ()
    coordinator_token: str | None = None
    # Secure cookies when served behind HTTPS.
    https: bool = False
    # Largest websocket frame accepted from a client; a note is 500 characters.
    ws_max_size: int = 64 * 1024
    # Frames a client may fall behind before it is dropped and asked to resync.
    client_queue: int = 512
    # Wrong join codes allowed per client address per minute.
    join_failures_per_minute: int = 10
    # Actions one connection may send per second, sustained (burst = 4 s worth).
    actions_per_second: float = 20.0
    # Frames of any kind (pings included) one connection may send per second, and their burst;
    # over that it is closed (1008) and may come back only after flood_cooldown seconds (4429).
    frames_per_second: float = 40.0
    frame_burst: float = 160.0
    flood_cooldown: float = 15.0
    # Seconds a frame may wait unsent (a phone that stopped reading) before its connection is cut.
    send_timeout: float = 30.0
    # Open websockets per person (tabs, devices) and per address (a venue's phones behind one router).
    connections_per_person: int = 8
    connections_per_address: int = 400
    # Wrong join codes a minute from one address (a venue's router: see auth.JoinLimiter).
    join_guesses_per_address: int = 240
    # Workshops idle for more than this many days are deleted (at start-up, then daily); None: kept.
    retention_days: int | None = None
    # Redis URL shared by several server processes (server/cluster.py); None: one process, no broker.
    broker_url: str | None = None
    extra: dict = field(default_factory=dict)
