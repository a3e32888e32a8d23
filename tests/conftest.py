"""Test-wide settings: no test writes into the user's real cache (~/.cache/sopilot)."""
import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_embeddings_cache(tmp_path_factory):
    """``sopilot score`` caches embeddings by default: every test (and every process a test
    starts) gets one cache folder of its own for the session."""
    old = os.environ.get("SOPILOT_CACHE_DIR")
    os.environ["SOPILOT_CACHE_DIR"] = str(tmp_path_factory.mktemp("sopilot-cache"))
    yield
    if old is None:
        os.environ.pop("SOPILOT_CACHE_DIR", None)
    else:
        os.environ["SOPILOT_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (tests/services.py)."""
    from services import postgres_server

    with postgres_server() as pg:
        yield pg


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis server for the session (tests/services.py): its URL."""
    from services import redis_server

    with redis_server() as url:
        yield url
