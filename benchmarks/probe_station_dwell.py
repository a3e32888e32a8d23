"""Probe (not part of the engine; not adopted): does a moving camera's time at a station tell a
step left out?

    .venv/bin/python benchmarks/probe_station_dwell.py --out bench_out/acc3 --seeds 0,1,7,9,17

Per pump-line trainee (correct, missing, wrong, swap) and gold step (``*``: the defect's step):
the trainee's seconds at the step's station / the gold's (``station_dwell``, as the engine
measures them for slow steps), then ``|`` the clips' contrast of the step relative to the
typical step (``classify``: 1 is a step seen as clearly as the others; ``NF`` not found).
docs/bench/accuracy.md, "Station-mosaic round": a step left out reads 0.0-1.0 s at its station
while its clips see it as clearly as the others (its station passes through the view), but
fast correct performances read 0.0-1.0 s at some stations too (the camera seldom recognised
there), so the dwell alone does not separate them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk  # noqa: E402
from probe_station_mosaic import task_golds  # noqa: E402
from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.detect_steps import classify  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--task", default="t02_pump_line")
    ap.add_argument("--seeds", default="0,1")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    for seed, root, manifest, steps, ge in task_golds(a.out, a.seeds, a.task, emb):
        for v in manifest["videos"]:
            if v["role"] != "trainee" or v["task"] != a.task or v["kind"] not in ("correct", "missing", "wrong", "swap"):
                continue
            pe, _ = build_evidence(ge, embeddings_on_disk(root, v["path"], emb), steps, Profile())
            sd = pe.scene.station_dwell(0.0) if pe.scene is not None else None
            if sd is None:
                print(seed, v["kind"], Path(v["path"]).name, "no dwell measured")
                continue
            status = classify(pe)
            defect = [d.get("gold_step") for d in v.get("deviations", [])]
            cells = [f"{s}{'*' if s in defect else ''}:{sd.trainee[s]:.1f}/{sd.gold[s]:.1f}|{status[s].ratio:.2f}"
                     f"{'' if status[s].found else 'NF'}" for s in range(len(steps) - 1)]
            print(seed, v["kind"], Path(v["path"]).name, f"pace {sd.pace:.2f}", " ".join(cells), flush=True)


if __name__ == "__main__":
    main()
