"""Find a trainee's latest scored pair in a data root, by the name a supervisor knows."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import SopilotError
from ..storage.fsutil import read_json
from ..storage.keys import stem_of
from ..storage.registry import PairRecord, Registry, VideoRecord
from ..storage.video_store import VideoStore


class NotFoundError(SopilotError):
    reason = "not_found"


@dataclass
class ScoredPair:
    pair: PairRecord
    trainee: VideoRecord
    gold: VideoRecord | None
    doc: dict  # the pair's score.json
    work: Path


def _matches(v: VideoRecord, name: str) -> bool:
    return name in (v.file_name, stem_of(v.file_name), v.key)


def find_trainee(registry: Registry, name: str, task: str | None = None) -> VideoRecord:
    """The trainee video called ``name`` (file name, with or without extension, or its video
    partition key), in ``task`` when given; the latest registered when the same name was dropped
    again with other bytes."""
    trainees = [v for v in registry.videos() if v.role == "trainee" and (task is None or v.task == task)]
    hits = [v for v in trainees if _matches(v, name)]
    if not hits:
        known = sorted({v.file_name for v in trainees})
        where = f" in task {task}" if task else ""
        raise NotFoundError(f"no trainee video named {name!r}{where}; known: "
                            + (", ".join(known[:12]) + (" ..." if len(known) > 12 else "") if known else "none"))
    tasks = sorted({v.task for v in hits})
    if len(tasks) > 1:
        raise NotFoundError(f"{name!r} is a trainee of several tasks ({', '.join(tasks)}); add --task")
    return max(hits, key=lambda v: v.seq)


def latest_scored(store: VideoStore, name: str, task: str | None = None) -> ScoredPair:
    """The newest score of trainee ``name``: against its newest gold, the latest scoring."""
    registry = Registry(store.registry_dir)
    pair = registry.pair(name)  # a pair partition key works too
    trainee = registry.video(pair.trainee_sha256) if pair else find_trainee(registry, name, task)
    pairs = [pair] if pair else [p for p in registry.pairs() if p.trainee_sha256 == trainee.sha256]
    scored = []
    for p in pairs:
        doc = read_json(store.pair_work(p.key) / "score.json")
        if doc is not None:
            scored.append((p.gold_version, doc.get("scored_at") or "", p, doc))
    if not scored:
        raise NotFoundError(f"{trainee.file_name} (task {trainee.task}) has no score yet: it waits for a gold "
                            "or its pair is still being scored (see `sopilot results` or the UI)")
    _, _, p, doc = max(scored, key=lambda t: (t[0], t[1]))
    return ScoredPair(p, trainee, registry.video(p.gold_sha256), doc, store.pair_work(p.key))
