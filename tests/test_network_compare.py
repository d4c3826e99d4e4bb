import json

import pytest

from boards.network import compare as network_compare
from boards.network.compare import compare, normalise_name


def actor(actor_id, name, x=None, y=None):
    return {"id": actor_id, "name": name, "type": "association", "x": x, "y": y}


def tie(source, target, kind, strength, directed=True):
    return {"source": source, "target": target, "type": kind, "strength": strength,
            "directed": directed}


BEFORE = {
    "id": "s0", "label": "T0",
    "actors": [actor("a1", "Mission locale", 0.1, 0.1), actor("a2", "Centre social", 0.2, 0.8),
               actor("a3", "Pôle emploi", 0.9, 0.9), actor("a4", "Mairie", 0.5, 0.5)],
    "ties": [tie("a1", "a2", "projet commun", 2), tie("a1", "a3", "échange", 1, False),
             tie("a2", "a3", "financement", 3), tie("a3", "a4", "orientation", 1)],
}
AFTER = {
    "id": "s1", "label": "T1",
    "actors": [actor("a1", "Mission Locale", 0.15, 0.1), actor("x9", "  centre   SOCIAL "),
               actor("a3", "Pôle emploi", 0.9, 0.9), actor("a5", "Association Tremplin")],
    "ties": [tie("a1", "x9", "projet commun", 3), tie("a3", "a1", "échange", 1, False),
             tie("x9", "a3", "financement", 1), tie("a5", "a1", "projet commun", 2),
             tie("a1", "a3", "échange", 1, True)],
}


def ends(ties):
    return sorted((t["source"], t["target"], t["type"], t["directed"]) for t in ties)


def test_actors_are_matched_by_id_then_by_normalised_name():
    result = compare(BEFORE, AFTER)
    assert result["actors_added"] == [{"id": "a5", "name": "Association Tremplin",
                                       "type": "association"}]
    assert [a["id"] for a in result["actors_removed"]] == ["a4"]
    assert result["matched_by_name"] == [{"before_id": "a2", "after_id": "x9",
                                          "name": "Centre social"}]


def test_ties_added_removed_strengthened_weakened():
    result = compare(BEFORE, AFTER)
    assert ends(result["ties_added"]) == [("a1", "a3", "échange", True),
                                          ("a5", "a1", "projet commun", True)]
    assert ends(result["ties_removed"]) == [("a3", "a4", "orientation", True)]
    assert result["ties_removed"][0]["target_name"] == "Mairie"
    [up] = result["ties_strengthened"]
    assert (up["source"], up["target"], up["strength_before"], up["strength_after"]) == (
        "a1", "x9", 2, 3)
    [down] = result["ties_weakened"]
    assert (down["source"], down["target"], down["strength_before"], down["strength_after"]) == (
        "x9", "a3", 3, 1)
    assert down["source_name"] == "  centre   SOCIAL "


def test_whole_network_changes_and_betweenness_moves():
    result = compare(BEFORE, AFTER)
    assert result["network"]["actors"] == {"before": 4, "after": 4, "delta": 0}
    assert result["network"]["ties"] == {"before": 4, "after": 5, "delta": 1}
    assert result["network"]["reciprocity"]["delta"] == pytest.approx(
        result["network"]["reciprocity"]["after"] - result["network"]["reciprocity"]["before"])
    [rose] = result["betweenness_rose"]
    assert rose["id"] == "a1" and rose["delta"] == pytest.approx(2 / 3, abs=1e-6)
    [fell] = result["betweenness_fell"]
    assert fell["id"] == "a3" and fell["delta"] == pytest.approx(-2 / 3, abs=1e-6)
    json.dumps(result, allow_nan=False)


def test_one_layout_for_both_waves():
    positions = compare(BEFORE, AFTER)["positions"]
    assert set(positions) == {"a1", "x9", "a3", "a5", "a4"}
    assert positions["a1"] == [0.15, 0.1]  # the later wave's board position wins
    assert positions["x9"] == [0.2, 0.8]  # matched by name: the earlier board position
    assert positions["a4"] == [0.5, 0.5]
    assert positions["a5"] != positions["a1"]
    assert positions == compare(BEFORE, AFTER)["positions"]


def test_layout_without_board_positions(monkeypatch):
    bare = {"actors": [actor(f"b{i}", f"B{i}") for i in range(6)],
            "ties": [tie(f"b{i}", f"b{i + 1}", "projet commun", 1) for i in range(5)]}
    positions = compare(bare, bare)["positions"]
    assert all(-0.01 <= c <= 1.01 for xy in positions.values() for c in xy)
    assert len({tuple(xy) for xy in positions.values()}) == 6
    monkeypatch.setattr(network_compare, "SPRING_LIMIT", 2)
    spiral = compare(bare, bare)["positions"]
    assert spiral != positions and all(0 < c < 1 for xy in spiral.values() for c in xy)


def test_identical_waves_show_no_change():
    result = compare(BEFORE, BEFORE)
    for key in ("actors_added", "actors_removed", "ties_added", "ties_removed",
                "ties_strengthened", "ties_weakened", "betweenness_rose", "betweenness_fell"):
        assert result[key] == []
    assert all(change["delta"] in (0, None) for change in result["network"].values())


@pytest.mark.parametrize("raw, clean", [("Église  Saint-Éloi ", "eglise saint-eloi"),
                                        ("MAIRIE\tde\nLyon", "mairie de lyon"),
                                        ("Pôle emploi", "pole emploi")])
def test_normalise_name(raw, clean):
    assert normalise_name(raw) == clean
