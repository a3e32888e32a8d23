"""The quick demo set: layout, manifest, decodability and ground truth consistency."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from sopilot_resources.demo import generate_demo
from sopilot_resources.demo.deviations import DEVIATION_TYPES
from sopilot_resources.scoring.steps import find_sidecar, load_steps

KINDS = {"correct", *DEVIATION_TYPES, "unrelated"}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    stale = out / "t01_valve" / "trainee"
    stale.mkdir(parents=True)
    (stale / "t01_from_an_older_run.mp4").write_bytes(b"old")
    (stale / "notes.txt").write_text("not ours to delete")
    calls = []
    manifest = generate_demo(out, seed=0, quick=True, progress=lambda *a: calls.append((*a, (out / a[2]).is_file())))
    return out, manifest, calls


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run[:2]


def test_progress_reports_each_finished_video_once(demo_run):
    """`sopilot demo` and `serve --demo` build on this callback: (done, total, path) per video,
    in order, and the file is complete on disk when it is called."""
    _, manifest, calls = demo_run
    n = len(manifest["videos"])
    assert [c[0] for c in calls] == list(range(1, n + 1)) and {c[1] for c in calls} == {n}
    assert sorted(c[2] for c in calls) == sorted(v["path"] for v in manifest["videos"])
    assert all(c[3] for c in calls)


def test_regenerating_replaces_old_videos_only(demo):
    out, _ = demo
    assert not (out / "t01_valve" / "trainee" / "t01_from_an_older_run.mp4").exists()
    assert (out / "t01_valve" / "trainee" / "notes.txt").exists()


def test_manifest_written_and_returned(demo):
    out, manifest = demo
    assert json.loads((out / "manifest.json").read_text()) == json.loads(json.dumps(manifest))
    assert manifest["quick"] is True and manifest["seed"] == 0
    styles = {t["style"] for t in manifest["tasks"].values()}
    assert styles == {"wide_small", "pan_stations"}


def test_inbox_layout_and_every_kind_per_task(demo):
    out, manifest = demo
    for key, task in manifest["tasks"].items():
        vids = [v for v in manifest["videos"] if v["task"] == key]
        gold = [v for v in vids if v["role"] == "gold"]
        assert len(gold) == 1 and gold[0]["path"] == task["gold"]
        assert Path(task["gold"]).parts[:2] == (key, "gold")
        trainees = [v for v in vids if v["role"] == "trainee"]
        assert {v["kind"] for v in trainees} == KINDS
        others = [v for v in trainees if v.get("filmed_task")]
        assert len(others) == 1 and others[0]["kind"] == "unrelated" and others[0]["filmed_task"] != key
        for v in trainees:
            p = Path(v["path"])
            assert p.parts[:2] == (key, "trainee") and (out / p).is_file()
            assert p.name.startswith(key.split("_")[0] + "_" + v["kind"])
            assert v["expected_pass"] == (v["kind"] == "correct")
    missing = [v for v in manifest["videos"] if v["kind"] == "missing"]
    assert any(manifest["tasks"][v["task"]]["steps"][v["deviations"][0]["gold_step"]]["critical"] for v in missing)


def test_gold_sidecar_is_valid_steps_file(demo):
    out, manifest = demo
    for task in manifest["tasks"].values():
        sidecar = find_sidecar(out / task["gold"])
        assert sidecar is not None and sidecar == out / task["steps_file"]
        steps = load_steps(sidecar)
        assert 5 <= len(steps) <= 7
        assert len({s.name for s in steps}) == len(steps)
        assert 1 <= sum(s.critical for s in steps) <= 3
        assert all(2.0 <= s.duration <= 6.0 for s in steps)


def _count_frames(path: Path) -> tuple[int, float, int, int]:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), path
    fps, w, h = cap.get(cv2.CAP_PROP_FPS), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n, fps, w, h


def test_every_file_decodes_with_the_manifest_duration(demo):
    out, manifest = demo
    containers = set()
    for v in manifest["videos"]:
        n, fps, w, h = _count_frames(out / v["path"])
        assert (w, h) == (v["width"], v["height"]), v["path"]
        assert fps == pytest.approx(v["fps"], abs=0.01), v["path"]
        assert n == v["frame_count"], v["path"]
        assert n / fps == pytest.approx(v["duration_sec"], abs=0.05)
        assert v["duration_sec"] == pytest.approx(v["segments"][-1]["end_sec"], abs=1.0 / v["fps"])
        containers.add(Path(v["path"]).suffix)
    assert {".mp4", ".avi"} <= containers


def test_deviations_agree_with_the_timeline(demo):
    _, manifest = demo
    for v in manifest["videos"]:
        n_gold = len(manifest["tasks"][v["task"]]["steps"])
        order = [s["gold_step"] for s in v["steps"]]
        devs = v["deviations"]
        if v["kind"] in ("correct", "gold"):
            assert order == list(range(n_gold)) and devs == []
            assert all(s["role"] == "step" for s in v["steps"])
            if v["kind"] == "correct":
                assert all(0.6 - 1e-6 <= r <= 1.6 + 1e-6 for r in v["pace"])
            assert max(s["end_sec"] - s["start_sec"] for s in v["segments"] if s["role"] == "idle") < 8.0
            continue
        if v["kind"] == "unrelated":
            assert order == [] and devs == []
            continue
        assert len(devs) == 1 and devs[0]["type"] == DEVIATION_TYPES[v["kind"]]
        d = devs[0]
        i = d["gold_step"] if d["gold_step"] is not None else d["after_gold_step"]
        span = d["trainee_time"]
        if v["kind"] == "missing":
            assert span is None and i not in order and sorted(order) == [k for k in range(n_gold) if k != i]
            continue
        inside = [s for s in v["segments"] if s["start_sec"] >= span["start_sec"] - 1e-6 and s["end_sec"] <= span["end_sec"] + 1e-6]
        if v["kind"] == "swap":
            assert order.index(i + 1) < order.index(i) and sorted(order) == list(range(n_gold))
            assert {s["gold_step"] for s in inside if s["role"] != "idle"} == {i, i + 1}
        elif v["kind"] == "repeat":
            assert order.count(i) == 2 and [s["role"] for s in inside] == ["repeat"]
        elif v["kind"] == "wrong":
            assert [(s["role"], s["gold_step"]) for s in inside] == [("wrong", i)] and order == list(range(n_gold))
        elif v["kind"] == "slow":
            assert inside[0]["gold_step"] == i and inside[0]["duration_ratio"] > 2.5
        elif v["kind"] == "extra":
            assert [s["role"] for s in inside] == ["extra"] and order == list(range(n_gold))
        elif v["kind"] == "idle":
            assert [s["role"] for s in inside] == ["idle"] and span["end_sec"] - span["start_sec"] > 8.0
            prev = max((s for s in v["steps"] if s["end_sec"] <= span["start_sec"] + 1e-6), key=lambda s: s["end_sec"])
            assert prev["gold_step"] == i
