"""Shift recordings dropped as segment files: ``inbox/<task>/trainee/<recording>/<segment>``
(a camera rolling a new file every N minutes into one folder). Each segment is a trainee
video of its own (file name ``<recording>/<segment>``); the task record keeps each
recording's segments in file-name order (natural: ``seg2`` before ``seg10``), and a segment
is scored after the one before it, from where that one left off (``cycles/segments.py``)."""
from __future__ import annotations

import re

from .registry import PairRecord, Registry, TaskRecord, VideoRecord


def natural_key(name: str) -> list:
    """Sort key that orders the numbers in a name by value: ``seg2`` < ``seg10``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def split_name(file_name: str) -> tuple[str, str] | None:
    """(recording, segment file) of a segment's file name ``<recording>/<segment>``, else None."""
    rec, sep, seg = file_name.partition("/")
    return (rec, seg) if sep and rec and seg else None


def add_segment(task: TaskRecord, rec: VideoRecord) -> None:
    """Files ``rec`` (a segment) under its recording in ``task.recordings``, in name order."""
    recording, seg = split_name(rec.file_name)
    segs = [s for s in task.recordings.get(recording, []) if s["key"] != rec.key]
    segs.append({"key": rec.key, "sha256": rec.sha256, "file_name": rec.file_name})
    task.recordings[recording] = sorted(segs, key=lambda s: natural_key(split_name(s["file_name"])[1]))


def previous_segment(registry: Registry, rec: VideoRecord) -> VideoRecord | None:
    """The segment before ``rec`` in its recording (quarantined ones skipped), else None."""
    parts = split_name(rec.file_name) if rec.recording else None
    if parts is None:
        return None
    segs = registry.task(rec.task).recordings.get(parts[0], [])
    idx = next((i for i, s in enumerate(segs) if s["key"] == rec.key), None)
    for s in reversed(segs[:idx] if idx is not None else []):
        prev = registry.video(s["sha256"])
        if prev is not None and not prev.quarantined:
            return prev
    return None


def previous_segment_pair(registry: Registry, pair: PairRecord) -> PairRecord | None:
    """The pair of the previous segment of ``pair``'s trainee against the same gold version,
    else None (a first segment, or one whose predecessor was scored against another gold: it
    starts afresh)."""
    trainee = registry.video(pair.trainee_sha256)
    prev = previous_segment(registry, trainee) if trainee is not None else None
    gold = registry.video(pair.gold_sha256)
    if prev is None or gold is None:
        return None
    return registry.pair(registry.pair_key_for(pair.task, prev.file_name, prev.sha256, gold.file_name,
                                               gold.sha256, pair.gold_version))
