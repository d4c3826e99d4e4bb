"""docs/protocol.md is the contract for other clients: every message the server accepts is in it."""

from pathlib import Path

import boards.kinds  # noqa: F401  (registers every kind's actions)
from boards import console  # noqa: F401
from boards.actions import REGISTRY

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")


def test_every_message_type_is_documented():
    missing = [name for name in REGISTRY if f"`{name}`" not in DOC]
    assert not missing, f"undocumented message types: {missing}"
