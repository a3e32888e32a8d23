"""Soak building blocks without the pipeline: the drop plan, the bad files, the repacked
copies (new bytes, same frames) and every invariant check, passing and failing."""
from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from sopilot_resources.soak import invariants as inv
from sopilot_resources.soak.invariants import Observation
from sopilot_resources.soak.plan import BAD_KINDS, find_corpus, materialize, plan_drops
from tests.video_synth import write_video


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    for t, task in enumerate(("assembly", "packing")):
        (root / task / "gold").mkdir(parents=True)
        (root / task / "trainee").mkdir(parents=True)
        write_video(root / task / "gold" / "gold.mp4", 12, fps=6, size=(64, 48))
        (root / task / "gold" / "gold.steps.json").write_text('{"steps": []}')
        for i in range(2):
            write_video(root / task / "trainee" / f"t{i}.mp4", 10 + i + t, fps=6, size=(64, 48))
    return find_corpus(root)


def frames(path):
    cap, out = cv2.VideoCapture(str(path)), []
    while True:
        ok, f = cap.read()
        if not ok:
            return out
        out.append(f)


def test_plan_order_and_kinds(corpus):
    drops = plan_drops(corpus, 30, bad_every=5)
    assert len(drops) == 30 and len({d.file_name for d in drops}) == 30
    assert (drops[0].role, drops[0].task) == ("trainee", "assembly")  # waits for its gold
    assert [d.role for d in drops[1:3]] == ["gold", "gold"]
    bad = [d for d in drops if d.kind != "good"]
    assert {d.kind for d in bad} == set(BAD_KINDS)
    assert all(d.expected == "quarantined" for d in bad)
    variants = [d.variant for d in drops if d.kind == "good" and d.role == "trainee"]
    assert {"", "duplicate", "repack"} <= set(variants)
    assert variants.count("") == 4  # each corpus trainee once as is


def test_materialize_bad_files_and_repack(corpus, tmp_path):
    drops = plan_drops(corpus, 30, bad_every=5)
    rng = random.Random(0)
    paths = {d.seq: materialize(d, tmp_path / "inbox", tmp_path / "staging", rng) for d in drops}
    by_kind = {d.kind: d for d in drops if d.kind != "good"}
    assert paths[by_kind["zero_byte"].seq].stat().st_size == 0
    assert paths[by_kind["wrong_extension"].seq].suffix == ".txt"
    trunc = by_kind["truncated"]
    assert 0 < trunc.size_bytes < __import__("os").path.getsize(trunc.src)
    assert not frames(paths[by_kind["garbage"].seq])
    gold = next(d for d in drops if d.role == "gold")
    assert (paths[gold.seq].parent / (paths[gold.seq].stem + ".steps.json")).is_file()
    rep = next(d for d in drops if d.variant == "repack")
    orig = next(d for d in drops if d.variant == "" and d.src == rep.src and d.role == "trainee")
    assert rep.sha256 != orig.sha256 and rep.content_id == orig.content_id == orig.sha256
    a, b = frames(paths[orig.seq]), frames(paths[rep.seq])
    assert len(a) == len(b) > 0 and all(np.array_equal(x, y) for x, y in zip(a, b))
    dup = next(d for d in drops if d.variant == "duplicate")
    assert dup.sha256 == dup.content_id and dup.expected == "duplicate"
    assert not list((tmp_path / "staging").iterdir())  # everything renamed into the inbox


def _drops(corpus):
    drops = plan_drops(corpus, 24, bad_every=4)
    for d in drops:
        d.sha256 = d.content_id = f"sha-{d.src}-{d.kind}-{d.variant}-{d.seq if d.variant == 'repack' else ''}"
        if d.variant == "repack":
            d.content_id = f"sha-{d.src}-{d.kind}--"
    return drops


