"""Inbox scanning: what each file is, and whether it has stopped changing.

Layout: ``inbox/<task>/<gold|trainee>/<video>``, ``inbox/<task>/gold/<video stem>.steps.json``
(a gold's step sidecar) and ``inbox/<task>/profile.json`` (the task's scoring profile).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..video.types import VIDEO_EXTENSIONS
from .keys import safe_name
from .video_store import ROLES

SIDECAR_SUFFIX = ".steps.json"
PROFILE_NAME = "profile.json"
#: names of files still being written by common tools (left alone until renamed)
PARTIAL_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".filepart", ".!qb")


@dataclass(frozen=True)
class InboxEntry:
    """One thing found in the inbox.

    kind: "video" | "sidecar" | "profile" (to ingest), "reject" (to quarantine with ``reason``)
    or "ignore" (left in place, ``reason`` logged once)."""

    path: Path
    rel: str
    kind: str
    task: str = ""
    role: str = ""
    reason: str = ""
    message: str = ""
    size: int = 0
    mtime_ns: int = 0

    @property
    def signature(self) -> list[int]:
        return [self.size, self.mtime_ns]


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def classify(inbox: Path, path: Path, st: os.stat_result | None, is_link: bool) -> InboxEntry:
    rel = path.relative_to(inbox).as_posix()
    parts = rel.split("/")
    size, mtime = (st.st_size, st.st_mtime_ns) if st else (0, 0)
    base = dict(path=path, rel=rel, size=size, mtime_ns=mtime)
    task = parts[0] if len(parts) > 1 else ""
    role = parts[1] if len(parts) > 2 else ""
    name = parts[-1]
    if name.startswith("."):
        return InboxEntry(kind="ignore", reason="hidden_file", task=task, role=role,
                          message="hidden file left alone", **base)
    if name.lower().endswith(PARTIAL_SUFFIXES):
        return InboxEntry(kind="ignore", reason="partial_download", task=task, role=role,
                          message="looks like a file still being downloaded; left alone", **base)
    if is_link:
        where = "inside" if _inside(path, inbox) else "outside"
        return InboxEntry(kind="reject", reason=f"symlink_{where}_inbox", task=task, role=role,
                          message=f"symbolic link (target {where} the inbox); copy the real file "
                          "into the inbox instead", **base)
    if len(parts) == 2 and name == PROFILE_NAME:
        return InboxEntry(kind="profile", task=task, **base)
    if len(parts) != 3:
        return InboxEntry(kind="reject", reason="bad_location", task=task, role=role,
                          message="files go in inbox/<task>/gold/ or inbox/<task>/trainee/ "
                          "(a task profile in inbox/<task>/profile.json)", **base)
    if role not in ROLES:
        return InboxEntry(kind="reject", reason="unknown_role", task=task, role=role,
                          message=f"folder {role!r} is not a role; use inbox/{task}/gold/ or "
                          f"inbox/{task}/trainee/", **base)
    if safe_name(task) != task:
        return InboxEntry(kind="reject", reason="bad_task_name", task=task, role=role,
                          message=f"task folder {task!r} must use only letters, digits, '.', '_' "
                          f"or '-'; rename it to {safe_name(task)!r}", **base)
    if name.lower().endswith(SIDECAR_SUFFIX):
        if role != "gold":
            return InboxEntry(kind="reject", reason="sidecar_not_gold", task=task, role=role,
                              message="a .steps.json belongs beside its gold in inbox/<task>/gold/", **base)
        return InboxEntry(kind="sidecar", task=task, role=role, **base)
    if Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
        return InboxEntry(kind="reject", reason="unsupported_format", task=task, role=role,
                          message=f"extension {Path(name).suffix or '(none)'!r} is not a supported "
                          f"video; use one of {', '.join(VIDEO_EXTENSIONS)}", **base)
    return InboxEntry(kind="video", task=task, role=role, **base)


def scan(inbox: Path) -> list[InboxEntry]:
    """Every file (and symlink) under ``inbox``, classified; never follows symlinks; sorted by
    path. Cost: one ``lstat`` per entry, so thousands of files scan in milliseconds."""
    out: list[InboxEntry] = []
    if not inbox.is_dir():
        return out
    stack = [inbox]
    while stack:
        d = stack.pop()
        try:
            it = list(os.scandir(d))
        except OSError:
            continue
        for e in it:
            p = Path(e.path)
            try:
                if e.is_symlink():
                    out.append(classify(inbox, p, None, True))
                elif e.is_dir(follow_symlinks=False):
                    if not e.name.startswith("."):
                        stack.append(p)
                elif e.is_file(follow_symlinks=False):
                    out.append(classify(inbox, p, e.stat(follow_symlinks=False), False))
            except OSError:  # vanished between listing and stat
                continue
    out.sort(key=lambda x: x.rel)
    return out


def sidecar_for(video: Path) -> Path | None:
    """``<stem>.steps.json`` or ``<name>.steps.json`` beside ``video`` if present."""
    for cand in (video.with_name(video.stem + SIDECAR_SUFFIX), video.with_name(video.name + SIDECAR_SUFFIX)):
        if cand.is_file() and not cand.is_symlink():
            return cand
    return None


class StabilityTracker:
    """Takes a file only once its (size, mtime) stayed the same for ``stable_seconds``.

    State is a JSON-able dict ``{rel: [size, mtime_ns, since]}`` kept in the sensor cursor,
    so it survives restarts."""

    def __init__(self, state: dict | None, stable_seconds: float):
        self.state = dict(state or {})
        self.stable_seconds = float(stable_seconds)

    def observe(self, entries: list[InboxEntry], now: float) -> list[InboxEntry]:
        """Updates the state with this scan; returns the entries that are stable now."""
        seen, stable = {}, []
        for e in entries:
            prev = self.state.get(e.rel)
            if prev and prev[:2] == e.signature:
                since = prev[2]
            else:
                since = now
            seen[e.rel] = e.signature + [since]
            if now - since >= self.stable_seconds:
                stable.append(e)
        self.state = seen  # files gone from the inbox are forgotten
        return stable

    def forget(self, rel: str) -> None:
        self.state.pop(rel, None)
