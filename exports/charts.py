"""Geometry of the report's charts: numbers and plain labels, drawn as SVG by the template.

Nothing here builds markup: the template (templates/exports/_charts.html) writes the
elements and autoescape takes care of every label, so a card text cannot inject anything
into the SVG.
"""

from __future__ import annotations

import math

from boards.network import number

from .rows import SCALE, counts
from .templating import clip as clip_text

WIDTH = 640


def bars(items: list[tuple[str, float]], *, label_width: int = 250, row: int = 22,
         clip: int = 42) -> dict:
    """Horizontal bars, one row per (label, value), longest bar = the full width."""
    top = max((value for _, value in items), default=0) or 1
    span = WIDTH - label_width - 50
    rows = [{"label": label, "short": clip_text(label, clip), "y": i * row,
             "width": round(span * value / top, 1), "value": value}
            for i, (label, value) in enumerate(items)]
    return {"width": WIDTH, "height": max(len(items), 1) * row, "label_width": label_width,
            "row": row, "bar": row - 6, "rows": rows}


def tie_type_chart(analysis: dict, name=lambda kind: kind or "sans type") -> dict:
    """Ties per type; `name` says how the reader reads a type (ours translated, none named)."""
    return bars([(name(t["type"]), t["count"]) for t in analysis["tie_types"]])


def lever_chart(cards: list[dict], kind: str, limit: int = 10) -> dict:
    votes = sorted(((c["text"], c["votes"]) for c in cards if c["kind"] == kind),
                   key=lambda card: -card[1])
    return bars(votes[:limit],
                label_width=330, clip=56)


def degree_chart(analysis: dict, most_columns: int = 30) -> dict:
    """How many actors have 0, 1, 2 ... partners; wide ranges are grouped in equal bins."""
    degrees = [a["degree"] for a in analysis["actors"]]
    top = max(degrees, default=0)
    step = max(1, math.ceil((top + 1) / most_columns))
    tallies = [0] * (top // step + 1)
    for degree in degrees:
        tallies[degree // step] += 1
    height, base = 160, 180
    peak = max(tallies, default=0) or 1
    column = (WIDTH - 60) / len(tallies)
    columns = []
    for i, count in enumerate(tallies):
        low, high = i * step, i * step + step - 1
        columns.append({"x": round(50 + i * column, 1), "width": round(column * 0.8, 1),
                        "height": round(height * count / peak, 1),
                        "y": round(base - height * count / peak, 1), "count": count,
                        "label": str(low) if step == 1 else f"{low}–{high}"})
    return {"width": WIDTH, "height": base + 40, "base": base, "columns": columns,
            "peak": peak, "label_every": max(1, len(columns) // 15)}


def indicator_chart(indicator: dict) -> dict:
    """Answers per step (1..5, then "don't know"), the previous wave as outlines, medians."""
    now = counts(indicator.get("counts"))
    previous = indicator.get("previous") if isinstance(indicator.get("previous"), dict) else None
    before = counts(previous.get("counts")) if previous else None
    median = number(indicator.get("median"))
    before_median = number(previous.get("median")) if previous else None
    steps = [*SCALE, "dk"]
    peak = max([*now.values(), *(before.values() if before else ())]) or 1
    height, base, column, left = 90, 110, 56, 30
    columns = []
    for i, step in enumerate(steps):
        x = left + i * column + (12 if step == "dk" else 0)
        entry = {"x": x, "width": column - 16, "label": "NSP" if step == "dk" else step,
                 "count": now[step], "height": round(height * now[step] / peak, 1)}
        entry["y"] = round(base - entry["height"], 1)
        if before is not None:
            entry["before_height"] = round(height * before[step] / peak, 1)
            entry["before_y"] = round(base - entry["before_height"], 1)
        columns.append(entry)

    def median_x(value):
        if value is None or not 1 <= value <= 5:
            return None
        return round(left + (value - 1) * column + (column - 16) / 2, 1)

    return {"width": left + 6 * column + 20, "height": base + 22, "base": base,
            "columns": columns, "has_before": before is not None,
            "median": median, "median_x": median_x(median),
            "before_median": before_median, "before_median_x": median_x(before_median)}


def line_chart(waves: list[str], lines: list[tuple[str, list]], spell, *, width: int = 340,
               height: int = 170) -> dict:
    """One line per (label, values over the waves); ``spell`` writes a value for the reader.

    A missing value (None) leaves a gap: the line is cut there and no point is drawn. The
    vertical scale runs from the lowest value (or 0, whichever is lower) to the highest."""
    left, right, top, bottom = 58, 14, 12, 34
    values = [v for _, series in lines for v in series if v is not None]
    low, high = min([0, *values]), max(values, default=1)
    if high <= low:
        high = low + 1
    inner_w, inner_h = width - left - right, height - top - bottom
    step = inner_w / (len(waves) - 1) if len(waves) > 1 else 0

    def x(i):
        return round(left + (i * step if len(waves) > 1 else inner_w / 2), 1)

    def y(value):
        return round(top + inner_h * (high - value) / (high - low), 1)

    drawn = []
    for index, (label, series) in enumerate(lines):
        segments, segment, points = [], [], []
        for i, value in enumerate(series):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i)},{y(value)}")
            points.append({"x": x(i), "y": y(value), "wave": waves[i], "text": spell(value)})
        if segment:
            segments.append(segment)
        drawn.append({"label": label, "short": clip_text(label, 40), "style": index % 6,
                      "paths": [" ".join(s) for s in segments if len(s) > 1], "points": points})
    every = max(1, math.ceil(len(waves) / 6))
    shown = list(range(0, len(waves), every))
    if shown and shown[-1] != len(waves) - 1:
        shown[-1] = len(waves) - 1  # the last wave is always named: it is the one read
    return {"width": width, "height": height, "left": left, "top": top,
            "base": top + inner_h, "right": width - right, "lines": drawn,
            "high": spell(high), "low": spell(low), "zero_y": y(0) if low < 0 else None,
            # The first and last names lean inwards so neither runs off the chart.
            "ticks": [{"x": x(i), "label": clip_text(waves[i], 12),
                       "anchor": "start" if i == 0 and len(waves) > 1 else
                       "end" if i == len(waves) - 1 and len(waves) > 1 else "middle"}
                      for i in shown]}
