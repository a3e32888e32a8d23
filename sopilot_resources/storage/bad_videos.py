"""Stored videos a run found it cannot embed (a zeroed middle, a stream cut short, too short):
the run reports them here, and the inbox sensor, the registry's only writer, quarantines them.

A run writes ``work/bad_videos/<sha256>.json`` (``report_bad_video``) and fails without a
retry. The next sensor tick (``quarantine_reported``) moves the stored file to
``quarantine/<name as dropped>`` beside its ``.reason.json``, marks the registry record (and a
gold's entry in its task) quarantined, and closes the video's unscored pairs: each gets an
``ingest_events`` row ``pair_closed`` with the reason, and the trainees of a quarantined gold
go back to waiting for a gold (or to the task's previous good gold). The report is removed
last, so a tick that crashes half-way is finished by the next one."""
from __future__ import annotations

import contextlib
from pathlib import Path

from .fsutil import atomic_write_json, move_file, read_json
from .intake_types import Event
from .quarantine import remedy
from .registry import VideoRecord
from .video_store import VideoStore, utc_now


#: a report whose file cannot be moved after this many ticks only marks the record
MAX_TRIES = 3


def reports_dir(store: VideoStore) -> Path:
    return store.work / "bad_videos"


def report_bad_video(store: VideoStore, rec: VideoRecord, reason: str, message: str) -> Path:
    """Called by a run: ``rec`` cannot be embedded for ``reason`` (a VideoError's reason)."""
    return atomic_write_json(reports_dir(store) / f"{rec.sha256}.json", {
        "key": rec.key, "sha256": rec.sha256, "reason": reason, "message": message, "at": utc_now()})


def pending_reports(store: VideoStore) -> list[dict]:
    d = reports_dir(store)
    return [doc for p in sorted(d.glob("*.json")) if (doc := read_json(p))] if d.is_dir() else []


def quarantine_reported(intake) -> list[Event]:
    """Quarantines every reported video (``intake``: the sensor's ``Intake``); its events."""
    events: list[Event] = []
    for doc in pending_reports(intake.store):
        path = reports_dir(intake.store) / f"{doc['sha256']}.json"
        rec = intake.registry.video(doc["sha256"])
        try:
            with intake.registry.locked():
                rec = intake.registry.video(doc["sha256"])  # afresh, under the lease
                if rec is not None and not rec.quarantined:
                    _quarantine_stored(intake, rec, doc["reason"], doc["message"], events,
                                       record_only=doc.get("tries", 0) >= MAX_TRIES)
        except OSError as exc:  # e.g. no space for the reason file: the next tick tries again
            doc["tries"] = doc.get("tries", 0) + 1
            events.append(Event("error", f"{rec.file_name}: cannot quarantine it yet ({exc}); will retry "
                                f"({doc['tries']}/{MAX_TRIES})", rec.task, rec.role, rec.file_name, rec.inbox_path,
                                rec.sha256, rec.key, "ingest_error", level="warning"))
            with contextlib.suppress(OSError):
                atomic_write_json(path, doc)
            continue
        path.unlink(missing_ok=True)
    return events


def _quarantine_stored(intake, rec: VideoRecord, reason: str, message: str, events: list[Event],
                       record_only: bool = False) -> None:
    """``record_only``: moving the file failed ``MAX_TRIES`` times; the record is marked (and
    its pairs closed) with the file left where it is."""
    store, registry = intake.store, intake.registry
    raw = store.root / rec.raw_path
    # staged under the name it was dropped as, so quarantine/ shows that name
    staged = store.work / "quarantining" / rec.sha256 / Path(rec.file_name).name  # a segment: its own name
    if raw.exists() and not record_only:
        move_file(raw, staged, overwrite=True)
    todo = remedy(reason, rec.task)
    text = f"{rec.file_name} ({rec.role} of task {rec.task}) cannot be embedded: {message}"
    if staged.exists() and not record_only:
        dst = store.quarantine(staged, reason, text, todo, task=rec.task, role=rec.role, sha256=rec.sha256,
                               inbox_path=rec.inbox_path)  # where it was dropped, not the staging path
        stored = dst.relative_to(store.root).as_posix()
        staged.parent.rmdir()
    else:
        stored = ""
    rec.quarantined = {"reason": reason, "message": message, "stored_path": stored, "at": utc_now()}
    registry.put_video(rec)
    where = stored or ("nowhere (the stored file is missing)" if not record_only else
                       f"nowhere: it stays at {(staged if staged.exists() else raw).relative_to(store.root)} "
                       f"(moving it failed {MAX_TRIES} times)")
    events.append(Event("quarantined", f"{rec.inbox_path}: {text} -> quarantined as {where} ({todo})", rec.task,
                        rec.role, rec.file_name, rec.inbox_path, rec.sha256, rec.key, reason, stored, level="warning"))
    task = registry.task(rec.task)
    if rec.role == "gold":
        for g in task.golds:
            if g["key"] == rec.key:
                g["quarantined"] = reason
        registry.put_task(task)
    _close_pairs(intake, rec, reason, todo, events)


def _close_pairs(intake, rec: VideoRecord, reason: str, todo: str, events: list[Event]) -> None:
    registry = intake.registry
    pending = registry.pending_pairs()
    closed = [p for k in pending if (p := registry.pair(k)) is not None and rec.key in (p.gold_key, p.trainee_key)]
    if not closed:
        return
    registry.drop_pending_pairs([p.key for p in closed])
    for p in closed:
        events.append(Event("pair_closed", f"pair {p.key} closed: its {rec.role} video {rec.file_name} was "
                            f"quarantined ({reason}); {todo}", p.task, rec.role, rec.file_name, rec.inbox_path,
                            rec.sha256, p.trainee_key, reason, level="warning"))
    if rec.role != "gold":
        return
    task = registry.task(rec.task)
    gold = task.current_gold
    gold_rec = registry.video(gold["sha256"]) if gold else None
    for p in closed:  # its trainees: to the previous good gold, or wait for a new one
        trainee = registry.video(p.trainee_sha256)
        if trainee is None or trainee.quarantined:
            continue
        if gold_rec is not None:
            intake._pair(task, gold_rec, trainee, events)
        elif trainee.key not in task.waiting_trainees:
            task.waiting_trainees.append(trainee.key)
            registry.put_task(task)
            events.append(Event("waiting", f"{trainee.file_name}: its gold was quarantined; it will be scored "
                                f"once a gold is dropped into inbox/{rec.task}/gold/", rec.task, "trainee",
                                trainee.file_name, trainee.inbox_path, trainee.sha256, trainee.key, "no_gold"))
