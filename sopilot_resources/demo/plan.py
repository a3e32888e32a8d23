"""A performance as a timeline: which action runs when, for how long, and idle time between.

An :class:`Entry` is one thing the performer does (a gold step, a wrong or repeated step, an
extra action); :func:`realize` lays entries out in time with the idle pauses after each and
returns :class:`Segment`\\ s with absolute times - the ground truth of the video.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .actions import Action
from .procedures import TaskSpec

#: roles of a timeline segment
ROLES = ("step", "wrong", "repeat", "extra", "idle", "changeover")  # changeover: between cycles of a shift


@dataclass(frozen=True)
class Entry:
    action: Action
    gold_step: int | None  # index of the gold step this performs (None: extra action)
    duration: float  # seconds
    role: str = "step"
    idle_after: float = 0.0  # seconds of idle after it


@dataclass(frozen=True)
class Segment:
    start_sec: float
    end_sec: float
    role: str
    action: Action | None  # None for idle
    gold_step: int | None
    ratio: float | None = None  # duration / gold duration of that step

    @property
    def duration(self) -> float:
        return self.end_sec - self.start_sec

    def to_dict(self, step_names: list[str]) -> dict:
        d = {"role": self.role, "start_sec": round(self.start_sec, 3), "end_sec": round(self.end_sec, 3),
             "gold_step": self.gold_step, "name": None if self.action is None else self.action.name}
        if self.gold_step is not None:
            d["gold_step_name"] = step_names[self.gold_step]
        if self.ratio is not None:
            d["duration_ratio"] = round(self.ratio, 3)
        return d


def gold_durations(task: TaskSpec, rng: np.random.Generator, quick: bool) -> list[float]:
    """Canonical duration of each step, 2-6 s (2-3.5 s in quick mode), rounded to 0.1 s."""
    lo, hi = (2.0, 3.5) if quick else (2.5, 5.5)
    return [round(float(rng.uniform(lo, hi)), 1) for _ in task.steps]


def canonical_entries(task: TaskSpec, durations: list[float], gap: float = 0.4) -> list[Entry]:
    """The gold performance: every step at canonical pace, a short constant gap between steps."""
    return [Entry(s.action, i, d, idle_after=gap) for i, (s, d) in enumerate(zip(task.steps, durations))]


def paced_entries(task: TaskSpec, durations: list[float], rng: np.random.Generator,
                  pace: tuple[float, float] = (0.6, 1.6), idle: tuple[float, float] = (0.2, 1.5)) -> list[Entry]:
    """A correct trainee: each step's duration scaled by its own factor, varied idle pauses."""
    return [Entry(s.action, i, d * float(rng.uniform(*pace)), idle_after=float(rng.uniform(*idle)))
            for i, (s, d) in enumerate(zip(task.steps, durations))]


def realize(entries: list[Entry], gold: list[float], lead_in: float = 1.0, tail: float = 1.0) -> list[Segment]:
    """Absolute timeline: lead-in idle, then each entry followed by its idle pause, then a tail."""
    segs: list[Segment] = []
    t = 0.0
    if lead_in > 0:
        segs.append(Segment(0.0, lead_in, "idle", None, None))
        t = lead_in
    for k, e in enumerate(entries):
        ratio = e.duration / gold[e.gold_step] if e.gold_step is not None else None
        segs.append(Segment(t, t + e.duration, e.role, e.action, e.gold_step, ratio))
        t += e.duration
        pause = e.idle_after + (tail if k == len(entries) - 1 else 0.0)
        if pause > 0:
            segs.append(Segment(t, t + pause, "idle", None, None))
            t += pause
    return segs


def with_role(e: Entry, role: str, **changes) -> Entry:
    return replace(e, role=role, **changes)


def gold_steps(task: TaskSpec, segs: list[Segment]) -> list[dict]:
    """The gold's steps as a steps file lists them (name, start and end seconds, critical),
    from its realized segments."""
    return [{"name": s.action.name, "start_sec": round(s.start_sec, 3), "end_sec": round(s.end_sec, 3),
             "critical": task.steps[s.gold_step].critical} for s in segs if s.role == "step"]
