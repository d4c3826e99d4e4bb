"""Who may open one more websocket: connections per person and per address, and the cooldown of a
connection closed for flooding.

A person is one participant (or facilitator) of one workshop, whatever the browser; a projector
has no person and counts under its address. An address is an IPv4 address or an IPv6 /64
(auth.network_of). The per-address cap is sized for a venue whose phones all leave through one
router; the per-person cap for a phone, a laptop and a few tabs.
"""

from __future__ import annotations

import time
from collections import Counter

from boards.i18n import N_

from .auth import network_of


class Admission:
    def __init__(self, settings):
        self.per_person = settings.connections_per_person
        self.per_address = settings.connections_per_address
        self.cooldown = settings.flood_cooldown
        self.people: Counter = Counter()
        self.addresses: Counter = Counter()
        # person key -> monotonic time before which it may not reconnect
        self.cooling: dict[tuple, float] = {}

    @staticmethod
    def keys(workshop_id: str, person: str | None, address: str | None) -> tuple[tuple, str]:
        """The person's key (a projector: the workshop's screens at this address) and the address's."""
        network = network_of(address or "-")
        return ((workshop_id, person) if person else (workshop_id, None, network)), network

    def cooling_down(self, person_key: tuple, now: float | None = None) -> bool:
        """True while a connection of this person closed for flooding must stay away."""
        until = self.cooling.get(person_key)
        if until is None:
            return False
        if (time.monotonic() if now is None else now) < until:
            return True
        del self.cooling[person_key]
        return False

    def refusal(self, person_key: tuple, network: str) -> str | None:
        """Why this connection may not open now (a message to show), or None."""
        # A projector has no person: its screens count only under their address.
        if person_key[1] is not None and self.people[person_key] >= self.per_person:
            return N_("Trop de pages ouvertes pour cette personne : fermez un onglet.")
        if self.addresses[network] >= self.per_address:
            return N_("Trop de connexions depuis ce réseau : réessayez dans un moment.")
        return None

    def enter(self, person_key: tuple, network: str) -> None:
        self.people[person_key] += 1
        self.addresses[network] += 1

    def leave(self, person_key: tuple, network: str) -> None:
        for counter, key in ((self.people, person_key), (self.addresses, network)):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]

    def flooded(self, person_key: tuple, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.cooling[person_key] = now + self.cooldown
        if len(self.cooling) > 10_000:
            for key in [k for k, until in self.cooling.items() if until <= now]:
                del self.cooling[key]
