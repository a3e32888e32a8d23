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
