"""Does a change leave every score as it was? Scores the same pairs with two source trees (this
checkout and an older commit's worktree) and compares score, verdict and deviations pair by
pair; also sums the scene comparison's time (``timings.scene_sec``) of each.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/score_identity.py --before /tmp/before              # the 14 pairs below
    .venv/bin/python benchmarks/score_identity.py --before /tmp/before --pairs my_pairs.txt

``--pairs``: a file of ``GOLD TRAINEE`` lines, paths relative to the repository (default
benchmarks/identity_pairs.txt: 14 pairs of the seed-1 demo set that
``benchmarks/bench_accuracy.py --out bench_out/acc3 --seed 1`` generates, tasks t01 and t03, one
of each kind). Each tree scores every pair in one process of its own (ingest with stills, then
``score_recording``, BLAS on one thread), one tree after the other. Exit status 1 when any pair
differs. Results: bench_out/score_identity/{before,after}.jsonl.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench_out" / "score_identity"

SCORER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from threadpoolctl import threadpool_limits
from sopilot_resources.cycles.recording import score_recording
from sopilot_resources.embedders.registry import get_embedder
from sopilot_resources.ingest import ingest_pair
for line in open(sys.argv[2]):
    if not line.strip():
        continue
    g, t = (str(__import__("pathlib").Path(sys.argv[3]) / p) for p in line.split())
    G, T = ingest_pair(g, t, get_embedder("color-motion"))
    with threadpool_limits(1, "blas"):
        t0 = time.perf_counter()
        r = score_recording(G, T)
        sec = time.perf_counter() - t0
    d = r.to_dict()
    print(json.dumps({"trainee": line.split()[1], "score": d["score"], "verdict": d["verdict"],
                      "deviations": [(x["type"], x.get("gold_step")) for x in d["deviations"]],
                      "scene_sec": round(r.timings.get("scene_sec", 0.0), 3), "score_sec": round(sec, 3)}), flush=True)
"""


def run(tree: Path, pairs: Path, out: Path) -> list[dict]:
    with open(out, "w") as f:
        subprocess.run([sys.executable, "-c", SCORER, str(tree), str(pairs), str(ROOT)], stdout=f, check=True,
                       cwd=tree)
    return [json.loads(x) for x in out.read_text().splitlines()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="the older source tree (a git worktree)")
    ap.add_argument("--after", type=Path, default=ROOT, help="the newer source tree (default: this checkout)")
    ap.add_argument("--pairs", type=Path, default=Path(__file__).with_name("identity_pairs.txt"))
    a = ap.parse_args()
    missing = [p for line in a.pairs.read_text().split("\n") for p in line.split() if not (ROOT / p).is_file()]
    if missing:
        raise SystemExit(f"{len(missing)} videos missing, e.g. {missing[0]}: generate the set first "
                         "(benchmarks/bench_accuracy.py --out bench_out/acc3 --seed 1)")
    OUT.mkdir(parents=True, exist_ok=True)
    before = run(a.before.resolve(), a.pairs.resolve(), OUT / "before.jsonl")
    after = run(a.after.resolve(), a.pairs.resolve(), OUT / "after.jsonl")
    key = lambda r: (r["score"], r["verdict"], r["deviations"])  # noqa: E731
    diff = [(x, y) for x, y in zip(before, after) if key(x) != key(y)]
    for x, y in diff:
        print(f"DIFFERS {x['trainee']}: {key(x)} -> {key(y)}")
    sb, sa = sum(x["scene_sec"] for x in before), sum(y["scene_sec"] for y in after)
    print(f"{len(before) - len(diff)} of {len(before)} pairs identical (score, verdict, deviations); "
          f"scene comparison {sb:.1f} s before, {sa:.1f} s after ({sb / max(sa, 1e-9):.2f}x)")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
