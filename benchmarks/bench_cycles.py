"""Shift recordings (issue 16): cycle detection and per-cycle accuracy on the demo's shift option.

    .venv/bin/python benchmarks/bench_cycles.py --seed N [--cycles 10 50] [--recordings 1] [--out bench_out/cycles]

Renders (once per seed, ``sopilot_resources.demo.shift.generate_shift``) one-cycle golds, cyclic
golds (three cycles) and shift recordings of tasks t01 and t02 (quick style), ingests them
(color-motion, stills kept; cached beside the videos), finds and scores the cycles
(``cycles.recording.score_recording``) and reports:

- detection: true cycles, found, matched (overlap), complete cycles with both boundaries within
  1 s, false cycles (found, no true one under it), partial cycles flagged as partial;
- per-cycle accuracy by kind: correct cycles that pass, defective ones that do not, and those
  whose expected deviation type is reported at the right gold step (a swap: either step; an
  extra action or a pause: the step it follows);
- cycle-time error (found vs true duration of complete cycles), median and 90th percentile;
- the cyclic golds: period found vs true, steps detected on the cut vs the task's;
- time and peak RSS of scoring each recording.
Writes results.json beside the videos.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk  # noqa: E402

from sopilot_resources.cycles.gold_cycle import one_cycle_gold  # noqa: E402
from sopilot_resources.cycles.recording import score_recording  # noqa: E402
from sopilot_resources.demo.shift import generate_shift  # noqa: E402
from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.steps import detect_steps, load_steps  # noqa: E402


def match(found: list[dict], truth: list[dict]) -> list[tuple[dict, dict | None]]:
    """Each true cycle with the found one overlapping it most (at least half of the shorter)."""
    out = []
    for t in truth:
        best, share = None, 0.5
        for f in found:
            a, b = f["trainee_time"]["start_sec"], f["trainee_time"]["end_sec"]
            ov = min(b, t["end_sec"]) - max(a, t["start_sec"])
            s = ov / max(1e-6, min(b - a, t["end_sec"] - t["start_sec"]))
            if s > share:
                best, share = f, s
        out.append((t, best))
    return out


def located(found: dict, truth: dict) -> bool:
    """A deviation of the expected type at the right gold step (as bench_accuracy.per_kind: for
    a swap either step, for an extra action or a pause the step it follows)."""
    for d in truth["deviations"]:
        step = d["gold_step"] if d.get("gold_step") is not None else d.get("after_gold_step")
        steps = {step, step + 1} if d["type"] == "order_swap" else {step}
        if any(f["type"] == d["type"] and f["gold_step"] in steps for f in found["deviations"]):
            return True
    return False


def true_span_rows(root: Path, man: dict, emb, scene: bool) -> list[dict]:
    """Each complete true cycle scored on its true span (+1.5 s each side, as recording.py pads):
    the engine's per-cycle accuracy with the cycle finding taken out."""
    from sopilot_resources.cycles.slicing import time_slice
    from sopilot_resources.scoring.engine import score_embeddings

    rows = []
    for rec in man["recordings"]:
        tm = man["tasks"][rec["task"]]
        gold = embeddings_on_disk(root, tm["gold"], emb)
        steps = load_steps(root / Path(tm["gold"]).with_suffix(".steps.json"))
        trainee = embeddings_on_disk(root, rec["path"], emb)
        for t in rec["cycles"]:
            if t["partial"]:
                continue
            part, _ = time_slice(trainee, t["start_sec"] - 1.5, t["end_sec"] + 1.5)
            if len(part) < 4:  # past the recording's end
                continue
            r = score_embeddings(gold, part, steps, scene=scene).to_dict()
            f = {"deviations": r["deviations"]}
            rows.append({"recording": rec["path"], "index": t["index"], "kind": t["kind"], "partial": False, "found": True,
                         "found_partial": False, "start_err": 0.0, "end_err": 0.0, "time_err": 0.0, "verdict": r["verdict"], "score": r["score"],
                         "located": located(f, t) if t["kind"] != "correct" else None})
    return rows


