"""Re-embedding backlog: every registered video, embedded again with the heavy embedder
(V-JEPA2), stored beside the default embeddings under its own embedder key:
``work/videos/<sha>/<embedder key>/embeddings.npz``. The embedder identity keeps the two
versions apart; nothing of the default pipeline is touched.

The heavy embedder's key is only known once the model is loaded (it hashes the model's
config), and loading is far too slow for a schedule tick, so the job records the key it
learned per model directory in ``heavy/embedder_keys.json``; the tick uses it to tell
which videos are done. Before the first job ran, every video counts as pending.

The heavy embedder and its model directory are the settings SOPILOT_HEAVY_EMBEDDER and
SOPILOT_MODEL_DIR; no model directory, no re-embedding backlog.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..storage.fsutil import atomic_write_json, read_json
from ..storage.registry import Registry
from ..storage.video_store import VideoStore
from .runner import WorkItem, embed_item_key

def model_fingerprint(name: str, model_dir: str | os.PathLike) -> str:
    """Cheap identity of a model directory (name + config.json bytes), no model load."""
    cfg = Path(model_dir).expanduser() / "config.json"
    blob = cfg.read_bytes() if cfg.is_file() else str(Path(model_dir).resolve()).encode()
    return f"{name}:{Path(model_dir).name}:{hashlib.sha256(blob).hexdigest()[:12]}"


def _keys_path(store: VideoStore) -> Path:
    return store.root / "heavy" / "embedder_keys.json"


def known_key(store: VideoStore, fingerprint: str) -> str | None:
    return (read_json(_keys_path(store), {}) or {}).get(fingerprint)


def remember_key(store: VideoStore, fingerprint: str, key: str) -> None:
    doc = read_json(_keys_path(store), {}) or {}
    if doc.get(fingerprint) != key:
        doc[fingerprint] = key
        atomic_write_json(_keys_path(store), doc)


def reembed_items(store: VideoStore, embedder_key: str | None, fingerprint: str) -> list[WorkItem]:
    """One item per registered video, oldest first. ``embedder_key`` None (not learned yet):
    the item key uses the model fingerprint and the job rewrites nothing - it checks
    ``output_present`` with the real key once the model is loaded."""
    reg = Registry(store.registry_dir)
    items = []
    for v in reg.videos():
        key = embed_item_key(v.sha256, embedder_key or fingerprint)
        items.append(WorkItem("embed", key, {
            "sha256": v.sha256, "video_key": v.key, "raw_path": str(store.root / v.raw_path),
            "file_name": v.file_name}))
    return items


def embed_one(store: VideoStore, embedder, item: WorkItem) -> dict:
    """Embed one video with the heavy embedder; write embeddings.npz atomically."""
    from ..ingest import ingest_video

    emb = ingest_video(item.payload["raw_path"], embedder)
    out = store.embeddings_path(item.payload["sha256"], embedder.key())
    out.parent.mkdir(parents=True, exist_ok=True)
    emb.save(out)
    return {"embedder_key": embedder.key(), "clips": len(emb), "path": str(out)}
