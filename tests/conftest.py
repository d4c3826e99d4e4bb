import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from players import Server  # noqa: E402


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path / "atelier.db").start()
    yield running
    running.stop()
