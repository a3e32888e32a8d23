"""Steps files, sidecars and task profiles."""
import json

import numpy as np
import pytest

from sopilot_resources.errors import ProfileError, StepsFileError
from sopilot_resources.scoring.profile import DEFAULT_PENALTIES, Profile, load_profile
from sopilot_resources.scoring.steps import detect_steps, find_sidecar, load_steps, step_clip_ranges


def write(path, doc):
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def test_steps_file_round_trip_and_sidecar(tmp_path):
    video = tmp_path / "gold.mp4"
    video.write_bytes(b"x")
    write(tmp_path / "gold.steps.json", {"steps": [
        {"name": "fit gasket", "start_sec": 4.0, "end_sec": 8.5, "critical": True},
        {"name": "pick part", "start_sec": 0.5, "end_sec": 4.0},
    ]})
    side = find_sidecar(video)
    steps = load_steps(side)
    assert [s.name for s in steps] == ["pick part", "fit gasket"]  # sorted by start
    assert [s.index for s in steps] == [0, 1] and steps[1].critical and not steps[0].critical


@pytest.mark.parametrize("doc, needle", [
    ("{not json", "not a readable JSON"),
    ({"steps": []}, "at least one step"),
    ({"steps": [{"name": "a", "start_sec": 3, "end_sec": 1}]}, "need 0 <= start < end"),
    ({"steps": [{"name": "a", "start_sec": "x", "end_sec": 1}]}, "numeric"),
    ({"steps": [{"name": "a", "start_sec": 0, "end_sec": 5}, {"name": "b", "start_sec": 4, "end_sec": 6}]}, "overlap"),
])
def test_bad_steps_files_are_rejected_clearly(tmp_path, doc, needle):
    with pytest.raises(StepsFileError, match=needle):
        load_steps(write(tmp_path / "s.json", doc))


def test_profile_defaults_overrides_and_typos(tmp_path):
    assert load_profile(None) == Profile()
    p = load_profile(write(tmp_path / "p.json", {"pass_min": 90, "penalties": {"order_swap": 30},
                                                 "critical_steps": ["fit gasket"]}))
    assert p.pass_min == 90 and p.penalty("order_swap") == 30 and p.penalty("missing_step") == DEFAULT_PENALTIES["missing_step"]
    assert p.fingerprint() != Profile().fingerprint()
    assert p.verdict(95, has_critical=False) == "pass" and p.verdict(95, has_critical=True) == "fail"
    assert [Profile().verdict(s, False) for s in (85, 70, 50, 49.9)] == ["pass", "needs_review", "retrain", "fail"]
    # steps out of order: at best needs_review, unless the profile lets them pass
    assert [Profile().verdict(s, False, out_of_order=True) for s in (100, 70, 50)] == ["needs_review", "needs_review", "retrain"]
    assert Profile(order_blocks_pass=False).verdict(100, False, out_of_order=True) == "pass"
    assert load_profile(write(tmp_path / "o.json", {"order_blocks_pass": False})).order_blocks_pass is False
    with pytest.raises(ProfileError, match="order_blocks_pass must be true or false"):
        load_profile(write(tmp_path / "o2.json", {"order_blocks_pass": "no"}))  # a string would be truthy
    assert load_profile(write(tmp_path / "e.json", {"end_state_check": True})).end_state_check is True
    assert load_profile(write(tmp_path / "u.json", {"unmade_check": False})).unmade_check is False
    with pytest.raises(ProfileError, match="unmade_check must be true or false"):
        load_profile(write(tmp_path / "u2.json", {"unmade_check": "no"}))
    with pytest.raises(ProfileError, match="end_state_check must be true or false"):
        load_profile(write(tmp_path / "e2.json", {"end_state_check": 1}))
    assert Profile().result_pace_check is False  # opt-in: it searches every step's result
    assert load_profile(write(tmp_path / "r.json", {"result_pace_check": True})).result_pace_check is True
    with pytest.raises(ProfileError, match="result_pace_check must be true or false"):
        load_profile(write(tmp_path / "r2.json", {"result_pace_check": "yes"}))
    with pytest.raises(ProfileError, match="unknown profile keys"):
        load_profile(write(tmp_path / "q.json", {"pass_mn": 90}))
    with pytest.raises(ProfileError, match="unknown penalty"):
        load_profile(write(tmp_path / "r.json", {"penalties": {"mising_step": 1}}))
    with pytest.raises(ProfileError, match="thresholds"):
        load_profile(write(tmp_path / "t.json", {"pass_min": 40}))


def test_step_clip_ranges_use_clip_centres():
    starts = np.arange(20) * 0.5
    ranges = step_clip_ranges(load_steps_from([(0.0, 2.0), (2.0, 2.2), (2.2, 9.0)]), starts, starts + 2.0)
    assert ranges[0] == (0, 2)  # centres 1.0, 1.5
    assert ranges[1][1] - ranges[1][0] == 1  # shorter than a hop: still one clip


def load_steps_from(spans):
    from sopilot_resources.scoring.steps import parse_steps
    return parse_steps([{"start_sec": a, "end_sec": b} for a, b in spans])


def test_detect_steps_finds_boundaries_of_piecewise_sequences():
    rng = np.random.default_rng(0)
    protos = rng.normal(size=(4, 32))
    x = np.concatenate([np.repeat(p[None], n, 0) for p, n in zip(protos, (10, 14, 8, 12))])
    x += rng.normal(scale=0.2, size=x.shape)
    starts = np.arange(len(x)) * 0.5
    steps = detect_steps(x, starts, starts + 0.5)
    assert len(steps) == 4
    assert np.allclose([s.start_sec for s in steps[1:]], [5.0, 12.0, 16.0], atol=0.6)


def _novelty_full(x, w):
    """Reference: the checkerboard novelty from the whole self-similarity matrix."""
    x = x - x.mean(axis=0, keepdims=True)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    sim, nov = x @ x.T, np.zeros(len(x))
    for i in range(w, len(x) - w + 1):
        nov[i] = (sim[i - w:i, i - w:i].mean() + sim[i:i + w, i:i + w].mean()) / 2 - sim[i - w:i, i:i + w].mean()
    return nov


def test_detect_steps_matches_full_matrix_novelty_and_stays_small_on_long_videos(monkeypatch):
    import tracemalloc

    import sopilot_resources.scoring.peaks as peaks_mod  # detect_steps imports find_peaks when it runs

    rng = np.random.default_rng(3)
    x = np.repeat(rng.normal(size=(12, 16)), 25, axis=0) + rng.normal(scale=0.3, size=(300, 16))
    starts = np.arange(len(x)) * 0.5
    seen = {}

    def spy(nov, **kw):
        seen["nov"] = nov
        return real(nov, **kw)

    real = peaks_mod.find_peaks
    monkeypatch.setattr(peaks_mod, "find_peaks", spy)
    detect_steps(x, starts, starts + 2.0)
    assert np.allclose(seen["nov"], _novelty_full(x, 4), atol=1e-9)
    # 4 h at 2 clips/s would need 3.3 GB for the full matrix; here 12000 clips (0.58 GB full)
    long = rng.normal(size=(12000, 8)).astype(np.float32)
    t = np.arange(len(long)) * 0.5
    tracemalloc.start()
    detect_steps(long, t, t + 2.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 2**20
