"""The figures of several demo sets together, from the results ``bench_accuracy.py`` wrote
(nothing is scored again): what docs/BENCHMARKS.md reports over a group of seeds.

    .venv/bin/python benchmarks/accuracy_pool.py --out bench_out/acc3 --tag base --seeds 25,27,29 [--detected-steps] [--list]

Reads ``<out>/seed<N>-v2/results-<TAG>[-detected][-wide<SEC>].json`` for each seed and prints: the AUC
per seed and its mean (as the docs have always given it), the AUC of the rows pooled, the AUC
per camera style (mean over the seeds), correct performances that pass, defective ones (the
unrelated included, as in each set's summary) that do not, and per defect kind the videos
caught / typed / located (without step files, located at the true step a detected step
overlaps most: ``found_true``). ``--list``: also every correct video that does not pass and
every defective one that does, with what was reported. ``--json FILE``: the figures as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import results_name, set_dir, summarize  # noqa: E402


def results_path(out: str | Path, seed: int, tag: str, detected: bool, wide: float = 0.0) -> Path:
    """Where ``bench_accuracy.py --seed SEED --tag TAG [--detected-steps] [--wide-steps WIDE]``
    wrote its results."""
    return set_dir(out, seed) / results_name(tag, detected, wide=wide)


def pool(per_seed: dict[int, list[dict]], detected: bool) -> dict:
    """Figures over the seeds' rows (``per_seed``: seed -> rows of one results file)."""
    sums = {s: summarize(rows, detected) for s, rows in per_seed.items()}
    every = [dict(r, seed=s) for s, rows in per_seed.items() for r in rows]
    pooled = summarize(every, detected)
    ok = [r for r in every if r["kind"] == "correct"]
    bad = [r for r in every if r["kind"] != "correct"]
    styles = sorted({k for v in sums.values() for k in v if k.startswith("auc_")})
    kinds: dict[str, dict] = {}
    for v in sums.values():
        for kind, c in v["per_kind"].items():
            acc = kinds.setdefault(kind, {"videos": 0, "caught": 0, "typed": 0, "located": 0})
            for f in acc:
                acc[f] += c[f] or 0
    return {
        "seeds": sorted(per_seed),
        "auc_per_seed": {s: round(v["auc"], 3) for s, v in sums.items()},
        "auc_mean": float(np.mean([v["auc"] for v in sums.values()])),
        "auc_pooled": pooled["auc"],
        "auc_by_style": {k[4:]: float(np.nanmean([v.get(k, np.nan) for v in sums.values()])) for k in styles},
        "correct_pass": [sum(r["verdict"] == "pass" for r in ok), len(ok)],
        "defective_not_pass": [sum(r["verdict"] != "pass" for r in bad), len(bad)],
        "per_kind": kinds,
        "false_deviations_per_correct": pooled.get("false_deviations_per_correct"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--tag", default="")
    ap.add_argument("--seeds", required=True, help="comma-separated, e.g. 25,27,29")
    ap.add_argument("--detected-steps", action="store_true", help="the results of --detected-steps runs")
    ap.add_argument("--wide-steps", type=float, default=0.0, metavar="SEC", help="the results of --wide-steps SEC runs")
    ap.add_argument("--list", action="store_true", help="also list the correct videos failed and the defective passed")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    a = ap.parse_args()
    per_seed = {}
    for s in (int(x) for x in a.seeds.split(",")):
        p = results_path(a.out, s, a.tag, a.detected_steps, a.wide_steps)
        if not p.is_file():
            ap.error(f"{p} is missing: run bench_accuracy.py --out {a.out} --seed {s} --tag {a.tag}"
                     f"{' --detected-steps' if a.detected_steps else ''}"
                     f"{f' --wide-steps {a.wide_steps:g}' if a.wide_steps else ''} first")
        per_seed[s] = json.loads(p.read_text())["rows"]
    f = pool(per_seed, a.detected_steps)
    ok, bad = f["correct_pass"], f["defective_not_pass"]
    print(f"seeds {f['seeds']} ({'steps detected' if a.detected_steps else 'step files'}, tag {a.tag or '-'})")
    print(f"  AUC mean {f['auc_mean']:.3f} (per seed {f['auc_per_seed']}), pooled {f['auc_pooled']:.3f}")
    print("  AUC by style: " + ", ".join(f"{k} {v:.3f}" for k, v in f["auc_by_style"].items()))
    print(f"  correct passing {ok[0]}/{ok[1]} ({100 * ok[0] / max(ok[1], 1):.1f} %), "
          f"defective not passing {bad[0]}/{bad[1]} ({100 * bad[0] / max(bad[1], 1):.1f} %), "
          f"false deviations per correct video {f['false_deviations_per_correct']}")
    print("  per kind (caught / typed / located of videos): " + "; ".join(
        f"{k} {v['caught']}/{v['typed']}/{v['located']} of {v['videos']}" for k, v in f["per_kind"].items()))
    if a.list:
        for s, rows in sorted(per_seed.items()):
            for r in rows:
                wrong = (r["kind"] == "correct") == (r["verdict"] != "pass") and r["kind"] != "unrelated"
                if wrong:
                    found = r.get("found_true", r["found"]) if a.detected_steps else r["found"]
                    print(f"  seed {s} {r['kind']:8s} {r['path']}: {r['verdict']} {r['score']:.1f} {found}")
    if a.json:
        a.json.write_text(json.dumps(f, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
