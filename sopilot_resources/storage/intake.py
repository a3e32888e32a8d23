"""One inbox sensor tick as plain Python: scan, wait for stable files, dedupe, move, register,
pair. The Dagster sensor (sopilot_assets/sensors.py) turns the outcome into partitions, runs,
log lines and ingest_events rows.

Crash safety: a video's registration is journaled before its file moves; the next tick
finishes (or forgets) any journaled move, and every registry update is idempotent.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import ProfileError, SopilotError, StepsFileError, VideoError
from .fsutil import sha256_file
from .inbox import InboxEntry, StabilityTracker, scan, sidecar_for
from .keys import pair_key, stem_of, video_key
from .registry import PairRecord, Registry, TaskRecord, VideoRecord
from .video_store import VideoStore, utc_now

MAX_FAILURES = 3
ORDER = {"profile": 0, "reject": 1, "video": 2, "sidecar": 3}


@dataclass(frozen=True)
class IntakeConfig:
    stable_seconds: float = 5.0
    max_files_per_tick: int = 25
    tick_budget_sec: float = 30.0
    max_bytes: int | None = None
    max_duration_sec: float | None = None
    #: a steps file with no gold video of that name is quarantined after this long
    orphan_sidecar_sec: float = 600.0


@dataclass
class Event:
    action: str  # ingested | duplicate | quarantined | ignored | waiting | paired | profile | sidecar | recovered
    message: str
    task: str = ""
    role: str = ""
    file_name: str = ""
    inbox_path: str = ""
    sha256: str = ""
    video_key: str = ""
    reason: str = ""
    stored_path: str = ""
    level: str = "info"
    event_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def row(self) -> dict:
        d = asdict(self)
        d.pop("level")
        return d


@dataclass
class TickOutcome:
    events: list[Event]
    tracker_state: dict
    processed: int
    left_for_next_tick: int
    #: golds whose steps file changed: their gold_steps must be rebuilt
    regold: list[str] = field(default_factory=list)
    failures: dict = field(default_factory=dict)


def _default_check(path, max_bytes=None, max_duration_sec=None):
    from ..video import check_video_file

    return check_video_file(path, max_bytes=max_bytes, max_duration_sec=max_duration_sec)


class Intake:
    def __init__(self, store: VideoStore, config: IntakeConfig = IntakeConfig(),
                 check_video: Callable | None = None, embedder_key: str | None = None):
        """embedder_key: the current embedder's key; lets a new gold take over trainees whose
        pair is blocked because their gold failed the quality gate."""
        self.embedder_key = embedder_key
        self.store = store.ensure()
        self.registry = Registry(store.registry_dir)
        self.config = config
        self.check_video = check_video or _default_check

    # --- the tick ---------------------------------------------------------------------------
    def tick(self, tracker_state: dict | None, now: float | None = None,
             failures: dict | None = None) -> TickOutcome:
        """One pass over the inbox. ``tracker_state`` and ``failures`` come from the previous
        tick's outcome (kept in the sensor cursor)."""
        now = time.time() if now is None else now
        t0 = time.monotonic()
        events = self.recover()
        tracker = StabilityTracker(tracker_state, self.config.stable_seconds)
        self._now, self._tracker, self._regold = now, tracker, []
        failures = {k: n for k, n in (failures or {}).items() if k in tracker.state}
        previous = set(tracker.state)
        entries = scan(self.store.inbox)
        stable = tracker.observe(entries, now)
        stable_rels = {e.rel for e in stable}
        for e in entries:
            if e.kind == "ignore" and e.rel not in previous:
                events.append(Event("ignored", f"{e.rel}: {e.message}", e.task, e.role,
                                    e.path.name, e.rel, reason=e.reason))
        todo = sorted((e for e in stable if e.kind != "ignore"), key=lambda e: (ORDER[e.kind], e.rel))
        done = 0
        for e in todo:
            if done >= self.config.max_files_per_tick or (
                    done and time.monotonic() - t0 > self.config.tick_budget_sec):
                break
            if not (e.path.exists() or e.path.is_symlink()):
                continue  # moved with its video earlier in this tick
            try:
                handled = self.handle(e, stable_rels, events)
            except Exception as exc:  # never crash the tick: retry, then quarantine
                n = failures.get(e.rel, 0) + 1
                failures[e.rel] = n
                msg = f"{type(exc).__name__}: {exc}".splitlines()[0]
                if n < MAX_FAILURES or not (e.path.exists() or e.path.is_symlink()):
                    events.append(Event("error", f"{e.rel}: {msg}; will retry next tick ({n}/"
                                        f"{MAX_FAILURES})", e.task, e.role, e.path.name, e.rel,
                                        reason="ingest_error", level="warning"))
                    continue
                try:
                    self._quarantine(e.path, e, "ingest_error", f"failed {n} times: {msg}", events)
                except Exception as exc2:  # pragma: no cover - disk gone
                    events.append(Event("error", f"{e.rel}: cannot quarantine: {exc2}", level="error"))
                    continue
                failures.pop(e.rel, None)
                handled = True
            if handled:
                done += 1
                tracker.forget(e.rel)
        left = sum(1 for e in todo if e.path.exists() and e.kind != "sidecar")
        return TickOutcome(events, tracker.state, done, left, self._regold, failures)

    def handle(self, e: InboxEntry, stable_rels: set[str], events: list[Event]) -> bool:
        if e.kind == "reject":
            self._quarantine(e.path, e, e.reason, e.message, events)
            return True
        if e.kind == "profile":
            return self._profile(e, events)
        if e.kind == "sidecar":
            return self._orphan_sidecar(e, events)
        return self._video(e, stable_rels, events)

    # --- videos -----------------------------------------------------------------------------
    def _video(self, e: InboxEntry, stable_rels: set[str], events: list[Event]) -> bool:
        sidecar = sidecar_for(e.path) if e.role == "gold" else None
        if sidecar is not None and sidecar.relative_to(self.store.inbox).as_posix() not in stable_rels:
            return False  # its steps file is still being written: take both together
        sha = sha256_file(e.path)
        known = self.registry.video(sha)
        if known is not None:
            dst = self.store.archive_duplicate(e.path, e.task, e.role)
            known.duplicates.append({"inbox_path": e.rel, "archived_path": self._rel(dst), "at": utc_now()})
            self.registry.put_video(known)
            events.append(Event("duplicate", f"{e.rel}: same bytes as {known.key} (dropped as "
                                f"{known.inbox_path}); archived at {self._rel(dst)}, nothing to do",
                                e.task, e.role, e.path.name, e.rel, sha, known.key, "duplicate",
                                self._rel(dst)))
            if sidecar is not None:
                sdst = self.store.archive_duplicate(sidecar, e.task, e.role)
                events.append(Event("duplicate", f"{sidecar.name}: archived with its duplicate video at "
                                    f"{self._rel(sdst)}; to change a gold's steps drop the steps "
                                    "file alone", e.task, e.role, sidecar.name, reason="duplicate",
                                    stored_path=self._rel(sdst)))
            return True
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
        key = video_key(e.task, e.role, e.path.name, sha)
        raw = self.store.raw_path(sha, e.path.suffix)
        rec = VideoRecord(key=key, sha256=sha, task=e.task, role=e.role, file_name=e.path.name,
                          inbox_path=e.rel, raw_path=self._rel(raw), size_bytes=e.size,
                          registered_at=utc_now(),
                          sidecar_path=self._rel(self.store.sidecar_path(sha)) if sidecar else None)
        self.registry.journal_put(rec, e.rel)
        self.store.store_raw(e.path, sha)
        if sidecar is not None:
            from .fsutil import move_file

            move_file(sidecar, self.store.sidecar_path(sha), overwrite=True)
        self.commit(rec, events)
        self.registry.journal_done(sha)
        return True

    def _valid_sidecar(self, sidecar: Path, e: InboxEntry, events: list[Event]) -> Path | None:
        from ..scoring.steps import load_steps

        try:
            load_steps(sidecar)
            return sidecar
        except StepsFileError as exc:
            self._quarantine(sidecar, e, exc.reason, f"{exc}; steps of {e.path.name} will be "
                             "detected automatically - fix the file and drop it again", events)
            return None

    def commit(self, rec: VideoRecord, events: list[Event]) -> None:
        """Registers a stored video and pairs it (idempotent: safe to repeat after a crash)."""
        task = self.registry.task(rec.task)
        existing = self.registry.video(rec.sha256)
        if existing is not None:
            rec = existing
        if rec.role == "gold":
            known = next((g for g in task.golds if g["key"] == rec.key), None)
            if known is None:
                rec.gold_version = len(task.golds) + 1
                task.golds.append({"version": rec.gold_version, "key": rec.key, "sha256": rec.sha256,
                                   "file_name": rec.file_name, "registered_at": rec.registered_at})
            else:
                rec.gold_version = known["version"]
        self.registry.put_video(rec)
        rec.seq = self.registry.log("video", rec.key)
        self.registry.put_video(rec)
        events.append(Event("ingested", f"{rec.inbox_path}: stored as {rec.raw_path}, partition "
                            f"{rec.key}" + (f" (gold v{rec.gold_version} of task {rec.task}"
                            + (", with steps file)" if rec.sidecar_path else ", steps will be detected)")
                            if rec.role == "gold" else ""),
                            rec.task, rec.role, rec.file_name, rec.inbox_path, rec.sha256, rec.key,
                            stored_path=rec.raw_path))
        if rec.role == "gold":
            trainees, task.waiting_trainees = list(task.waiting_trainees), []
            self.registry.put_task(task)
            for tkey in trainees:
                trainee = self.registry.video_by_key(tkey)
                if trainee is not None:
                    self._pair(task, rec, trainee, events)
            self._take_over_blocked(task, rec, events)
        else:
            gold = task.current_gold
            if gold is None:
                if rec.key not in task.waiting_trainees:
                    task.waiting_trainees.append(rec.key)
                self.registry.put_task(task)
                events.append(Event("waiting", f"{rec.file_name}: task {rec.task} has no gold yet; "
                                    f"it will be scored once a gold is dropped into "
                                    f"inbox/{rec.task}/gold/", rec.task, rec.role, rec.file_name,
                                    rec.inbox_path, rec.sha256, rec.key, "no_gold"))
            else:
                self.registry.put_task(task)
                gold_rec = self.registry.video(gold["sha256"])
                self._pair(task, gold_rec, rec, events)

    def _take_over_blocked(self, task: TaskRecord, gold: VideoRecord, events: list[Event]) -> None:
        """Unscored pairs of this task whose gold failed the quality gate move to ``gold``."""
        if not self.embedder_key:
            return
        from .fsutil import read_json

        blocked = []
        for pk in self.registry.pending_pairs():
            pair = self.registry.pair(pk)
            if pair is None or pair.task != task.task or pair.gold_key == gold.key:
                continue
            gate = read_json(self.store.gate_path(pair.gold_sha256, self.embedder_key))
            if gate is not None and not gate.get("ok", True):
                blocked.append(pair)
        if not blocked:
            return
        keep = [k for k in self.registry.pending_pairs() if k not in {p.key for p in blocked}]
        self.registry.set_pending_pairs(keep)
        for pair in blocked:
            trainee = self.registry.video(pair.trainee_sha256)
            if trainee is not None:
                self._pair(task, gold, trainee, events)

    def _pair(self, task: TaskRecord, gold: VideoRecord, trainee: VideoRecord, events: list[Event]) -> None:
        key = pair_key(task.task, trainee.file_name, trainee.sha256, gold.file_name, gold.sha256)
        if self.registry.pair(key) is None:
            self.registry.put_pair(PairRecord(
                key=key, task=task.task, gold_key=gold.key, trainee_key=trainee.key,
                gold_sha256=gold.sha256, trainee_sha256=trainee.sha256,
                gold_version=int(gold.gold_version or 0), created_at=utc_now(),
                profile_sha256=(task.profile or {}).get("sha256")))
        pending = self.registry.pending_pairs()
        if key not in pending:
            self.registry.set_pending_pairs(pending + [key])
        self.registry.log("pair", key)
        events.append(Event("paired", f"{trainee.file_name} will be scored against gold "
                            f"{gold.file_name} (v{gold.gold_version}) as pair {key}", task.task,
                            trainee.role, trainee.file_name, trainee.inbox_path, trainee.sha256,
                            trainee.key))

    # --- profiles and sidecars --------------------------------------------------------------
    def _profile(self, e: InboxEntry, events: list[Event]) -> bool:
        from ..scoring.profile import load_profile

        try:
            prof = load_profile(e.path)
        except ProfileError as exc:
            self._quarantine(e.path, e, exc.reason, str(exc), events)
            return True
        sha = sha256_file(e.path)
        task = self.registry.task(e.task)
        if task.profile and task.profile["sha256"] == sha:
            dst = self.store.archive_duplicate(e.path, e.task, "profile")
            events.append(Event("duplicate", f"{e.rel}: same profile as the current one; archived",
                                e.task, "", e.path.name, e.rel, sha, reason="duplicate",
                                stored_path=self._rel(dst)))
            return True
        dst = self.store.profile_path(e.task, sha)
        if dst.exists():
            self.store.archive_duplicate(e.path, e.task, "profile")
        else:
            from .fsutil import move_file

            move_file(e.path, dst)
        task.profile = {"sha256": sha, "path": self._rel(dst), "file_name": e.path.name,
                        "registered_at": utc_now(), "version": len(task.profiles) + 1,
                        "fingerprint": prof.fingerprint()}
        task.profiles.append(task.profile)
        self.registry.put_task(task)
        events.append(Event("profile", f"{e.rel}: profile v{task.profile['version']} of task "
                            f"{e.task} (fingerprint {prof.fingerprint()}); applies to trainees "
                            "paired from now on", e.task, "", e.path.name, e.rel, sha,
                            stored_path=self._rel(dst)))
        return True

    def _orphan_sidecar(self, e: InboxEntry, events: list[Event]) -> bool:
        """A steps file without its video in this tick: waits for a video still arriving,
        attaches to an ingested gold of the same name, or is quarantined after a grace time."""
        stem = e.path.name[: -len(".steps.json")]
        names = {stem, stem_of(stem)}
        for cand in e.path.parent.iterdir():
            if cand != e.path and not cand.name.endswith(".json") and (
                    stem_of(cand.name) in names or cand.name in names):
                return False  # its video is still in the inbox (not stable yet)
        task = self.registry.task(e.task)
        for g in reversed(task.golds):
            if g["file_name"] in names or stem_of(g["file_name"]) in names:
                return self._attach_sidecar(e, self.registry.video(g["sha256"]), events)
        since = self._tracker.state.get(e.rel, [0, 0, self._now])[2]
        if self._now - since < self.config.orphan_sidecar_sec:
            return False
        self._quarantine(e.path, e, "orphan_sidecar", f"no gold video named {stem}.* in task "
                         f"{e.task}", events)
        return True

    def _attach_sidecar(self, e: InboxEntry, gold: VideoRecord, events: list[Event]) -> bool:
        from .fsutil import move_file

        if self._valid_sidecar(e.path, e, events) is None:
            return True
        sha = sha256_file(e.path)
        dst = self.store.sidecar_path(gold.sha256)
        if dst.exists() and sha256_file(dst) == sha:
            out = self.store.archive_duplicate(e.path, e.task, e.role)
            events.append(Event("duplicate", f"{e.rel}: same steps as gold {gold.key} already has; "
                                f"archived at {self._rel(out)}", e.task, e.role, e.path.name, e.rel,
                                sha, gold.key, "duplicate", self._rel(out)))
            return True
        if dst.exists():  # keep the previous version next to it
            move_file(dst, dst.with_name(f"{gold.sha256}.steps.{sha256_file(dst)[:8]}.json"), overwrite=True)
        move_file(e.path, dst)
        gold.sidecar_path = self._rel(dst)
        self.registry.put_video(gold)
        self._regold.append(gold.key)
        events.append(Event("sidecar", f"{e.rel}: new steps for gold {gold.key}; its steps are "
                            "rebuilt, trainees scored from now on use them (existing scores stay)",
                            e.task, e.role, e.path.name, e.rel, sha, gold.key,
                            stored_path=self._rel(dst)))
        return True

    # --- helpers ----------------------------------------------------------------------------
    def _quarantine(self, path: Path, e: InboxEntry, reason: str, message: str,
                    events: list[Event], sha256: str = "") -> None:
        todo = {
            "empty_file": "re-copy the file; it arrived empty",
            "unreadable": "re-export or re-copy the video, then drop it again",
            "truncated": "the copy is incomplete; copy it again",
            "unsupported_format": "convert to mp4/mov/mkv/webm/avi and drop it again",
            "unknown_role": f"move it to inbox/{e.task or '<task>'}/gold/ or /trainee/",
            "bad_location": "move it to inbox/<task>/gold/ or inbox/<task>/trainee/",
        }.get(reason, "fix the file and drop it again")
        dst = self.store.quarantine(path, reason, message, todo, task=e.task, role=e.role, sha256=sha256)
        events.append(Event("quarantined", f"{e.rel if path == e.path else path.name}: {message} -> "
                            f"quarantined as {self._rel(dst)} ({todo})", e.task, e.role, path.name,
                            e.rel, sha256, reason=reason, stored_path=self._rel(dst), level="warning"))

    def _rel(self, p: Path) -> str:
        try:
            return p.relative_to(self.store.root).as_posix()
        except ValueError:
            return str(p)

    def recover(self) -> list[Event]:
        """Finishes moves a crash interrupted (journal entries)."""
        events: list[Event] = []
        for rec, source in self.registry.journal():
            raw = self.store.root / rec.raw_path
            if raw.exists():
                self.commit(rec, events)
                events.append(Event("recovered", f"{source}: finished registering {rec.key} after "
                                    "an interrupted tick", rec.task, rec.role, rec.file_name, source,
                                    rec.sha256, rec.key))
            self.registry.journal_done(rec.sha256)
        return events


def _without_path(exc: VideoError) -> str:
    """The error's message without the (absolute) path prefix: the event names the file."""
    text = str(exc)
    prefix = f"{getattr(exc, 'path', '')}: "
    return text[len(prefix):] if prefix != ": " and text.startswith(prefix) else text


__all__ = ["Event", "Intake", "IntakeConfig", "TickOutcome", "SopilotError"]
