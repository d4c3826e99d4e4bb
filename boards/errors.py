"""Refusals the core can give. Both carry a catalogue message and its parameters."""

from dataclasses import dataclass, field


@dataclass
class Refusal(Exception):
    message: str
    params: dict = field(default_factory=dict)
    code: str = "refused"

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


class InvalidAction(Refusal):
    """The message itself is malformed: unknown type, missing or oversized field."""

    def __init__(self, message: str, **params):
        super().__init__(message, params, "invalid")


class Rejected(Refusal):
    """The message is well formed but the rules forbid it now, for this person."""

    def __init__(self, message: str, **params):
        super().__init__(message, params, "rejected")
