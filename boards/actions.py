"""What a client may ask, and the parsing of its JSON into one typed action.

Every action is a frozen dataclass registered under its wire name. Each field
declares how to read it (`Text`, `Ident`, `Int`, `Flag`, `Choice`), so the
limits live next to the field and the parser stays generic. Values may arrive
as strings (htmx sends form values as text) and are converted here.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidAction, Refusal
from .i18n import N_

OP_MAX = 64
INTEGER = re.compile(r"-?[0-9]{1,11}")
REGISTRY: dict[str, type] = {}
# Keys a client may add to any message without it being an error.
ENVELOPE = {"type", "op", "workshop", "HEADERS"}


@dataclass(frozen=True)
class Text:
    max_len: int
    min_len: int = 1
    multiline: bool = False

    def read(self, name: str, raw: Any) -> str:
        if not isinstance(raw, str):
            raise InvalidAction(N_("Le champ « %(field)s » doit être un texte."), field=name)
        value = raw.replace("\r\n", "\n").strip()
        if not self.multiline:
            value = " ".join(value.split())
        # Control characters other than newlines have no place in a note.
        value = "".join(ch for ch in value if ch == "\n" or ch >= " " or ch == "\t")
        if len(value) < self.min_len:
            raise InvalidAction(N_("Le champ « %(field)s » est vide."), field=name)
        if len(value) > self.max_len:
            raise InvalidAction(
                N_("Le champ « %(field)s » dépasse %(max)s caractères."), field=name, max=self.max_len
            )
        return value


@dataclass(frozen=True)
class Ident:
    """An id the server handed out earlier: short, plain ASCII."""

    def read(self, name: str, raw: Any) -> str:
        if not isinstance(raw, str) or not (0 < len(raw) <= 40) or not raw.isascii() or not raw.isalnum():
            raise InvalidAction(N_("Identifiant « %(field)s » invalide."), field=name)
        return raw


@dataclass(frozen=True)
class Int:
    lo: int
    hi: int

    def read(self, name: str, raw: Any) -> int:
        if isinstance(raw, bool):
            raise InvalidAction(N_("Le champ « %(field)s » doit être un nombre."), field=name)
        # Only plain ASCII digits: str.isdigit() also accepts "²", which int() refuses.
        if isinstance(raw, str) and INTEGER.fullmatch(raw.strip()):
            raw = int(raw.strip())
        if not isinstance(raw, int):
            raise InvalidAction(N_("Le champ « %(field)s » doit être un nombre."), field=name)
        if not self.lo <= raw <= self.hi:
            raise InvalidAction(
                N_("Le champ « %(field)s » doit être entre %(lo)s et %(hi)s."),
                field=name, lo=self.lo, hi=self.hi,
            )
        return raw


@dataclass(frozen=True)
class Flag:
    def read(self, name: str, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if raw in ("1", "true", "on", "yes", 1):
            return True
        if raw in ("0", "false", "off", "no", "", 0):
            return False
        raise InvalidAction(N_("Le champ « %(field)s » doit valoir oui ou non."), field=name)


@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]

    def read(self, name: str, raw: Any) -> str:
        if raw not in self.options:
            raise InvalidAction(N_("Valeur inconnue pour « %(field)s »."), field=name)
        return raw


def spec(reader, default: Any = dataclasses.MISSING):
    return field(default=default, metadata={"read": reader})


def action(name: str, *, facilitator_only: bool = False):
    """Registers a dataclass as the action sent with `"type": name`."""

    def register(cls):
        cls = dataclass(frozen=True)(cls)
        cls.TYPE = name
        cls.FACILITATOR_ONLY = facilitator_only
        if name in REGISTRY:
            raise RuntimeError(f"action {name} registered twice")
        REGISTRY[name] = cls
        return cls

    return register


def parse(message: Any) -> Any:
    """Turns one decoded JSON message into an action, or raises InvalidAction."""
    if not isinstance(message, dict):
        raise InvalidAction(N_("Message illisible."))
    kind = message.get("type")
    cls = REGISTRY.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidAction(N_("Type de message inconnu."))
    values = {}
    known = set(ENVELOPE)
    for f in dataclasses.fields(cls):
        known.add(f.name)
        raw = message.get(f.name)
        reader = f.metadata["read"]
        # An empty optional select or number field means "not given".
        blank = raw is None or (raw == "" and not isinstance(reader, (Text, Flag)))
        if blank and f.default is not dataclasses.MISSING:
            values[f.name] = f.default
            continue
        if raw is None:
            raise InvalidAction(N_("Le champ « %(field)s » manque."), field=f.name)
        try:
            values[f.name] = reader.read(f.name, raw)
        except Refusal:
            raise
        except (ArithmeticError, ValueError, TypeError):
            # A reader meeting what no client should send (a number too large for a float): the
            # same readable refusal as any other bad value, never a server error.
            raise InvalidAction(N_("Valeur invalide pour « %(field)s »."), field=f.name)
    extra = set(message) - known
    if extra:
        raise InvalidAction(N_("Champ inattendu : %(field)s."), field=sorted(extra)[0][:40])
    return cls(**values)


def read_op(message: dict) -> str | None:
    op = message.get("op") if isinstance(message, dict) else None
    if op is None or op == "":
        return None
    if not isinstance(op, str) or len(op) > OP_MAX or not op.isascii() or not op.replace("-", "").isalnum():
        raise InvalidAction(N_("Identifiant d'opération invalide."))
    return op


# Actions that concern the workshop as a whole, whatever its boards.

@action("board.add", facilitator_only=True)
class AddBoard:
    kind: str = spec(Ident())
    title: str = spec(Text(80))


@action("board.rename", facilitator_only=True)
class RenameBoard:
    board: str = spec(Ident())
    title: str = spec(Text(80))


@action("board.show", facilitator_only=True)
class ShowBoard:
    board: str = spec(Ident())


@action("board.phase", facilitator_only=True)
class SetPhase:
    board: str = spec(Ident())
    phase: str = spec(Ident())


@action("workshop.lock", facilitator_only=True)
class LockWorkshop:
    locked: bool = spec(Flag())


@action("participant.remove", facilitator_only=True)
class RemoveParticipant:
    participant: str = spec(Ident())


@action("participant.ban", facilitator_only=True)
class BanParticipant:
    """Removes a participant and keeps them out of this workshop (banned), or lets them back."""
    participant: str = spec(Ident())
    banned: bool = spec(Flag(), default=True)


@action("participant.rename")
class RenameSelf:
    name: str = spec(Text(40))
    organisation: str = spec(Text(80, min_len=0), default="")
