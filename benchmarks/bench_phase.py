"""Sampling-phase robustness: does a result survive sampling the trainee a little later?

    .venv/bin/python benchmarks/bench_phase.py --out bench_out/acc3 [--seed N | --quick] [--phase 0.1] [--fps 8] [--detected-steps]
    .venv/bin/python benchmarks/bench_phase.py --out bench_out/acc3 --seed N --phase 0.125 --tag agree --report-only

Frames are sampled at 4 a second from whatever instant the recording starts; nothing about a
performance fixes that instant, so a result that changes when it moves by a fraction of the
sampling interval is noise, not evidence. Each trainee of a demo set (the same directories as
bench_accuracy.py) is ingested a second time with ``SamplingConfig(phase_sec=PHASE)`` (every
sampled frame ``PHASE`` s later; the golds as always) and scored again. Prints each trainee
whose verdict, deviations or score (by more than 0.05) moved, then a summary: verdicts changed,
score shifts, the accuracy figures of both samplings, and how far the clip vectors moved (median
cosine of a clip with itself sampled later). This is the noise floor of the
accuracy figures of a set this size: a change between two engines smaller than it is not a
finding. Results: ``results-phase<PHASE>[-TAG].json`` beside the set (rows as in bench_accuracy.py).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_set_args, evaluate, load_set, summarize  # noqa: E402


def compare(base: list[dict], moved: list[dict]) -> dict:
    """The two samplings' rows (same trainees) -> what moved, and each sampling's figures."""
    by_path = {r["path"]: r for r in base}
    shifts, verdicts, found = [], 0, 0
    for r in moved:
        b = by_path[r["path"]]
        shifts.append(abs(r["score"] - b["score"]))
        verdicts += r["verdict"] != b["verdict"]
        found += r["found"] != b["found"]
        if abs(r["score"] - b["score"]) > 0.05 or r["found"] != b["found"] or r["verdict"] != b["verdict"]:
            print(f"{r['kind']:9s} {b['score']:6.1f} {b['verdict']:12s} -> {r['score']:6.1f} {r['verdict']:12s} "
                  f"{r['path']}  {b['found']} -> {r['found']}  expected={r['expected']}")
    s = np.asarray(shifts)
    figures = ("auc", "correct_pass", "defective_not_pass")
    sb, sm = summarize(base), summarize(moved)
    return {"trainees": len(moved), "verdicts_changed": verdicts, "deviations_changed": found,
            "score_shift_median": round(float(np.median(s)), 2), "score_shift_p90": round(float(np.quantile(s, 0.9)), 2),
            "score_shift_max": round(float(s.max()), 2),
            **{f"{k}_base": round(sb[k], 3) for k in figures}, **{f"{k}_moved": round(sm[k], 3) for k in figures}}


def combine(base: list[dict], moved: list[dict], how: str) -> list[dict]:
    """One row per trainee from its two samplings' rows: ``agree`` keeps the deviations both
    report (same type at the same gold step, the smaller penalty of the two), ``mean`` averages
    the two scores; the verdict from the default profile either way (critical when both say so)."""
    from sopilot_resources.scoring.profile import Profile

    profile, by_path, out = Profile(), {r["path"]: r for r in base}, []
    for m in moved:
        b = by_path[m["path"]]
        crit = all(any(d[3] == "critical" for d in r["devs"]) for r in (b, m))
        if how == "mean":
            score, found = (b["score"] + m["score"]) / 2, [f for f in b["found"] if f in m["found"]]
        else:
            pen = {}
            for d in m["devs"]:
                pen[d[0], d[1]] = min(pen.get((d[0], d[1]), 1e9), d[2])
            kept = [(d, min(d[2], pen[d[0], d[1]])) for d in b["devs"] if (d[0], d[1]) in pen]
            score = max(0.0, 100.0 - sum(p for _, p in kept))
            crit = any(d[3] == "critical" for d, _ in kept) and crit
            found = sorted({(d[0], d[1]) for d, _ in kept}, key=lambda x: (x[1] is None, x[1] or 0, x[0]))
        # steps out of order (Profile.order_blocks_pass): an order deviation the combined row reports
        order = any(t == "order_swap" for t, _ in found)
        out.append({**m, "score": round(score, 2), "verdict": profile.verdict(score, crit, order).value, "found": found})
    return out


def stability(base: list[dict], moved: list[dict]) -> dict:
    """Of the deviations either sampling reports (type, gold step), how many both report, split by
    what they are: ``true`` (the defect the generator made), ``false_on_correct`` (reported on a
    correct performance), ``false_on_defective`` (a defective video's, of another type or step);
    unrelated videos left out. {group: [reported by either, by both]}."""
    by_path, out = {r["path"]: r for r in base}, {}
    for m in moved:
        if m["kind"] == "unrelated":
            continue
        b, expected = by_path[m["path"]], {tuple(e) for e in m["expected"]}
        fa, fb = {tuple(x) for x in b["found"]}, {tuple(x) for x in m["found"]}
        for dev in fa | fb:
            group = "true" if dev in expected else ("false_on_correct" if m["kind"] == "correct" else "false_on_defective")
            n = out.setdefault(group, [0, 0])
            n[0] += 1
            n[1] += dev in fa and dev in fb
    return out


def clip_agreement(cache: dict, phase: float) -> dict:
    """How much the clip vectors themselves moved: per trainee, the median cosine between each
    clip and the same clip sampled ``phase`` s later; the median and the lowest over trainees."""
    per = []
    for (rel, ph), moved in cache.items():
        if ph != phase:
            continue
        a, b = cache[rel, 0.0].vectors, moved.vectors
        n = min(len(a), len(b))
        per.append(float(np.median((a[:n] * b[:n]).sum(axis=1))))
    return {"clip_cosine_median": round(float(np.median(per)), 3), "clip_cosine_lowest": round(min(per), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_set_args(ap)
    ap.add_argument("--phase", type=float, default=0.1, help="seconds (default 0.1)")
    ap.add_argument("--fps", type=float, default=None,
                    help="sample every video at this rate instead of the default (e.g. 8: two interleaved 4 fps samplings per clip)")
    ap.add_argument("--detected-steps", action="store_true", help="ignore the golds' step files (steps detected)")
    ap.add_argument("--tag", default="", help="write results-phase<PHASE>-TAG.json (an engine beside another)")
    ap.add_argument("--report-only", action="store_true",
                    help="print the figures of the saved results-phase... file again (rows of both samplings); score nothing")
    a = ap.parse_args()
    if not 0 < a.phase < 1.0:
        ap.error("--phase must lie between 0 and 1 s")
    root, manifest = load_set(a.out, a.seed, a.quick)
    saved = root / f"results-phase{a.phase:g}{'-detected' if a.detected_steps else ''}{'-' + a.tag if a.tag else ''}.json"
    if a.report_only:  # the figures again from a saved run, nothing scored
        doc = json.loads(saved.read_text())
        base, moved = doc["rows_base"], doc["rows"]
        out = {k: v for k, v in doc["summary"].items() if k.startswith("clip_")}
        out = {**compare(base, moved), **out}
    else:
        cache: dict = {}
        base = evaluate(root, manifest, False, a.detected_steps, cache=cache, fps=a.fps)
        moved = evaluate(root, manifest, False, a.detected_steps, cache=cache, trainee_phase=a.phase, fps=a.fps)
        print("--- moved by the phase shift ---")
        out = {**compare(base, moved), **clip_agreement(cache, a.phase)}
    out["deviations_either_both"] = stability(base, moved)
    for how in ("agree", "mean"):  # one verdict from both samplings: only what does not hang on the instant
        both = summarize(combine(base, moved, how))
        out.update({f"{k}_{how}": round(both[k], 3) for k in ("auc", "correct_pass", "defective_not_pass")})
    if not a.report_only:
        saved.write_text(json.dumps({"summary": out, "rows": moved, "rows_base": base}, indent=1))
    print(json.dumps({"set": str(root), "phase_sec": a.phase, **out}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
