"""Accuracy of the whole engine on the quick demo set (real videos: decode, embed, score).

The set is generated once per session (``generate_demo(quick=True, seed=0)``, ~20 s) and
every video is ingested once; each test reads the cached results.

Asserted in full (they hold): every correct trainee passes; unrelated work does not pass
and scores below every correct trainee of its task; bad files (zero-byte, garbage,
truncated) are rejected by ``sopilot score`` with exit status 2 and one line on stderr.

NOT yet asserted in full, because they do not hold with the current engine and default
embedder (measured on this set, demo generator v2, with the scene comparison; see
docs/bench/accuracy.md): "every correct trainee outscores every defective one of its task"
(ranking AUC 0.90: undetected defects tie with correct performances at 100), and "each
defect detected with the right type at the right gold step" (7 of 16: missing 3/4, swap
1/2, repeat 1/2, idle 2/2; extra, wrong and slow 0), and "defective performances do not
pass" (16 of 20 do not). For
those, the tests below assert the measured level as a regression floor
(``test_ranking_floor``, ``test_defect_detection_floor``) and print what is missed; the
issue's targets stay the goal, not these floors.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sopilot_resources.demo.generate import generate_demo
from sopilot_resources.embedders.registry import get_embedder
from sopilot_resources.ingest import ingest_video
from sopilot_resources.scoring.engine import score_embeddings
from sopilot_resources.scoring.steps import find_sidecar, load_steps
from sopilot_resources.demo.retime import pace_factors, retime

DEFECT_KINDS = ("missing", "swap", "repeat", "extra", "wrong", "slow", "idle")
#: regression floors at the measured level less one video's worth (module docstring)
RANKING_FLOOR = 0.7
#: demo generator v2 (harsher cameras on any trainee, roll, drift, blur, new codecs):
#: measured 7 of 16 (9 of 16 on generator v1)
DETECTION_FLOOR = 0.375
MISSING_FLOOR = 0.5
#: a correct performance may take 0.6-1.6x the gold's time per step (the demo generator's
#: range, and what the held-out footage has): correct trainees re-timed with every step at
#: either end of it must pass ...
PACE_RANGE = (0.6, 1.6)
#: ... and with random per-step paces in it (4 draws per trainee), at least this share must
#: pass. Generator v2 (the quick set's `correct_harsh` videos: heavy noise, blur, roll):
#: measured 12 of 16 random draws, and 6 of 8 uniform 0.6x / 1.6x re-timings (generator v1:
#: 15 of 16 and 8 of 8). The target stays 90 %; these are regression floors.
RANDOM_PACE_FLOOR = 0.6875
UNIFORM_PACE_FLOOR = 0.625


@pytest.fixture(scope="module")
def demo_clips(tmp_path_factory):
    """The quick set generated and every video ingested once: (root, videos, embeddings by path)."""
    root = tmp_path_factory.mktemp("demo_quick")
    manifest = generate_demo(root, seed=0, quick=True)
    emb = get_embedder("color-motion")
    videos = manifest["videos"]
    return root, videos, {v["path"]: ingest_video(root / v["path"], emb) for v in videos}


@pytest.fixture(scope="module")
def demo(demo_clips):
    root, videos, embedded = demo_clips
    golds = {v["task"]: v for v in videos if v["role"] == "gold"}
    results = []
    for v in videos:
        if v["role"] != "trainee":
            continue
        g = golds[v["task"]]
        steps = load_steps(find_sidecar(root / g["path"]))
        results.append((v, score_embeddings(embedded[g["path"]], embedded[v["path"]], steps)))
    return root, golds, results


def _overlaps(a: dict, b: dict) -> bool:
    return min(a["end_sec"], b["end_sec"]) > max(a["start_sec"], b["start_sec"])


def _matches(expected: dict, dev) -> bool:
    """Right type, right gold step (either step of a swapped pair; for an extra action or an
    idle pause, the step it follows), trainee time overlapping the truth where it has one."""
    if dev.type != expected["type"]:
        return False
    if expected.get("gold_steps"):
        if dev.gold_step not in expected["gold_steps"]:
            return False
    elif expected.get("gold_step") is not None:
        if dev.gold_step != expected["gold_step"]:
            return False
    elif expected.get("after_gold_step") is not None and dev.gold_step != expected["after_gold_step"]:
        return False
    if expected.get("trainee_time"):
        return dev.trainee_time is not None and _overlaps(dev.trainee_time, expected["trainee_time"])
    return dev.trainee_time is None


def test_demo_set_has_every_kind(demo):
    _, _, results = demo
    kinds = {v["kind"] for v, _ in results}
    assert {"correct", "unrelated", *DEFECT_KINDS} <= kinds


def _auc(pos: list[float], neg: list[float]) -> float:
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def test_ranking_floor(demo):
    """Per task, P(correct scores above defective/unrelated); the issue asks 1.0."""
    _, golds, results = demo
    for task in golds:
        ok = [r.score for v, r in results if v["task"] == task and v["kind"] == "correct"]
        worse = [r.score for v, r in results if v["task"] == task and v["kind"] != "correct"]
        assert _auc(ok, worse) >= RANKING_FLOOR, (task, ok, sorted(worse))


def test_correct_trainees_pass(demo):
    _, _, results = demo
    failed = [(v["path"], r.score, r.verdict, [d.message for d in r.deviations])
              for v, r in results if v["kind"] == "correct" and r.verdict != "pass"]
    assert not failed


def test_defect_detection_floor(demo):
    """Defects reported with the right type at the right gold step (trainee time overlapping
    the truth); the issue asks all of them, and missing steps >= 90 %."""
    _, _, results = demo
    hits, missing_hits, missed = [], [], []
    for v, r in results:
        if v["kind"] not in DEFECT_KINDS:
            continue
        for exp in v["deviations"]:
            hit = any(_matches(exp, d) for d in r.deviations)
            hits.append(hit)
            if v["kind"] == "missing":
                missing_hits.append(hit)
            if not hit:
                missed.append((v["path"], exp["type"], exp.get("gold_step"), [(d.type, d.gold_step) for d in r.deviations]))
    print("missed:", *missed, sep="\n  ")
    assert sum(hits) / len(hits) >= DETECTION_FLOOR, missed
    assert sum(missing_hits) / len(missing_hits) >= MISSING_FLOOR, missed


def test_defective_scores_below_full_marks_when_detected(demo):
    """Whatever is detected costs points: no defective video with a reported deviation of its
    own type scores 100."""
    _, _, results = demo
    bad = [(v["path"], r.score) for v, r in results if v["kind"] in DEFECT_KINDS
           and any(_matches(e, d) for e in v["deviations"] for d in r.deviations) and r.score >= 100.0]
    assert not bad


def test_unrelated_work_does_not_pass(demo):
    _, _, results = demo
    unrelated = [(v, r) for v, r in results if v["kind"] == "unrelated"]
    assert unrelated and all(r.verdict != "pass" for _, r in unrelated), [(v["path"], r.score) for v, r in unrelated]
    for v, r in unrelated:
        correct = [c.score for w, c in results if w["task"] == v["task"] and w["kind"] == "correct"]
        assert r.score < min(correct), (v["path"], r.score, correct)


def _bad_files(tmp: Path, good: Path) -> dict[str, Path]:
    zero = tmp / "zero.mp4"
    zero.write_bytes(b"")
    garbage = tmp / "garbage.mp4"
    garbage.write_bytes(bytes(range(256)) * 64)
    data = good.read_bytes()
    truncated = tmp / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 3])
    return {"zero-byte": zero, "garbage": garbage, "truncated": truncated}


def test_bad_files_are_rejected_cleanly(demo, tmp_path):
    root, golds, results = demo
    gold = root / next(iter(golds.values()))["path"]
    trainee = root / results[0][0]["path"]
    for label, bad in _bad_files(tmp_path, trainee).items():
        for args in ((gold, bad), (bad, gold)):
            proc = subprocess.run([sys.executable, "-m", "sopilot_assets.cli", "score", *map(str, args)],
                                  capture_output=True, text=True, timeout=120)
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            assert proc.returncode == 2, (label, proc.returncode, proc.stderr)
            assert len(lines) == 1 and "Traceback" not in proc.stderr, (label, proc.stderr)
            assert proc.stdout.strip() == "", (label, proc.stdout)


def _retimed(v: dict, embedded, pace) -> object:
    """v's clips re-timed so that its k-th segment takes pace(k) x the gold's time (a step)
    or x its own (a pause)."""
    return retime(embedded[v["path"]], v["segments"], pace_factors(v["segments"], pace))


def test_correct_trainees_pass_at_any_pace(demo_clips):
    """Pace robustness: the correct trainees' clip embeddings re-timed per step and per pause
    (steps at 0.6x, at 1.6x, and at random paces in between; pauses scaled likewise), scored
    against the gold (clips only: re-timed embeddings carry no stills). A fast step should
    not be reported missing, a slow one not as a repeat or an extra action; the floors are
    the measured level (module constants), the target is that all pass."""
    import numpy as np

    root, videos, embedded = demo_clips
    golds = {v["task"]: v for v in videos if v["role"] == "gold"}
    failed, uniform_ok, random_ok = [], [], []
    for v in videos:
        if v.get("kind") != "correct":
            continue
        g = golds[v["task"]]
        steps = load_steps(find_sidecar(root / g["path"]))

        def score(pace):
            return score_embeddings(embedded[g["path"]], _retimed(v, embedded, pace), steps)

        for p in PACE_RANGE:
            r = score(lambda k, p=p: p)
            uniform_ok.append(r.verdict == "pass")
            if r.verdict != "pass":
                failed.append((v["path"], p, r.score, [d.message for d in r.deviations]))
        for draw in range(4):
            rng = np.random.default_rng(draw)
            paces = rng.uniform(*PACE_RANGE, size=len(v["segments"]))
            r = score(lambda k, paces=paces: paces[k])
            random_ok.append(r.verdict == "pass")
            if r.verdict != "pass":
                print("random pace, not passed:", v["path"], draw, r.score, [d.message for d in r.deviations])
    assert np.mean(uniform_ok) >= UNIFORM_PACE_FLOOR, failed
    assert np.mean(random_ok) >= RANDOM_PACE_FLOOR, random_ok
