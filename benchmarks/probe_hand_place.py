"""Probe (not part of the engine; not adopted): does the trainee's hand work where the gold's did,
step by step, and does a wrong step show as a hand working elsewhere?

    .venv/bin/python benchmarks/probe_hand_place.py --out bench_out/acc3 --seeds 0,1,3,5

The hand is tracked in every kept still (fixed-camera tasks, 320 px): the foreground is what
differs from the video's per-pixel median (each still's colour gains matched to it first: the
demo's lighting drift), opened with a 5 px square (camera shake leaves thin edges); the arm is
its largest blob, and the hand the blob's far end, along the blob, from where the performer
enters the picture (the median of where the arm's blob meets the border, over the video):
:func:`hands`. A trainee's hand positions are mapped onto the gold's picture by the engine's
registration of the two videos' first scenes (:func:`.scene.register.register`).

Per gold step, with the trainee's true segments (the manifest's: the signal, not the engine's
location of it, is measured): the distance between the median hand position over the middle
half of the gold step and over the middle half of the trainee's step (``place``), over the
pair's median of that distance (``r``). Printed per trainee: ``r`` at a wrong step, and the
largest ``r`` of a correct trainee's steps; the summary counts how many wrong steps stand out
above every correct trainee's largest ``r``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_seeds_args, embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene.register import register  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402

SIDE = 320
FIXED = ("t01_valve", "t03_bracket", "t04_terminals")


def small(stills) -> np.ndarray:
    """(T, H, W, 3) float32: every still at ``SIDE`` px, lightly blurred."""
    fr = stills.frames()
    h, w = fr.shape[1:3]
    s = SIDE / max(h, w)
    size = (round(w * s), round(h * s))
    return np.stack([cv2.GaussianBlur(cv2.resize(f, size, interpolation=cv2.INTER_AREA), (3, 3), 0)
                     for f in fr]).astype(np.float32)


def foregrounds(x: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) -> (T, H, W) uint8: what differs from the video's median picture."""
    bg = np.median(x, axis=0)
    ref = np.median(bg.reshape(-1, 3), 0)
    out = []
    for f in x:
        f = f * (ref / np.maximum(np.median(f.reshape(-1, 3), 0), 1.0))
        d = np.abs(f - bg).sum(-1)
        fg = (d > max(40.0, 6 * float(np.median(d)))).astype(np.uint8)
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
        out.append(cv2.morphologyEx(fg, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)))
    return np.stack(out)


