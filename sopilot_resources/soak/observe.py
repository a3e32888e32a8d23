"""Read a data root from outside, the way an operator would: DuckDB ``scores``, the
``quarantine/`` reason files, ``archive/duplicates/`` and the registry (golds, waiting
trainees). Read-only; safe while the pipeline runs."""
from __future__ import annotations

import json
from pathlib import Path

from ..storage.registry import Registry
from ..storage.results_store import ResultsStore
from ..storage.video_store import VideoStore
from .invariants import Observation


def observe(data_dir: str | Path) -> Observation:
    store = VideoStore.at(data_dir)
    obs = Observation()
    if store.results.is_dir():
        rs = ResultsStore(store.results, store.duckdb_path)
        obs.scores = rs.query(
            "SELECT task, trainee_file, gold_file, score, verdict, scored_at, pair_key, "
            "trainee_sha256, gold_sha256, profile_fingerprint FROM scores")
    for reason_file in store.quarantine_dir.rglob("*.reason.json"):
        try:
            doc = json.loads(reason_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being written (atomic rename makes this rare): next poll
        name = doc.get("file") or reason_file.name[: -len(".reason.json")]
        obs.quarantined[name] = f"{doc.get('reason', '')}: {doc.get('message', '')}".strip(": ")
    dup_root = store.archive / "duplicates"
    if dup_root.is_dir():
        obs.duplicates = {p.name for p in dup_root.rglob("*") if p.is_file()}
    reg = Registry(store.registry_dir)
    if store.registry_dir.is_dir():
        videos = {v.key: v for v in reg.videos()}
        for t in reg.tasks():
            obs.golds |= {g["file_name"] for g in t.golds}
            obs.waiting |= {videos[k].file_name for k in t.waiting_trainees if k in videos}
    return obs
