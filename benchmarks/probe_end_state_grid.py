"""Other thresholds for the end-state check, read from ``probe_end_state.py --jsonl`` files.

    .venv/bin/python benchmarks/probe_end_state.py --out bench_out/acc3 --seed 0 --seed 1 ... --jsonl A.jsonl
    .venv/bin/python benchmarks/probe_end_state_grid.py A.jsonl [B.jsonl ...]

For each (agreement, size) pair of a grid, the steps that would count as undone at every level
that sees them, by what the trainee did there: the defect's own step of a wrong or missing
trainee (a hit), another step of such a trainee, or a step of a correct performance (false).
Every step of every trainee is counted, where the engine checks only steps the clips found
and report nothing about, so these are upper bounds of what a threshold adds.
Then the same for size alone (any agreement), and the correct steps nearest the thresholds.
"""
from __future__ import annotations

import collections
import json
import sys


def flagged(row: dict, agree: float, size: float) -> bool:
    return bool(row["states"]) and all(s["agreement"] >= agree and s["size"] >= size for s in row["states"])


def tally(rows: list[dict], agree: float, size: float) -> dict:
    c: collections.Counter = collections.Counter()
    for r in rows:
        if flagged(r, agree, size):
            what = ("false: correct" if r["kind"] == "correct" else
                    f"hit: {r['kind']}" if r["step"] in r["defect_steps"] else f"false: other step of {r['kind']}")
            c[what] += 1
    return dict(sorted(c.items()))


def main(paths: list[str]) -> int:
    rows = [json.loads(line) for p in paths for line in open(p, encoding="utf-8")]
    print("steps:", len(rows), dict(collections.Counter(r["kind"] for r in rows)))
    for agree in (0.7, 0.65, 0.6, 0.55, 0.5):
        for size in (0.75, 0.8, 0.9):
            print(f"agreement >= {agree}, size >= {size}:", tally(rows, agree, size))
    for size in (0.75, 0.9, 1.0):
        print(f"size >= {size} alone:", tally(rows, -1.0, size))
    print("correct steps at agreement >= 0.5 and size >= 0.6 (every level):")
    for r in rows:
        if r["kind"] == "correct" and flagged(r, 0.5, 0.6):
            print(" ", r["seed"], r["video"], "step", r["step"], r["states"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
