"""A seeded fuzzer over the live websocket: valid messages of every registered action, mutated at
random (a field's value, its presence, the type, the op, or the JSON text itself), plus random
JSON values. Every message that the core would not accept as it is must be answered by one
readable refusal that names its op when it carried one, no error may be logged, and the state
must not change. `MAILLAGE_FUZZ_SEED` replays a run.

The server runs in this process (real uvicorn, real sockets) so its state and log can be read;
its rate limits are raised so the messages reach the parser.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import re

from boards.model import FACILITATOR, PARTICIPANT, Actor
from live_server import LiveServer, digest
from server.live import _decode as server_decode
from messages import id_pool, outcome, types, valid_messages
from test_hostile import NOTICE, REFUSED, SERVER_ERROR, setup, still_serves

SEED = int(os.environ.get("MAILLAGE_FUZZ_SEED", random.randrange(2**31)))
FRAME_LIMIT = 60_000
OP = re.compile(r"[A-Za-z0-9-]{1,64}")
OP_IN_TEXT = re.compile(r'"op"\s*:\s*"([A-Za-z0-9-]{1,64})"')
WANTED = {"alice": 3500, "host": 1700}


def random_value(rng: random.Random, depth: int = 0):
    pick = rng.randrange(16 if depth < 3 else 11)
    if pick == 0:
        return rng.choice([0, 1, -1, 2**31, 2**63, -(2**64), 10**400, -(10**400), 10**4000])
    if pick == 1:
        return rng.choice([0.5, -0.0, 1e308, -1e308, 1e-320, 3.14159])
    if pick == 2:
        return rng.choice([True, False, None])
    if pick == 3:
        return "".join(chr(rng.randrange(0x20, 0x7f)) for _ in range(rng.randrange(0, 30)))
    if pick == 4:
        return "".join(chr(rng.randrange(0, 0x110000)) for _ in range(rng.randrange(1, 12)))
    if pick == 5:
        return rng.choice(["\ud800", "a\udfff", "\udbff\udc00x\ud800", "\x00", "\u202e", "\ufeff"])
    if pick == 6:
        return "x" * rng.choice([41, 81, 501, 2001, 20_000])
    if pick == 7:
        return rng.choice(["", " ", "1e999", "NaN", "-0", "9" * 40, "0x1f", "1,5", "٣", "²"])
    if pick == 8:
        return rng.choice(["b2", "../b2", "b2\x00", "B2", "b" * 41, "é"])
    if pick == 9:
        return rng.choice(["oui", "true", "on", "1", "0", "off"])
    if pick == 10:
        return rng.randrange(-1000, 1000)
    if pick < 13:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {f"k{rng.randrange(9)}": random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def mutate(message: dict, rng: random.Random, names: list[str]):
    """One to three changes to a valid message, or its JSON text changed (a Raw)."""
    message = dict(message)
    for _ in range(rng.randrange(1, 4)):
        what = rng.randrange(7)
        keys = [k for k in message if k != "op"]
        if what == 0 and keys:
            message[rng.choice(keys)] = random_value(rng)
        elif what == 1 and keys:
            del message[rng.choice(keys)]
        elif what == 2:
            message[rng.choice(["extra", "__proto__", "workshop", "HEADERS", "id", "seq"])] = random_value(rng)
        elif what == 3:
            message["type"] = rng.choice(names + ["hello ", "NOTE.ADD", "", "x" * 70]) if rng.random() < 0.7 \
                else random_value(rng)
        elif what == 4:
            message["op"] = rng.choice([random_value(rng), "a" * 65, "é", "a b", "op/1", ""])
        elif what == 5:
            text = json.dumps(message)
            cut = rng.randrange(len(text))
            return Raw(rng.choice([text[:cut], text[:cut] + text[cut + 1:], text[:cut] + rng.choice('{}[]",:\\') + text[cut:],
                               text[:cut] + "9" * 5000 + text[cut:], text.replace('"', "'", 1)]))
        else:
            message = {**message, **{k: [v] for k, v in list(message.items())[:1]}}
    return message


class Raw(str):
    """A JSON text changed as text: sent as it is."""


def encode(message) -> str | None:
    if isinstance(message, Raw):
        return str(message)
    try:
        return json.dumps(message)
    except (ValueError, TypeError):
        return None


def decoded(text: str):
    """The value as the server reads it: integers too long for int() are infinite there, where
    json.loads would refuse the whole text."""
    return server_decode(text)[0]


def op_of(text: str, value) -> str | None:
    if isinstance(value, dict):
        op = value.get("op")
        return op if isinstance(op, str) and OP.fullmatch(op) else None
    if value is None:
        found = OP_IN_TEXT.search(text)
        return found.group(1) if found else None
    return None


def corpus(ws, pool, actor: Actor, rng: random.Random, count: int, start: int) -> list[tuple[str, str | None]]:
    """(text, op it names) for `count` messages the core would refuse as they are."""
    names = sorted(types())
    seeds = []
    for cls in types().values():
        seeds.extend(valid_messages(cls, pool, rng, limit=8, ws=ws))
    out = []
    number = start
    while len(out) < count:
        number += 1
        if rng.random() < 0.1:
            message = random_value(rng) if rng.random() < 0.5 else {"type": rng.choice(names), "v": random_value(rng)}
        else:
            message = mutate({**rng.choice(seeds), "op": f"z{number}"}, rng, names)
        if isinstance(message, dict) and "op" not in message and rng.random() < 0.8:
            message["op"] = f"z{number}"
        text = encode(message)
        if text is None or len(text.encode("utf-8", "surrogatepass")) >= FRAME_LIMIT:
            continue
        value = decoded(text)
        if isinstance(value, dict) and value.get("type") == "hello":
            continue  # a resync request, not an action: answered with the page, not a refusal
        if isinstance(value, dict):
            result = outcome(ws, actor, value)
            if isinstance(result, list):
                continue  # the core would take it: not hostile
        out.append((text, op_of(text, value)))
    return out


def hub_state(srv) -> list:
    """Each connection as the hub sees it: what a stalled answer is waiting in."""
    def read():
        rows = []
        for room in srv.app.state.hub.rooms.values():
            rows.append(("room", room._tick, room._flush_due is not None, room._soon is not None,
                         len(room.dirty), len(room.fresh)))
            rows.extend((c.view, c.pos, c.feed.end if c.feed else None, len(c.own), len(c.acks), len(c.refused),
                         c.overflow, c.closing, c.sending is not None, c.stopped) for c in room.clients)
        return rows
    return srv.call(read)


async def send_all(person, items: list[tuple[str, str | None]], batch: int = 200,
                   srv=None) -> tuple[int, set, list]:
    answered, ops, texts = 0, set(), []
    for start in range(0, len(items), batch):
        chunk = items[start:start + batch]
        for text, _ in chunk:
            await person.socket.send(text)
        expected = answered + len(chunk)
        while answered < expected:
            try:
                frame = await person.next_frame(20)
            except asyncio.TimeoutError:
                unanswered = sorted({op for _, op in chunk if op} - ops)
                raise AssertionError(
                    f"no answer for 20 s: {answered} of {expected} answered (seed {SEED}); "
                    f"unanswered ops {unanswered[:10]}; hub {hub_state(srv) if srv else '?'}; "
                    f"server records {srv.records.errors()[:3] if srv else '?'}") from None
            found = NOTICE.findall(frame)
            answered += len(found)
            texts.extend(found)
            for refused in REFUSED.findall(frame):
                ops.update(refused.split())
            assert 'data-ack="' not in frame, (f"seed {SEED}", frame[-300:])
    return answered, ops, texts


def test_five_thousand_fuzzed_messages_are_each_refused_readably_and_change_nothing(tmp_path):
    with LiveServer(tmp_path / "atelier.db", actions_per_second=1e9, frames_per_second=1e9,
                    frame_burst=1e9) as srv:
        async def scenario():
            people, snapshot = await setup(srv)
            host, alice, workshop = people["target"]
            ws, events = srv.call(snapshot, workshop["id"])
            pool = id_pool(ws, events)
            ids = {p.role: p.id for p in ws.participants.values()}
            rng = random.Random(SEED)
            await asyncio.sleep(0.5)
            for person in (alice, host):  # what was still on its way (presence)
                person.backlog.clear()
                while True:
                    try:
                        await person.next_frame(0.3)
                    except asyncio.TimeoutError:
                        break
            before = (digest(srv.db), srv.call(lambda: repr(srv.app.state.workshops.get(workshop["id"]))))
            total, start = 0, 0
            for label, person, actor in (("alice", alice, Actor(ids[PARTICIPANT], PARTICIPANT)),
                                         ("host", host, Actor(ids[FACILITATOR], FACILITATOR))):
                items = corpus(copy.deepcopy(ws), pool, actor, rng, WANTED[label], start)
                start += 10 * WANTED[label]
                answered, ops, texts = await send_all(person, items, srv=srv)
                assert answered == len(items), (label, SEED)
                wanted = {op for _, op in items if op}
                assert wanted <= ops, (label, SEED, sorted(wanted - ops)[:5])
                assert all(t.strip() for t in texts), (label, SEED)
                crashes = srv.records.errors()
                assert not [t for t in texts if SERVER_ERROR in t], (label, SEED, crashes[:2])
                total += len(items)
            after = (digest(srv.db), srv.call(lambda: repr(srv.app.state.workshops.get(workshop["id"]))))
            assert after == before, f"state changed (seed {SEED})"
            assert srv.records.errors() == [], (SEED, srv.records.errors()[:3])
            await still_serves(srv, snapshot, workshop["id"], alice)
            print(f"fuzz: {total} messages refused, seed {SEED}")
            assert total >= 5000

        asyncio.run(scenario())
