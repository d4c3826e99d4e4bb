"""Websocket messages generated from the live action registry, so new action types are covered unseen.

Nothing here knows a particular action: field readers are probed with candidate values (a value is
"valid" for a field when its reader accepts it), ids come from the workshop's own events, and a
message counts as allowed for someone only when the core itself would turn it into events.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
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
    """Ids this workshop knows, by the name of the field that would carry them (note, card, actor,
    category ...): things that exist now first, then ids seen in events (deleted things too).
    Under "*text" are the words a board offers for choosing (actor types, tie types ...)."""
    pool: dict[str, list[str]] = {"board": list(ws.boards), "participant": list(ws.participants),
                                  "kind": list(KINDS), "phase": [p for k in KINDS.values() for p in k.PHASES],
                                  "*text": []}

    def add(key: str, values) -> None:
        known = pool.setdefault(key, [])
        known.extend(v for v in values if isinstance(v, str) and v not in known)

    for board in ws.boards.values():
        data = board.data
        for f in dataclasses.fields(data) if dataclasses.is_dataclass(data) else ():
            value = getattr(data, f.name)
            if isinstance(value, dict):
                add(f.name[:-3] + "y" if f.name.endswith("ies") else f.name.rstrip("s"), value)
            elif isinstance(value, (list, tuple)):
                add("*text", value)
    for event in events:
        for key, value in event.items():
            if isinstance(value, str) and key not in ("type", "at", "text", "title", "name") and len(value) <= 40 \
                    and value.isascii() and value.isalnum():
                add(key, [value])
    return pool


def every_id(pool: dict[str, list[str]]) -> list[str]:
    return sorted({value for key, values in pool.items() if key != "*text" for value in values})


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
        return accepted(reader, field.name, ["Texte de test"[: reader.max_len], *pool.get("*text", [])[:5]])
    named = pool.get(field.name, []) or pool.get("*local", [])
    lists = [[i] for i in named[:3]] + [[1], [0], ["1"]]
    found = accepted(reader, field.name, [*getattr(reader, "options", ()), *named[:8], *lists])
    if not found:
        found = accepted(reader, field.name, [*SCALARS, *every_id(pool)])
    return found


def _collections(data) -> list[str]:
    if not dataclasses.is_dataclass(data):
        return []
    return [f.name for f in dataclasses.fields(data) if isinstance(getattr(data, f.name), dict)]


def boards_for(cls, ws: Workshop) -> list[str]:
    """The boards an action may concern: those whose kind declares it (or every board)."""
    mine = [b.id for b in ws.boards.values() if cls in getattr(KINDS[b.kind], "ACTIONS", ())]
    return mine or list(ws.boards)


def valid_messages(cls, pool: dict[str, list[str]], rng: random.Random, limit: int = 60,
                   fixed: dict | None = None, ws: Workshop | None = None) -> Iterator[dict]:
    """Messages of type `cls` whose every field passes its reader (the rules may still refuse them).
    An optional field is also tried left out."""
    if ws is not None:
        # For a field named after no known thing (into, keep, source ...): the things on its boards.
        local = [key for b in boards_for(cls, ws) for f in _collections(ws.boards[b].data)
                 for key in getattr(ws.boards[b].data, f)]
        pool = {**pool, "*local": local}
    options = []
    for field in fields(cls):
        if fixed and field.name in fixed:
            values = [fixed[field.name]]
        elif field.name == "board" and ws is not None:
            values = boards_for(cls, ws)
        else:
            values = candidates_for(field, pool)[:8]
        if not required(field):
            values = [None, *values]
        if not values:
            return
        options.append((field.name, values))
    total = math.prod(len(values) for _, values in options)
    if total <= 4 * limit:
        combos = list(itertools.product(*(values for _, values in options)))
        rng.shuffle(combos)
        combos = combos[:limit]
    else:
        # Kinds with many fields (a diagnosis item has seven) have millions of combinations:
        # draw `limit` distinct ones instead of listing them all.
        seen: set[int] = set()
        combos = []
        while len(combos) < limit:
            picks = tuple(rng.randrange(len(values)) for _, values in options)
            if hash(picks) not in seen:
                seen.add(hash(picks))
                combos.append(tuple(values[i] for (_, values), i in zip(options, picks)))
    for combo in combos:
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
    found = allowed_somewhere(ws, actor, cls, pool, rng, phases=False)
    return found[0] if found else None


def allowed_somewhere(ws: Workshop, actor: Actor, cls, pool, rng: random.Random,
                      phases: bool = True) -> tuple[dict, tuple[str, str] | None] | None:
    """A message of type `cls` that `actor` may send and that changes something, now or once one
    board is in another of its phases: (message, (board, phase) or None)."""
    ws = copy.deepcopy(ws)
    for message in valid_messages(cls, pool, rng, ws=ws):
        result = outcome(ws, actor, message)
        if isinstance(result, list) and result:
            return message, None
    if not phases or "board" not in {f.name for f in fields(cls)}:
        return None
    for board in [ws.boards[b] for b in boards_for(cls, ws)]:
        for phase in KINDS[board.kind].PHASES:
            if phase == board.phase:
                continue
            trial = copy.deepcopy(ws)
            trial.boards[board.id].phase = phase
            for message in valid_messages(cls, pool, rng, limit=20, fixed={"board": board.id}):
                result = outcome(trial, actor, message)
                if isinstance(result, list) and result:
                    return message, (board.id, phase)
    return None


def types() -> dict[str, type]:
    return dict(REGISTRY)
