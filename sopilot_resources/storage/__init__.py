"""Data root, content-addressed raw store, inbox intake, registry and DuckDB results.

Pure Python (no Dagster import): the Dagster sensor and assets in ``sopilot_assets`` are thin
wrappers around these classes.
"""
from .fsutil import atomic_write_bytes, atomic_write_json, move_file, sha256_file, unique_path
from .keys import pair_key, safe_name, video_key
from .registry import PairRecord, Registry, TaskRecord, VideoRecord
from .video_store import VideoStore


def __getattr__(name: str):
    """``TABLES`` and ``ResultsStore`` on first use: they import pyarrow (0.3 s), which a
    command that only reads a video (``sopilot score``) should not pay for."""
    if name in ("TABLES", "ResultsStore"):
        from . import results_store

        return getattr(results_store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "atomic_write_bytes", "atomic_write_json", "move_file", "sha256_file", "unique_path",
    "pair_key", "safe_name", "video_key", "PairRecord", "Registry", "TaskRecord", "VideoRecord",
    "TABLES", "ResultsStore", "VideoStore",
]
