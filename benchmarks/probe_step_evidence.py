"""Probe (not part of the engine): what the engine saw of each gold step, for chosen trainees.

    .venv/bin/python benchmarks/probe_step_evidence.py --out bench_out/acc3 --seed 7 --task t04_terminals \
        [--videos correct_fast,correct_slow] [--wide-steps 1] [--made-anywhere] [--redecode 640:40]

Scores each chosen trainee of ``--task`` (step files beside the gold, as ``bench_accuracy``;
``--wide-steps`` widens them as its option does) and prints, per gold step, how
``detect_steps.classify`` judged it: found, placed by the in-order segmentation, the clips it
was given (``mapped``) and its best order-free match (``best``), and how clearly they stand out
in units of the pair's typical step contrast (``r_map``, ``r_best``; ``classify`` needs about
0.5) and how much better than any other step they fit (``owner``). With ``--made-anywhere``, also
the both-ways search of the scene comparison (``SceneEvidence.made_anywhere``) for *every* step,
not only those the clips report: per level of pictures (``detail``: the stills as kept; ``pictures``:
320 px), (agreement, size) of the best change like the gold step's found in the trainee's
pictures (a step counts as done at >= 0.65 in detail or 0.75 in the pictures, and 0.5-2x).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_set_args, embeddings_on_disk, load_set, widen  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring import engine  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def redecoded(e, path: Path, side: int, quality: int):
    """``e`` with its stills replaced by the video's frames at the same times, decoded again at
    ``side`` px (longest side) and JPEG ``quality``: what the scene comparison would see with
    stills kept at that size (the 2026-12-05 detail round's question)."""
    import cv2

    from sopilot_resources.stills import Stills

    cap, want, frames, i = cv2.VideoCapture(str(path)), list(e.stills.times), [], 0
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    while len(frames) < len(want) and cap.grab():
        if i / fps + 1e-6 >= want[len(frames)]:
            f = cap.retrieve()[1]
            scale = side / max(f.shape[:2])
            f = cv2.resize(f, (round(f.shape[1] * scale), round(f.shape[0] * scale)), interpolation=cv2.INTER_AREA)
            frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
        i += 1
    e.stills = Stills.from_frames(frames, want[:len(frames)], quality=quality)
    return e


def main() -> int:
    ap = argparse.ArgumentParser()
    add_set_args(ap)
    ap.add_argument("--task", required=True)
    ap.add_argument("--videos", default="", help="comma-separated parts of trainee file names (default: all)")
    ap.add_argument("--wide-steps", type=float, default=0.0, metavar="SEC")
    ap.add_argument("--made-anywhere", action="store_true")
    ap.add_argument("--redecode", default="", metavar="SIDE:QUALITY",
                    help="the stills decoded again from the videos at this size and JPEG quality (e.g. 640:40)")
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, a.quick)
    emb = get_embedder("color-motion")
    gold = next(v for v in manifest["videos"] if v["role"] == "gold" and v["task"] == a.task)
    if a.redecode:
        side, quality = (int(x) for x in a.redecode.split(":"))
        load = lambda rel: redecoded(embeddings_on_disk(root, rel, emb), root / rel, side, quality)  # noqa: E731
    else:
        load = lambda rel: embeddings_on_disk(root, rel, emb)  # noqa: E731
    ge = load(gold["path"])
    steps = load_steps(find_sidecar(root / gold["path"]))
    if a.wide_steps:
        steps = widen(steps, a.wide_steps, float(ge.ends[-1]))
    names = [n for n in a.videos.split(",") if n]
    classify, scene_deviations = engine.classify, engine.scene_deviations

    def seen(pe):  # the engine's own classify, its judgement printed
        out = classify(pe)
        print(f"  typical step contrast {pe.ref:.3f}, order recognised {pe.recognised}")
        for e, st in zip(pe.step_ev, out):
            print(f"   step {e.index + 1}: found {st.found:d} placed {e.placed:d} mapped clips "
                  f"{e.mapped.start}-{e.mapped.end} best {e.best.start}-{e.best.end} "
                  f"r_map {e.mapped_contrast / pe.ref:5.2f} r_best {e.contrast / pe.ref:5.2f} "
                  f"owner {e.mapped_owner:6.3f} / {e.owner:6.3f}")
        return out

    def made(pe, status, devs):
        if a.made_anywhere and pe.scene is not None and pe.scene.usable:
            spans = {s: (st.start_sec, st.end_sec) for s, st in enumerate(pe.steps)}
            for s, found in pe.scene.made_anywhere(spans).items():
                print(f"   step {s + 1} made anywhere: " + (", ".join(f"{m[4]}: agreement {m[0]:.2f} size {m[1]:.2f}"
                                                                        for m in found) or "-"))
        return scene_deviations(pe, status, devs)

    engine.classify, engine.scene_deviations = seen, made
    for v in manifest["videos"]:
        if v["role"] != "trainee" or v["task"] != a.task or (names and not any(n in v["path"] for n in names)):
            continue
        truth = [(s["gold_step"] + 1, round(s["start_sec"], 1), round(s["end_sec"], 1)) for s in v.get("steps", [])]
        print(f"{v['path']} ({v['kind']}); true steps (step, from s, to s): {truth}")
        res = engine.score_embeddings(ge, load(v["path"]), steps)
        print(f"  -> {res.score} {res.verdict} "
              + json.dumps([(d.type, None if d.gold_step is None else d.gold_step + 1) for d in res.deviations]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
