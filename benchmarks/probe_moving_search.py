"""Probe (not part of the engine): can the both-ways search tell a moving camera's step done
from one skipped or done wrongly? (docs/bench/accuracy.md, "Never-back round": it cannot.)

    .venv/bin/python benchmarks/probe_moving_search.py --out bench_out/acc3 --task t02_pump_line --seeds 0,3,5

Per trainee of the task (correct, wrong, missing; step files beside the golds), per gold step
with a change at the comparison's pictures: its two estimates' agreement (``r``) and the best
(agreement / size) of its change searched near the step in the trainee's video
(:meth:`SceneEvidence.made_anywhere`); ``*``: a step the clips did not find. The defect's step
is named after the video.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.detect_steps import classify  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def probe(out: str, seed: int, task: str) -> None:
    root, manifest = load_set(out, seed, False)
    emb = get_embedder("color-motion")
    gold = next(v for v in manifest["videos"] if v["role"] == "gold" and v["task"] == task)
    steps = load_steps(find_sidecar(root / gold["path"]))
    for v in manifest["videos"]:
        if v["role"] != "trainee" or v["task"] != task or v["kind"] not in ("correct", "wrong", "missing"):
            continue
        pe, _ = build_evidence(embeddings_on_disk(root, gold["path"], emb), embeddings_on_disk(root, v["path"], emb),
                               steps, Profile())
        if pe.scene is None or not pe.scene.usable:
            print(f"seed {seed} {v['path']}: pictures not compared")
            continue
        level = pe.scene.levels[-1]
        changes = level.change(list(range(len(steps))))
        ask = {s: (steps[s].start_sec, steps[s].end_sec) for s, c in changes.items() if c is not None}
        found = pe.scene.made_anywhere(ask, levels=[level.name])
        status = classify(pe)
        cells = []
        for s, c in sorted(changes.items()):
            if c is None:
                cells.append(f"{s}: -")
                continue
            best = max(((m[0], m[1]) for m in found.get(s, [])), default=None)
            mark = "" if status[s].found else "*"
            got = "none" if best is None else f"{best[0]:.2f}/{best[1]:.2f}"
            cells.append(f"{s}{mark}: r{c.reliability:.2f} {got}")
        defect = [d.get("gold_step") for d in v.get("deviations", [])]
        print(f"seed {seed} {Path(v['path']).name} {v['kind']} {defect} | " + " | ".join(cells), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/accuracy")
    ap.add_argument("--task", default="t02_pump_line")
    ap.add_argument("--seeds", default="0")
    a = ap.parse_args()
    for seed in (int(x) for x in a.seeds.split(",")):
        probe(a.out, seed, a.task)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
