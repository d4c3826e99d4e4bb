"""The baromètre's numbers: distribution, median and disagreement of the 1–5 ratings.

Answers are "1".."5" or "dk" ("je ne sais pas"). "dk" is counted and shown, but
kept out of the median and the disagreement: not knowing is not a position on
the scale, and a room that mostly does not know is a different cue, reported
apart (`unsure`).

Disagreement is Leik's ordinal dispersion (Leik, 1966). With F1..F4 the
cumulative shares of answers at or below 1..4, and d_i = min(F_i, 1 − F_i):

    D = 2 · Σ d_i / (k − 1),   k = 5 points on the scale

D is 0 when everyone gave the same answer, 1 when the room split into two
equal halves at 1 and at 5, 0.6 for answers spread evenly, 0.25 for a split
between two neighbouring points. It suits this scale better than a standard
deviation: it uses only the order of the answers (the gap between "2" and "3"
is not assumed equal to the one between "4" and "5"), it is already between 0
and 1 whatever the number of answers, and it grows exactly with polarisation,
which is what a facilitator wants to open a discussion on. A split across at
least two points of the scale (e.g. half at 2, half at 4) reaches CUE.
"""

from __future__ import annotations

from typing import Iterable

SCALE = ("1", "2", "3", "4", "5")
DONT_KNOW = "dk"
VALUES = SCALE + (DONT_KNOW,)
# Dispersion from which an indicator is flagged for discussion; a single answer never is.
CUE = 0.5
CUE_MIN_ANSWERS = 2
CUES_SHOWN = 3


def counts(values: Iterable[str]) -> dict[str, int]:
    tally = dict.fromkeys(VALUES, 0)
    for value in values:
        tally[value] += 1
    return tally


def answers(tally: dict[str, int]) -> int:
    """Answers on the scale, "je ne sais pas" excluded."""
    return sum(tally.get(value, 0) for value in SCALE)


def median(tally: dict[str, int]) -> float | None:
    n = answers(tally)
    if n == 0:
        return None

    def nth(rank: int) -> int:
        seen = 0
        for value in SCALE:
            seen += tally.get(value, 0)
            if seen > rank:
                return int(value)
        raise AssertionError("rank beyond the answers")

    low, high = nth((n - 1) // 2), nth(n // 2)
    return (low + high) / 2


def disagreement(tally: dict[str, int]) -> float | None:
    n = answers(tally)
    if n == 0:
        return None
    cumulative, total = 0, 0.0
    for value in SCALE[:-1]:
        cumulative += tally.get(value, 0)
        share = cumulative / n
        total += min(share, 1 - share)
    return round(2 * total / (len(SCALE) - 1), 6)


def unsure(tally: dict[str, int]) -> bool:
    """Half the room or more does not know: a cue of its own (the data may be missing)."""
    dont_know = tally.get(DONT_KNOW, 0)
    return dont_know >= 2 and dont_know * 2 >= dont_know + answers(tally)


def summary(tally: dict[str, int]) -> dict:
    spread = disagreement(tally)
    return {
        "counts": {value: tally.get(value, 0) for value in VALUES},
        "answers": answers(tally),
        "median": median(tally),
        "disagreement": spread,
        "cue": spread is not None and answers(tally) >= CUE_MIN_ANSWERS and spread >= CUE,
        "unsure": unsure(tally),
    }


def cues(summaries: dict[str, dict], limit: int = CUES_SHOWN) -> list[str]:
    """Ids of the indicators the room disagrees on most, strongest first (ties: more answers first)."""
    flagged = [key for key, s in summaries.items() if s["cue"]]
    flagged.sort(key=lambda key: (-summaries[key]["disagreement"], -summaries[key]["answers"]))
    return flagged[:limit]


def bars(tally: dict[str, int], before: dict[str, int] | None = None) -> list[dict]:
    """One histogram bar per answer: count, share of the wave's responses, and height.

    Heights compare shares, not counts, so a wave with fewer people in the room
    still reads right beside the other; the tallest bar of either wave is 100.
    """
    waves = [tally] + ([before] if before else [])
    shares = [{v: (t.get(v, 0) / sum(t.values()) if sum(t.values()) else 0.0) for v in VALUES} for t in waves]
    top = max((max(s.values()) for s in shares), default=0.0) or 1.0
    result = []
    for value in VALUES:
        bar = {"value": value, "count": tally.get(value, 0), "percent": round(100 * shares[0][value]),
               "height": round(100 * shares[0][value] / top)}
        if before:
            bar.update(before_count=before.get(value, 0), before_percent=round(100 * shares[1][value]),
                       before_height=round(100 * shares[1][value] / top))
        result.append(bar)
    return result
