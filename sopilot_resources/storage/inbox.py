"""Inbox scanning: what each thing in the inbox is (whether it has stopped changing: ``stability.py``).

Layout: ``inbox/<task>/<gold|trainee>/<video>``, ``inbox/<task>/gold/<video stem>.steps.json``
(a gold's step sidecar), ``inbox/<task>/profile.json`` (the task's scoring profile) and
``inbox/<task>/trainee/<recording>/<segment>`` (a shift recording as segment files, one
folder per recording: ``segments.py``) and ``inbox/<task>/reviews/<file>.json|.csv``
(supervisor reviews: ``reviews_intake.py``).
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..video.types import VIDEO_EXTENSIONS
from .keys import safe_name
from .video_store import ROLES

SIDECAR_SUFFIX = ".steps.json"
PROFILE_NAME = "profile.json"
REVIEWS = "reviews"  # inbox/<task>/reviews/<file>.json|.csv: supervisor reviews (reviews_intake.py)
REVIEW_SUFFIXES = (".json", ".csv")
#: names of files still being written by common tools (left alone until renamed)
PARTIAL_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".filepart", ".!qb")


@dataclass(frozen=True)
class InboxEntry:
    """One thing found in the inbox.

    kind: "video" | "sidecar" | "profile" | "review" (to ingest), "reject" (to quarantine with ``reason``)
    or "ignore" (left in place, ``reason`` logged once: hidden files, partial downloads, FIFOs,
    sockets and devices - never opened - and folders named like a video)."""

    path: Path
    rel: str
    kind: str
    task: str = ""
    role: str = ""
    reason: str = ""
    message: str = ""
    size: int = 0
    mtime_ns: int = 0
    recording: str = ""  # a segment of a shift recording: its folder under trainee/

    @property
    def signature(self) -> list[int]:
        return [self.size, self.mtime_ns]


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def _loops(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _bad_task(task: str, base: dict, role: str = "") -> InboxEntry | None:
    """The reject for a task folder name that is not key-safe (the same rule for videos, steps
    files and profiles)."""
    if safe_name(task) == task:
        return None
    return InboxEntry(kind="reject", reason="bad_task_name", task=task, role=role,
                      message=f"task folder {task!r} must use only letters, digits, '.', '_' "
                      f"or '-'; rename it to {safe_name(task)!r}", **base)


def _odd(inbox: Path, path: Path, st: os.stat_result) -> InboxEntry:
    """A FIFO, socket or device (never opened: reading a FIFO would hang the tick) or a folder
    named like a video: left alone, reported once."""
    rel = path.relative_to(inbox).as_posix()
    parts = rel.split("/")
    what = ("folder" if stat.S_ISDIR(st.st_mode) else "FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
            else "socket" if stat.S_ISSOCK(st.st_mode) else "device file")
    if what == "folder":
        reason, todo = "folder_named_like_video", ("a video must be a file: put the video file itself "
                                                   "in inbox/<task>/<gold|trainee>/")
    else:
        reason, todo = "not_a_regular_file", "only regular files are read; copy the video as a file"
    return InboxEntry(path=path, rel=rel, kind="ignore", reason=reason,
                      task=parts[0] if len(parts) > 1 else "", role=parts[1] if len(parts) > 2 else "",
                      message=f"a {what}, not a video file; left alone ({todo})",
                      size=st.st_size, mtime_ns=st.st_mtime_ns)


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
    if is_link and _loops(path):
        return InboxEntry(kind="reject", reason="symlink_loop", task=task, role=role,
                          message="symbolic link that points to itself (a loop); it leads to no "
                          "file - copy the real file into the inbox instead", **base)
    if is_link:
        where = "inside" if _inside(path, inbox) else "outside"
        return InboxEntry(kind="reject", reason=f"symlink_{where}_inbox", task=task, role=role,
                          message=f"symbolic link (target {where} the inbox); copy the real file "
                          "into the inbox instead", **base)
    if len(parts) == 2 and name == PROFILE_NAME:
        return _bad_task(task, base) or InboxEntry(kind="profile", task=task, **base)
    if len(parts) == 4 and role == "trainee" and not name.lower().endswith(SIDECAR_SUFFIX):
        return _segment(task, parts[2], name, base)
    if len(parts) != 3:
        return InboxEntry(kind="reject", reason="bad_location", task=task, role=role,
                          message="files go in inbox/<task>/gold/ or inbox/<task>/trainee/ "
                          "(a task profile in inbox/<task>/profile.json, a recording's segment files "
                          "in inbox/<task>/trainee/<recording>/)", **base)
    if role == REVIEWS:
        if not name.lower().endswith(REVIEW_SUFFIXES):
            return InboxEntry(kind="reject", reason="unsupported_review_format", task=task, role=role,
                              message="reviews are .json or .csv files (docs/reviews.md)", **base)
        return _bad_task(task, base, role) or InboxEntry(kind="review", task=task, role=role, **base)
    if role not in ROLES:
        return InboxEntry(kind="reject", reason="unknown_role", task=task, role=role,
                          message=f"folder {role!r} is not a role; use inbox/{task}/gold/ or "
                          f"inbox/{task}/trainee/", **base)
    bad = _bad_task(task, base, role)
    if bad:
        return bad
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


def _segment(task: str, recording: str, name: str, base: dict) -> InboxEntry:
    """``inbox/<task>/trainee/<recording>/<name>``: one segment file of a shift recording."""
    bad = _bad_task(task, base, "trainee")
    if bad:
        return bad
    if safe_name(recording) != recording:
        return InboxEntry(kind="reject", reason="bad_recording_name", task=task, role="trainee",
                          message=f"recording folder {recording!r} must use only letters, digits, '.', '_' "
                          f"or '-'; rename it to {safe_name(recording)!r}", **base)
    if Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
        return InboxEntry(kind="reject", reason="unsupported_format", task=task, role="trainee",
                          message=f"extension {Path(name).suffix or '(none)'!r} is not a supported "
                          f"video; use one of {', '.join(VIDEO_EXTENSIONS)}", **base)
    return InboxEntry(kind="video", task=task, role="trainee", recording=recording, **base)


def scan(inbox: Path) -> list[InboxEntry]:
    """Every file (and symlink, FIFO, socket, device, and folder named like a video below a
    task folder) under ``inbox``, classified; never follows symlinks, never opens anything;
    sorted by path. Cost: one ``lstat`` per entry, so thousands of files scan in milliseconds."""
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
                        if d != inbox and Path(e.name).suffix.lower() in VIDEO_EXTENSIONS:
                            out.append(_odd(inbox, p, e.stat(follow_symlinks=False)))
                elif e.is_file(follow_symlinks=False):
                    out.append(classify(inbox, p, e.stat(follow_symlinks=False), False))
                else:  # FIFO, socket, device: never opened
                    out.append(_odd(inbox, p, e.stat(follow_symlinks=False)))
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
