"""One-minute 720p test videos for the speed benchmarks, rendered with the demo generator's
scene (sopilot_resources.demo): a gold at canonical pace and trainees of the same task at
another pace, performer, lighting and noise. Cached under bench_out/long_videos/, with the
gold's true steps beside it (:func:`gold_steps_file`)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sopilot_resources.demo.arm import GOLD_PERFORMER, random_performer
from sopilot_resources.demo.nuisance import GOLD_LOOK, Look, random_look
from sopilot_resources.demo.plan import canonical_entries, gold_durations, gold_steps, paced_entries, realize
from sopilot_resources.demo.procedures import all_tasks
from sopilot_resources.demo.render import render_performance

CACHE = Path(__file__).resolve().parent.parent / "bench_out" / "long_videos"


def _stretch(durations: list[float], target_sec: float) -> list[float]:
    scale = target_sec / sum(durations)
    return [round(d * scale, 2) for d in durations]


def one_minute_video(index: int, role: str = "trainee", size: tuple[int, int] = (1280, 720), fps: int = 30,
                     codec: str = "h264", seconds: float = 60.0, task_index: int = 0) -> Path:
    """Render (once) a ~``seconds`` long video of demo task ``task_index``; returns its path."""
    task = all_tasks()[task_index]
    out = CACHE / f"{task.key}_{role}_{index:03d}_{size[1]}p"
    hit = sorted(CACHE.glob(out.name + ".*"))
    if hit:
        return hit[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    rng, gold = _gold_plan(task, task_index, index, role, seconds)
    if role == "gold":
        segs = realize(canonical_entries(task, gold), gold)
        perf, look = GOLD_PERFORMER, Look(size[0], size[1], fps, codec, seed=int(rng.integers(2**31)), **GOLD_LOOK)
    else:
        entries = paced_entries(task, gold, rng, (0.85, 1.15), (0.2, 0.8))
        segs = realize(entries, gold)
        perf, look = random_performer(rng, f"bench-{index}"), random_look(rng, size, fps, codec)
    return Path(render_performance(out, task, segs, perf, look)["path"])


def _gold_plan(task, task_index: int, index: int, role: str, seconds: float) -> tuple[np.random.Generator, list[float]]:
    """(the video's generator, the gold's step durations stretched to ``seconds``)."""
    rng = np.random.default_rng([7, task_index, index, role == "gold"])
    steps_sec = seconds - 0.4 * len(task.steps) - 2.0
    return rng, _stretch(gold_durations(task, rng, quick=False), steps_sec)


def gold_steps_file(gold: Path, index: int, seconds: float = 60.0, task_index: int = 0) -> Path:
    """The true steps of the gold ``one_minute_video(index, "gold", ...)`` rendered at ``gold``,
    as a steps file ``<name>.truth-steps.json`` beside it (a name ``sopilot score`` does not
    pick up by itself: pass it with ``--steps``); written once."""
    out = gold.with_name(gold.name.split(".")[0] + ".truth-steps.json")
    if not out.exists():
        task = all_tasks()[task_index]
        _, gold_d = _gold_plan(task, task_index, index, "gold", seconds)
        segs = realize(canonical_entries(task, gold_d), gold_d)
        out.write_text(json.dumps({"steps": gold_steps(task, segs)}, indent=2) + "\n", encoding="utf-8")
    return out
