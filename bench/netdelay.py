"""A TCP relay that holds every chunk for a fixed time in each direction: a database one network
hop away, on this one computer.

`python bench/netdelay.py LISTEN_PORT TARGET_PORT DELAY_MS`. Machines of a real deployment reach
PostgreSQL over a network: each round trip costs twice the one-way delay (0.1 to 0.5 ms on a
LAN), which loopback does not show. Bytes keep their order in each direction; nothing is dropped.
"""

from __future__ import annotations

import asyncio
import collections
import sys


class Pipe:
    """One direction of one connection: what was read, released to the writer `delay` s later."""

    def __init__(self, writer: asyncio.StreamWriter, delay: float):
        self.writer, self.delay = writer, delay
        self.waiting: collections.deque[tuple[float, bytes]] = collections.deque()
        self.loop = asyncio.get_running_loop()
        self.timer: asyncio.TimerHandle | None = None

    def put(self, data: bytes) -> None:
        self.waiting.append((self.loop.time() + self.delay, data))
        if self.timer is None:
            self.timer = self.loop.call_at(self.waiting[0][0], self._release)

    def _release(self) -> None:
        self.timer = None
        now = self.loop.time()
        while self.waiting and self.waiting[0][0] <= now:
            self.writer.write(self.waiting.popleft()[1])
        if self.waiting:
            self.timer = self.loop.call_at(self.waiting[0][0], self._release)

    def close(self) -> None:
        # Whatever is still held goes out first, then the connection ends.
        delay = max(0.0, self.waiting[-1][0] - self.loop.time()) if self.waiting else 0.0
        self.loop.call_later(delay + 0.001, self.writer.close)


async def pump(reader: asyncio.StreamReader, pipe: Pipe) -> None:
    try:
        while data := await reader.read(65536):
            pipe.put(data)
    except ConnectionError:
        pass
    finally:
        pipe.close()


async def main(listen: int, target: int, delay: float) -> None:
    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(pump(reader, Pipe(upstream_writer, delay)), pump(upstream_reader, Pipe(writer, delay)))

    server = await asyncio.start_server(connected, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000))
