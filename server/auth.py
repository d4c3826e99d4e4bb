"""Who may do what: participant sessions, facilitator and screen capabilities, origins, join limits.

Sessions are Starlette's signed cookies. The session maps a workshop id to the
participant id this browser joined as (`p`) or facilitates as (`f`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import secrets
import time
from collections import defaultdict, deque
from urllib.parse import urlsplit

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """What people type, spaces and dashes included, reduced to a code to look up."""
    return "".join(ch for ch in raw.upper() if ch.isascii() and ch.isalnum())[:CODE_LENGTH * 2]


def new_workshop_id() -> str:
    # 64 bits: workshops made on many laptops meet in one archive (server/transfer.py).
    return secrets.token_hex(8)


def new_key() -> str:
    return secrets.token_urlsafe(24)


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def screen_key(secret: str, workshop_id: str) -> str:
    """A capability to open the projector view of one workshop, derived so nothing is stored."""
    return hmac.new(secret.encode(), f"screen:{workshop_id}".encode(), hashlib.sha256).hexdigest()[:20]


def participant_of(session: dict, workshop_id: str) -> str | None:
    return (session.get("p") or {}).get(workshop_id)


def facilitator_of(session: dict, workshop_id: str) -> str | None:
    return (session.get("f") or {}).get(workshop_id)


def proxy_helper(session: dict, ws, person_id: str) -> str | None:
    """Who, in this browser, may type for `person_id` (a person without a phone): a facilitator or a captain."""
    person = ws.participants.get(person_id)
    if person is None or person.removed or not person.offline:
        return None
    facilitator = facilitator_of(session, ws.id)
    if facilitator:
        return facilitator
    captain = ws.participants.get(participant_of(session, ws.id) or "")
    return captain.id if captain is not None and captain.captain and not captain.removed else None


def remember(session: dict, slot: str, workshop_id: str, participant_id: str) -> None:
    mapping = dict(session.get(slot) or {})
    mapping[workshop_id] = participant_id
    # A browser that went to many workshops keeps the latest ones; the cookie stays small.
    session[slot] = dict(list(mapping.items())[-20:])


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...] = ()) -> bool:
    """True when the page that opened the socket or posted the form came from this server."""
    if not origin or not host:
        return False
    if origin in allowed:
        return True
    return urlsplit(origin).netloc.lower() == host.lower()


def mask_ip(address: str | None) -> str:
    """What logs keep of an address: the network, not the device."""
    if not address:
        return "-"
    if ":" in address:
        return ":".join(address.split(":")[:3]) + "::"
    return ".".join(address.split(".")[:3]) + ".0"


class JoinLimiter:
    """Bounds wrong join codes per browser and, more loosely, per address.

    Only failures count, so a room of phones behind one venue router that type the right code is
    never slowed; the address's bound (240 a minute) is four wrong codes a minute for each phone of
    a room of sixty, far above what people mistype. Typos are not told apart from guesses: a bound
    that treated them differently would tell a guesser, by when it closes, that a guess came close
    to a live code. Numbers in docs/security.md ("Guessing").
    """

    def __init__(self, per_client: int = 10, per_address: int = 240, window: float = 60.0):
        self.per_client, self.per_address, self.window = per_client, per_address, window
        self.failures: dict[str, deque] = defaultdict(deque)

    def _recent(self, key: str, now: float):
        # Looking does not create an entry: only failures take memory.
        stamps = self.failures.get(key, ())
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        return stamps

    def blocked(self, address: str, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        address = network_of(address)
        return (len(self._recent(f"c:{address}:{client}", now)) >= self.per_client
                or len(self._recent(f"a:{address}", now)) >= self.per_address)

    def failed(self, address: str, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        address = network_of(address)
        self.failures[f"c:{address}:{client}"].append(now)
        self.failures[f"a:{address}"].append(now)
        if len(self.failures) > 50_000:
            # Forget what is over, not everything: clearing would lift the blocks of the guessers too.
            for key in [k for k, stamps in self.failures.items() if now - stamps[-1] > self.window]:
                del self.failures[key]


# A room's phones come from a few hundred addresses, each seen at its join and at every connection.
@functools.lru_cache(maxsize=4096)
def network_of(address: str) -> str:
    """What one guesser controls: an IPv4 address, or an IPv6 /64 (one subscriber's prefix, in
    which a script can take a new address for every try)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


class TokenBucket:
    """Actions allowed per connection: a sustained rate and a burst."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
