"""Data root, content-addressed raw store, inbox intake, registry and DuckDB results.

Pure Python (no Dagster import): the Dagster sensor and assets in ``sopilot_assets`` are thin
wrappers around these classes.
"""
from .fsutil import atomic_write_bytes, atomic_write_json, move_file, sha256_file, unique_path
from .keys import pair_key, safe_name, video_key
from .registry import PairRecord, Registry, TaskRecord, VideoRecord
from .results_store import TABLES, ResultsStore
from .video_store import VideoStore

__all__ = [
    "atomic_write_bytes", "atomic_write_json", "move_file", "sha256_file", "unique_path",
    "pair_key", "safe_name", "video_key", "PairRecord", "Registry", "TaskRecord", "VideoRecord",
    "TABLES", "ResultsStore", "VideoStore",
]
