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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .arm import GOLD_PERFORMER, Performer, random_performer
from .deviations import DEVIATION_TYPES, apply_defect, expected_deviations, foreign_entries, pick_defects
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
#: trainee codecs and how often each is drawn (MJPEG files are large: drawn less, always at 360p)
TRAINEE_CODECS = {"h264": 0.3, "mp4v": 0.25, "mp4v_mkv": 0.15, "mp4v_mov": 0.15, "mjpg": 0.15}


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


def _trainee_look(rng: np.random.Generator, quick: bool, harsh: bool) -> Look:
    codec = str(rng.choice(list(TRAINEE_CODECS), p=list(TRAINEE_CODECS.values())))
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


def task_jobs(task: TaskSpec, t_idx: int, seed: int, quick: bool) -> tuple[list[Job], dict]:
    """All videos of one task, and the task's manifest entry (gold steps)."""
    tk = task.key.split("_")[0]
    rng = np.random.default_rng([seed, t_idx, 0])
    gold = gold_durations(task, rng, quick)
    names = [s.name for s in task.steps]
    jobs: list[Job] = []

    gsize = QUICK_RESOLUTIONS[-1] if quick else RESOLUTIONS[-1]
    glook = Look(gsize[0], gsize[1], 30, "h264", seed=int(rng.integers(2**31)), **GOLD_LOOK)
    gsegs = realize(canonical_entries(task, gold), gold)
    gname = f"{tk}_gold"
    jobs.append(Job(task, f"{task.key}/gold/{gname}", gsegs, GOLD_PERFORMER, glook,
                    _record(task, gname, "gold", "gold", gsegs, GOLD_PERFORMER, glook, [])))
    sidecar = {"steps": [{"name": s.action.name, "start_sec": round(s.start_sec, 3), "end_sec": round(s.end_sec, 3),
                          "critical": task.steps[s.gold_step].critical} for s in gsegs if s.role == "step"]}

    def add(v_idx: int, suffix: str, kind: str, build) -> None:
        vr = np.random.default_rng([seed, t_idx, v_idx])
        perf = random_performer(vr, f"performer-{t_idx}-{v_idx}")
        segs, devs, harsh = build(vr)
        look = _trainee_look(vr, quick, harsh)
        name = f"{tk}_{suffix}"
        jobs.append(Job(task, f"{task.key}/trainee/{name}", segs, perf, look,
                        _record(task, name, "trainee", kind, segs, perf, look, devs)))

    variants = QUICK_CORRECT if quick else tuple(CORRECT_VARIANTS)
    for k, var in enumerate(variants):
        pace, idle, harsh = CORRECT_VARIANTS[var]
        add(10 + k, f"correct_{var}", "correct",
            lambda vr, p=pace, i=idle, hh=harsh: (realize(paced_entries(task, gold, vr, p, i), gold, lead_in=float(vr.uniform(0.5, 2.0))), [], hh))
    for k, defect in enumerate(pick_defects(task, np.random.default_rng([seed, t_idx, 1]))):
        def build(vr, d=defect):
            base = paced_entries(task, gold, vr, (0.8, 1.25), (0.2, 1.2))
            segs = realize(apply_defect(base, d, task, gold, vr), gold, lead_in=float(vr.uniform(0.5, 2.0)))
            return segs, expected_deviations(d, segs, names), False
        add(20 + k, defect.label, defect.kind, build)
    add(40, "unrelated_other-work", "unrelated",
        lambda vr: (realize(foreign_entries(task, gold, vr), gold, lead_in=1.0), [], False))
    steps_file = f"{task.key}/gold/{gname}.steps.json"
    return jobs, {"title": task.title, "style": task.style, "camera": task.camera, "steps_file": steps_file,
                  "steps": sidecar["steps"], "gold_durations": gold, "sidecar": sidecar}


def generate_demo(out_dir: str | Path, seed: int = 0, quick: bool = False, workers: int | None = None) -> dict:
    """Render the demo set into ``out_dir`` and return its manifest (also written to manifest.json).

    quick: two tasks (one per footage style), two correct trainees each, 5 steps, small frames -
    for tests. workers: videos rendered at once in threads (default: CPU count; OpenCV drawing,
    NumPy and the ffmpeg encoder subprocess run outside the GIL).
    """
    out = Path(out_dir)
    tasks = all_tasks()[:2] if quick else all_tasks()
    if quick:
        tasks = [TaskSpec(t.key, t.title, t.style, t.layout, t.steps[:5], t.camera, t.shoulder_y) for t in tasks]
    jobs: list[Job] = []
    task_meta: dict[str, dict] = {}
    for i, task in enumerate(tasks):
        tj, meta = task_jobs(task, i, seed, quick)
        jobs += tj
        task_meta[task.key] = meta
        (out / task.key / "gold").mkdir(parents=True, exist_ok=True)
        (out / task.key / "trainee").mkdir(parents=True, exist_ok=True)
        (out / meta["steps_file"]).write_text(json.dumps(meta.pop("sidecar"), indent=2) + "\n", encoding="utf-8")
    order = sorted(range(len(jobs)), key=lambda k: -jobs[k].cost())
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    records: list[dict | None] = [None] * len(jobs)
    if n_workers == 1:
        for k in order:
            records[k] = _render(jobs[k], str(out))
    else:
        with ThreadPoolExecutor(n_workers) as pool:
            futs = {k: pool.submit(_render, jobs[k], str(out)) for k in order}
            for k, fut in futs.items():
                records[k] = fut.result()
    for rec in records:
        if rec["role"] == "gold":
            task_meta[rec["task"]]["gold"] = rec["path"]
    manifest = {
        "version": MANIFEST_VERSION, "generator": "sopilot demo", "seed": seed, "quick": quick,
        "deviation_types": sorted(DEVIATION_TYPES.values()), "tasks": task_meta, "videos": records,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
