"""A phone gone wild, in its own process so that its CPU is not the test's: on a raw socket it writes
websocket frames as fast as the kernel takes them, for a given time, and goes on writing after the
server closed the connection (the frames after a close must not be read either). When the
connection breaks it reconnects at once, and when refused it tries again twenty times a second.

`python tests/flooder.py WS_URL ORIGIN COOKIE SECONDS KIND` prints one JSON line: frames written,
connections opened, close codes received (by code), operations acknowledged and refused, full
frames received (`id="stage"`), pongs and notices received. KIND is "ping", "binary", or "text" (new notes and hellos asking
for everything, alternately).
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import signal
import socket
import struct
import sys
import time
from collections import Counter
from urllib.parse import urlsplit


ACK = re.compile(rb'data-ack="([^"]*)"')
REFUSED = re.compile(rb'data-refused="([^"]*)"')
CLOSE = re.compile(rb"\x88[\x02-\x7d](..)", re.S)


def frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    header = bytes([0x80 | opcode])
    if length < 126:
        header += bytes([0x80 | length])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", length)
    return header + mask + masked


def batch(kind: str, start: int, count: int, board: str) -> bytes:
    out = []
    for number in range(start, start + count):
        if kind == "ping":
            out.append(frame(0x9, b"p"))
        elif kind == "binary":
            out.append(frame(0x2, b"\x00\x01binary"))
        elif number % 2:
            out.append(frame(0x1, b'{"type": "hello", "last_seq": 0}'))
        else:
            message = {"type": "note.add", "board": board, "text": f"flot {number}", "op": f"flot{number}"}
            out.append(frame(0x1, json.dumps(message).encode()))
    return b"".join(out)


def connect(url: str, origin: str, cookie: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\nCookie: {cookie}\r\n\r\n")
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(head.split(b"\r\n")[0].decode())
    sock.setblocking(False)
    return sock


def flood(url: str, origin: str, cookie: str, seconds: float, kind: str, board: str) -> dict:
    counts = {"sent": 0, "connections": 0, "refused_handshakes": 0, "acked": 0, "refused": 0, "full_frames": 0,
              "pongs": 0, "notices": 0}
    codes: Counter = Counter()
    end = time.monotonic() + seconds
    stopped = []
    # SIGTERM ends the flood early (the test has measured what it needed); the counts still print.
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))

    def running() -> bool:
        return not stopped and time.monotonic() < end

    while running():
        try:
            sock = connect(url, origin, cookie)
        except (OSError, ConnectionError):
            counts["refused_handshakes"] += 1
            # Twenty tries a second: this process shares the test machine's cores with the server,
            # and a loop of its own would measure the machine rather than the server.
            time.sleep(0.05)
            continue
        counts["connections"] += 1
        received, pending = b"", b""
        try:
            while running():
                if not pending:
                    pending = batch(kind, counts["sent"], 50, board)
                _, writable, _ = select.select([], [sock], [], 0.05)
                if writable:
                    pending = pending[sock.send(pending):]
                    if not pending:
                        counts["sent"] += 50
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    received += chunk
        except OSError:
            pass
        finally:
            sock.close()
        for found in ACK.findall(received):
            counts["acked"] += len(found.split())
        for found in REFUSED.findall(received):
            counts["refused"] += len(found.split())
        counts["full_frames"] += received.count(b'id="stage"')
        counts["pongs"] += received.count(b"\x8a\x01p")
        counts["notices"] += received.count(b'class="notice')
        for code in CLOSE.findall(received):
            codes[str(struct.unpack("!H", code)[0])] += 1
    counts["closes"] = dict(codes)
    return counts


if __name__ == "__main__":
    url, origin, cookie, seconds, kind, board = sys.argv[1:7]
    print(json.dumps(flood(url, origin, cookie, float(seconds), kind, board)))
