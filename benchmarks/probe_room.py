"""Probe: does the time between a step's neighbours' results tell a step left out from one
done wrongly? (adopted as ``scoring/detect_room.py``)

    .venv/bin/python benchmarks/probe_room.py --out bench_out/acc3 --seeds 0,1,3,5,7,9,11,13,15,17,19,21

Per missing and wrong trainee of the fixed-camera tasks (``--tasks``), for the defect's step k:
when the trainee made the results of steps k-1 and k+1 (``made_steps``, as the engine finds
them), and the share of step k's gold duration that the time between them leaves it at the
trainee's pace (``detect_room.room_share``, at ``--pace``; ``-`` where a neighbour's result was
not found or they came out of order), then how the engine as it is types step k. docs/bench/accuracy.md,
"Room round".
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
from sopilot_resources.scoring.detect_room import room_share, slot_pace  # noqa: E402
from sopilot_resources.scoring.detect_scene_done import made_steps  # noqa: E402
from sopilot_resources.scoring.detect_steps import classify, trainee_pace  # noqa: E402
from sopilot_resources.scoring.detect_order import swap  # noqa: E402
from sopilot_resources.scoring.engine import detect  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--tasks", default="t03_bracket,t04_terminals,t01_valve")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--pace", choices=("slots", "spans"), default="slots",
                    help="the trainee's pace the room is measured at: the rule's (slot_pace), or the clips' "
                         "trainee_pace (spans over bare step durations, the first probe's)")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    for task in a.tasks.split(","):
        for seed, root, manifest, steps, ge in task_golds(a.out, a.seeds, task, emb):
            for v in manifest["videos"]:
                if v["role"] != "trainee" or v["task"] != task or v["kind"] not in ("missing", "wrong"):
                    continue
                k = v["deviations"][0]["gold_step"]
                pe, clock = build_evidence(ge, embeddings_on_disk(root, v["path"], emb), steps, Profile())
                if pe.scene is None or not pe.scene.usable:
                    print(seed, v["kind"], Path(v["path"]).name, "no scene evidence")
                    continue
                status = swap(pe, classify(pe))
                pace = slot_pace(pe, status) if a.pace == "slots" else trainee_pace(pe, status)
                near = [n for n in (k - 1, k + 1) if 0 <= n < len(steps)]
                made = made_steps(pe.scene, {n: (steps[n].start_sec, steps[n].end_sec) for n in near})
                got = room_share(pe, k, made, pace)
                typed = sorted(d.type for d in detect(pe, clock).deviations if d.gold_step == k)
                room = "-" if got is None else f"{got[0]:.2f} ({got[1]:.1f}-{got[2]:.1f} s)"
                print(seed, v["kind"], Path(v["path"]).name, f"step {k}", f"pace {pace:.2f}", f"share {room}",
                      f"typed {typed}", flush=True)


if __name__ == "__main__":
    main()
