"""When an inbox file is finished: taken only once nothing suggests it is still being written.

A file is taken when all of these hold (docs/operations.md, "When the inbox takes a file"):

1. its size and mtime held for ``stable_seconds`` (across ticks);
2. no process holds it open for writing, where the OS can tell (``writers.py``);
3. a video's container is not incomplete, where the format can tell (``completeness.py``): an
   incomplete one waits; unchanged for ``truncated_after_sec`` it is rejected as ``truncated``;
4. a file seen growing and whose completeness the format cannot tell (not a video container the
   inbox reads, a live recording) held for ``stalled_seconds``, so a copy that pauses mid-way is
   not taken at the pause.

The tracker's state is a JSON-able dict ``{rel: [size, mtime_ns, since, grew, noted]}`` kept in
the sensor cursor, so it survives restarts (entries of older cursors, ``[size, mtime_ns, since]``,
are read as not seen growing).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .completeness import COMPLETE, UNKNOWN, Completeness, container_state
from .inbox import InboxEntry
from .writers import open_for_writing


@dataclass(frozen=True)
class StabilityRules:
    stable_seconds: float = 5.0
    stalled_seconds: float = 60.0
    truncated_after_sec: float = 600.0


@dataclass(frozen=True)
class Wait:
    """A settled file not taken yet: ``why`` is ``open_for_writing``, ``incomplete`` or
    ``stalled_copy``; ``detail`` says it for people."""

    entry: InboxEntry
    why: str
    detail: str


def _flag(prev: list | None, i: int) -> int:
    return int(prev[i]) if prev and len(prev) > i else 0


class StabilityTracker:
    """Per inbox file: size, mtime, since when unchanged, whether it was seen growing, whether
    its wait was reported; ``observe`` returns the files unchanged for ``stable_seconds``."""

    def __init__(self, state: dict | None, stable_seconds: float):
        self.state = dict(state or {})
        self.stable_seconds = float(stable_seconds)
        #: files new or changed in the last ``observe``
        self.changed: set[str] = set()

    def observe(self, entries: list[InboxEntry], now: float) -> list[InboxEntry]:
        """Updates the state with this scan (and ``changed``); returns the entries whose size and
        mtime held for ``stable_seconds`` (settled; ``settle`` decides which of them to take)."""
        seen, settled, self.changed = {}, [], set()
        for e in entries:
            prev = self.state.get(e.rel)
            if prev and list(prev[:2]) == e.signature:
                since, grew = prev[2], _flag(prev, 3)
            else:  # new, or changed while watched: seen growing if its size moved
                since, grew = now, int(bool(prev) and (prev[0] != e.size or _flag(prev, 3)))
                self.changed.add(e.rel)
            seen[e.rel] = e.signature + [since, grew, _flag(prev, 4)]
            if now - since >= self.stable_seconds:
                settled.append(e)
        self.state = seen  # files gone from the inbox are forgotten
        return settled

    def quiet(self, rel: str, now: float) -> float:
        """Seconds the file has not changed."""
        return now - self.state[rel][2] if rel in self.state else 0.0

    def grew(self, rel: str) -> bool:
        return bool(_flag(self.state.get(rel), 3))

    def note(self, rel: str) -> bool:
        """True the first time it is asked for ``rel`` (to report a wait once)."""
        prev = self.state.get(rel)
        if prev is None or _flag(prev, 4):
            return False
        self.state[rel] = list(prev[:3]) + [_flag(prev, 3), 1]
        return True

    def forget(self, rel: str) -> None:
        self.state.pop(rel, None)

    def restart(self, rel: str, now: float) -> None:
        """Watches ``rel`` as a new file that was seen growing (a file put back into the inbox
        because it changed while it was taken)."""
        self.state[rel] = [-1, -1, now, 1, 0]


def _container(e: InboxEntry) -> Completeness:
    try:
        return container_state(e.path)
    except OSError as exc:  # vanished, or not a regular file any more: the tick's checks say so
        return Completeness(UNKNOWN, str(exc))


def settle(settled: list[InboxEntry], tracker: StabilityTracker, now: float,
           rules: StabilityRules) -> tuple[list[InboxEntry], list[Wait]]:
    """Of the ``settled`` entries: those to take now (a video left incomplete too long comes
    back as a ``reject`` entry with reason ``truncated``) and those that still wait, with why.
    Ignored entries pass through. One ``/proc`` walk for all of them."""
    files = [e for e in settled if e.kind != "ignore"]
    held = (open_for_writing([e.path for e in files]) or {}) if files else {}
    take, wait = [e for e in settled if e.kind == "ignore"], []
    for e in files:
        if e.path in held:
            wait.append(Wait(e, "open_for_writing", f"{held[e.path]} still has it open for writing"))
            continue
        quiet = tracker.quiet(e.rel, now)
        if e.kind == "video":
            c = _container(e)
            if c.incomplete and quiet >= rules.truncated_after_sec:
                take.append(replace(e, kind="reject", reason="truncated", message=(
                    f"the copy is incomplete ({c.detail}) and did not change for {quiet / 60:.0f} min")))
                continue
            if c.incomplete:
                wait.append(Wait(e, "incomplete", f"the copy is not complete yet ({c.detail})"))
                continue
            if c.state == COMPLETE:
                take.append(e)
                continue
        if tracker.grew(e.rel) and quiet < rules.stalled_seconds:
            wait.append(Wait(e, "stalled_copy", f"it was seen growing and has not changed for "
                             f"{quiet:.0f} s; taken after {rules.stalled_seconds:.0f} s unchanged"))
            continue
        take.append(e)
    return take, wait
