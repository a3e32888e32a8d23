"""A task's scoring profile versions (issue 15 item 3; docs/reviews.md, "Profile versions").

Every version of a task's profile is an entry of ``TaskRecord.profiles``, never edited:
``{version, sha256, path, file_name, fingerprint, registered_at, parent, proposed_by, why}``
(``parent``: the version current before it; ``proposed_by``: ``inbox``, a person, or a tool;
``why``: in words). The last entry is the current one (``TaskRecord.profile``). A rollback is a
new version with the old one's content, so history only grows. Pairs created from then on are
scored with the current version, and the idle-time rescoring brings earlier scores up to date
(``heavy/rescore.py``: a trainee scored with another profile fingerprint is rescored).
"""
from __future__ import annotations

from ..errors import SopilotError
from .registry import Registry, TaskRecord
from .video_store import utc_now


class ProfileVersionError(SopilotError):
    reason = "bad_profile_version"


def add_version(registry: Registry, task: TaskRecord, entry: dict, proposed_by: str, why: str) -> dict:
    """Appends ``entry`` ({sha256, path, file_name, fingerprint}) as the task's next profile
    version and makes it current (one atomic registry write); returns the stored entry."""
    with registry.locked():  # read afresh: an intake run may have changed the record meanwhile
        fresh = registry.task(task.task)
        parent = fresh.profile["version"] if fresh.profile else None
        new = {**entry, "registered_at": utc_now(), "version": len(fresh.profiles) + 1, "parent": parent,
               "proposed_by": proposed_by, "why": why}
        fresh.profiles.append(new)
        fresh.profile = new
        registry.put_task(fresh)
    task.profiles, task.profile = fresh.profiles, fresh.profile
    return new


def task_record(registry: Registry, task: str) -> TaskRecord:
    known = {t.task for t in registry.tasks()}
    if task not in known:
        raise ProfileVersionError(f"unknown task {task!r}; tasks: {', '.join(sorted(known)) or 'none'}")
    return registry.task(task)


def history(registry: Registry, task: str) -> list[dict]:
    """The task's profile versions, oldest first, each with ``current`` (bool)."""
    rec = task_record(registry, task)
    cur = rec.profile["version"] if rec.profile else None
    return [{**p, "current": p["version"] == cur} for p in rec.profiles]


def rollback(registry: Registry, task: str, version: int, who: str, why: str = "") -> dict:
    """Makes version ``version``'s content current again, as a new version."""
    rec = task_record(registry, task)
    old = next((p for p in rec.profiles if p["version"] == int(version)), None)
    if old is None:
        have = ", ".join(f"v{p['version']}" for p in rec.profiles) or "none (the default profile applies)"
        raise ProfileVersionError(f"task {task} has no profile version {version}; versions: {have}")
    if rec.profile and rec.profile["sha256"] == old["sha256"]:
        raise ProfileVersionError(f"v{version} of task {task} is the profile in force already "
                                  f"(current v{rec.profile['version']}); nothing to roll back")
    entry = {k: old[k] for k in ("sha256", "path", "file_name", "fingerprint")}
    return add_version(registry, rec, entry, who, why or f"rollback to v{version}")


def version_of(task: TaskRecord, profile_sha256: str | None) -> int | None:
    """The newest version of ``task``'s profile with content ``profile_sha256`` (None: the
    default profile applied)."""
    hits = [p["version"] for p in task.profiles if profile_sha256 and p["sha256"] == profile_sha256]
    return max(hits) if hits else None
