"""The inbox as plain Python, in two parts. ``notice`` (the inbox sensor's tick): scan, wait for
finished files (``stability.py``), report what is ignored or waits; it reads no file's contents.
``take`` (an intake run, sopilot_assets/intake_job.py): hash, dedupe, check, move, verify,
register, pair, or quarantine. ``tick`` does both in one call. The Dagster side turns the
outcome into partitions, runs, log lines and ingest_events rows.

Several intake runs may take at once (normally the sensor starts one at a time): the move out of
the inbox is the claim (an entry gone or changed since it was noticed is skipped), a video's
registration is exclusive (``Registry.create_video``), and a raw file already stored by another
run leaves the drop in the inbox, to be archived as a duplicate on the next pass.

Crash safety: a video's registration is journaled before its file moves; the next tick
finishes (or forgets) any journaled move, and every registry update is idempotent. A stored file
whose bytes changed after they were hashed is never registered (``intake_verify.py``).
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from ..errors import VideoError
from .fsutil import hash_unchanged, move_file
from .inbox import InboxEntry, sidecar_for
from .intake_notice import NoticeMixin
from .intake_types import MAX_FAILURES, Event, IntakeConfig, TickOutcome
from .intake_verify import VerifyMixin
from .keys import video_key
from .pairing import PairingMixin
from .quarantine import remedy
from .registry import Registry, VideoRecord
from .reviews_intake import ReviewIntakeMixin
from .sidecars import SidecarMixin
from .stability import StabilityTracker
from .video_store import VideoStore, utc_now


def _default_check(path, max_bytes=None, max_duration_sec=None):
    from ..video import check_video_file

    return check_video_file(path, max_bytes=max_bytes, max_duration_sec=max_duration_sec)


class Intake(NoticeMixin, PairingMixin, SidecarMixin, VerifyMixin, ReviewIntakeMixin):
    def __init__(self, store: VideoStore, config: IntakeConfig = IntakeConfig(),
                 check_video: Callable | None = None, embedder_key: str | None = None):
        """embedder_key: the current embedder's key; lets a new gold take over trainees whose
        pair is blocked because their gold failed the quality gate."""
        self.embedder_key = embedder_key
        self.store = store.ensure()
        self.registry = Registry(store.registry_dir)
        self.config = config
        self.check_video = check_video or _default_check
        self._requeued: list[str] = []  # inbox files put back this tick (see intake_verify)

    # --- the tick: notice (the sensor), then take (an intake run) ---------------------------
    def tick(self, tracker_state: dict | None, now: float | None = None,
             failures: dict | None = None) -> TickOutcome:
        """One pass over the inbox: ``notice`` then ``take`` in one call (the inbox sensor does
        only the notice and leaves the take to an intake run). ``tracker_state`` and
        ``failures`` come from the previous tick's outcome."""
        now = time.time() if now is None else now
        seen = self.notice(tracker_state, now, failures)
        tracker = StabilityTracker(seen.tracker_state, self.config.stable_seconds)
        out = self.take(seen.take, tracker, now, seen.failures, budget_sec=self.config.tick_budget_sec)
        return TickOutcome(seen.events + out.events, tracker.state, out.processed,
                           seen.left + out.left_for_next_tick, out.regold, out.failures)

    def take(self, todo: list[InboxEntry], tracker: StabilityTracker, now: float, failures: dict | None = None,
             budget_sec: float | None = None) -> TickOutcome:
        """The work, for an intake run: finish interrupted moves (journal), then hash, dedupe,
        check, move, verify, register, pair each entry of ``todo`` (``notice``'s), or
        quarantine it. An entry gone from the inbox (taken by another run) or changed since it
        was noticed is skipped. ``tracker``: the entries' stability state (how long each has
        waited); ``failures``: {rel: errors so far}. ``budget_sec``: stop starting new files
        after this long (the all-in-one ``tick``)."""
        t0 = time.monotonic()
        failures = dict(failures or {})
        self._now, self._tracker, self._regold, self._requeued = now, tracker, [], []
        events = self.recover()
        self._restart_requeued()  # put back by the recovery: watched as new, seen growing
        take_rels = {e.rel for e in todo}
        done = 0
        for e in todo:
            if budget_sec is not None and done and time.monotonic() - t0 > budget_sec:
                break
            if not _as_noticed(e):
                continue  # moved with its video, taken by another run, or changed: noticed again
            try:
                handled = self.handle(e, take_rels, events)
            except Exception as exc:  # never crash the tick: retry, then quarantine, then report once
                handled = self._failed(e, exc, failures, events)
            if handled:
                done += 1
                tracker.forget(e.rel)
        self._restart_requeued()
        left = sum(1 for e in todo if e.path.exists() and e.kind not in ("sidecar", "review")
                   and failures.get(e.rel, 0) < MAX_FAILURES)
        return TickOutcome(events, tracker.state, done, left, self._regold, failures)

    def _restart_requeued(self) -> None:
        for rel in self._requeued:
            self._tracker.restart(rel, self._now)
        self._requeued = []

    def _failed(self, e: InboxEntry, exc: Exception, failures: dict, events: list[Event]) -> bool:
        """An unexpected error handling ``e``: retried on the next ticks (a warning each time),
        quarantined as ``ingest_error`` after ``MAX_FAILURES`` tries; if even that fails, one
        error and the file is left alone until it changes. True when it was quarantined."""
        n = failures.get(e.rel, 0) + 1
        failures[e.rel] = n
        msg = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if not (e.path.exists() or e.path.is_symlink()):
            failures.pop(e.rel, None)
            return False
        if n < MAX_FAILURES:
            events.append(Event("error", f"{e.rel}: {msg}; will retry next tick ({n}/{MAX_FAILURES})",
                                e.task, e.role, e.path.name, e.rel, reason="ingest_error", level="warning"))
            return False
        try:
            self._quarantine(e.path, e, "ingest_error", f"failed {n} times: {msg}", events)
        except Exception as exc2:
            failures[e.rel] = MAX_FAILURES  # skipped from now on, without a word, until it changes
            why = f"{type(exc2).__name__}: {exc2}".splitlines()[0]
            events.append(Event("error", f"{e.rel}: failed {n} times ({msg}) and could not be "
                                f"quarantined ({why}); left in the inbox and not tried again: fix the "
                                "cause, then touch the file or copy it again", e.task, e.role,
                                e.path.name, e.rel, reason="ingest_error", level="error"))
            return False
        failures.pop(e.rel, None)
        return True

    def handle(self, e: InboxEntry, stable_rels: set[str], events: list[Event]) -> bool:
        if e.kind == "reject":
            self._quarantine(e.path, e, e.reason, e.message, events)
            return True
        if e.kind == "profile":
            return self._profile(e, events)
        if e.kind == "sidecar":
            return self._orphan_sidecar(e, events)
        if e.kind == "review":
            return self._review(e, events)
        return self._video(e, stable_rels, events)

    # --- videos -----------------------------------------------------------------------------
    def _video(self, e: InboxEntry, stable_rels: set[str], events: list[Event]) -> bool:
        sidecar = sidecar_for(e.path) if e.role == "gold" else None
        if sidecar is not None and sidecar.relative_to(self.store.inbox).as_posix() not in stable_rels:
            return False  # its steps file is still being written: take both together
        hashed = hash_unchanged(e.path)
        if hashed is None or [hashed.size, hashed.mtime_ns] != e.signature:
            return False  # changed since the scan: still being written, watched again
        sha = hashed.sha256
        known = self.registry.video(sha)
        if known is not None:
            return self._known_video(e, sha, known, sidecar, events)
        try:
            self.check_video(e.path, max_bytes=self.config.max_bytes, max_duration_sec=self.config.max_duration_sec)
        except VideoError as exc:
            self._quarantine(e.path, e, exc.reason, _without_path(exc), events, sha256=sha)
            if sidecar is not None:
                self._quarantine(sidecar, e, "video_quarantined",
                                 f"its video {e.path.name} was quarantined ({exc.reason})", events)
            return True
        if sidecar is not None:
            sidecar = self._valid_sidecar(sidecar, e, events)
        name = f"{e.recording}/{e.path.name}" if e.recording else e.path.name  # a segment: recording/file
        key = video_key(e.task, e.role, name, sha)
        raw = self.store.raw_path(sha, e.path.suffix)
        rec = VideoRecord(key=key, sha256=sha, task=e.task, role=e.role, file_name=name,
                          inbox_path=e.rel, raw_path=self._rel(raw), size_bytes=hashed.size,
                          registered_at=utc_now(), recording=e.recording or None,
                          sidecar_path=self._rel(self.store.sidecar_path(sha)) if sidecar else None)
        if raw.exists():  # another intake run is storing the same bytes right now
            events.append(Event("waiting", f"{e.rel}: the same bytes are being taken by another intake run; "
                                "it is archived as their duplicate on the next pass", e.task, e.role,
                                e.path.name, e.rel, sha, reason="same_bytes_in_flight"))
            return False
        self.registry.journal_put(rec, e.rel)
        try:
            self.store.store_raw(e.path, sha)
        except FileExistsError:  # lost the race for the raw name by a hair: nothing moved; the
            return False  # journal entry (same record) is the winner's to finish
        if not self._kept(raw, rec, e.rel, events):  # changed after it was taken: back to the inbox
            self.registry.journal_done(sha)
            return True
        if sidecar is not None:
            move_file(sidecar, self.store.sidecar_path(sha), overwrite=True)
        self.commit(rec, events)
        self.registry.journal_done(sha)
        return True

    def _known_video(self, e: InboxEntry, sha: str, known: VideoRecord, sidecar: Path | None,
                     events: list[Event]) -> bool:
        """Same bytes as a stored video: a copy of a quarantined one is quarantined with its
        reason; else archived, and when the stored one has no embeddings yet (its run failed
        or is still going) a ``retry`` event asks the sensor to run it again."""
        if known.quarantined:
            q = known.quarantined
            self._quarantine(e.path, e, q["reason"], f"same bytes as {known.file_name} ({known.key}), "
                             f"quarantined because it cannot be embedded: {q['message']}", events, sha256=sha)
            if sidecar is not None:
                self._quarantine(sidecar, e, "video_quarantined",
                                 f"its video {e.path.name} was quarantined ({q['reason']})", events)
            return True
        dst = self.store.archive_duplicate(e.path, e.task, e.role)
        with self.registry.locked():  # afresh: another run may have noted a copy meanwhile
            known = self.registry.video(sha) or known
            known.duplicates.append({"inbox_path": e.rel, "archived_path": self._rel(dst), "at": utc_now()})
            self.registry.put_video(known)
        retry = bool(self.embedder_key) and not self.store.embeddings_path(sha, self.embedder_key).exists()
        events.append(Event("duplicate", f"{e.rel}: same bytes as {known.key} (dropped as "
                            f"{known.inbox_path}); archived at {self._rel(dst)}, " + (
                                "and as that video is not embedded yet its run is requested again "
                                "(unless one is still going)" if retry else "nothing to do"),
                            e.task, e.role, e.path.name, e.rel, sha, known.key, "duplicate",
                            self._rel(dst)))
        if retry:
            events.append(Event("retry", f"{known.file_name}: dropped again while not embedded; its run is "
                                "requested again", known.task, known.role, known.file_name, e.rel, sha,
                                known.key, "dropped_again"))
        if sidecar is not None:
            sdst = self.store.archive_duplicate(sidecar, e.task, e.role)
            events.append(Event("duplicate", f"{sidecar.name}: archived with its duplicate video at "
                                f"{self._rel(sdst)}; to change a gold's steps drop the steps "
                                "file alone", e.task, e.role, sidecar.name, reason="duplicate",
                                stored_path=self._rel(sdst)))
        return True

    # --- helpers ----------------------------------------------------------------------------
    def _quarantine(self, path: Path, e: InboxEntry, reason: str, message: str,
                    events: list[Event], sha256: str = "") -> None:
        todo = remedy(reason, e.task)
        dst = self.store.quarantine(path, reason, message, todo, task=e.task, role=e.role, sha256=sha256)
        events.append(Event("quarantined", f"{e.rel if path == e.path else path.name}: {message} -> "
                            f"quarantined as {self._rel(dst)} ({todo})", e.task, e.role, path.name,
                            e.rel, sha256, reason=reason, stored_path=self._rel(dst), level="warning"))

    def _rel(self, p: Path) -> str:
        try:
            return p.relative_to(self.store.root).as_posix()
        except ValueError:
            return str(p)


def _as_noticed(e: InboxEntry) -> bool:
    """``e`` is still in the inbox as it was noticed (same size and mtime; a link still there)."""
    try:
        st = os.lstat(e.path)
    except OSError:
        return False
    return e.kind in ("reject", "ignore") or [st.st_size, st.st_mtime_ns] == e.signature


def _without_path(exc: VideoError) -> str:
    """The error's message without the (absolute) path prefix: the event names the file."""
    text = str(exc)
    prefix = f"{getattr(exc, 'path', '')}: "
    return text[len(prefix):] if prefix != ": " and text.startswith(prefix) else text


__all__ = ["Event", "Intake", "IntakeConfig", "MAX_FAILURES", "TickOutcome"]