def _perfect(drops):
    obs = Observation()
    gold_of = {d.task: d.file_name for d in drops if d.role == "gold"}
    for d in drops:
        if d.expected == "scored":
            obs.scores.append({"trainee_file": d.file_name, "gold_file": gold_of[d.task],
                               "score": float(len(d.src) % 7) + 80.0})
        elif d.expected == "quarantined":
            obs.quarantined[d.file_name] = "unreadable: no frame decodes"
        elif d.expected == "gold":
            obs.golds.add(d.file_name)
        elif d.expected == "duplicate":
            obs.duplicates.add(d.file_name)
    return obs


def test_invariants_hold_on_perfect_observation(corpus):
    drops = _drops(corpus)
    obs = _perfect(drops)
    for check in (inv.accounted_once, inv.expected_fates, inv.identical_inputs_identical_scores):
        c = check(drops, obs)
        assert c.ok, c.detail


def test_invariants_catch_each_failure(corpus):
    drops = _drops(corpus)
    scored = [d for d in drops if d.expected == "scored"]
    obs = _perfect(drops)
    obs.scores = [r for r in obs.scores if r["trainee_file"] != scored[0].file_name]
    assert "unaccounted" in inv.accounted_once(drops, obs).detail
    obs = _perfect(drops)
    obs.waiting.add(scored[0].file_name)
    c = inv.accounted_once(drops, obs)
    assert not c.ok and "more than one fate" in c.detail
    obs = _perfect(drops)
    obs.quarantined["stranger.mp4"] = "x"
    assert "never dropped" in inv.accounted_once(drops, obs).detail
    obs = _perfect(drops)
    q = next(iter(obs.quarantined))
    obs.quarantined[q] = ""
    assert "without reason" in inv.accounted_once(drops, obs).detail
    obs = _perfect(drops)
    obs.waiting.add(scored[1].file_name)
    obs.scores = [r for r in obs.scores if r["trainee_file"] != scored[1].file_name]
    assert not inv.expected_fates(drops, obs).ok
    obs = _perfect(drops)
    rep = next(d for d in drops if d.variant == "repack")
    row = next(r for r in obs.scores if r["trainee_file"] == rep.file_name)
    row["score"] += 0.5
    c = inv.identical_inputs_identical_scores(drops, obs)
    assert not c.ok and "differing" in c.detail


def test_run_memory_and_disk_checks():
    assert inv.no_failed_runs(10, []).ok
    assert not inv.no_failed_runs(10, ["score_job 1234abcd"]).ok
    assert inv.memory_bounded([500, 520, 510, 530, 515, 525], 4096).ok
    assert not inv.memory_bounded([500, 500, 900, 1400, 1900, 2400], 4096, slack_mb=256).ok
    assert not inv.memory_bounded([500, 5000, 500], 4096).ok
    assert not inv.memory_bounded([500], 4096).ok
    # run workers come and go (total swings); the long-lived processes stay flat: bounded
    assert inv.memory_bounded([400, 1200, 500, 1300, 450, 1250], 4096, slack_mb=256,
                              base_mb=[400, 410, 400, 420, 410, 415]).ok
    assert not inv.memory_bounded([400, 1200, 500, 1300, 450, 1250], 4096, slack_mb=256,
                                  base_mb=[400, 500, 700, 900, 1100, 1300]).ok
    mb = 2**20
    assert inv.disk_bounded(0, 110 * mb, 100 * mb, 10, 5).ok
    assert not inv.disk_bounded(0, 400 * mb, 100 * mb, 10, 5).ok


@pytest.mark.parametrize("text,sec", [("90s", 90), ("10m", 600), ("24h", 86400), ("1h30m", 5400),
                                      ("600", 600), ("2 min", 120), ("1d", 86400)])
def test_parse_duration(text, sec):
    from sopilot_assets.soak.cli import parse_duration

    assert parse_duration(text) == sec


@pytest.mark.parametrize("bad", ["", "ten minutes", "10x", "0s", "-5m", "5m garbage"])
def test_parse_duration_rejects(bad):
    from sopilot_assets.soak.cli import DurationError, parse_duration

    with pytest.raises(DurationError, match="duration"):
        parse_duration(bad)


def test_cli_bad_duration_is_one_line(capsys):
    from sopilot_assets.cli import main

    assert main(["soak", "--duration", "soon"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "duration 'soon'" in err
