"""Several server processes sharing workshops: Redis pub/sub carries the news, SQLite stays the truth.

Every process may take any action. Its decision is made inside a SQLite write
transaction, after folding in what other processes committed (server/workshops.py),
so the database orders the decisions of a workshop and no budget is overspent by
two processes deciding at once. Redis only says "workshop W is now at sequence
S"; each process reads the new events from SQLite and shows them to its own
phones. A lost notification is caught up by a periodic check, and while Redis is
unreachable actions are refused, so no phone silently falls behind another.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time

import redis.asyncio as redis
from redis.exceptions import RedisError

from boards.errors import Rejected
from boards.i18n import N_

from . import render

log = logging.getLogger("maillage.cluster")

PREFIX = "maillage"
# Seconds between two checks of the database for changes whose notification was lost.
POLL = 2.0
# Seconds after which a process that stopped refreshing its presence entries is forgotten.
PRESENCE_TTL = 60.0
RETRY_MAX = 5.0
# Connections to Redis one process keeps at most, and seconds a write waits for a free one.
POOL_SIZE = 50
POOL_WAIT = 10.0


class Broker:
    def __init__(self, url: str, workshops):
        self.url = url
        self.workshops = workshops
        self.id = secrets.token_hex(6)
        self.healthy = False
        self.client: redis.Redis | None = None
        self.connected = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._shared: dict[str, list[str]] = {}
        self._pending: dict[str, object] = {}
        self._writing: set[str] = set()
        self._subscribed = False

    async def start(self, wait: float = 5.0) -> None:
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._poll())]
        try:
            await asyncio.wait_for(self.connected.wait(), wait)
        except asyncio.TimeoutError:
            log.error("Redis injoignable à %s : les actions seront refusées jusqu'à son retour", self.url)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.client is not None:
            await self.client.aclose()

    async def _listen(self) -> None:
        delay = 0.2
        while True:
            try:
                # A burst of notices and presence writes (a crowd arriving) may want more connections
                # than the pool holds: they wait for one (up to POOL_WAIT s) rather than fail, since a
                # failed write is taken for a lost relay and every action is refused until it returns.
                pool = redis.BlockingConnectionPool.from_url(self.url, max_connections=POOL_SIZE, timeout=POOL_WAIT,
                                                             socket_connect_timeout=2, health_check_interval=5)
                self.client = redis.Redis(connection_pool=pool)
                self.client.auto_close_connection_pool = True
                pubsub = self.client.pubsub()
                await pubsub.psubscribe(f"{PREFIX}:ws:*", f"{PREFIX}:presence:*")
                self._subscribed = True
                self._up()
                delay = 0.2
                async for message in pubsub.listen():
                    if message["type"] == "pmessage":
                        self._received(message["channel"].decode(), message["data"].decode())
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                self._subscribed = False
                self._down(error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)

    def _up(self) -> None:
        was = self.healthy
        self.healthy = True
        self.connected.set()
        if not was:
            log.info("relais Redis joint (%s)", self.url)
            # Whatever was committed while the relay was away is shown now.
            for workshop_id in list(self.workshops.hub.rooms):
                self.workshops.catch_up(workshop_id)
                self._clear_notice(workshop_id)
            self._shared.clear()

    def _down(self, error: Exception) -> None:
        if self.healthy:
            log.error("relais Redis perdu (%s) : actions refusées jusqu'à son retour", error)
            for workshop_id, room in self.workshops.hub.rooms.items():
                for client in room.clients:
                    client.push(render.notice(client.locale, Rejected(N_(
                        "Le relais entre serveurs est indisponible : vos actions seront refusées "
                        "jusqu'à son retour."))))
        self.healthy = False

    def _clear_notice(self, workshop_id: str) -> None:
        for client in self.workshops.hub.room(workshop_id).clients:
            client.push('<div id="notice" hx-swap-oob="true" role="alert" aria-live="assertive"></div>')

    def _received(self, channel: str, data: str) -> None:
        _, topic, workshop_id = channel.split(":", 2)
        origin, _, payload = data.partition("|")
        if origin == self.id or workshop_id not in self.workshops.hub.rooms:
            return
        if topic == "ws":
            self.workshops.catch_up(workshop_id)
        elif topic == "presence":
            asyncio.create_task(self._presence(workshop_id))

    def notify(self, workshop_id: str, seq: int) -> None:
        """Tells the other processes that this workshop moved on; they read the events from SQLite."""
        channel = f"{PREFIX}:ws:{workshop_id}"
        self._latest(channel, f"{self.id}|{seq}", lambda data: self.client.publish(channel, data))

    def share_presence(self, workshop_id: str, online: list[str]) -> None:
        """Publishes who is connected to this process, when it changed."""
        if self._shared.get(workshop_id) == online or self.client is None:
            return
        self._shared[workshop_id] = online

        async def share(online: list[str]) -> None:
            entry = json.dumps({"online": online, "at": time.time()})
            await self.client.hset(f"{PREFIX}:presence-of:{workshop_id}", self.id, entry)
            await self.client.publish(f"{PREFIX}:presence:{workshop_id}", f"{self.id}|")
        self._latest(f"{PREFIX}:presence:{workshop_id}", online, share)

    def _latest(self, key: str, value, write) -> None:
        """Writes `value` for `key` to Redis, one write per key at a time: values given while one
        is on its way replace each other, and the newest goes when it returns. Only the newest
        counts for both kinds of write (a sequence number, a presence list), so a crowd arriving
        or a burst of votes makes a few writes, not one per change each waiting for a connection."""
        if self.client is None:
            return
        self._pending[key] = value
        if key in self._writing:
            return
        self._writing.add(key)

        async def drain() -> None:
            try:
                while key in self._pending:
                    await write(self._pending.pop(key))
            except (RedisError, OSError) as error:
                self._pending.pop(key, None)
                self._down(error)
            finally:
                self._writing.discard(key)
        task = asyncio.create_task(drain())
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _presence(self, workshop_id: str) -> None:
        try:
            entries = await self.client.hgetall(f"{PREFIX}:presence-of:{workshop_id}")
        except (RedisError, OSError) as error:
            self._down(error)
            return
        now = time.time()
        remote = set()
        for process, entry in entries.items():
            data = json.loads(entry)
            if process.decode() != self.id and now - data["at"] < PRESENCE_TTL:
                remote.update(data["online"])
        self.workshops.presence.remote[workshop_id] = remote
        ws = self.workshops.get(workshop_id)
        if ws is not None:
            self.workshops.presence.refresh(ws)

    async def _recover(self) -> None:
        """A failed write (no free connection in time, a connection refused) marks the relay lost,
        while the subscription may still stand; then nothing else would ever mark it back. If
        Redis answers, the relay is back: what was missed meanwhile is caught up by `_up`."""
        try:
            await self.client.ping()
        except (RedisError, OSError):
            return
        self._up()

    async def _poll(self) -> None:
        """Catches up rooms whose notification was lost, and keeps presence entries fresh."""
        beat = 0
        while True:
            await asyncio.sleep(POLL)
            beat += 1
            if not self.healthy and self._subscribed:
                await self._recover()
            for workshop_id, room in list(self.workshops.hub.rooms.items()):
                ws = self.workshops.get(workshop_id)
                if ws is None or not room.clients:
                    continue
                if self.workshops.store.last_seq(workshop_id) > ws.seq:
                    self.workshops.catch_up(workshop_id)
                if beat % 10 == 0:
                    self._shared.pop(workshop_id, None)
                    self.share_presence(workshop_id, room.online())
