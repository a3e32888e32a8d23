"""Accuracy of `sopilot score` on the demo set (and the baseline re-implementation beside it).

    .venv/bin/python benchmarks/bench_accuracy.py [--quick] [--seed N] [--out bench_out/accuracy] [--detected-steps]

Generates the demo set (ground truth in manifest.json), scores every trainee against its
task's gold, and prints: ranking AUC of correct vs defective/unrelated (all tasks, and per
scene style), % correct that pass, % defective that do not pass, % missing steps reported
as missing at the right gold step, % swaps reported as an order deviation, and the
per-video table. Writes results.json next to the videos. With ``--detected-steps`` the
golds' step files are ignored and steps are detected from the gold (as for a gold without a
sidecar); gold step numbers then differ from the ground truth's, so each row also keeps its
deviations at the true step their detected step overlaps most (``found_true``: the step files
are read for that only), from which the per-kind figures (located included) and the
missing-step metric are counted; the detected boundaries are compared with the step files'
(within 1 s), and the results go to results-detected.json.

``--also resultcheck`` (or ``nocheck``, or ``endstate``: the end-state check on) scores every pair a second time under that profile,
from the same evidence (``engine.rejudge``), into results-TAG-resultcheck....json; its rows'
``sec`` is what the second scoring added (for the result check: its own cost per pair).
Each row also keeps the evidence of the deviations the pictures gave (``evidence``).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline_sopilot import clip_features as baseline_features  # noqa: E402
from what_if_steps import SIGNALS, detected_steps_as, detector, work_only, work_span  # noqa: E402

from sopilot_resources.align import cosine_cost, dtw_path  # noqa: E402
from sopilot_resources.demo.generate import GENERATOR_VERSION, generate_demo  # noqa: E402
from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.ingest import ingest_video  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.engine import detect, rejudge  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import detect_steps, find_sidecar, load_steps  # noqa: E402


def auc(pos: list[float], neg: list[float]) -> float:
    """P(score of a correct video > score of a defective one), ties count half."""
    if not pos or not neg:
        return float("nan")
    p, n = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (p.size * n.size))


def _order(dev: tuple) -> tuple:
    """Sort key of a (type, gold step or None) pair: None (an extra action before any step) first."""
    return dev[0], -1 if dev[1] is None else dev[1]


def embeddings_on_disk(root: Path, rel: str, emb, phase_sec: float = 0.0, fps: float | None = None) -> object:
    """The video's embeddings (with stills), ingested once and kept under ``root/.emb_cache``
    (keyed by the embedder and the stills' rate and size, so a change of either ingests again);
    ``phase_sec``: frames sampled that much later (bench_phase.py); ``fps``: another sampling
    rate than the default; each kept in a folder of its own."""
    from sopilot_resources.embeddings import ClipEmbeddings
    from sopilot_resources.stills import STILLS_FPS, STILLS_SIDE
    from sopilot_resources.video.types import SamplingConfig

    sampling = SamplingConfig(phase_sec=phase_sec, **({"target_fps": fps} if fps else {}))
    folder = (f"{emb.key()}-s{STILLS_FPS:g}" + (f"-d{STILLS_SIDE}" if STILLS_SIDE != 320 else "")
              + (f"-phase{phase_sec:g}" if phase_sec else "")
              + (f"-fps{fps:g}" if fps and fps != SamplingConfig().target_fps else ""))
    path = root / ".emb_cache" / folder / (rel.replace("/", "__") + ".npz")
    if path.is_file():
        return ClipEmbeddings.load(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return ingest_video(root / rel, emb, sampling).save(path) and ClipEmbeddings.load(path)


def widen(steps: list, by: float, end: float) -> list:
    """Steps as a person annotates them who counts the approach and the retreat of the hand:
    each widened by ``by`` s at both ends, within the video, and where two would overlap they
    meet half-way between their annotated edges."""
    from dataclasses import replace

    out = []
    for k, st in enumerate(steps):
        a, b = max(0.0, st.start_sec - by), min(end, st.end_sec + by)
        if k > 0:
            a = max(a, (steps[k - 1].end_sec + st.start_sec) / 2)
        if k + 1 < len(steps):
            b = min(b, (st.end_sec + steps[k + 1].start_sec) / 2)
        out.append(replace(st, start_sec=a, end_sec=b))
    return out


def _step_of(dev: dict) -> int | None:
    """A ground-truth deviation's gold step; for an extra action or a pause, the step before it
    (the engine reports those after the located step they follow)."""
    return dev.get("gold_step") if dev.get("gold_step") is not None else dev.get("after_gold_step")


def evaluate(root: Path, manifest: dict, with_baseline: bool, detected: bool = False,
             cache: dict | None = None, scene: bool = True, wide: float = 0.0,
             trainee_phase: float = 0.0, fps: float | None = None, profile: Profile | None = None,
             also: dict[str, list[dict]] | None = None, signal: str = "clips",
             oracle_edges: bool = False, oracle_crop: bool = False) -> list[dict]:
    """Scores every trainee; ``also``: name -> a list that gets the rows of another profile
    (``ALSO[name]``), rescored from the same evidence (:func:`engine.rejudge`); ``cache``: embeddings by video path, filled here (pass one dict
    to reuse them afterwards, e.g. for :func:`boundary_match`); ``scene``: use the scene
    comparison (pictures) besides the clips; ``trainee_phase``: the trainees' frames sampled
    that many seconds later (the golds as always); ``fps``: every video sampled at this rate;
    ``signal``, ``oracle_edges``: detected steps as :func:`what_if_steps.detected_steps_as`
    finds them (the gold's step file giving the outer edges); ``oracle_crop``: both videos cut
    to their true work first (:func:`what_if_steps.work_only`)."""
    emb = get_embedder("color-motion")
    videos = manifest["videos"]
    golds = {v["task"]: v for v in videos if v["role"] == "gold"}
    cache = {} if cache is None else cache
    base_cache: dict[str, np.ndarray] = {}

    def baseline_similarity(gold_rel: str, trainee_rel: str) -> float:
        """The baseline's similarity (baseline_sopilot.similarity), each video's features computed once."""
        for rel in (gold_rel, trainee_rel):
            if rel not in base_cache:
                base_cache[rel] = baseline_features(str(root / rel))
        cost = cosine_cost(base_cache[gold_rel], base_cache[trainee_rel])
        path, total = dtw_path(cost)
        return float(1.0 - total / len(path))

    def embed(rel: str, phase: float = 0.0):
        if (rel, phase) not in cache:
            cache[rel, phase] = embeddings_on_disk(root, rel, emb, phase, fps)
        return cache[rel, phase]

    truths: dict[str, list] = {}  # detected steps: each gold's step file, read once

    def truth(gold_rel: str) -> list:
        if gold_rel not in truths:
            truths[gold_rel] = load_steps(find_sidecar(root / gold_rel))
        return truths[gold_rel]

    work_golds: dict = {}  # ``oracle_crop``: each gold cut once (what the scene keeps of it stays with its stills)
    rows = []
    for v in videos:
        if v["role"] != "trainee":
            continue
        g = golds[v["task"]]
        side = None if detected else find_sidecar(root / g["path"])
        t0 = time.perf_counter()
        steps = load_steps(side) if side else None
        if steps and wide:
            steps = widen(steps, wide, float(embed(g["path"]).ends[-1]))
        ge, te = embed(g["path"]), embed(v["path"], trainee_phase)
        if oracle_crop:
            if g["path"] not in work_golds:
                t = truth(g["path"])
                work_golds[g["path"]] = work_only(ge, (t[0].start_sec, t[-1].end_sec))
            ge, te = work_golds[g["path"]], work_only(te, work_span(v["segments"]))
        ge.check_compatible(te)
        with detected_steps_as(signal, truth(g["path"]) if oracle_edges else None):
            pe, clock = build_evidence(ge, te, steps, profile or Profile(), scene=scene)
        res = detect(pe, clock)
        # detected steps: each deviation also at the true step its detected one overlaps most
        to_true = true_step_of(list(pe.steps), truth(g["path"])) if detected else None
        for name, more in (also or {}).items():  # its seconds: what it adds to the evidence built
            t1 = time.perf_counter()
            again = rejudge(pe, ALSO[name])
            more.append(_row(v, g, again, time.perf_counter() - t1, to_true))
        row = _row(v, g, res, time.perf_counter() - t0, to_true)
        if with_baseline:
            row["baseline_similarity"] = baseline_similarity(g["path"], v["path"])
        rows.append(row)
        print(f"{row['kind']:10s} {row['score']:6.1f} {row['verdict']:12s} {v['path']}  found={row['found']} expected={row['expected']}"
              + (f" scene={row['scene']}" if row["scene"] else ""), flush=True)
    return rows


#: the profiles ``--also`` can score beside the default, from the same evidence
ALSO = {"resultcheck": Profile(result_check=True), "nocheck": Profile(result_check=False),
        "endstate": Profile(end_state_check=True), "noendstate": Profile(end_state_check=False),
        "resultpace": Profile(result_pace_check=True), "nounmade": Profile(unmade_check=False)}


def _plain(x):
    """JSON for what evidence may hold besides plain types (NumPy scalars and arrays)."""
    return x.tolist() if hasattr(x, "tolist") else str(x)


def _row(v: dict, g: dict, res, sec: float, to_true: dict[int, int] | None = None) -> dict:
    """One trainee's result; ``to_true``: detected gold step -> true step (``found_true``)."""
    row = _result_row(v, g, res, sec)
    if to_true is not None:
        row["found_true"] = sorted({(t, None if k is None else to_true[k]) for t, k in row["found"]}, key=_order)
    return row


def _result_row(v: dict, g: dict, res, sec: float) -> dict:
    return {"task": v["task"], "style": g.get("style", ""), "path": v["path"], "kind": v["kind"],
               "score": res.score, "verdict": res.verdict, "sec": round(sec, 3),
               "found": sorted({(d.type, d.gold_step) for d in res.deviations}, key=_order),
               "expected": sorted({(d["type"], _step_of(d)) for d in v.get("deviations", [])}, key=_order),
               "scene": sorted({(d.type, d.gold_step) for d in res.deviations if d.evidence}, key=_order),
               "devs": [[d.type, d.gold_step, round(d.penalty, 2), d.severity] for d in res.deviations],
               "evidence": [[d.type, d.gold_step, d.evidence] for d in res.deviations if d.evidence]}


def boundary_match(root: Path, manifest: dict, embedded: dict, tol: float = 1.0, detect=detect_steps) -> dict:
    """Detected gold step boundaries vs the step files' (the middle of the pause between two
    steps): share of true boundaries with a detected one within ``tol`` s (recall) and share
    of detected boundaries that are real (precision), over all golds of the set.
    ``embedded``: the golds' embeddings by path (``evaluate``'s cache); ``detect``: how steps are
    detected (:func:`what_if_steps.detector` of ``--step-signal``)."""
    hit = n_true = n_det = 0
    for g in (v for v in manifest["videos"] if v["role"] == "gold"):
        e = embedded[g["path"], 0.0]
        det = [s.end_sec for s in detect(e.vectors, e.starts, e.ends)[:-1]]
        h, t, d = boundary_hits(det, load_steps(find_sidecar(root / g["path"])), tol)
        hit, n_true, n_det = hit + h, n_true + t, n_det + d
    return {"boundary_recall": hit / max(1, n_true), "boundary_precision": hit / max(1, n_det)}


def boundary_hits(found: list[float], truth: list, tol: float = 1.0) -> tuple[int, int, int]:
    """(hits, true boundaries, boundaries found): each true boundary (the middle of the pause
    between two steps of ``truth``) is hit by the nearest unused one of ``found`` (seconds)
    within ``tol`` s."""
    free, hit = list(found), 0
    for t in ((a.end_sec + b.start_sec) / 2 for a, b in zip(truth, truth[1:])):
        near = [x for x in free if abs(x - t) <= tol]
        if near:
            free.remove(min(near, key=lambda x: abs(x - t)))
            hit += 1
    return hit, max(0, len(truth) - 1), len(found)


def true_step_of(detected: list, truth: list) -> dict[int, int]:
    """Detected step index -> the index of the true step it overlaps most (seconds)."""
    out = {}
    for d in detected:
        over = [max(0.0, min(d.end_sec, t.end_sec) - max(d.start_sec, t.start_sec)) for t in truth]
        out[d.index] = max(range(len(truth)), key=lambda j: over[j])
    return out


def summarize(rows: list[dict], detected: bool = False) -> dict:
    """The set's figures. ``detected``: the gold steps were detected, so each deviation is
    counted at the true step its detected step overlaps most (``found_true``)."""
    if detected and all("found_true" in r for r in rows):
        rows = [{**r, "found": r["found_true"]} for r in rows]
    elif detected:  # results written before found_true: no true step to count a deviation at
        out = _summary(rows, (("swap", "order_swap"),))
        out.pop("deviation_precision")
        for v in out["per_kind"].values():
            v["located"] = None
        return out
    return _summary(rows, (("missing", "missing_step"), ("swap", "order_swap")))


def _summary(rows: list[dict], kinds: tuple) -> dict:
    """:func:`summarize`'s figures; ``kinds``: (kind, deviation type) pairs whose share
    typed at the right step is reported as ``KIND_detected``."""
    ok = [r for r in rows if r["kind"] == "correct"]
    bad = [r for r in rows if r["kind"] != "correct"]
    out = {
        "auc": auc([r["score"] for r in ok], [r["score"] for r in bad]),
        "correct_pass": float(np.mean([r["verdict"] == "pass" for r in ok])) if ok else float("nan"),
        "defective_not_pass": float(np.mean([r["verdict"] != "pass" for r in bad])) if bad else float("nan"),
    }
    for kind, dev in kinds:
        sel = [r for r in rows if r["kind"] == kind]
        hits = [any(t == dev and (dev == "order_swap" or s in {e[1] for e in r["expected"]}) for t, s in map(tuple, r["found"]))
                for r in sel]
        out[f"{kind}_detected"] = float(np.mean(hits)) if sel else float("nan")
    out["per_kind"] = per_kind(rows)
    out.update(deviation_precision(rows))
    for style in sorted({r["style"] for r in rows}):
        sub = [r for r in rows if r["style"] == style]
        out[f"auc_{style or 'all'}"] = auc([r["score"] for r in sub if r["kind"] == "correct"],
                                           [r["score"] for r in sub if r["kind"] != "correct"])
    if rows and "baseline_similarity" in rows[0]:
        # the baseline's threshold is the median similarity of each task's batch
        passes_ok, passes_bad = [], []
        for task in sorted({r["task"] for r in rows}):
            sub = [r for r in rows if r["task"] == task]
            med = float(np.median([r["baseline_similarity"] for r in sub]))
            passes_ok += [r["baseline_similarity"] >= med for r in sub if r["kind"] == "correct"]
            passes_bad += [r["baseline_similarity"] < med for r in sub if r["kind"] != "correct"]
        out["baseline_auc"] = auc([r["baseline_similarity"] for r in ok], [r["baseline_similarity"] for r in bad])
        out["baseline_correct_pass"] = float(np.mean(passes_ok)) if passes_ok else float("nan")
        out["baseline_defective_not_pass"] = float(np.mean(passes_bad)) if passes_bad else float("nan")
    return out


DEFECT_TYPES = {"missing": "missing_step", "swap": "order_swap", "repeat": "repeated_step", "extra": "extra_action",
                "wrong": "wrong_step", "slow": "slow_step", "idle": "long_idle"}


def per_kind(rows: list[dict]) -> dict:
    """Per defect kind: videos, caught (not ``pass``), typed (a deviation of the right type
    reported), located (of the right type at the right gold step: for a swap either step,
    for an extra action or a pause the step it follows)."""
    out = {}
    for kind, dev in DEFECT_TYPES.items():
        sel = [r for r in rows if r["kind"] == kind]
        if not sel:
            continue
        typed = located = 0
        for r in sel:
            found = [tuple(f) for f in r["found"] if f[0] == dev]
            steps = {e[1] for e in map(tuple, r["expected"]) if e[0] == dev}
            if dev == "order_swap":
                steps |= {s + 1 for s in steps}
            typed += bool(found)
            located += any(f[1] in steps for f in found)
        out[kind] = {"videos": len(sel), "caught": sum(r["verdict"] != "pass" for r in sel),
                     "typed": typed, "located": located}
    return out


def _true_deviation(found: tuple, expected: list) -> bool:
    """A reported (type, gold step) matches the ground truth: the same type at the step of an
    expected one (a swap at either of its two steps; an extra action or a pause after the
    step it follows)."""
    for e in map(tuple, expected):
        steps = {e[1], e[1] + 1} if e[0] == "order_swap" and e[1] is not None else {e[1]}
        if found[0] == e[0] and found[1] in steps:
            return True
    return False


def deviation_precision(rows: list[dict]) -> dict:
    """Of the deviations reported on correct and defective videos (not the unrelated ones,
    where any deviation is right), the share that are true (:func:`_true_deviation`), and the
    false ones per correct video: what a supervisor reading the list can trust."""
    sel = [r for r in rows if r["kind"] != "unrelated"]
    flags = [_true_deviation(tuple(f), r["expected"]) for r in sel for f in r["found"]]
    ok = [r for r in sel if r["kind"] == "correct"]
    return {"deviations_reported": len(flags), "deviation_precision": float(np.mean(flags)) if flags else float("nan"),
            "false_deviations_per_correct": float(np.mean([len(r["found"]) for r in ok])) if ok else float("nan")}


def add_set_args(ap: argparse.ArgumentParser) -> None:
    """The options that pick a demo set: --out DIR, --seed N, --quick (see load_set)."""
    ap.add_argument("--out", default="bench_out/accuracy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true")


def add_seeds_args(ap: argparse.ArgumentParser) -> None:
    """The options of a benchmark over several demo sets: --out DIR, --seeds 0,1,3 (read
    with :func:`seed_sets`)."""
    ap.add_argument("--out", default="bench_out/accuracy")
    ap.add_argument("--seeds", required=True, help="comma-separated, e.g. 0,1,3")


def seed_sets(a: argparse.Namespace) -> Iterator[tuple[int, Path, dict]]:
    """(seed, set directory, manifest) of each full demo set of ``--seeds`` under ``--out``
    (:func:`load_set`: generated on first use)."""
    for seed in (int(x) for x in a.seeds.split(",") if x.strip()):
        yield (seed, *load_set(a.out, seed, False))


def set_dir(out: str | Path, seed: int, quick: bool = False) -> Path:
    """A demo set's directory under ``out``: one per generator version (``seed0``, ``seed0-v2``,
    ``seed0-quick-v2`` ...)."""
    version = f"-v{GENERATOR_VERSION}" if GENERATOR_VERSION > 1 else ""
    return Path(out) / f"seed{seed}{'-quick' if quick else ''}{version}"


def results_name(tag: str = "", detected: bool = False, no_scene: bool = False, wide: float = 0.0) -> str:
    """The file a run writes its results to in its set's directory."""
    return (f"results{'-' + tag if tag else ''}{'-detected' if detected else ''}{'-noscene' if no_scene else ''}"
            f"{f'-wide{wide:g}' if wide else ''}.json")


def load_set(out: str | Path, seed: int, quick: bool) -> tuple[Path, dict]:
    """(set directory, manifest) of a demo set under ``out``; generated on first use.

    Each generator version has its own directory (``seed0``, ``seed0-v2``, ``seed0-quick-v2`` ...),
    and a manifest from another generator version there is regenerated, never reused."""
    root = set_dir(out, seed, quick)
    if (root / "manifest.json").is_file():
        manifest = json.loads((root / "manifest.json").read_text())
        if manifest.get("generator_version", 1) == GENERATOR_VERSION:
            return root, manifest
    return root, generate_demo(root, seed=seed, quick=quick)


def main() -> int:
    ap = argparse.ArgumentParser()
    add_set_args(ap)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--detected-steps", action="store_true", help="ignore the golds' step files")
    ap.add_argument("--no-scene", action="store_true", help="clips only: no scene comparison (pictures)")
    ap.add_argument("--wide-steps", type=float, default=0.0, metavar="SEC",
                    help="widen every annotated gold step by SEC at both ends (approach and retreat annotated)")
    ap.add_argument("--tag", default="", help="write results-TAG....json (an experiment beside the figures)")
    ap.add_argument("--result-check", action="store_true",
                    help="score with the profile's result_check on (scoring/detect_result.py)")
    ap.add_argument("--also", choices=sorted(ALSO), action="append", default=[],
                    help="also score every pair under this profile, from the same evidence (written to "
                         "results-TAG-NAME....json; resultcheck: result_check on, nocheck: off; "
                         "endstate / noendstate: end_state_check on / off; resultpace: result_pace_check on; "
                         "nounmade: unmade_check off)")
    ap.add_argument("--step-signal", choices=SIGNALS, default="clips",
                    help="with --detected-steps: what the gold's steps are detected from (what_if_steps.py)")
    ap.add_argument("--oracle-edges", action="store_true",
                    help="with --detected-steps: the first and last detected steps' outer edges from the step file")
    ap.add_argument("--oracle-crop", action="store_true",
                    help="with --detected-steps: both videos cut to their true work first (what_if_steps.work_only)")
    a = ap.parse_args()
    if (a.step_signal != "clips" or a.oracle_edges or a.oracle_crop) and not a.detected_steps:
        ap.error("--step-signal, --oracle-edges and --oracle-crop change detected steps: give --detected-steps")
    root, manifest = load_set(a.out, a.seed, a.quick)
    embedded: dict = {}
    also: dict[str, list[dict]] = {name: [] for name in a.also}
    rows = evaluate(root, manifest, not a.no_baseline, a.detected_steps, embedded, scene=not a.no_scene,
                    wide=a.wide_steps, profile=Profile(result_check=a.result_check) if a.result_check else None,
                    also=also, signal=a.step_signal, oracle_edges=a.oracle_edges, oracle_crop=a.oracle_crop)
    for tag, got in [(a.tag, rows)] + [(f"{a.tag}-{n}" if a.tag else n, r) for n, r in also.items()]:
        summary = summarize(got, a.detected_steps)
        if a.detected_steps:
            summary.update(boundary_match(root, manifest, embedded, detect=detector(a.step_signal)))
        name = results_name(tag, a.detected_steps, a.no_scene, a.wide_steps)
        (root / name).write_text(json.dumps({"summary": summary, "rows": got}, indent=1, default=_plain))
        print(name, json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
