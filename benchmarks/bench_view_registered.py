"""Experiment: do the clips miss correct steps because the trainee's camera sits elsewhere?

Each trainee of a fixed-camera task (the gold's first and last scenes agree unwarped,
``scene.search.gold_is_fixed``) is embedded again with every sampled frame first warped onto
the gold's view (the homography that registers the trainee's settled start scene onto the
gold's, ``scene.register.register``); then every trainee is scored both ways with the same
engine, and the two summaries are printed side by side. Trainees whose start scene does not
register, and the moving-camera task, keep their plain embeddings.

    .venv/bin/python benchmarks/bench_view_registered.py --out bench_out/acc3 [--seed N | --quick]

The warped embeddings are kept under ``<set>/.emb_cache/view-registered/``; results go to
``<set>/results-view-registered.json`` (rows of both runs and each trainee's registration).
Not in the product: it needs the gold before the trainee is embedded (docs/bench/accuracy.md).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_set_args, embeddings_on_disk, evaluate, load_set, summarize  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.embeddings import ClipEmbeddings  # noqa: E402
from sopilot_resources.ingest import ingest_video  # noqa: E402
from sopilot_resources.scene.pictures import StillCache  # noqa: E402
from sopilot_resources.scene.register import register  # noqa: E402
from sopilot_resources.scene.search import gold_is_fixed  # noqa: E402
from sopilot_resources.scene.settle import settled  # noqa: E402

KEYS = ("auc", "correct_pass", "defective_not_pass", "missing_detected", "swap_detected")


class OntoGoldView:
    """Passed to ingest as its frame mask (``apply(frame)``, in place): each sampled frame
    warped by ``warp`` (3x3, gold pixel -> trainee pixel, frames and stills share a size)."""

    def __init__(self, warp: np.ndarray):
        self.warp = warp

    def apply(self, frame: np.ndarray) -> np.ndarray:
        frame[:] = cv2.warpPerspective(frame, self.warp, (frame.shape[1], frame.shape[0]),
                                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                       borderMode=cv2.BORDER_REPLICATE)
        return frame


def start_scene(e: ClipEmbeddings) -> tuple[StillCache, np.ndarray]:
    c = StillCache(e.stills)
    t0 = float(e.stills.times[0])
    return c, settled(c.window(t0, t0 + 2.5))


def warped_embeddings(root: Path, manifest: dict) -> tuple[dict, dict]:
    """(cache for :func:`bench_accuracy.evaluate` holding the view-registered trainees,
    per trainee path: fixed camera?, registered?, agreement, method)."""
    emb = get_embedder("color-motion")
    cache, info = {}, {}
    for g in (v for v in manifest["videos"] if v["role"] == "gold"):
        gcache, gstart = start_scene(embeddings_on_disk(root, g["path"], emb))
        fixed = gold_is_fixed(gcache)
        for v in (v for v in manifest["videos"] if v["role"] == "trainee" and v["task"] == g["task"]):
            reg = register(gstart, start_scene(embeddings_on_disk(root, v["path"], emb))[1])
            info[v["path"]] = {"fixed": fixed, "registered": reg.ok, "agreement": round(reg.agreement, 3),
                               "method": reg.method}
            if not (fixed and reg.ok):
                continue
            path = root / ".emb_cache" / "view-registered" / (v["path"].replace("/", "__") + ".npz")
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                ingest_video(root / v["path"], emb, mask=OntoGoldView(reg.warp)).save(path)
            cache[v["path"], 0.0] = ClipEmbeddings.load(path)
    return cache, info


def main() -> int:
    ap = argparse.ArgumentParser()
    add_set_args(ap)
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, a.quick)
    cache, info = warped_embeddings(root, manifest)
    n_warped = len(cache)  # evaluate() adds the plain embeddings it loads
    plain = evaluate(root, manifest, False)
    warped = evaluate(root, manifest, False, cache=cache)
    both = {"plain": summarize(plain), "view_registered": summarize(warped)}
    (root / "results-view-registered.json").write_text(json.dumps(
        {"summary": both, "re_embedded": n_warped, "rows_plain": plain, "rows_view_registered": warped, "registration": info}, indent=1))
    print(f"{'':22s} {'plain':>8s} {'view-registered':>16s}   ({n_warped} trainees re-embedded)")
    for k in KEYS:
        print(f"{k:22s} {both['plain'].get(k, float('nan')):8.3f} {both['view_registered'].get(k, float('nan')):16.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
