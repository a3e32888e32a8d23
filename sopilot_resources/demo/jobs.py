"""Planning one task's videos: the gold, correct, defective and unrelated performances, each
with its timeline, performer, camera look, station clutter and manifest record.

Everything is drawn from ``numpy.random.default_rng([seed, task, video])``: video 0 is the
task's own stream (gold durations, gold camera), 1 picks the defects, 2 dresses the station
(:func:`~.clutter.dress_station`), 3 the gold's optional tilt, 10+ correct, 20+ defective,
40-41 unrelated performances.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from .arm import GOLD_PERFORMER, Performer, random_performer
from .clutter import vary_clutter
from .deviations import Defect, apply_defect, expected_deviations, foreign_entries, pick_defects
from .look import QUICK_RESOLUTIONS, RESOLUTIONS, Look, gold_look, random_look
from .plan import Segment, canonical_entries, gold_durations, gold_steps, paced_entries, realize
from .procedures import TaskSpec

#: correct-performance variants: name suffix -> (pace range per step, idle range, harsh camera)
CORRECT_VARIANTS = {
    "fast": ((0.6, 0.95), (0.2, 0.8), False),
    "slow": ((1.1, 1.6), (0.5, 1.8), False),
    "mixed": ((0.6, 1.6), (0.2, 1.5), False),
    "harsh": ((0.7, 1.4), (0.3, 2.5), True),
}
QUICK_CORRECT = ("mixed", "harsh")
DEFECTIVE_PACE = (0.8, 1.25)  # defective performances vary less, so their defect stands out
HARSH_SHARE = 0.2  # any other trainee is filmed in harsh conditions this often (nuisance is no clue to the verdict)
#: trainee codecs and how often each is drawn; plus one MJPEG .avi per task (bulky: always at the smallest size)
TRAINEE_CODECS = {"h264": 0.25, "mp4v": 0.12, "mp4v_mkv": 0.1, "mp4v_mov": 0.1, "hevc": 0.1, "hevc_mkv": 0.1,
                  "vp9": 0.13, "vp8": 0.1}
TRAINEE_FPS = (24, 25, 30)


@dataclass
class Job:
    """One video to render (self-contained: runs in a worker thread)."""

    task: TaskSpec  # the station as filmed in this video (its clutter included)
    rel_path: str  # without extension; the codec decides it
    segments: list[Segment]
    performer: Performer
    look: Look
    record: dict  # manifest entry, completed after rendering

    def cost(self) -> float:
        lk = self.look
        return self.segments[-1].end_sec * lk.fps * lk.width * lk.height * (3.0 if lk.motion_blur > 0 else 1.0)


def _trainee_look(rng: np.random.Generator, quick: bool, harsh: bool, mjpg: bool, duration: float) -> Look:
    codec = "mjpg" if mjpg else str(rng.choice(list(TRAINEE_CODECS), p=list(TRAINEE_CODECS.values())))
    sizes = QUICK_RESOLUTIONS if quick else RESOLUTIONS
    size = sizes[0] if codec == "mjpg" else sizes[int(rng.integers(len(sizes)))]  # MJPEG is bulky: smallest size
    fps = int(rng.choice(TRAINEE_FPS))
    look = random_look(rng, size, fps, codec, harsh=harsh, duration=duration)
    if codec == "mjpg":  # an MJPEG webcam denoises before compressing; raw sensor noise would bloat the file
        look = replace(look, noise_sigma=min(look.noise_sigma, 1.5))
    return look


def _record(task: TaskSpec, name: str, role: str, kind: str, segs: list[Segment], perf: Performer, look: Look,
            deviations: list[dict], clutter_changes: list[dict]) -> dict:
    names = [s.name for s in task.steps]
    steps = [s.to_dict(names) for s in segs if s.role != "idle" and s.gold_step is not None]
    pace: list[float | None] = [None] * len(names)
    for s in segs:
        if s.role == "step" and s.gold_step is not None:
            pace[s.gold_step] = round(s.ratio, 3)
    return {"name": name, "task": task.key, "role": role, "kind": kind, "expected_pass": kind == "correct",
            "deviations": deviations, "steps": steps, "segments": [s.to_dict(names) for s in segs], "pace": pace,
            "performer": perf.name, "look": {**look.to_dict(), "clutter_changes": clutter_changes},
            "style": task.style, "camera": task.camera}


# Timeline builders: rng -> (segments, expected deviations, harsh camera?)
Builder = Callable[[np.random.Generator], tuple[list[Segment], list[dict], bool]]


class Plan(NamedTuple):
    index: int  # video index in the task: seeds its generator
    suffix: str  # file name after "<t>_"
    kind: str  # manifest kind
    build: Builder
    scene: TaskSpec  # the station it is filmed at


def _lead_in(rng: np.random.Generator) -> float:
    return float(rng.uniform(0.5, 2.0))


def _correct_timeline(task: TaskSpec, gold: list[float], variant: str) -> Builder:
    pace, idle, harsh = CORRECT_VARIANTS[variant]
    return lambda rng: (realize(paced_entries(task, gold, rng, pace, idle), gold, lead_in=_lead_in(rng)), [], harsh)


def _defect_timeline(task: TaskSpec, gold: list[float], defect: Defect) -> Builder:
    names = [s.name for s in task.steps]

    def build(rng: np.random.Generator):
        base = paced_entries(task, gold, rng, DEFECTIVE_PACE, (0.2, 1.2))
        segs = realize(apply_defect(base, defect, task, gold, rng), gold, lead_in=_lead_in(rng))
        return segs, expected_deviations(defect, segs, names), False

    return build


def _unrelated_timeline(task: TaskSpec, gold: list[float]) -> Builder:
    return lambda rng: (realize(foreign_entries(task, gold, rng), gold, lead_in=1.0), [], False)


def _other_task_timeline(other: TaskSpec, quick: bool) -> Builder:
    """Another task's procedure at its own station: no step of this task's SOP in it."""
    def build(rng: np.random.Generator):
        durations = gold_durations(other, rng, quick)
        entries = [replace(e, gold_step=None, role="extra") for e in paced_entries(other, durations, rng)]
        return realize(entries, durations, lead_in=_lead_in(rng)), [], False

    return build


def station_meta(task: TaskSpec) -> dict:
    """The station as the gold shows it: surfaces and clutter (world units)."""
    lay = task.layout
    return {"surface": lay.surface, "bench_color": list(lay.bench_color), "wall": lay.wall, "wall_color": list(lay.wall_color),
            "mats": [o.texture for o in lay.objects if o.kind == "mat"],
            "clutter": [{"kind": o.kind, "x": round(o.x, 3), "y": round(o.y, 3), "w": round(o.w, 3), "h": round(o.h, 3),
                         "angle": round(o.angle, 3)} for o in lay.clutter]}


def task_jobs(task: TaskSpec, t_idx: int, seed: int, quick: bool, other: TaskSpec | None = None,
              tilted_gold: bool = False) -> tuple[list[Job], dict]:
    """All videos of one task, and the task's manifest entry (gold steps, station).

    task / other: stations as dressed for this seed (:func:`~.clutter.dress_station`); other: a
    different task whose performance is filed here as a second unrelated video. tilted_gold: the
    gold's camera has a mild roll and offset of its own.
    """
    tk = task.key.split("_")[0]
    rng = np.random.default_rng([seed, t_idx, 0])
    gold = gold_durations(task, rng, quick)
    jobs: list[Job] = []

    gsize = QUICK_RESOLUTIONS[-1] if quick else RESOLUTIONS[-1]
    glook = gold_look(gsize, 30, "h264", int(rng.integers(2**31)), np.random.default_rng([seed, t_idx, 3]) if tilted_gold else None)
    gsegs = realize(canonical_entries(task, gold), gold)
    gname = f"{tk}_gold"
    jobs.append(Job(task, f"{task.key}/gold/{gname}", gsegs, GOLD_PERFORMER, glook,
                    _record(task, gname, "gold", "gold", gsegs, GOLD_PERFORMER, glook, [], [])))
    sidecar = {"steps": gold_steps(task, gsegs)}

    variants = QUICK_CORRECT if quick else tuple(CORRECT_VARIANTS)
    plans = [Plan(10 + k, f"correct_{v}", "correct", _correct_timeline(task, gold, v), task) for k, v in enumerate(variants)]
    defects = pick_defects(task, np.random.default_rng([seed, t_idx, 1]))
    plans += [Plan(20 + k, d.label, d.kind, _defect_timeline(task, gold, d), task) for k, d in enumerate(defects)]
    plans.append(Plan(40, "unrelated_other-work", "unrelated", _unrelated_timeline(task, gold), task))
    if other is not None:
        plans.append(Plan(41, f"unrelated_{other.key.split('_')[0]}-procedure", "unrelated", _other_task_timeline(other, quick), other))

    mjpg_slot = int(rng.integers(len(plans)))  # exactly one Motion-JPEG .avi per task: they are bulky
    for slot, pl in enumerate(plans):
        vr = np.random.default_rng([seed, t_idx, pl.index])  # one generator per video: order-independent
        perf = random_performer(vr, f"performer-{t_idx}-{pl.index}")
        segs, devs, harsh = pl.build(vr)
        harsh = bool(vr.random() < HARSH_SHARE) or harsh
        look = _trainee_look(vr, quick, harsh, slot == mjpg_slot, segs[-1].end_sec)
        scene, changes = vary_clutter(pl.scene, vr)
        name = f"{tk}_{pl.suffix}"
        rec = _record(task, name, "trainee", pl.kind, segs, perf, look, devs, changes)
        if pl.scene is not task:
            rec.update(style=pl.scene.style, camera=pl.scene.camera, filmed_task=pl.scene.key)
        jobs.append(Job(scene, f"{task.key}/trainee/{name}", segs, perf, look, rec))
    steps_file = f"{task.key}/gold/{gname}.steps.json"
    return jobs, {"title": task.title, "style": task.style, "camera": task.camera, "steps_file": steps_file,
                  "steps": sidecar["steps"], "gold_durations": gold, "station": station_meta(task), "sidecar": sidecar}