def far_end(mask: np.ndarray, start: tuple[int, int]) -> tuple[float, float]:
    """(x, y): the mean of ``mask``'s pixels within 4 px of its farthest, along the mask, from
    ``start`` (y, x)."""
    ys, xs = np.nonzero(mask)
    idx = -np.ones(mask.shape, np.int64)
    idx[ys, xs] = np.arange(len(ys))
    rows, cols, w = [], [], []
    for dy, dx, c in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, 1.414), (1, -1, 1.414)):
        y2, x2 = ys + dy, xs + dx
        ok = (y2 < mask.shape[0]) & (x2 >= 0) & (x2 < mask.shape[1])
        ok[ok] &= mask[y2[ok], x2[ok]]
        rows.append(idx[ys[ok], xs[ok]])
        cols.append(idx[y2[ok], x2[ok]])
        w.append(np.full(ok.sum(), c))
    g = coo_matrix((np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(len(ys),) * 2)
    d = dijkstra(g.tocsr(), directed=False, indices=idx[start])
    d[~np.isfinite(d)] = -1
    sel = d >= d.max() - 4
    return float(xs[sel].mean()), float(ys[sel].mean())


def hands(stills) -> np.ndarray:
    """(T, 2): the hand's (x, y) in each still at ``SIDE`` px (NaN: no arm found)."""
    fg = foregrounds(small(stills))
    t, h, w = fg.shape
    edge = np.zeros((h, w), bool)
    edge[:2], edge[-2:], edge[:, :2], edge[:, -2:] = True, True, True, True
    arms, contacts = [], []
    for f in fg:
        n, lab, st, _ = cv2.connectedComponentsWithStats(f)
        if n <= 1 or st[1:, cv2.CC_STAT_AREA].max() < 80:
            arms.append(None)
            continue
        arm = lab == 1 + int(np.argmax(st[1:, cv2.CC_STAT_AREA]))
        arms.append(arm)
        cy, cx = np.nonzero(arm & edge)
        if len(cy):
            contacts.append((cx.mean(), cy.mean()))
    body = np.median(np.array(contacts), 0) if contacts else np.array([w / 2, h - 1])
    out = np.full((t, 2), np.nan)
    for i, arm in enumerate(arms):
        if arm is not None:
            ys, xs = np.nonzero(arm)
            j = int(np.argmin(np.hypot(xs - body[0], ys - body[1])))
            out[i] = far_end(arm, (ys[j], xs[j]))
    return out


def place(times: np.ndarray, xy: np.ndarray, a: float, b: float) -> np.ndarray | None:
    """The median hand position over the middle half of [a, b] s (None: no hand seen there)."""
    q = (b - a) / 4
    m = (times >= a + q) & (times <= b - q) & np.isfinite(xy[:, 0])
    return np.median(xy[m], 0) if m.any() else None


def first_scene(x: np.ndarray) -> np.ndarray:
    return np.median(x[:8], axis=0)


def trainee_rows(root: Path, manifest: dict, task: str, emb) -> list[dict]:
    gold = next(v for v in manifest["videos"] if v["role"] == "gold" and v["task"] == task)
    ge = embeddings_on_disk(root, gold["path"], emb)
    steps = load_steps(find_sidecar(root / gold["path"]))
    g_xy, g_t, g_ref = hands(ge.stills), np.asarray(ge.stills.times), first_scene(small(ge.stills))
    rows = []
    for v in manifest["videos"]:
        if v["role"] != "trainee" or v["task"] != task or v["kind"] not in ("correct", "wrong"):
            continue
        te = embeddings_on_disk(root, v["path"], emb)
        reg = register(g_ref, first_scene(small(te.stills)))
        if not reg.ok:
            continue
        xy = hands(te.stills)
        p = np.c_[xy, np.ones(len(xy))] @ np.linalg.inv(reg.warp).T  # trainee -> gold pixels
        xy = p[:, :2] / p[:, 2:]
        t_t = np.asarray(te.stills.times)
        dist = {}
        for seg in v["steps"]:
            s = seg["gold_step"]
            if s is None or s in dist:
                continue
            a = place(t_t, xy, seg["start_sec"], seg["end_sec"])
            b = place(g_t, g_xy, steps[s].start_sec, steps[s].end_sec)
            if a is not None and b is not None:
                dist[s] = float(np.hypot(*(a - b)))
        if not dist:
            continue
        med = max(float(np.median(list(dist.values()))), 2.0)
        wrong = next((d["gold_step"] for d in v.get("deviations", []) if d.get("type") == "wrong_step"), None)
        rows.append({"path": v["path"], "kind": v["kind"], "median_px": med,
                     "r_max": max(dist.values()) / med,
                     "r_wrong": None if wrong is None or wrong not in dist else dist[wrong] / med})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_seeds_args(ap)
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    correct, wrong = [], []
    for seed in [int(s) for s in a.seeds.split(",")]:
        root, manifest = load_set(a.out, seed, False)
        for task in FIXED:
            for r in trainee_rows(root, manifest, task, emb):
                if r["kind"] == "correct":
                    correct.append(r["r_max"])
                elif r["r_wrong"] is not None:
                    wrong.append(r["r_wrong"])
                print(f"seed {seed} {r['path']}: {r['kind']}, median place distance {r['median_px']:.1f} px, "
                      + (f"r at the wrong step {r['r_wrong']:.2f}" if r["r_wrong"] is not None else f"largest r {r['r_max']:.2f}"),
                      flush=True)
    top = max(correct) if correct else float("nan")
    print(f"correct trainees' largest r: median {np.median(correct):.2f}, max {top:.2f} ({len(correct)} videos); "
          f"wrong steps' r: median {np.median(wrong):.2f}, above every correct trainee's largest "
          f"{sum(w > top for w in wrong)} of {len(wrong)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
