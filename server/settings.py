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
    # Workshops idle for more than this many days are deleted (at start-up, then daily); None: kept.
    retention_days: int | None = None
    # Redis URL shared by several server processes (server/cluster.py); None: one process, no broker.
    broker_url: str | None = None
    extra: dict = field(default_factory=dict)
