"""Websocket messages generated from the live action registry, so new action types are covered unseen.

Nothing here knows a particular action: field readers are probed with candidate values (a value is
"valid" for a field when its reader accepts it), ids come from the workshop's own events, and a
message counts as allowed for someone only when the core itself would turn it into events.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import random
from typing import Any, Iterator

import server.app  # noqa: F401  (imports every module that registers actions)
from boards import rules
from boards.actions import REGISTRY, Text, parse, read_op
from boards.errors import Refusal
from boards.kinds import KINDS
from boards.model import Actor, Workshop

SCALARS: tuple[Any, ...] = ("1", "2", "3", "0", "0.5", "oui", "true", "false", "frein", "levier", "",
                            "Texte", 0, 1, 2, 3, 4, 5, 10, 0.25, 0.5, 1.0, True, False)


def fields(cls) -> list[dataclasses.Field]:
    return list(dataclasses.fields(cls))


def required(field: dataclasses.Field) -> bool:
    return field.default is dataclasses.MISSING


def id_pool(ws: Workshop, events: list[dict]) -> dict[str, list[str]]:
    """Ids this workshop knows, by the event key that carried them (note, card, actor, tie ...)."""
    pool: dict[str, set[str]] = {"board": set(ws.boards), "participant": set(ws.participants),
                                 "kind": set(KINDS), "phase": {p for k in KINDS.values() for p in k.PHASES}}
    for event in events:
        for key, value in event.items():
            if isinstance(value, str) and key not in ("type", "at", "text", "title", "name") and len(value) <= 40 \
                    and value.isascii() and value.isalnum():
                pool.setdefault(key, set()).add(value)
    return {key: sorted(values) for key, values in pool.items()}


def every_id(pool: dict[str, list[str]]) -> list[str]:
    return sorted({value for values in pool.values() for value in values})


def accepted(reader, name: str, values) -> list:
    good = []
    for value in values:
        try:
            reader.read(name, value)
        except Refusal:
            continue
        good.append(value)
    return good


def candidates_for(field: dataclasses.Field, pool: dict[str, list[str]]) -> list:
    """Values the field's reader accepts, those that name things of this workshop first."""
    reader = field.metadata["read"]
    if isinstance(reader, Text):
        return ["Texte de test"[: reader.max_len]]
    named = pool.get(field.name, [])
    ids = every_id(pool)
    lists = [[i] for i in named[:3]] + [[i] for i in ids[:3]] + [[1], [0], ["1"]]
    found = accepted(reader, field.name, [*named, *SCALARS, *lists])
    if not found:
        found = accepted(reader, field.name, ids)
    return found


def valid_messages(cls, pool: dict[str, list[str]], rng: random.Random, limit: int = 60) -> Iterator[dict]:
    """Messages of type `cls` whose every field passes its reader (the rules may still refuse them)."""
    options = []
    for field in fields(cls):
        values = candidates_for(field, pool)
        if not values:
            if required(field):
                return
            values = [None]
        options.append((field.name, values[:8]))
    combos = list(itertools.product(*(values for _, values in options)))
    rng.shuffle(combos)
    for combo in combos[:limit]:
        yield {"type": cls.TYPE, **{name: value for (name, _), value in zip(options, combo) if value is not None}}


def outcome(ws: Workshop, actor: Actor, message: Any) -> list[dict] | Exception:
    """What the core would answer: the events, or the refusal (or the crash). Give it a copy of the
    live state (`copy.deepcopy`): deciding must not change the state, but the oracle should not rely on it."""
    try:
        read_op(message)
        if isinstance(message, dict) and message.get("workshop") not in (None, ws.id):
            raise Refusal("autre atelier")
        return rules.decide(ws, actor, parse(message))
    except Exception as refusal:  # noqa: BLE001 - a crash is an answer too: the server must survive it
        return refusal


def allowed_message(ws: Workshop, actor: Actor, cls, pool, rng: random.Random) -> dict | None:
    """A message of type `cls` that `actor` may send now and that changes something, if one is found."""
    ws = copy.deepcopy(ws)
    for message in valid_messages(cls, pool, rng):
        result = outcome(ws, actor, message)
        if isinstance(result, list) and result:
            return message
    return None


def types() -> dict[str, type]:
    return dict(REGISTRY)
