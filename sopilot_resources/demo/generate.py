"""``generate_demo``: the synthetic SOP video set with ground truth.

For each task: one gold video (canonical pace, good light) with its ``.steps.json`` sidecar;
correct trainee performances (other performer, pace 0.6-1.6x per step, pauses, lighting drift,
noise, shake, another resolution and codec); one defective performance per deviation kind; one
unrelated performance. Everything is drawn from ``numpy.random.default_rng([seed, task, video])``,
so a seed always yields the same frames and ground truth, whatever the worker count.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import SopilotError
from ..video.types import VIDEO_EXTENSIONS
from .arm import GOLD_PERFORMER, Performer, random_performer
from .deviations import DEVIATION_TYPES, Defect, apply_defect, expected_deviations, foreign_entries, pick_defects
from .nuisance import GOLD_LOOK, QUICK_RESOLUTIONS, RESOLUTIONS, Look, random_look
from .plan import Segment, canonical_entries, gold_durations, paced_entries, realize
from .procedures import TaskSpec, all_tasks
from .render import render_performance

MANIFEST_VERSION = 1
#: correct-performance variants: name suffix -> (pace range per step, idle range, harsh camera)
CORRECT_VARIANTS = {
    "fast": ((0.6, 0.95), (0.2, 0.8), False),
    "slow": ((1.1, 1.6), (0.5, 1.8), False),
    "mixed": ((0.6, 1.6), (0.2, 1.5), False),
    "harsh": ((0.7, 1.4), (0.3, 2.5), True),
}
QUICK_CORRECT = ("mixed", "harsh")
DEFECTIVE_PACE = (0.8, 1.25)  # defective performances vary less, so their defect stands out
#: trainee codecs and how often each is drawn; plus one MJPEG .avi per task (bulky: always at 360p)
TRAINEE_CODECS = {"h264": 0.35, "mp4v": 0.25, "mp4v_mkv": 0.2, "mp4v_mov": 0.2}


@dataclass
class Job:
    """One video to render (self-contained: runs in a worker thread)."""

    task: TaskSpec
    rel_path: str  # without extension; the codec decides it
    segments: list[Segment]
    performer: Performer
    look: Look
    record: dict  # manifest entry, completed after rendering

    def cost(self) -> float:
        return self.segments[-1].end_sec * self.look.fps * self.look.width * self.look.height


def _render(job: Job, out_dir: str) -> dict:
    info = render_performance(Path(out_dir) / job.rel_path, job.task, job.segments, job.performer, job.look)
    rec = dict(job.record)
    rec.update({k: v for k, v in info.items() if k != "path"})
    rec["path"] = Path(info["path"]).relative_to(out_dir).as_posix()
    return rec


def _trainee_look(rng: np.random.Generator, quick: bool, harsh: bool, mjpg: bool) -> Look:
    codec = "mjpg" if mjpg else str(rng.choice(list(TRAINEE_CODECS), p=list(TRAINEE_CODECS.values())))
    sizes = QUICK_RESOLUTIONS if quick else RESOLUTIONS
    size = sizes[0] if codec == "mjpg" else sizes[int(rng.integers(len(sizes)))]  # MJPEG is bulky: smallest size
    fps = int(rng.choice([25, 30]))
    look = random_look(rng, size, fps, codec, harsh=harsh)
    if codec == "mjpg":  # an MJPEG webcam denoises before compressing; raw sensor noise would bloat the file
        look = replace(look, noise_sigma=min(look.noise_sigma, 1.5))
    return look


def _record(task: TaskSpec, name: str, role: str, kind: str, segs: list[Segment], perf: Performer, look: Look,
            deviations: list[dict]) -> dict:
    names = [s.name for s in task.steps]
    steps = [s.to_dict(names) for s in segs if s.role != "idle" and s.gold_step is not None]
    pace: list[float | None] = [None] * len(names)
    for s in segs:
        if s.role == "step" and s.gold_step is not None:
            pace[s.gold_step] = round(s.ratio, 3)
    return {"name": name, "task": task.key, "role": role, "kind": kind, "expected_pass": kind == "correct",
            "deviations": deviations, "steps": steps, "segments": [s.to_dict(names) for s in segs], "pace": pace,
            "performer": perf.name, "look": look.to_dict(), "style": task.style, "camera": task.camera}


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


def task_jobs(task: TaskSpec, t_idx: int, seed: int, quick: bool, other: TaskSpec | None = None) -> tuple[list[Job], dict]:
    """All videos of one task, and the task's manifest entry (gold steps).

    other: a different task whose performance is filed here as a second unrelated video.
    """
    tk = task.key.split("_")[0]
    rng = np.random.default_rng([seed, t_idx, 0])
    gold = gold_durations(task, rng, quick)
    jobs: list[Job] = []

    gsize = QUICK_RESOLUTIONS[-1] if quick else RESOLUTIONS[-1]
    glook = Look(gsize[0], gsize[1], 30, "h264", seed=int(rng.integers(2**31)), **GOLD_LOOK)
    gsegs = realize(canonical_entries(task, gold), gold)
    gname = f"{tk}_gold"
    jobs.append(Job(task, f"{task.key}/gold/{gname}", gsegs, GOLD_PERFORMER, glook,
                    _record(task, gname, "gold", "gold", gsegs, GOLD_PERFORMER, glook, [])))
    sidecar = {"steps": [{"name": s.action.name, "start_sec": round(s.start_sec, 3), "end_sec": round(s.end_sec, 3),
                          "critical": task.steps[s.gold_step].critical} for s in gsegs if s.role == "step"]}

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
        look = _trainee_look(vr, quick, harsh, mjpg=slot == mjpg_slot)
        name = f"{tk}_{pl.suffix}"
        rec = _record(task, name, "trainee", pl.kind, segs, perf, look, devs)
        if pl.scene is not task:
            rec.update(style=pl.scene.style, camera=pl.scene.camera, filmed_task=pl.scene.key)
        jobs.append(Job(pl.scene, f"{task.key}/trainee/{name}", segs, perf, look, rec))
    steps_file = f"{task.key}/gold/{gname}.steps.json"
    return jobs, {"title": task.title, "style": task.style, "camera": task.camera, "steps_file": steps_file,
                  "steps": sidecar["steps"], "gold_durations": gold, "sidecar": sidecar}


def _remove_stale(out: Path, tasks: list[TaskSpec], keep: set[str]) -> None:
    """Delete videos / sidecars of an earlier run (another seed or codec) from our task folders,
    so that copying the set into an inbox copies exactly this manifest."""
    for task in tasks:
        for sub in ("gold", "trainee"):
            for f in (out / task.key / sub).iterdir():
                rel = f.relative_to(out).as_posix()
                if f.is_file() and rel not in keep and (f.suffix.lower() in VIDEO_EXTENSIONS or f.name.endswith(".steps.json")):
                    f.unlink()


def generate_demo(out_dir: str | Path, seed: int = 0, quick: bool = False, workers: int | None = None,
                  progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Render the demo set into ``out_dir`` and return its manifest (also written to manifest.json).

    Videos and sidecars of an earlier run left in the task folders are removed.

    quick: two tasks (one per footage style), two correct trainees each, 5 steps, small frames -
    for tests. workers: videos rendered at once in threads (default: CPU count; OpenCV drawing,
    NumPy and the ffmpeg encoder subprocess run outside the GIL). progress: called as
    ``progress(done, total, path)`` in the calling thread as soon as each video is complete on disk
    (``path`` relative to ``out_dir``, e.g. ``t01_valve/trainee/t01_missing_x.mkv``); the steps
    sidecars are all written before the first video.
    """
    out = Path(out_dir)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SopilotError(f"demo seed must be a non-negative integer, got {seed!r}")
    if out.exists() and not out.is_dir():
        raise SopilotError(f"{out}: demo output must be a directory, and this is a file")
    tasks = all_tasks()[:2] if quick else all_tasks()
    if quick:
        tasks = [TaskSpec(t.key, t.title, t.style, t.layout, t.steps[:5], t.camera, t.shoulder_y) for t in tasks]
    jobs: list[Job] = []
    task_meta: dict[str, dict] = {}
    for i, task in enumerate(tasks):
        tj, meta = task_jobs(task, i, seed, quick, other=tasks[(i + 1) % len(tasks)] if len(tasks) > 1 else None)
        jobs += tj
        task_meta[task.key] = meta
        (out / task.key / "gold").mkdir(parents=True, exist_ok=True)
        (out / task.key / "trainee").mkdir(parents=True, exist_ok=True)
        (out / meta["steps_file"]).write_text(json.dumps(meta.pop("sidecar"), indent=2) + "\n", encoding="utf-8")
    order = sorted(range(len(jobs)), key=lambda k: -jobs[k].cost())
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    records: list[dict | None] = [None] * len(jobs)

    def finished(k: int, rec: dict) -> None:
        records[k] = rec
        if progress is not None:
            progress(sum(r is not None for r in records), len(jobs), rec["path"])

    if n_workers == 1:
        for k in order:
            finished(k, _render(jobs[k], str(out)))
    else:
        with ThreadPoolExecutor(n_workers) as pool:
            futs = {pool.submit(_render, jobs[k], str(out)): k for k in order}
            for fut in as_completed(futs):
                finished(futs[fut], fut.result())
    _remove_stale(out, tasks, {rec["path"] for rec in records} | {m["steps_file"] for m in task_meta.values()})
    for rec in records:
        if rec["role"] == "gold":
            task_meta[rec["task"]]["gold"] = rec["path"]
    manifest = {
        "version": MANIFEST_VERSION, "generator": "sopilot demo", "seed": seed, "quick": quick,
        "deviation_types": sorted(DEVIATION_TYPES.values()), "tasks": task_meta, "videos": records,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
