"""How well each step's result agrees with the gold's, in correct videos and at the step a
wrong video does wrongly (docs/bench/accuracy.md, "Stop 46").

For every correct and wrong trainee of the demo sets (steps file beside each gold, embeddings
cached by ``bench_accuracy.py``), every gold step but the last (its change is not settled when
the videos end) is searched for over the trainee's video at each level of pictures
(``SceneEvidence.made_anywhere``, as the both-ways search does), and its best agreement (over
the levels) listed by task and by what the step is: a correct video's step, the wrong video's
defective step, or a wrong video's other step. A rule that calls a step found by the clips done
wrongly from its agreement alone needs the lowest of the first group above the highest of the
second. Fixed-camera tasks only. ``--rule T`` also lists what a rule would flag that calls
a step done wrongly when its change is clear in the gold at both levels (the gold's two
estimates agree at least ``CLEAR_GOLD``) and its best agreement is under T at both.

    python benchmarks/probe_step_agreement.py --out bench_out/acc3 --seeds 0,1,47,49 --rule 0.75
"""
from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from sopilot_resources.embeddings import ClipEmbeddings
from sopilot_resources.scoring.build_pair import build_evidence
from sopilot_resources.scoring.detect_result import CLEAR_GOLD
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import find_sidecar, load_steps


def pair_agreements(root: Path, gold: dict, trainee: dict, load) -> list[tuple[float | None, bool]] | None:
    """Per gold step but the last: (the best agreement over the levels, None: not searchable;
    whether the gold's change is clear at every level and there are two); None when the pair
    has no usable fixed-camera pictures."""
    steps = load_steps(find_sidecar(root / gold["path"]))
    pe, _ = build_evidence(load(gold["path"]), load(trainee["path"]), steps, Profile(), scene=True)
    scene = pe.scene
    if scene is None or not scene.usable or not scene.fixed_camera:
        return None
    asked = list(range(len(steps) - 1))
    found = scene.made_anywhere({i: (steps[i].start_sec, steps[i].end_sec) for i in asked})
    clear = {lv.name: {s for s, c in scene.lasting_changes(asked, lv.name).items() if c.reliability >= CLEAR_GOLD}
             for lv in scene.levels}
    return [(max((m[0] for m in found[i]), default=None),
             len(found[i]) == 2 and all(i in clear[m[4]] for m in found[i])) for i in asked]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="bench_accuracy.py's --out (its seedN-v2 folders)")
    ap.add_argument("--seeds", required=True, help="comma-separated seeds")
    ap.add_argument("--lowest", type=int, default=5, help="how many of each group to list")
    ap.add_argument("--rule", type=float, default=None, metavar="T",
                    help="also list the steps clear at both levels whose best agreement is under T")
    args = ap.parse_args()
    groups: dict[tuple[str, str], list[tuple[float, str]]] = collections.defaultdict(list)
    flagged: dict[str, list[str]] = collections.defaultdict(list)
    defects = 0
    for seed in (int(s) for s in args.seeds.split(",")):
        root = Path(args.out) / f"seed{seed}-v2"
        cache = sorted((root / ".emb_cache").iterdir())[0]
        manifest = json.loads((root / "manifest.json").read_text())
        golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}

        def load(path: str) -> ClipEmbeddings:
            return ClipEmbeddings.load(cache / (path.replace("/", "__") + ".npz"))

        for v in manifest["videos"]:
            if v["role"] != "trainee" or v["kind"] not in ("correct", "wrong"):
                continue
            got = pair_agreements(root, golds[v["task"]], v, load)
            if got is None:
                continue
            defect = next((d["gold_step"] for d in v.get("deviations", [])), None)
            defects += v["kind"] == "wrong"
            for s, (a, clear) in enumerate(got):
                if a is None:
                    continue
                group = "correct" if v["kind"] == "correct" else ("defect" if s == defect else "wrong, other")
                where = f"seed {seed} {Path(v['path']).name} step {s + 1}"
                groups[v["task"], group].append((a, where))
                if args.rule is not None and clear and a < args.rule:
                    flagged[group].append(f"{where} ({a:.2f})")
    for (task, group), rows in sorted(groups.items()):
        rows.sort()
        low = ", ".join(f"{a:.2f} ({where})" for a, where in rows[:args.lowest])
        print(f"{task:14s} {group:13s} n={len(rows):3d}  lowest: {low}")
        if group == "defect":
            print(f"{'':14s} {'':13s}        highest: {rows[-1][0]:.2f} ({rows[-1][1]})")
    if args.rule is not None:
        print(f"clear at both levels, best agreement under {args.rule}: {len(flagged['defect'])} of {defects} "
              f"wrong videos' defective steps")
        for group in ("defect", "correct", "wrong, other"):
            print(f"  {group}: {len(flagged[group])}" + "".join(f"\n    {x}" for x in flagged[group]))


if __name__ == "__main__":
    main()