def evaluate(root: Path, man: dict, emb, scene: bool = True) -> dict:
    rows, cyc_gold = [], []
    for key, tm in man["tasks"].items():
        g = embeddings_on_disk(root, tm["gold_cyclic"], emb)
        cut, info = one_cycle_gold(g, None)
        true_period = float(g.ends[-1]) / tm["gold_cyclic_cycles"]
        n_steps = len(detect_steps(cut.vectors, cut.starts, cut.ends)) if info else None
        cyc_gold.append({"task": key, "period_found": info.period_sec if info else None, "period_true": round(true_period, 2),
                         "steps_on_cut": n_steps, "steps_true": len(tm["steps"]),
                         "steps_whole": len(detect_steps(g.vectors, g.starts, g.ends))})
    for rec in man["recordings"]:
        tm = man["tasks"][rec["task"]]
        gold = embeddings_on_disk(root, tm["gold"], emb)
        steps = load_steps(root / Path(tm["gold"]).with_suffix(".steps.json"))
        trainee = embeddings_on_disk(root, rec["path"], emb)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        res = score_recording(gold, trainee, steps, scene=scene)
        sec = time.perf_counter() - t0
        found = res.cycles or []
        pairs = match(found, rec["cycles"])
        used = {id(f) for _, f in pairs if f is not None}
        for t, f in pairs:
            dur = (f["trainee_time"]["end_sec"] - f["trainee_time"]["start_sec"]) if f else None
            rows.append({"recording": rec["path"], "index": t["index"], "kind": t["kind"], "partial": t["partial"],
                         "found": f is not None, "found_partial": f["partial"] if f else None,
                         "start_err": abs(f["trainee_time"]["start_sec"] - t["start_sec"]) if f else None,
                         "end_err": abs(f["trainee_time"]["end_sec"] - t["end_sec"]) if f else None,
                         "time_err": abs(dur - (t["end_sec"] - t["start_sec"])) if f else None,
                         "score": f["score"] if f else None, "verdict": f["verdict"] if f else None,
                         "located": located(f, t) if f and not t["partial"] and t["kind"] != "correct" else None,
                         "reported": sorted({(d["type"], d["gold_step"]) for d in f["deviations"]},
                                            key=str) if f else None})
        rows.append({"recording": rec["path"], "false_cycles": len(found) - len(used), "seconds": round(sec, 2),
                     "video_sec": rec["duration_sec"], "rss_gain_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024, 1),
                     "cycle_stats": res.cycle_stats})
    return {"cycles": [r for r in rows if "index" in r], "recordings": [r for r in rows if "index" not in r],
            "cyclic_golds": cyc_gold}


def summary(res: dict) -> dict:
    cyc = res["cycles"]
    whole = [r for r in cyc if not r["partial"]]
    hit = [r for r in whole if r["found"]]
    part = [r for r in cyc if r["partial"]]
    out = {"true_cycles": len(cyc), "found": sum(r["found"] for r in cyc),
           "false_cycles": sum(r["false_cycles"] for r in res["recordings"]),
           "complete_found": f"{len(hit)}/{len(whole)}",
           "boundaries_within_1s": f"{sum(r['start_err'] <= 1 and r['end_err'] <= 1 for r in hit)}/{len(whole)}",
           "partial_flagged": f"{sum(bool(r['found_partial']) for r in part if r['found'])}/{len(part)} (found {sum(r['found'] for r in part)})",
           "cycle_time_err_median_sec": round(float(np.median([r["time_err"] for r in hit])), 2) if hit else None,
           "cycle_time_err_p90_sec": round(float(np.percentile([r["time_err"] for r in hit], 90)), 2) if hit else None}
    kinds = {}
    for r in hit:
        k = kinds.setdefault(r["kind"], {"n": 0, "pass": 0, "located": 0})
        k["n"] += 1
        k["pass"] += r["verdict"] == "pass"
        k["located"] += bool(r["located"])
    out["by_kind"] = {k: (f"pass {v['pass']}/{v['n']}" if k == "correct" else
                          f"not pass {v['n'] - v['pass']}/{v['n']}, right type at the right step {v['located']}/{v['n']}")
                      for k, v in sorted(kinds.items())}
    out["recordings"] = [{k: r[k] for k in ("recording", "seconds", "video_sec", "rss_gain_mb", "false_cycles")}
                         for r in res["recordings"]]
    out["cyclic_golds"] = res["cyclic_golds"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cycles", type=int, nargs=2, default=(10, 50))
    ap.add_argument("--recordings", type=int, default=1)
    ap.add_argument("--tasks", type=int, nargs="+", default=[0, 1], help="task indices (0 t01 fixed view, 1 t02 body-worn camera)")
    ap.add_argument("--out", default="bench_out/cycles")
    ap.add_argument("--no-scene", action="store_true", help="clips only (no picture comparison)")
    ap.add_argument("--true-spans", action="store_true",
                    help="score each complete cycle on its true span instead (cycle finding taken out)")
    a = ap.parse_args()
    tasks = "" if a.tasks == [0, 1] else "-t" + "".join(map(str, a.tasks))
    root = Path(a.out) / f"seed{a.seed}-c{a.cycles[0]}-{a.cycles[1]}-r{a.recordings}{tasks}"
    mpath = root / "shift_manifest.json"
    t0 = time.perf_counter()
    man = json.loads(mpath.read_text()) if mpath.is_file() else generate_shift(root, a.seed, tuple(a.cycles), a.recordings,
                                                                                     tasks=tuple(a.tasks))
    print(f"set ready in {time.perf_counter() - t0:.1f} s: {root}", file=sys.stderr)
    tag = ("-noscene" if a.no_scene else "") + ("-truespans" if a.true_spans else "")
    if a.true_spans:
        rows = true_span_rows(root, man, get_embedder("color-motion"), scene=not a.no_scene)
        (root / f"results{tag}.json").write_text(json.dumps(rows, indent=1) + "\n")
        print(json.dumps(summary({"cycles": rows, "recordings": [], "cyclic_golds": []})["by_kind"], indent=1))
        return
    res = evaluate(root, man, get_embedder("color-motion"), scene=not a.no_scene)
    (root / f"results{tag}.json").write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(summary(res), indent=1))


if __name__ == "__main__":
    main()
