"""Helpers for the tests/test_dagster_*.py files: tiny synthetic SOP videos, a data root, and
running what the inbox sensor asks for on a test instance."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

import dagster as dg

STEP_COLORS = [(220, 40, 40), (40, 200, 40), (40, 40, 220), (220, 200, 40), (200, 40, 200), (40, 200, 200)]


def write_video(path: Path, order=(0, 1, 2, 3), step_sec: float = 3.0, fps: int = 10,
                size=(160, 120), seed: int = 0, dark: bool = False) -> Path:
    """A small MJPG .avi (or .mp4 by suffix) where each step is a coloured block moving in its
    own pattern over a textured background; ``order`` lists the steps performed."""
    rng = np.random.default_rng(seed)
    w, h = size
    path.parent.mkdir(parents=True, exist_ok=True)
    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix == ".avi" else "mp4v"))
    vw = cv2.VideoWriter(str(path), fourcc, fps, (w, h))
    yy, xx = np.mgrid[0:h, 0:w]
    bg = ((xx * 3 + yy * 2) % 64 + 96).astype(np.uint8)
    n = int(step_sec * fps)
    for s in order:
        for k in range(n):
            img = np.dstack([bg, bg, bg]).copy()
            u = k / n
            cx = int(w * (0.2 + 0.6 * (u if s % 2 == 0 else 1 - u)))
            cy = int(h * (0.3 + 0.4 * abs(np.sin((s + 1) * u * np.pi))))
            cv2.rectangle(img, (cx - 15, cy - 15), (cx + 15, cy + 15), STEP_COLORS[s % 6][::-1], -1)
            cv2.circle(img, (int(w * (s + 1) / 8), 15), 8, (255, 255, 255), -1)
            img = np.clip(img.astype(np.int16) + rng.integers(-6, 7, img.shape), 0, 255).astype(np.uint8)
            if dark:
                img = (img // 10).astype(np.uint8)
            vw.write(img)
    vw.release()
    return path


def write_steps(video: Path, n_steps: int = 4, step_sec: float = 3.0) -> Path:
    p = video.with_name(video.stem + ".steps.json")
    p.write_text(json.dumps({"steps": [
        {"name": f"step {i + 1}", "start_sec": i * step_sec, "end_sec": (i + 1) * step_sec,
         "critical": i == 1} for i in range(n_steps)]}))
    return p


def gold_same_swapped(d: Path) -> tuple[Path, Path, Path]:
    """A gold with its steps file, a correct trainee and one with steps 2 and 3 swapped, in ``d``."""
    gold = write_video(d / "gold.avi", order=(0, 1, 2, 3))
    write_steps(gold)
    return gold, write_video(d / "same.avi", order=(0, 1, 2, 3), seed=1), write_video(
        d / "swapped.avi", order=(0, 2, 1, 3), seed=2)


def resources(root: Path) -> dict:
    from sopilot_resources.dagster_resources.engine import (
        AlignerResource, EmbedderResource, ScoringProfileResource)
    from sopilot_resources.dagster_resources.storage import ResultsStoreResource, TestVideoStoreResource

    return {"video_store": TestVideoStoreResource(data_dir=str(root)),
            "results_store": ResultsStoreResource(data_dir=str(root)),
            "embedder": EmbedderResource(), "aligner": AlignerResource(device="cpu"),
            "scoring_profile": ScoringProfileResource()}


def _evaluate(defs, instance, cursor, res):
    sensor = defs.resolve_sensor_def("sopilot_inbox_sensor")
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources=res, definitions=defs)
    out = sensor(ctx)  # direct invocation: the raw SensorResult
    for req in out.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    return out


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None, res: dict):
    """One sensor evaluation, as the daemon would go on: each intake run it asks for (the files
    it noticed) is executed on ``instance`` and the sensor evaluated again, until it asks for
    none, so what those runs registered is announced. Returns one SensorResult with every
    evaluation's other requests, their asset events followed by the intake runs'
    materializations, and the last cursor; ``intake_results`` (attribute) holds the
    intake runs' results, ``intake_requests`` their requests."""
    from sopilot_assets.intake_job import INTAKE_JOB

    evals, results, intake = [_evaluate(defs, instance, cursor, res)], [], []
    for _ in range(20):
        more = [rr for rr in evals[-1].run_requests or [] if rr.job_name == INTAKE_JOB]
        if not more:
            break
        intake += more
        results += execute(defs, instance, more)
        evals.append(_evaluate(defs, instance, evals[-1].cursor, res))
    if len(evals) == 1:
        out = evals[0]
    else:
        runs = [rr for ev in evals for rr in ev.run_requests or [] if rr.job_name != INTAKE_JOB]
        out = dg.SensorResult(
            run_requests=runs or None,
            dynamic_partitions_requests=[d for ev in evals for d in ev.dynamic_partitions_requests or []],
            asset_events=[a for ev in evals for a in ev.asset_events or []] + [
                m for r in results for m in r.asset_materializations_for_node("inbox_intake")],
            cursor=evals[-1].cursor,
            skip_reason=None if runs else evals[-1].skip_reason)
    out.intake_results, out.intake_requests = results, intake
    return out


def execute(defs: dg.Definitions, instance: dg.DagsterInstance, run_requests) -> list:
    """Runs the requested jobs in-process, like the daemon would launch them."""
    out = []
    for rr in run_requests:
        job = defs.resolve_job_def(rr.job_name)
        sel = rr.asset_selection
        result = job.execute_in_process(
            instance=instance, partition_key=rr.partition_key, run_config=rr.run_config or None,
            tags={**rr.tags, **({"dagster/run_key": rr.run_key} if rr.run_key else {})},
            asset_selection=list(sel) if sel else None, raise_on_error=False)
        out.append(result)
    return out
