"""The review pages' drawing: every actor visible, none on top of another when nobody placed them."""

import itertools
import math
import sys
from pathlib import Path

import pytest

from boards.network import analyse
from exports.drawing import drawing

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from bench_analysis import random_snapshot  # noqa: E402


def overlapping(nodes):
    return [(a["id"], b["id"]) for a, b in itertools.combinations(nodes, 2)
            if math.dist((a["x"], a["y"]), (b["x"], b["y"])) < a["r"] + b["r"]]


@pytest.mark.parametrize("actors, placed_every", [(30, None), (600, None), (300, 2)])
def test_unplaced_actors_never_overlap(actors, placed_every):
    snapshot = random_snapshot(actors, seed=actors)
    for i, actor in enumerate(snapshot["actors"]):
        if placed_every is None or i % placed_every:
            actor["x"] = actor["y"] = None
    drawn = drawing(snapshot, analyse(snapshot))
    assert len(drawn["nodes"]) == actors
    waiting = [n for n, a in zip(drawn["nodes"], snapshot["actors"]) if a["x"] is None]
    assert not overlapping(waiting)
    for node in drawn["nodes"]:  # inside the frame the page draws
        assert node["r"] <= node["x"] <= drawn["width"] - node["r"]
        assert node["r"] <= node["y"] <= drawn["height"] - node["r"]
    if placed_every:  # unplaced actors wait in a band below the board, not on placed ones
        assert drawn["height"] > 1000 and all(n["y"] > 1000 for n in waiting)
