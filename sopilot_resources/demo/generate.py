"""``generate_demo``: the synthetic SOP video set with ground truth.

For each task: one gold video (canonical pace, good light, steady camera) with its
``.steps.json`` sidecar; correct trainee performances (other performer, pace 0.6-1.6x per step,
pauses, another camera placement, roll and drift, light drift, noise, blur, clutter moved,
another resolution and codec); one defective performance per deviation kind; two unrelated
performances. Planning is in :mod:`.jobs`; everything is drawn from
``numpy.random.default_rng([seed, task, video])``, so a seed always yields the same frames and
ground truth, whatever the worker count.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import SopilotError
from ..video.types import VIDEO_EXTENSIONS
from .clutter import dress_station
from .deviations import DEVIATION_TYPES
from .jobs import CORRECT_VARIANTS, QUICK_CORRECT, TRAINEE_CODECS, Job, task_jobs  # noqa: F401  (re-exported)
from .procedures import TaskSpec, all_tasks
from .render import render_performance

MANIFEST_VERSION = 2
#: what the frames look like: 1 = plain benches, static camera light; 2 = textured stations with
#: clutter, roll / drifting mount / motion blur / defocus, white-balance drift and flicker, the
#: small-parts task t04, H.265 / VP9 / VP8, 24 fps. A set made by an older generator is not this set.
GENERATOR_VERSION = 2


def _render(job: Job, out_dir: str) -> dict:
    info = render_performance(Path(out_dir) / job.rel_path, job.task, job.segments, job.performer, job.look)
    rec = dict(job.record)
    rec.update({k: v for k, v in info.items() if k != "path"})
    rec["path"] = Path(info["path"]).relative_to(out_dir).as_posix()
    return rec


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
        tasks = [replace(t, steps=t.steps[:5]) for t in tasks]
    tasks = [dress_station(t, seed, i) for i, t in enumerate(tasks)]
    tilted = -1 if quick else int(np.random.default_rng([seed, 1000]).integers(len(tasks)))  # one gold per full set
    jobs: list[Job] = []
    task_meta: dict[str, dict] = {}
    for i, task in enumerate(tasks):
        tj, meta = task_jobs(task, i, seed, quick, other=tasks[(i + 1) % len(tasks)] if len(tasks) > 1 else None,
                             tilted_gold=i == tilted)
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
        "version": MANIFEST_VERSION, "generator": "sopilot demo", "generator_version": GENERATOR_VERSION, "seed": seed, "quick": quick,
        "deviation_types": sorted(DEVIATION_TYPES.values()), "tasks": task_meta, "videos": records,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
