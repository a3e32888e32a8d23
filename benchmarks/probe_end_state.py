"""Probe (not part of the engine): each gold step's place in the two end scenes, as the opt-in
end-state check measures it (``SceneEvidence.end_states``, docs/scene.md "End state"), by
what the trainee really did at that step.

    .venv/bin/python benchmarks/probe_end_state.py --out bench_out/acc3 --seed 0 [--seed 1 ...] [--jsonl FILE] [--task T]

For every correct and wrongly-done trainee of a demo set (step files beside the golds), each
gold step with a clear lasting change (``CLEAR_GOLD``) gets its (agreement, size) at every
level where its place shows in both end scenes; a step counts as undone at a level from
``UNDONE_AGREE`` / ``UNDONE_SIZE``. Printed: every wrong step's own measures, and the correct
performances' steps that correlate at least ``UNDONE_AGREE`` (the ones the size must tell).
``--jsonl FILE``: every step of every correct, wrong and missing trainee, at every level, one
line each (seed, video, kind, step, the step the defect is at, the measures), to read other
thresholds from.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene.end_state import UNDONE_AGREE  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.detect_result import CLEAR_GOLD  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def _fmt(states) -> str:
    return ", ".join(f"{e.level} {e.agreement:.2f}/{e.size:.2f}{' undone' if e.undone else ''}"
                     f"{' (gold after the step)' if e.gold_scene == 'after' else ''}" for e in states)


def probe(out: str, seed: int, jsonl=None, task: str | None = None) -> None:
    root, manifest = load_set(out, seed, False)
    emb = get_embedder("color-motion")
    golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
    for v in manifest["videos"]:
        if v["role"] != "trainee" or v["kind"] not in ("correct", "wrong", "missing") or task not in (None, v["task"]):
            continue
        g = golds[v["task"]]
        steps = load_steps(find_sidecar(root / g["path"]))
        pe, _ = build_evidence(embeddings_on_disk(root, g["path"], emb), embeddings_on_disk(root, v["path"], emb),
                               steps, Profile())
        if pe.scene is None or not pe.scene.usable:
            continue
        states = pe.scene.end_states(list(range(len(steps))), min_reliability=CLEAR_GOLD, every_level=True)
        wrong = {d.get("gold_step") for d in v.get("deviations", []) if d["type"] == "wrong_step"}
        if jsonl is not None:
            at = [d.get("gold_step") for d in v.get("deviations", []) if d["type"] in ("wrong_step", "missing_step")]
            for s, found in states.items():
                jsonl.write(json.dumps({"seed": seed, "video": v["path"], "kind": v["kind"], "step": s,
                                        "defect_steps": at, "states": [e.to_dict() for e in found]}) + "\n")
        for s, found in states.items():
            if v["kind"] == "wrong" and s in wrong:
                print(f"seed {seed} WRONG   {v['path']} step {s}: {_fmt(found) or 'not seen'}")
            elif v["kind"] == "correct" and any(e.agreement >= UNDONE_AGREE for e in found):
                print(f"seed {seed} correct {v['path']} step {s}: {_fmt(found)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/accuracy")
    ap.add_argument("--seed", type=int, action="append", default=[])
    ap.add_argument("--jsonl", type=Path, help="also write every step's measures here, one JSON line each")
    ap.add_argument("--task", help="one task only (e.g. t04_terminals)")
    a = ap.parse_args()
    with (open(a.jsonl, "w", encoding="utf-8") if a.jsonl else contextlib.nullcontext()) as f:
        for seed in a.seed or [0]:
            probe(a.out, seed, f, a.task)
    return 0


if __name__ == "__main__":
    sys.exit(main())
