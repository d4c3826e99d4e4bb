"""Who cooperates with whom across actor types, and how partners rate their ties.

* E-I index (Krackhardt and Stern): over linked pairs whose two actors have a type,
  (E - I) / (E + I) with E the pairs of different types and I the pairs of the same type:
  -1 when every cooperation stays inside a type, +1 when every one crosses types.
* Type × type density: for each pair of types, the linked pairs between them divided by the
  pairs that could be linked (nA × nB across two types, nA(nA-1)/2 inside one).
* Trust and value scores in the manner of the PARTNER survey: each tie carries the mean of
  the 1..4 ratings people gave it; an actor's score is the mean over its rated ties, the
  network's the mean over all rated ties, and each is also given as a share of the best
  rating (4 = 100 %), the way PARTNER reports them.
"""

from __future__ import annotations

RATING_MAX = 4


def ei_index(simple, type_of: dict) -> dict:
    external = internal = 0
    for u, v in simple.edges():
        a, b = type_of[u], type_of[v]
        if a and b:
            if a == b:
                internal += 1
            else:
                external += 1
    total = external + internal
    return {"ei_index": (external - internal) / total if total else None,
            "external_pairs": external, "internal_pairs": internal}


def type_density(simple, type_of: dict, order: list[str]) -> list[dict]:
    """One row per pair of types present on the map (types in ``order``, then others)."""
    counts: dict[str, int] = {}
    for node in simple:
        if type_of[node]:
            counts[type_of[node]] = counts.get(type_of[node], 0) + 1
    types = [t for t in dict.fromkeys([*order, *counts]) if counts.get(t)]
    rank = {t: i for i, t in enumerate(types)}
    linked: dict[tuple, int] = {}
    for u, v in simple.edges():
        a, b = type_of[u], type_of[v]
        if a in rank and b in rank:
            key = (a, b) if rank[a] <= rank[b] else (b, a)
            linked[key] = linked.get(key, 0) + 1
    rows = []
    for i, a in enumerate(types):
        for b in types[i:]:
            possible = counts[a] * (counts[a] - 1) // 2 if a == b else counts[a] * counts[b]
            pairs = linked.get((a, b), 0)
            rows.append({"from": a, "to": b, "pairs": pairs, "possible": possible,
                         "density": pairs / possible if possible else None})
    return rows


def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _share(mean) -> float | None:
    return None if mean is None else mean / RATING_MAX


def rating_scores(nodes: list, ties: list[dict], ends: list[tuple]) -> tuple[dict, dict]:
    """Per-actor and whole-network trust and value (mean 1..4 and share of 4)."""
    per_actor = {node: {"trust": [], "value": []} for node in nodes}
    for tie, (u, v) in zip(ties, ends):
        for key in ("trust", "value"):
            if tie[key] is not None:
                per_actor[u][key].append(tie[key])
                per_actor[v][key].append(tie[key])
    actors = {}
    for node, rated in per_actor.items():
        trust, value = _mean(rated["trust"]), _mean(rated["value"])
        actors[node] = {"trust": trust, "value": value, "trust_score": _share(trust),
                        "value_score": _share(value)}
    trust, value = _mean(t["trust"] for t in ties), _mean(t["value"] for t in ties)
    return actors, {"trust_score": _share(trust), "value_score": _share(value)}
