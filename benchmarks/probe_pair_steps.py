"""One pair, step by step: what the pictures can judge of each gold step, and where the trainee
made its change (docs/bench/accuracy.md, "Stop 45").

    .venv/bin/python benchmarks/probe_pair_steps.py GOLD TRAINEE [--steps FILE]

Prints the pair's score, verdict and deviations; per gold step and level of pictures its region
(pixels; ``lasts``: checked to last both ways; its two estimates' agreement); for a fixed
camera's first step, how many of its pixels the trainee's first scene does not show and how
many it is judged at (``search.before_work``); and per step the both-ways search's best match at
each level (agreement, size against the gold's change, share of the region seen, trainee
seconds by which it was made). Steps detected from the gold without ``--steps`` or a sidecar.
Both videos are ingested here (no cache): a 30 s pair takes a few seconds.
"""
from __future__ import annotations

import argparse

import numpy as np

from sopilot_resources.embedders.registry import get_embedder
from sopilot_resources.ingest import ingest_video
from sopilot_resources.scene.search import before_work
from sopilot_resources.score_files import STILLS_FPS
from sopilot_resources.scoring.build_pair import build_evidence
from sopilot_resources.scoring.engine import detect
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import find_sidecar, load_steps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold")
    ap.add_argument("trainee")
    ap.add_argument("--steps", help="the gold's steps file (default: its sidecar, else detected)")
    args = ap.parse_args()
    side = args.steps or find_sidecar(args.gold)
    steps = load_steps(side) if side else None
    emb = get_embedder("color-motion")
    gold, trainee = (ingest_video(p, emb, stills_fps=STILLS_FPS) for p in (args.gold, args.trainee))
    pe, clock = build_evidence(gold, trainee, steps, Profile(), scene=True)
    res = detect(pe, clock)
    print(f"score {res.score} {res.verdict}; steps {'from ' + str(side) if side else 'detected'}")
    for d in res.deviations:
        print(f"  {d.type} at step {d.gold_step}: {d.message}")
    scene = pe.scene
    if scene is None or not scene.usable:
        print("no scene comparison for this pair")
        return 0
    n = len(pe.steps)
    made = scene.made_anywhere({s: (st.start_sec, st.end_sec) for s, st in enumerate(pe.steps)})
    for level in scene.levels:
        changes = level.change(list(range(n)))
        scenes = level._all_scenes  # a fixed camera's samples, made by the search above
        for s, st in enumerate(pe.steps):
            c = changes.get(s)
            if c is None:
                print(f"{level.name:8s} step {s + 1} {st.name!r}: no change the pictures can judge")
                continue
            line = (f"{level.name:8s} step {s + 1} {st.name!r}: region {int(c.region.sum())} px, "
                    f"lasts {c.lasts}, estimates agree {c.reliability:.3f}")
            if c.before is not None and scenes is not None:
                ys, xs = np.nonzero(c.region)
                first = next(f for f in scenes.flat if f is not None)
                unseen = int((~np.isfinite(first[ys, xs]).all(-1)).sum())
                line += f"; unseen in the trainee's first scene {unseen}, judged {int(before_work(c, first, ys, xs).sum())}"
            print(line)
    for s, found in made.items():
        txt = ", ".join(f"{lv}: {a:.3f} at {m:.2f}x, {seen:.0%} seen, by {when:.2f} s" for a, m, seen, when, lv in found)
        print(f"made   step {s + 1} {pe.steps[s].name!r}: {txt or 'not searchable'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
