import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pg_cluster  # noqa: E402
from players import Server  # noqa: E402


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path / "atelier.db").start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL cluster for the whole run, started at first use, stopped at the end.

    Skipped where PostgreSQL is not installed, except in CI (or with MAILLAGE_REQUIRE_PG): there a
    missing PostgreSQL fails, so that the store's tests never silently run on SQLite alone."""
    bindir = pg_cluster.binaries()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        bindir = None
    if bindir is None:
        message = "PostgreSQL (Debian package postgresql) and psycopg are needed for these tests"
        if pg_cluster.required():
            pytest.fail(message)
        pytest.skip(message)
    cluster = pg_cluster.Cluster(bindir).start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path):
    """A fresh, empty database on each backend: a file path, or a postgresql:// URL."""
    if request.param == "sqlite":
        return str(tmp_path / "atelier.db")
    return request.getfixturevalue("postgres").new_database()
