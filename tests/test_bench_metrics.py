"""The accuracy benchmark's deviation metrics (benchmarks/bench_accuracy.py): what counts as a
true deviation, and the precision and false-deviation figures docs/BENCHMARKS.md reports."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_accuracy import _true_deviation, boundary_hits, deviation_precision, summarize, true_step_of  # noqa: E402


@pytest.mark.parametrize("found, expected, true", [
    (("missing_step", 3), [("missing_step", 3)], True),
    (("missing_step", 2), [("missing_step", 3)], False),  # the wrong step
    (("wrong_step", 3), [("missing_step", 3)], False),  # the wrong type
    (("order_swap", 4), [("order_swap", 3)], True),  # either step of the swapped pair
    (("order_swap", 5), [("order_swap", 3)], False),
    (("extra_action", 4), [("extra_action", 4)], True),  # after the step it follows
    (("extra_action", None), [("extra_action", 4)], False),
    (("slow_step", 1), [], False),  # anything on a correct video
])
def test_a_true_deviation_has_the_type_and_the_step(found, expected, true):
    assert _true_deviation(found, expected) is true


def test_precision_leaves_unrelated_videos_out_and_counts_false_ones_per_correct_video():
    rows = [
        {"kind": "correct", "found": [["wrong_step", 0]], "expected": []},
        {"kind": "correct", "found": [], "expected": []},
        {"kind": "missing", "found": [["missing_step", 2], ["extra_action", 1]], "expected": [["missing_step", 2]]},
        {"kind": "unrelated", "found": [["missing_step", 0]] * 5, "expected": []},
    ]
    out = deviation_precision(rows)
    assert out["deviations_reported"] == 3
    assert out["deviation_precision"] == pytest.approx(1 / 3)
    assert out["false_deviations_per_correct"] == pytest.approx(0.5)


def test_detected_steps_are_counted_at_the_true_step_they_overlap_most():
    """Without step files a deviation names a detected step: the benchmark counts it at the
    true step that detected step overlaps most (``found_true``), so "located" means the real
    step; results written without ``found_true`` get no located figures."""
    from types import SimpleNamespace as S

    truth = [S(index=i, start_sec=a, end_sec=b) for i, (a, b) in enumerate([(1, 5), (5.4, 10), (10.4, 14)])]
    detected = [S(index=i, start_sec=a, end_sec=b) for i, (a, b) in enumerate([(0, 2), (2, 9), (9, 11), (11, 15)])]
    assert true_step_of(detected, truth) == {0: 0, 1: 1, 2: 1, 3: 2}
    # boundaries: 5.2 and 10.2 s (the middles of the pauses); one found per true one, within 1 s
    assert boundary_hits([5.0, 5.5, 12.0], truth) == (1, 2, 3)
    assert boundary_hits([d.end_sec for d in detected[:-1]], truth) == (1, 2, 3)
    rows = [{"kind": "missing", "verdict": "fail", "score": 10.0, "style": "", "found": [["missing_step", 3]],
             "found_true": [["missing_step", 2]], "expected": [["missing_step", 2]]},
            {"kind": "correct", "verdict": "pass", "score": 100.0, "style": "", "found": [], "found_true": [],
             "expected": []}]
    out = summarize(rows, detected=True)
    assert out["per_kind"]["missing"]["located"] == 1 and out["missing_detected"] == 1.0
    assert summarize(rows, detected=False)["per_kind"]["missing"]["located"] == 0  # step 3 is not step 2
    old = [{k: v for k, v in r.items() if k != "found_true"} for r in rows]
    out = summarize(old, detected=True)
    assert out["per_kind"]["missing"]["located"] is None and "deviation_precision" not in out
    assert out["per_kind"]["missing"]["caught"] == 1  # caught and typed need no step number


def test_clip_layout_probe_moves_cells_with_the_camera():
    """The clip-layout probe's resampling (benchmarks/clip_layout_warp.py): the identity keeps
    every vector; a camera put one fine cell to the right puts the work one cell to the left in
    the gold's frame; every block keeps its length."""
    import numpy as np
    from clip_layout_warp import warp_vectors

    from sopilot_resources.embedders.color_motion import BLOCKS

    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, BLOCKS["dynamics"].stop)).astype(np.float32)
    assert np.array_equal(warp_vectors(x, np.eye(3), (320, 180)), x)
    luma = np.zeros_like(x[:1])
    luma[0, BLOCKS["luma"].start + 3 * 8 + 4] = 1.0  # fine luma cell (row 3, column 4) lit
    shift = np.array([[1.0, 0.0, 40.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # gold x + 40 px = trainee x
    out = warp_vectors(luma, shift, (320, 180))[0, BLOCKS["luma"]][:64].reshape(8, 8)
    assert np.unravel_index(np.argmax(out), out.shape) == (3, 3) and out.max() > 0.9
    y = warp_vectors(x, np.array([[1.1, 0.05, -12.0], [-0.03, 0.95, 7.0], [0.0, 0.0, 1.0]]), (320, 180))
    for sl in BLOCKS.values():
        np.testing.assert_allclose(np.linalg.norm(y[:, sl], axis=1), np.linalg.norm(x[:, sl], axis=1), rtol=1e-4)


def test_what_if_steps_swaps_the_detection_for_the_block_only():
    """benchmarks/what_if_steps.py: detected steps with the step file's outer edges, or from the
    motion-energy block, inside the block; the engine's own detection again after it."""
    import numpy as np
    from what_if_steps import block_steps, detected_steps_as, detector, with_edges, work_span

    from sopilot_resources.embedders.color_motion import BLOCKS
    from sopilot_resources.scoring import build_pair
    from sopilot_resources.scoring.steps import Step, detect_steps

    truth = [Step(0, "a", 1.5, 4.0), Step(1, "b", 4.4, 16.0), Step(2, "c", 16.5, 29.0)]
    found = [Step(0, "step 1", 0.0, 5.0), Step(1, "step 2", 5.0, 31.5)]
    edged = with_edges(found, truth)
    assert [(s.start_sec, s.end_sec) for s in edged] == [(1.5, 5.0), (5.0, 29.0)]
    assert with_edges(found, [Step(0, "a", 4.8, 6.0), Step(1, "b", 6.0, 12.0)])[0].start_sec == 0.0  # < 0.5 s left
    rng = np.random.default_rng(0)
    starts = np.arange(60) * 0.5
    x = rng.normal(size=(60, 1264)).astype(np.float32)
    x[30:, BLOCKS["energy"]] += 3.0  # the hands move elsewhere from 15 s on
    with detected_steps_as("energy", truth):
        steps = build_pair.detect_steps(x, starts, starts + 2.0)
    assert steps[0].start_sec == 1.5 and steps[-1].end_sec == 29.0
    assert [s.end_sec for s in steps[:-1]] == [s.end_sec for s in block_steps(x, starts, starts + 2.0)[:-1]]
    assert 15.0 in [s.end_sec for s in steps]
    assert detector("energy")(x, starts, starts + 2.0) == block_steps(x, starts, starts + 2.0)
    assert detector("clips") is detect_steps
    assert build_pair.detect_steps is detect_steps
    segments = [{"role": "idle", "start_sec": 0.0, "end_sec": 1.6}, {"role": "step", "start_sec": 1.6, "end_sec": 4.5},
                {"role": "repeat", "start_sec": 4.5, "end_sec": 8.0}, {"role": "idle", "start_sec": 8.0, "end_sec": 9.4}]
    assert work_span(segments) == (1.6, 8.0)  # a video's work: its rest before and after left out


def test_accuracy_pool_sums_the_seeds_and_keeps_each_seeds_auc():
    """benchmarks/accuracy_pool.py: counts summed over the seeds, the AUC per seed and its mean
    as the docs give it, and the AUC of the rows pooled beside it."""
    from accuracy_pool import pool

    def row(kind, verdict, score, found=(), expected=()):
        return {"kind": kind, "verdict": verdict, "score": score, "style": "bench", "found": [list(f) for f in found],
                "expected": [list(e) for e in expected]}

    a = [row("correct", "pass", 100.0), row("correct", "fail", 40.0, [("wrong_step", 1)]),
         row("missing", "fail", 30.0, [("missing_step", 2)], [("missing_step", 2)])]
    b = [row("correct", "pass", 90.0), row("missing", "pass", 95.0, [], [("missing_step", 1)]),
         row("unrelated", "fail", 0.0)]
    f = pool({1: a, 2: b}, detected=False)
    assert f["correct_pass"] == [2, 3] and f["defective_not_pass"] == [2, 3]
    assert f["per_kind"]["missing"] == {"videos": 2, "caught": 1, "typed": 1, "located": 1}
    assert f["auc_per_seed"] == {1: 1.0, 2: 0.5}  # seed 2: the missing step's 95 beats the correct 90
    assert f["auc_mean"] == 0.75 and f["auc_by_style"] == {"bench": 0.75}
    assert 0.0 < f["auc_pooled"] < 1.0 and f["auc_pooled"] != f["auc_mean"]


def test_merged_missing_probe_measures_gold_time_the_path_crosses_without_the_trainee():
    """benchmarks/probe_merged_missing.py: along a DTW path that pairs 3 s of gold with one
    trainee moment, the skip inside the step is those 3 s; a path at the trainee's pace skips
    nothing, and one outside the step is not counted."""
    import numpy as np
    from probe_merged_missing import path_skip

    gold = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    even = gold * 2.0  # a trainee at half speed: pace 2
    assert path_skip(gold, even, 2.0, 0.0, 7.0) == 0.0
    tr = np.array([0.0, 2.0, 4.0, 4.0, 4.0, 4.0, 6.0, 8.0])  # gold 2-5 s paired with trainee 4 s
    assert path_skip(gold, tr, 2.0, 0.0, 7.0) == 3.0
    assert path_skip(gold, tr, 2.0, 6.0, 7.0) == 0.0
    assert path_skip(gold[:1], tr[:1], 2.0, 0.0, 7.0) == 0.0
