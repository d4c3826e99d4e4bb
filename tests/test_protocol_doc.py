"""docs/protocol.md is the contract for other clients: every message the server accepts is in it."""

from pathlib import Path

import boards.kinds  # noqa: F401  (registers every kind's actions)
from boards import console  # noqa: F401
from boards.actions import REGISTRY

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")


def test_every_message_type_is_documented():
    missing = [name for name in REGISTRY if f"`{name}`" not in DOC]
    assert not missing, f"undocumented message types: {missing}"


def test_the_limits_of_a_map_are_documented():
    from boards.rules import BOARDS_MAX
    from boards.stakeholders.actions import ACTORS_MAX, TIES_MAX
    from boards.stakeholders.actor_csv import MAX_ROWS

    for figure in (ACTORS_MAX, TIES_MAX, MAX_ROWS):
        assert f"**{figure:,} " in DOC
    assert f"dépasser {ACTORS_MAX} acteurs" in DOC and f"dépasser {TIES_MAX} liens" in DOC
    assert f"dépasse {MAX_ROWS} lignes" in DOC and f"up to {BOARDS_MAX} boards" in DOC
