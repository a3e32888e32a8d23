"""Quarantined files as people see them: what to do about each reason, the list of files now in
``quarantine/`` (from their ``<name>.reason.json``) as the ``quarantine`` results table, and one
line per tick naming what the tick rejected."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from .fsutil import read_json
from .results_store import ResultsStore
from .video_store import REASON_SUFFIX, VideoStore


def remedy(reason: str, task: str = "") -> str:
    """What a person does about a file quarantined for ``reason``."""
    where = f"inbox/{task or '<task>'}"
    return {
        "empty_file": "re-copy the file; it arrived empty",
        "unreadable": "re-export or re-copy the video, then drop it again",
        "truncated": "the copy is incomplete; copy it again",
        "too_short": "record a longer video (a gold needs every step, a trainee a few seconds at least)",
        "too_large": "shorten or re-encode the video, or raise SOPILOT_MAX_VIDEO_MB, then drop it again",
        "unsupported_format": "convert to mp4/mov/mkv/webm/avi and drop it again",
        "unknown_role": f"move it to {where}/gold/ or {where}/trainee/ (reviews: {where}/reviews/)",
        "bad_location": "move it to inbox/<task>/gold/ or inbox/<task>/trainee/",
        "bad_task_name": "rename the task folder to letters, digits, '.', '_' or '-' and drop it again",
        "symlink_outside_inbox": "copy the real file into the inbox (links are not followed)",
        "symlink_inside_inbox": "copy the real file into the inbox (links are not followed)",
        "symlink_loop": "delete the link (it points to itself) and copy the real file into the inbox",
        "sidecar_not_gold": f"put the .steps.json beside its gold video in {where}/gold/",
        "orphan_sidecar": f"drop the gold video with the same name into {where}/gold/, then the steps file again",
        "video_quarantined": "fix its video (see the video's own reason), then drop both again",
        "bad_steps_file": "fix the steps file (docs/scoring.md) and drop it again",
        "bad_profile": "fix the profile (docs/scoring.md, unknown keys are refused) and drop it again",
        "ingest_error": "see the sensor's log for the error; fix the cause, then drop the file again",
        "bad_review": f"fix the review file (docs/reviews.md; the reason names the review and field) and drop "
                      f"it into {where}/reviews/ again",
        "unsupported_review_format": f"save the reviews as .json or .csv (docs/reviews.md) in {where}/reviews/",
    }.get(reason, "fix the file and drop it again")


def quarantined(store: VideoStore) -> list[dict]:
    """Every file now in ``quarantine/`` with its reason (a file a person took away is gone from
    the list), oldest first; rows of the ``quarantine`` table."""
    rows = []
    root = store.quarantine_dir
    for p in sorted(root.rglob(f"*{REASON_SUFFIX}")) if root.is_dir() else []:
        f = Path(str(p)[: -len(REASON_SUFFIX)])
        doc = read_json(p)
        if not doc or not (f.exists() or f.is_symlink()):
            continue
        at = doc.get("quarantined_at")
        rows.append({
            "quarantined_at": dt.datetime.fromisoformat(at) if at else None, "file_name": doc.get("file", f.name),
            "task": doc.get("task") or "", "role": doc.get("role") or "", "inbox_path": doc.get("inbox_path", ""),
            "reason": doc.get("reason", ""), "message": doc.get("message", ""),
            "what_to_do": doc.get("what_to_do") or remedy(doc.get("reason", ""), doc.get("task") or ""),
            "stored_path": f.relative_to(store.root).as_posix(), "sha256": doc.get("sha256") or ""})
    rows.sort(key=lambda r: (r["quarantined_at"] is None, r["quarantined_at"] or 0, r["stored_path"]))
    return rows


def refresh_quarantine_table(store: VideoStore, rs: ResultsStore) -> list[dict]:
    """Rewrites the ``quarantine`` table from the folder; returns its rows."""
    rows = quarantined(store)
    rs.write("quarantine", "current", rows)
    return rows


def tick_text(events, waiting: int = 0, limit: int = 1500) -> str:
    """One readable paragraph for a sensor tick: the files it quarantined (name, reason, what to
    do) first, then counts of what else happened. ``events``: the tick's ``Event`` list."""
    rejected = [e for e in events if e.action == "quarantined"]
    parts = []
    if rejected:
        items = [f"{e.inbox_path or e.file_name} ({e.reason}: {remedy(e.reason, e.task)})" for e in rejected]
        text = f"{len(rejected)} file(s) quarantined: "
        for k, item in enumerate(items):
            more = f" ... and {len(items) - k} more (table quarantine)"
            if len(text) + len(item) + len(more) > limit:
                text += more
                break
            text += ("; " if k else "") + item
        parts.append(text)
    counts: dict[str, int] = {}
    for e in events:
        if e.action != "quarantined":
            counts[e.action] = counts.get(e.action, 0) + 1
    parts += [f"{n} {action}" for action, n in sorted(counts.items())]
    if waiting:
        parts.append(f"{waiting} inbox file(s) not taken yet (settling or left alone)")
    return ". ".join(parts) if parts else "inbox empty"
