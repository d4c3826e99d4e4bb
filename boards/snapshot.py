"""A wave: every board of a workshop frozen at one sequence number, with counts and no identities."""

from __future__ import annotations

from .kinds import KINDS
from .model import Workshop

# Lists gathered from every board of a kind into the snapshot's top level, for the analysis.
POOLED = ("actors", "ties", "levers", "indicators")
# Vocabularies: the first board that has one gives it.
FIRST = ("actor_types", "tie_types", "categories", "framework_version")


def freeze(ws: Workshop, snapshot_id: str, label: str, taken_at: str) -> dict:
    snapshot = {
        "id": snapshot_id, "label": label, "taken_at": taken_at, "seq": ws.seq,
        "workshop": {"id": ws.id, "title": ws.title, "territory": ws.territory},
        "participants": len(ws.people()),
        "proxied_participants": sum(1 for p in ws.people() if p.offline),
        "boards": [],
        **{key: [] for key in POOLED},
    }
    for board in ws.boards.values():
        data = KINDS[board.kind].freeze(board)
        for key in POOLED:
            snapshot[key].extend(data.get(key, []))
        for key in FIRST:
            if key in data and not snapshot.get(key):
                snapshot[key] = data[key]
        snapshot["boards"].append({"id": board.id, "kind": board.kind, "title": board.title,
                                   "phase": board.phase, **{k: v for k, v in data.items()
                                                            if k not in POOLED and k not in FIRST}})
    return snapshot
