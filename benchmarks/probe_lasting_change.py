"""Probe (not part of the engine): does a step done wrongly leave a lasting difference in the picture?

    .venv/bin/python benchmarks/probe_lasting_change.py --out bench_out/acc2 [--seed 1 | --quick]

The default embedder does not tell a wrongly done step from the right one (docs/scoring.md).
Most wrong steps leave another result behind (a lamp not lit, a ring beside its seat, a label
elsewhere), so this probe compares pictures instead of clip embeddings, for the fixed-camera
tasks of a demo set: frames of gold and trainee at ``--fps`` (320 px), the trainee's paired
with the gold's through the engine's DTW path, registered once (ECC affine on the two videos'
median frames), colour-matched per pair (per-channel quantile mapping), high-passed (light
gradients) and compared per pixel with 1 px of slack (shake). A lasting change is a pixel
whose difference, from some gold time on, stays high (its 20 % quantile over the rest of the
video, at least ``--min-lasting`` s, the last 2 s left out) above its median before. The score
of a video is the largest such change away from the frame border (where the performer's body
enters); the probe prints it with where and when (and the gold step that ended last before
that time), per video, and per task the largest value among correct performances.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_set_args, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.ingest import ingest_video  # noqa: E402
from sopilot_resources.scoring.engine import score_embeddings  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402
from sopilot_resources.video.sampler import iter_sampled_frames  # noqa: E402
from sopilot_resources.video.types import SamplingConfig  # noqa: E402

W, H = 320, 180


def frames(path: Path, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """-> times (T,), frames (T, H, W, 3) float32, from the first frame to the last.

    A second decode beside ``ingest_video``'s, on purpose: stills taken from the clips on the
    way (``ThumbnailTap``) start 1 s late and end 1 s early (clip middles), and with them the
    probe separated 1 task set of 5 instead of 3 - the signal is that sensitive."""
    got = [(f.time, cv2.resize(f.rgb, (W, H), interpolation=cv2.INTER_AREA))
           for f in iter_sampled_frames(path, SamplingConfig(target_fps=fps))]
    return np.array([t for t, _ in got]), np.stack([f for _, f in got]).astype(np.float32)


def register(ref: np.ndarray, img: np.ndarray) -> np.ndarray:
    """(2, 3) affine taking ref coordinates to img's (identity when ECC does not converge)."""
    g = [cv2.GaussianBlur(cv2.cvtColor(x.astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32), (5, 5), 0)
         for x in (ref, img)]
    try:
        return cv2.findTransformECC(g[0], g[1], np.eye(2, 3, dtype=np.float32), cv2.MOTION_AFFINE,
                                    (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 200, 1e-6), None, 1)[1]
    except cv2.error:  # no convergence (e.g. a nearly uniform picture): compare unregistered
        return np.eye(2, 3, dtype=np.float32)


def match_colours(src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-channel quantile mapping of src onto ref (gain, gamma, colour cast)."""
    q = np.linspace(0, 1, 65)
    out = np.empty_like(src)
    for c in range(3):
        out[..., c] = np.interp(src[..., c], np.quantile(src[..., c], q), np.quantile(ref[..., c], q))
    return out


def prep(img: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(img - cv2.GaussianBlur(img, (0, 0), 12), (0, 0), 1.0)


def slack_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W): per pixel, the smallest |a - b| (summed over channels) over 1 px shifts of b."""
    return np.min([np.abs(a - np.roll(b, (dy, dx), (0, 1))).sum(-1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)


def lasting_change(d: np.ndarray, min_post: int) -> tuple[np.ndarray, np.ndarray]:
    """d (T, H, W) differences over gold time -> (best gain (H, W), frame where it starts (H, W))."""
    best, when = np.zeros(d.shape[1:]), np.zeros(d.shape[1:], int)
    for s in range(min_post, len(d) - min_post + 1):
        gain = np.quantile(d[s:], 0.2, axis=0) - np.median(d[:s], axis=0)
        up = gain > best
        best[up], when[up] = gain[up], s
    return best, when


def probe(gold: dict, v: dict, root: Path, ge, gf, emb, a) -> dict:
    """ge: the gold's embeddings, gf: its (times, frames)."""
    gt, gfr = gf
    tt, tfr = frames(root / v["path"], a.fps)
    te = ingest_video(root / v["path"], emb)
    path = score_embeddings(ge, te, load_steps(find_sidecar(root / gold["path"]))).alignment.path
    gc, tc = (ge.starts + ge.ends) / 2, (te.starts + te.ends) / 2
    warp = register(np.median(gfr, 0), np.median(tfr, 0))
    d = []
    for i, t in enumerate(gt):
        ci = int(np.argmin(np.abs(gc - t)))
        tj = float(np.median(tc[path[path[:, 0] == ci, 1]])) + (t - gc[ci])
        img = cv2.warpAffine(tfr[int(np.argmin(np.abs(tt - tj)))], warp, (W, H),
                             flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
        d.append(slack_diff(prep(gfr[i]), prep(match_colours(img, gfr[i]))))
    d = np.stack(d)[: len(d) - int(2 * a.fps)]
    d = cv2.blur(d.transpose(1, 2, 0), (3, 3)).transpose(2, 0, 1)
    best, when = lasting_change(d, int(a.min_lasting * a.fps))
    m = int(0.06 * H)
    best[:m], best[-m:], best[:, :m], best[:, -m:] = 0, 0, 0, 0
    y, x = np.unravel_index(int(np.argmax(best)), best.shape)
    t = float(gt[when[y, x]])
    ended = [s["gold_step"] for s in gold["steps"] if s["end_sec"] <= t + 0.5]
    return {"path": v["path"], "kind": v["kind"], "score": round(float(best.max()), 1), "x": int(x), "y": int(y),
            "gold_time": round(t, 1), "after_gold_step": ended[-1] if ended else None,
            "truth": [(dv["type"], dv.get("gold_step")) for dv in v.get("deviations", [])]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_set_args(ap)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--min-lasting", type=float, default=6.0, help="seconds a change must last")
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, a.quick)
    emb = get_embedder("color-motion", device="cpu")
    rows = []
    for gold in (v for v in manifest["videos"] if v["role"] == "gold" and v.get("camera") == "fixed"):
        ge, gf = ingest_video(root / gold["path"], emb), frames(root / gold["path"], a.fps)
        for v in manifest["videos"]:
            if v["role"] == "trainee" and v["task"] == gold["task"] and v["kind"] != "unrelated":
                r = probe(gold, v, root, ge, gf, emb, a)
                rows.append(r)
                print(f"{r['kind']:8s} {r['path']:48s} {r['score']:6.1f} at ({r['x']},{r['y']}) from gold "
                      f"{r['gold_time']:.1f} s (after step {r['after_gold_step']}) truth {r['truth']}", flush=True)
    for task in sorted({r["path"].split("/")[0] for r in rows}):
        ok = [r["score"] for r in rows if r["path"].startswith(task) and r["kind"] == "correct"]
        wrong = [r["score"] for r in rows if r["path"].startswith(task) and r["kind"] == "wrong"]
        print(f"{task}: correct max {max(ok):.1f}; wrong {wrong}")
    (root / "lasting_change.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
