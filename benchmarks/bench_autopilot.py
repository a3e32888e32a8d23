"""The autopilot on the demo sets (issue 15, "How it is measured"): per task, some videos are
taken as reviewed (their ground truth as the supervisor's verdict), the autopilot proposes
verdict thresholds from them, and the other videos are judged with the adopted thresholds vs
the default ones.

    .venv/bin/python benchmarks/bench_autopilot.py                      # seeds 0, 1, 3 (bench_out/acc3)
    .venv/bin/python benchmarks/bench_autopilot.py --sets bench_out/acc3/seed1-v2 --splits 20

Input: the engine's results per video that ``benchmarks/bench_accuracy.py --out bench_out/acc3
--seed N`` wrote (``results.json`` beside each set: score and verdict per video, its kind).
Reviewed verdicts: ``correct`` -> pass, ``unrelated`` and a missing critical step -> fail,
every other defect -> retrain. Per task and split (seeded): ``--reviewed`` videos reviewed (at
least two correct and two defective), the rest held out. The proposal is the real one
(``scoring.autopilot.propose``: bounds 5 points, 5-fold cross-validation, the gate), adopted
when it passes the gate. Reported per task, summed over splits: held-out videos whose pass /
not-pass verdict matches the ground truth with the default thresholds and with the adopted
ones, defective held-out videos passed before / after, proposals adopted / rejected by the gate
/ rolled back by the canary (``--canary`` N: the first N held-out videos arrive after the
proposal passed the gate and judge it as the product's canary does; a dropped proposal leaves
the default in force), and the cases where the gate stopped a change that would have passed a
reviewed defective video (the same search without that rule). Writes
bench_out/autopilot/results.json.

``--detection`` searches the detection settings too (issue 15: strictness, ratios): every
video is rescored under each setting within the starting bounds from the embeddings cache
(``autopilot_variants.py``; minutes per set the first time, then cached), the proposal is
the product's search over those variants, and held-out videos are judged as rescored under
the adopted setting. Writes bench_out/autopilot/results-detection.json.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sopilot_resources.scoring.autopilot import THRESHOLDS, Case, agreement, candidates, propose, verdict_of  # noqa: E402
from sopilot_resources.scoring.autopilot_detect import settings_of  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402

DEFAULT = {k: float(getattr(Profile(), k)) for k in THRESHOLDS}


def truth(kind: str) -> str:
    if kind == "correct":
        return "pass"
    return "fail" if kind in ("unrelated", "missing-critical") else "retrain"


def cases(rows: list[dict]) -> list[Case]:
    """Each video as a Case; the engine's critical flag inferred: a ``fail`` scored at or above
    the default retrain_min can only come from a critical deviation; steps out of order from the
    deviations found (the default profile keeps them from ``pass``)."""
    return [Case(Path(r["path"]).name, truth(r["kind"]), float(r["score"]),
                 r["verdict"] == "fail" and float(r["score"]) >= DEFAULT["retrain_min"],
                 out_of_order=any(d[0] == "order_swap" and d[2] > 0 for d in r["devs"])) for r in rows]


def split(cs: list[Case], n: int, rng: random.Random) -> tuple[list[Case], list[Case]] | None:
    good = [c for c in cs if c.reviewed == "pass"]
    bad = [c for c in cs if c.reviewed != "pass"]
    if len(good) < 3 or len(bad) < 3:
        return None
    rng.shuffle(good)
    rng.shuffle(bad)
    reviewed = good[:2] + bad[:2]
    rest = good[2:] + bad[2:]
    rng.shuffle(rest)
    reviewed += rest[: max(0, n - 4)]
    held = [c for c in cs if c not in reviewed]
    return reviewed, held


def pass_ok(th: dict, cs: list[Case]) -> int:
    return sum((verdict_of(th, c) == "pass") == (c.reviewed == "pass") for c in cs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", type=Path,
                    default=[ROOT / f"bench_out/acc3/seed{s}-v2" for s in (0, 1, 3)])
    ap.add_argument("--reviewed", type=int, default=8, help="videos reviewed per task (the autopilot's minimum)")
    ap.add_argument("--splits", type=int, default=10, help="random reviewed / held-out splits per task")
    ap.add_argument("--out", type=Path, default=None,
                    help="results file (default bench_out/autopilot/results[-detection].json)")
    ap.add_argument("--detection", action="store_true",
                    help="also search the detection settings: every video rescored under each variant from the "
                         "embeddings cache (autopilot_variants.py), as the product's dry rescoring does")
    ap.add_argument("--canary", type=int, default=3,
                    help="held-out videos that arrive first and judge an adopted proposal (0: adopted at once)")
    ap.add_argument("--fresh", action="store_true", help="with --detection: rebuild the rescoring matrix")
    a = ap.parse_args()
    a.out = a.out or ROOT / f"bench_out/autopilot/results{'-detection' if a.detection else ''}.json"
    rows_out, stopped, reasons, changed = [], [], {}, []
    for s in a.sets:
        res = s / "results.json"
        if not res.is_file():
            raise SystemExit(f"{res} missing: run benchmarks/bench_accuracy.py for that set first")
        rows = json.loads(res.read_text())["rows"]
        mat = None
        if a.detection:
            from autopilot_variants import matrix

            mat = matrix(s, rows, truth, a.out.parent / f"variants-{s.name}.json", a.fresh)
        for task in sorted({r["task"] for r in rows}):
            cs = cases([r for r in rows if r["task"] == task])
            if mat is not None:  # today's profile rescored: with each video's penalties, so weights are searched too
                cs = [mat[()][c.name] for c in cs]
            rng = random.Random(f"{s.name}/{task}")
            agg = {"set": s.name, "task": task, "videos": len(cs), "splits": 0, "held_out": 0, "pass_ok_before": 0,
                   "pass_ok_after": 0, "defective_passed_before": 0, "defective_passed_after": 0,
                   "correct_passed_before": 0, "correct_passed_after": 0, "adopted": 0, "rejected": 0, "gate_stopped": 0, "detection_changes": 0,
                   "canary_rolled_back": 0, "verdict_ok_before": 0, "verdict_ok_after": 0}
            for _ in range(a.splits):
                sp = split(cs, a.reviewed, rng)
                if sp is None:
                    break
                reviewed, held = sp
                vs = None if mat is None else {v: [m[c.name] for c in reviewed] for v, m in mat.items()}
                p = propose(reviewed, DEFAULT, {}, variants=vs, detection_now=settings_of({}))
                th = p.proposed if p.gate_ok else DEFAULT
                chosen = _variant(mat, th)
                held_after = held if not chosen else [mat[chosen][c.name] for c in held]
                if p.gate_ok and a.canary:  # the canary: the first held-out videos arrive, are reviewed
                    cur_c, new_c = held[: a.canary], held_after[: a.canary]
                    newly = {c.name for c in new_c if c.reviewed != "pass" and verdict_of(th, c) == "pass"} - {
                        c.name for c in cur_c if c.reviewed != "pass" and verdict_of(DEFAULT, c) == "pass"}
                    if newly or agreement(th, new_c) < agreement(DEFAULT, cur_c):
                        th, chosen, held_after = DEFAULT, (), held  # dropped: today's profile stays
                agg["adopted" if th is not DEFAULT else "rejected" if not p.gate_ok else "canary_rolled_back"] += 1
                if chosen:
                    agg["detection_changes"] += 1
                    changed.append(f"{s.name} {task}: {p.changes}")
                for why in p.reasons:  # the kind of reason, without its figures
                    kind = why.split(":")[0].split("(")[0].strip() if not why.startswith("agreement") else "agreement not up"
                    reasons[kind] = reasons.get(kind, 0) + 1
                loose = _without_safety(reviewed)
                if any(verdict_of(loose, c) == "pass" and c.reviewed != "pass" for c in reviewed) and loose != th:
                    agg["gate_stopped"] += 1
                    if len(stopped) < 3:
                        stopped.append({"set": s.name, "task": task, "would_be": loose, "adopted": th,
                                        "passed_defective": sorted(c.name for c in reviewed if c.reviewed != "pass"
                                                                   and verdict_of(loose, c) == "pass")})
                agg["splits"] += 1
                agg["held_out"] += len(held)
                agg["pass_ok_before"] += pass_ok(DEFAULT, held)
                agg["pass_ok_after"] += pass_ok(th, held_after)
                agg["verdict_ok_before"] += agreement(DEFAULT, held)
                agg["verdict_ok_after"] += agreement(th, held_after)
                for when, t, hs in (("before", DEFAULT, held), ("after", th, held_after)):
                    agg[f"defective_passed_{when}"] += sum(verdict_of(t, c) == "pass" for c in hs if c.reviewed != "pass")
                    agg[f"correct_passed_{when}"] += sum(verdict_of(t, c) == "pass" for c in hs if c.reviewed == "pass")
            rows_out.append(agg)
            print(f"{s.name} {task}: held-out pass/not-pass right {agg['pass_ok_before']} -> {agg['pass_ok_after']} "
                  f"of {agg['held_out']}; defective passed {agg['defective_passed_before']} -> "
                  f"{agg['defective_passed_after']}; correct passed {agg['correct_passed_before']} -> "
                  f"{agg['correct_passed_after']}; adopted {agg['adopted']}, rejected {agg['rejected']}, "
                  f"gate stopped {agg['gate_stopped']}, canary rolled back {agg['canary_rolled_back']}" + (f", detection changes {agg['detection_changes']}"
                                                            if a.detection else ""), flush=True)
    tot = {k: sum(r[k] for r in rows_out) for k in rows_out[0] if isinstance(rows_out[0][k], int)}
    print(f"all: held-out right {tot['pass_ok_before']} -> {tot['pass_ok_after']} of {tot['held_out']} (the reviewed "
          f"verdict itself: {tot['verdict_ok_before']} -> {tot['verdict_ok_after']}); defective "
          f"passed {tot['defective_passed_before']} -> {tot['defective_passed_after']}; correct passed "
          f"{tot['correct_passed_before']} -> {tot['correct_passed_after']}; adopted {tot['adopted']}, rejected "
          f"{tot['rejected']}, gate stopped {tot['gate_stopped']}, canary rolled back {tot['canary_rolled_back']}, "
          f"detection changes kept {tot['detection_changes']}")
    for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"rejected because: {why}: {n} of {tot['rejected']}")
    for x in changed:
        print(f"adopted with a detection change: {x}")
    for x in stopped:
        print(f"gate stopped ({x['set']} {x['task']}): {x['would_be']} would have passed {x['passed_defective']}; "
              f"kept {x['adopted']}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(a).items()}, "tasks": rows_out, "total": tot,
                                 "gate_stopped_examples": stopped, "reasons": reasons,
                                 "detection_changes": changed}, indent=1) + "\n")
    return 0


def _variant(mat: dict | None, th: dict) -> tuple:
    """The detection variant whose settings ``th`` carries (``d:<name>``), () for today's."""
    want = {k[2:]: v for k, v in th.items() if k.startswith("d:")}
    if not mat or not want:
        return ()
    return next(v for v in mat if v and {n: x for n, x, _ in v} == want)


def _without_safety(cs: list[Case]) -> dict:
    """The threshold search without the rule that no reviewed defective may pass (what the gate
    guards): the same candidates and tie-break as the product's, that rule left out."""
    return min(candidates(DEFAULT, {}), key=lambda th: (
        -agreement(th, cs), sum(abs(th[k] - DEFAULT[k]) for k in THRESHOLDS), tuple(th[k] for k in THRESHOLDS)))


if __name__ == "__main__":
    sys.exit(main())
