"""Is a pair ready to be scored? Both videos embedded with the current embedder, the gold
through the quality gate with its steps built, and (a segment of a shift recording) the
segment before it scored."""
from __future__ import annotations

from .fsutil import read_json
from .registry import PairRecord
from .video_store import VideoStore


def pair_ready(store: VideoStore, pair: PairRecord, embedder_key: str) -> tuple[bool, str]:
    """(ready, why not). ``why not`` is "" while the inputs are simply still being computed,
    and a message for a person when something blocks the pair (a flagged gold)."""
    if not store.embeddings_path(pair.trainee_sha256, embedder_key).exists():
        return False, ""
    gate = read_json(store.gate_path(pair.gold_sha256, embedder_key))
    if gate is None:
        return False, ""
    if not gate.get("ok", False):
        return False, f"gold {pair.gold_key}: {gate.get('message', 'flagged by the quality gate')}"
    if not store.steps_path(pair.gold_sha256, embedder_key).exists():
        return False, ""
    return True, ""


def pair_scored(results_dir, pair_key: str) -> bool:
    from .keys import key_file_name

    return (results_dir / "scores" / f"{key_file_name(pair_key)}.parquet").exists()


def segment_turn(registry, results_dir, pair: PairRecord) -> bool:
    """A segment of a shift recording is scored after the one before it (it starts where that
    one left off, ``cycles/segments.py``); any other pair: True."""
    from .segments import previous_segment_pair

    prev = previous_segment_pair(registry, pair)
    return prev is None or pair_scored(results_dir, prev.key)
