"""Probe (not part of the engine): where the clips' deviations go wrong when the gold's steps are
detected (no step file), and how well the detected boundaries match the true ones.

    .venv/bin/python benchmarks/probe_detected_faults.py --out bench_out/acc3 --seeds 0,1,3,5,19,21 [--boundaries-only]

Prints (1) the detected boundaries against the step files', pooled over every gold of the
seeds (within 1 s, as ``bench_accuracy.boundary_match`` counts them per set), and (2) every
clips-only ``missing_step`` / ``wrong_step`` left in a result (no scene evidence), with the
true step its detected step overlaps most, whether it is the gold's first or last detected
step, and the gold's change at that step per level of pictures (lasts, reliability, region
px; None: no reliable change), labelled ``correct`` (a false deviation), ``true`` (the
defect, at its step) or ``other``. docs/bench/accuracy.md, "Stop 39".
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_seeds_args, boundary_hits, embeddings_on_disk, seed_sets, true_step_of  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.engine import detect  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import detect_steps, find_sidecar, load_steps  # noqa: E402


def clips_only_faults(pe, res, video: dict, to_true: dict[int, int]) -> list[tuple[str, str, str, str]]:
    """Per clips-only ``missing_step`` / ``wrong_step`` of ``res`` (no scene evidence): (label,
    place, the gold change's state, a line to print). label: ``correct`` (a false deviation),
    ``true`` (the defect, at its true step) or ``other``; place: the gold's first or last
    detected step, or an inner one; state: no reliable change at any level, a change not
    checked to last, or one that lasts."""
    defects = [(x["type"], x["gold_step"]) for x in video.get("deviations", [])]
    out = []
    for d in res.deviations:
        if d.type not in ("missing_step", "wrong_step") or d.evidence is not None or d.gold_step is None:
            continue
        s = d.gold_step
        label = ("correct" if video["kind"] == "correct" else
                 "true" if any(t in ("missing_step", "wrong_step") and k == to_true[s] for t, k in defects)
                 else "other")
        edge = s in (0, len(pe.steps) - 1)
        change = {}
        if pe.scene is not None and pe.scene.usable:
            for lv in pe.scene.levels:
                c = lv.change([s]).get(s)
                change[lv.name] = None if c is None else (bool(c.lasts), round(c.reliability, 2), int(c.region.sum()))
        state = ("no change" if not any(change.values()) else
                 "not checked to last" if not any(c[0] for c in change.values() if c) else "lasts")
        line = (f"{video['path'].split('/')[-1][:36]:36s} {d.type:12s} detected {s} -> true {to_true[s]}"
                f"{' (first/last)' if edge else ''} conf {d.confidence:.2f} {change}")
        out.append((label, "first/last" if edge else "inner", state, line))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    add_seeds_args(ap)
    ap.add_argument("--boundaries-only", action="store_true", help="(1) only: no scoring")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    tally, where = [0, 0, 0], Counter()
    for seed, root, manifest in seed_sets(a):
        for gold in (v for v in manifest["videos"] if v["role"] == "gold"):
            ge = embeddings_on_disk(root, gold["path"], emb)
            truth = load_steps(find_sidecar(root / gold["path"]))
            trainees = [] if a.boundaries_only else [
                v for v in manifest["videos"]
                if v["role"] == "trainee" and v["task"] == gold["task"] and v["kind"] != "unrelated"]
            for v in trainees:
                pe, clock = build_evidence(ge, embeddings_on_disk(root, v["path"], emb), None, Profile())
                for label, place, state, line in clips_only_faults(pe, detect(pe, clock), v,
                                                                   true_step_of(list(pe.steps), truth)):
                    where[label, place, state] += 1
                    print(f"{label:8s} seed {seed:<2} {line}")
            det = [s.end_sec for s in detect_steps(ge.vectors, ge.starts, ge.ends)[:-1]]
            tally = [x + y for x, y in zip(tally, boundary_hits(det, truth))]
    print(f"boundaries: recall {tally[0] / max(1, tally[1]):.3f} precision {tally[0] / max(1, tally[2]):.3f} "
          f"({tally[0]} of {tally[1]} true, {tally[2]} detected)")
    for key, n in sorted(where.items()):
        print(" ", " / ".join(key), n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
