"""The inbox sensor's cheap pass (part of ``Intake``): scan, stability, what is ignored or waits.
It reads no file's contents (only a video container's box headers, ``stability.settle``); the
stable entries it returns are taken by ``Intake.take`` in an intake run."""
from __future__ import annotations

import time

from .inbox import scan
from .intake_types import MAX_FAILURES, Event, IntakeConfig, Notice
from .stability import StabilityTracker, Wait, settle

#: the order entries are taken in: profiles first (they apply to pairs made after), then rejects, videos
ORDER = {"profile": 0, "reject": 1, "video": 2, "sidecar": 3, "review": 4}


class NoticeMixin:
    def notice(self, tracker_state: dict | None, now: float | None = None,
               failures: dict | None = None) -> Notice:
        """The cheap part, for the sensor: scan, stability, what is ignored or waits (reported
        once). Reads no file's contents (only a video container's box headers, ``settle``).
        ``take``: the stable entries to take, in order, at most ``max_files_per_tick``."""
        now = time.time() if now is None else now
        tracker = StabilityTracker(tracker_state, self.config.stable_seconds)
        previous = set(tracker.state)
        entries = scan(self.store.inbox)
        settled = tracker.observe(entries, now)
        # a file's error count lasts while it stays unchanged; new bytes get a fresh count
        failures = {k: n for k, n in (failures or {}).items() if k in previous and k not in tracker.changed}
        take, waits = settle(settled, tracker, now, self.config.rules)
        events: list[Event] = []
        for e in entries:
            if e.kind == "ignore" and e.rel not in previous:
                events.append(Event("ignored", f"{e.rel}: {e.message}", e.task, e.role,
                                    e.path.name, e.rel, reason=e.reason))
        for w in waits:
            if tracker.note(w.entry.rel):
                events.append(_waiting(w, self.config))
        todo = sorted((e for e in take if e.kind != "ignore" and failures.get(e.rel, 0) < MAX_FAILURES),
                      key=lambda e: (ORDER[e.kind], e.rel))
        cap = self.config.max_files_per_tick
        return Notice(events, tracker.state, todo[:cap], sum(1 for e in todo[cap:] if e.kind not in
                                                            ("sidecar", "review")), failures)


def _waiting(w: Wait, config: IntakeConfig) -> Event:
    """The one event for a settled file that still waits (see ``stability.settle``)."""
    e = w.entry
    then = {"open_for_writing": "taken once it is closed",
            "incomplete": f"taken once complete; quarantined as truncated if it stays like this for "
                          f"{config.truncated_after_sec / 60:.0f} min",
            "stalled_copy": "a copy may have paused"}.get(w.why, "")
    return Event("waiting", f"{e.rel}: not taken yet: {w.detail}; {then}", e.task, e.role,
                 e.path.name, e.rel, reason=w.why)
