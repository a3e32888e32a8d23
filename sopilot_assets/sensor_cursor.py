"""The inbox sensor's cursor: one typed object, saved by Dagster with each tick as JSON.

Every change the sensor makes to it is a method here, a plain function of the cursor, its
arguments and ``now`` (no Dagster, no clock, no files), so each transition is tested alone
(tests/test_sensor_cursor.py). The JSON keeps the shape earlier releases wrote, so a cursor saved
before an upgrade is read back as it was; one that cannot be read gives a fresh cursor and says so.

    stability      per inbox file: size, mtime, unchanged since ... (storage/stability.py)
    failures       per inbox file: errors so far (a file at the limit is left alone until it changes)
    offered        per inbox file handed to an intake run: size, mtime, when (offered again only
                   after ``reoffer_sec`` if it is still there unchanged: it waits for something)
    announced_seq  registry log entries already turned into partitions and runs
    batches        runs requested, followed until they end (a failed batch is split up)
    inflight       pairs whose run was requested, and when
    blocked        pairs waiting on a flagged gold or a failed run: why (logged once)
    checked        when a pair's overdue inputs were last looked into
    retry          failed one-partition runs to rerun: tries so far, when, given up
    runs_seen / runs_noted   failed runs already looked at
    dagster_retry  failed runs Dagster said it retries itself: (kind, key, when noted)
    disk / swept_at / space_back   free space and the temporary-file sweep (sensor_health.py)
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class Batch:
    kind: str  # "video" | "pair"
    keys: list[str]
    since: float
    running: bool = False


@dataclass
class Retry:
    n: int = 0  # automatic retries started so far
    at: float | None = None  # when the next one is due; None: none scheduled
    gave_up: bool = False


@dataclass
class Disk:
    low: bool = False
    reported: float = 0.0


@dataclass
class InboxCursor:
    stability: dict = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    offered: dict[str, list] = field(default_factory=dict)
    announced_seq: int = 0
    batches: dict[str, Batch] = field(default_factory=dict)
    inflight: dict[str, float] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)
    checked: dict[str, float] = field(default_factory=dict)
    retry: dict[str, Retry] = field(default_factory=dict)
    runs_seen: float = 0.0
    runs_noted: list[str] = field(default_factory=list)
    dagster_retry: dict[str, list] = field(default_factory=dict)
    disk: Disk = field(default_factory=Disk)
    swept_at: float = 0.0
    space_back: bool = False

    # --- free space (sensor_health.py) -------------------------------------------------------
    def disk_seen(self, low: bool, now: float, repeat_sec: float) -> tuple[bool, bool]:
        """This tick found a disk under the floor (``low``) or not: (record the free-space check
        now: it changed, or stayed low ``repeat_sec`` since last recorded; space just came back,
        which also sets ``space_back`` for the retries)."""
        was = self.disk.low
        report = low != was or (low and now - self.disk.reported > repeat_sec)
        if report:
            self.disk.reported = now
        self.disk.low = low
        back = was and not low
        if back:
            self.space_back = True
        return report, back

    def take_space_back(self) -> bool:
        """True once after space came back (the retries are then made due at once)."""
        back, self.space_back = self.space_back, False
        return back

    def swept(self, now: float) -> None:
        """Temporary files were looked for now."""
        self.swept_at = now

    # --- the inbox (sensors.py) -------------------------------------------------------------
    def noticed(self, stability: dict, failures: dict[str, int]) -> None:
        """What this tick's look at the inbox found: the files' stability observations and
        each file's failures so far (``Intake.notice``)."""
        self.stability, self.failures = stability, failures

    # --- saving -----------------------------------------------------------------------------
    @classmethod
    def parse(cls, raw: str | None) -> tuple["InboxCursor", bool]:
        """(the cursor, whether ``raw`` was unreadable and so replaced by a fresh one)."""
        if not raw:
            return cls(), False
        try:
            doc = json.loads(raw)
            return cls(
                stability=dict(doc.get("stability", {})), failures=dict(doc.get("failures", {})),
                offered=dict(doc.get("offered", {})),
                announced_seq=int(doc.get("announced_seq", 0)),
                batches={k: Batch(b["kind"], list(b["keys"]), float(b.get("since", 0.0)), bool(b.get("running")))
                         for k, b in doc.get("batches", {}).items()},
                inflight=dict(doc.get("inflight", {})), blocked=dict(doc.get("blocked", {})),
                checked=dict(doc.get("checked", {})),
                retry={k: Retry(int(r.get("n", 0)), r.get("at"), bool(r.get("gave_up")))
                       for k, r in doc.get("retry", {}).items()},
                runs_seen=float(doc.get("runs_seen", 0.0)), runs_noted=list(doc.get("runs_noted", [])),
                dagster_retry=dict(doc.get("dagster_retry", {})), disk=Disk(**doc.get("disk", {})),
                swept_at=float(doc.get("swept_at", 0.0)), space_back=bool(doc.get("space_back", False)),
            ), False
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls(), True

    def dumps(self) -> str:
        doc = asdict(self)
        doc["v"] = 1
        if not doc["offered"]:  # the shape earlier releases wrote, while nothing is handed over
            del doc["offered"]
        doc["retry"] = {k: {"n": r.n, **({"at": r.at} if r.at is not None else {}),
                            **({"gave_up": True} if r.gave_up else {})} for k, r in self.retry.items()}
        return json.dumps(doc, separators=(",", ":"))

    # --- inbox files handed to intake runs (intake_job.py) ----------------------------------
    def to_offer(self, entries, now: float, reoffer_sec: float, failures: dict | None = None) -> list:
        """Of the stable ``entries``, those to hand to an intake run now: never offered, changed
        since, failed once more since (``failures``: {rel: errors so far}; tried again at once),
        or offered ``reoffer_sec`` ago and still there (a steps file waiting for its gold, a
        review for its score)."""
        out, failures = [], failures or {}
        for e in entries:
            prev = self.offered.get(e.rel)
            if (prev is None or list(prev[:2]) != e.signature or now - prev[2] >= reoffer_sec
                    or (prev[3] if len(prev) > 3 else 0) != failures.get(e.rel, 0)):
                out.append(e)
        return out

    def offer(self, entries, now: float, failures: dict | None = None) -> None:
        """Notes ``entries`` as offered now; forgets files no longer watched."""
        self.offered = {rel: v for rel, v in self.offered.items() if rel in self.stability}
        for e in entries:
            self.offered[e.rel] = e.signature + [now, (failures or {}).get(e.rel, 0)]

    # --- runs followed until they end (batching.py) ------------------------------------------
    def track(self, kind: str, run_key: str, keys, now: float) -> None:
        self.batches[run_key] = Batch(kind, list(keys), now)

    def in_flight(self, kind: str) -> set[str]:
        """Keys of ``kind`` runs that exist and have not ended (as last seen)."""
        return {k for b in self.batches.values() if b.kind == kind and b.running for k in b.keys}

    def tracked(self) -> set[str]:
        """``kind:key`` of every partition some followed run covers."""
        return {f"{b.kind}:{k}" for b in self.batches.values() for k in b.keys}

    def settle_batch(self, run_key: str, runs: list[tuple[bool, bool]], now: float, never_created_sec: float) -> bool:
        """A followed run's state from its runs, retries included (``(ended for good,
        succeeded)`` each): True when it is a run of several keys that ended and never succeeded
        (to be split). Forgotten once its runs ended, or when none was created within
        ``never_created_sec`` of asking."""
        b = self.batches[run_key]
        b.running = bool(runs) and not all(ended for ended, _ in runs)
        if not runs:
            if now - b.since > never_created_sec:
                del self.batches[run_key]
            return False
        if b.running:
            return False
        del self.batches[run_key]
        return len(b.keys) > 1 and not any(ok for _, ok in runs)

    # --- failed runs Dagster retries itself (sensor_retry.py) ---------------------------------
    def note_failed_run(self, run_id: str, updated_at: float, keep: int = 50) -> bool:
        """A failed run found by the look-back (last updated at ``updated_at``): True the first
        time. The look-back moves past it; the last ``keep`` ids are remembered, against a
        timestamp's rounding returning a run twice."""
        self.runs_seen = max(self.runs_seen, float(updated_at))
        if run_id in self.runs_noted:
            return False
        self.runs_noted.append(run_id)
        del self.runs_noted[:-keep]
        return True

    def await_dagster_retry(self, run_id: str, kind: str, key: str, now: float) -> None:
        self.dagster_retry[run_id] = [kind, key, now]

    def overdue_dagster_retries(self, now: float, grace_sec: float) -> list[tuple[str, str, str]]:
        """``(run id, kind, key)`` of the failed runs Dagster said it would retry ``grace_sec`` or
        more ago, forgotten here (the caller looks for the retry and takes over if there is none)."""
        out = []
        for run_id, (kind, key, at) in list(self.dagster_retry.items()):
            if now - at >= grace_sec:
                del self.dagster_retry[run_id]
                out.append((run_id, kind, key))
        return out

    # --- the announcement log ----------------------------------------------------------------
    def announced(self, seq: int) -> None:
        """Log entry ``seq`` is announced; never goes back."""
        self.announced_seq = max(self.announced_seq, int(seq))

    # --- pairs (sensor_pairs.py) -------------------------------------------------------------
    def pair_requested(self, pk: str, now: float) -> None:
        self.inflight[pk] = now
        self.blocked.pop(pk, None)

    def pair_done(self, pk: str) -> None:
        self.inflight.pop(pk, None)
        self.blocked.pop(pk, None)

    def pair_retried(self, pk: str, now: float) -> None:
        """A retry of pair ``pk`` was asked for: its overdue clock starts over."""
        self.inflight[pk] = now

    def inputs_overdue(self, pk: str, now: float, after_sec: float) -> bool:
        """Whether pair ``pk``, waiting for its videos, has waited more than ``after_sec`` since it
        was first seen waiting (or last found overdue); when it has, the clock starts over."""
        seen = self.checked.setdefault(pk, now)
        if now - seen > after_sec:
            self.checked[pk] = now
            return True
        return False

    def block(self, pk: str, why: str) -> bool:
        """Marks ``pk`` blocked for ``why``; True when that is news (to be logged once)."""
        if self.blocked.get(pk) == why:
            return False
        self.blocked[pk] = why
        return True

    def keep_pairs(self, keep: set[str]) -> None:
        """Forgets every pair not in ``keep`` (scored, or no longer pending)."""
        self.inflight = {k: t for k, t in self.inflight.items() if k in keep}
        self.blocked = {k: w for k, w in self.blocked.items() if k in keep}
        self.checked = {k: t for k, t in self.checked.items() if k in keep and k not in self.inflight}

    # --- retries (sensor_retry.py) -----------------------------------------------------------
    def schedule_retry(self, name: str, now: float, max_retries: int, backoff_sec: float) -> tuple[float | None, bool]:
        """Schedules the next retry of ``name`` (``kind:key``) after a back-off doubling with each
        try: (its wait, False); once ``max_retries`` are used up (None, whether that is news)."""
        r = self.retry.setdefault(name, Retry())
        if r.n >= max_retries:
            news, r.gave_up = not r.gave_up, True
            return None, news
        wait = backoff_sec * 2 ** r.n
        r.at = now + wait
        return wait, False

    def retry_now(self, video_key: str | None = None) -> None:
        """Every scheduled retry due at once (space is back), or (``video_key``: a person dropped
        that video again) that video's, its count started over."""
        if video_key is not None:
            self.retry[f"video:{video_key}"] = Retry(0, 0.0)
            return
        for r in self.retry.values():
            if not r.gave_up and r.at is not None:
                r.at = 0.0

    def forget_retry(self, name: str) -> None:
        """``name``'s video or pair is gone from the registry: nothing to retry."""
        self.retry.pop(name, None)

    def take_due(self, name: str, now: float) -> bool:
        """Whether ``name``'s retry is due; a due one is unscheduled (started, or found running)."""
        r = self.retry.get(name)
        if r is None or r.at is None or r.at > now:
            return False
        r.at = None
        return True

    def retry_started(self, name: str) -> int:
        """Counts a retry of ``name`` as started; its number."""
        r = self.retry.setdefault(name, Retry())
        r.n += 1
        return r.n
