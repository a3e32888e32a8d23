"""The quick demo set: layout, manifest, decodability and ground truth consistency."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sopilot_resources.demo import generate_demo
from sopilot_resources.demo.clutter import dress_station
from sopilot_resources.demo.deviations import DEVIATION_TYPES
from sopilot_resources.demo.generate import GENERATOR_VERSION, MANIFEST_VERSION
from sopilot_resources.demo.jobs import task_jobs
from sopilot_resources.demo.procedures import all_tasks
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
    assert manifest["version"] == MANIFEST_VERSION >= 2 and manifest["generator_version"] == GENERATOR_VERSION >= 2
    styles = {t["style"] for t in manifest["tasks"].values()}
    assert styles == {"wide_small", "pan_stations"}
    assert [len(t["steps"]) for t in manifest["tasks"].values()] == [5, 5]


NUISANCE_KEYS = {"roll_deg", "roll_drift_deg", "mount_drift", "zoom_drift", "mount_period", "wb_drift", "wb_period",
                 "flicker", "motion_blur", "defocus", "harsh", "zoom", "offset", "clutter_changes"}


def test_every_video_records_its_nuisance(demo):
    """The gold is upright and steady; trainees carry the new nuisances, each recorded in ``look``."""
    _, manifest = demo
    for v in manifest["videos"]:
        assert NUISANCE_KEYS <= set(v["look"]), v["name"]
        lk = v["look"]
        if v["role"] == "gold":
            assert lk["roll_deg"] == lk["mount_drift"] == lk["motion_blur"] == lk["defocus"] == lk["shake_px"] == 0
            assert lk["clutter_changes"] == []
        else:
            assert 0.9 <= lk["zoom"] <= 1.1 and abs(lk["roll_deg"]) <= 4 and lk["mount_drift"] > 0 and lk["wb_drift"] > 0
    trainees = [v["look"] for v in manifest["videos"] if v["role"] == "trainee"]
    assert any(lk["motion_blur"] > 0 for lk in trainees) and any(lk["motion_blur"] == 0 for lk in trainees)
    assert any(lk["clutter_changes"] for lk in trainees)
    for task in manifest["tasks"].values():
        st = task["station"]
        assert st["surface"] and st["wall"] and len(st["clutter"]) >= 3


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


def _gold_clutter_masks(v: dict, task: dict, world_w: float) -> list[np.ndarray]:
    """Pixel masks (eroded) of the gold's clutter props fully inside its steady, upright view."""
    w, h = v["width"], v["height"]
    masks = []
    for c in task["station"]["clutter"]:
        ca, sa = np.cos(c["angle"]), np.sin(c["angle"])
        corners = [(c["x"] + u * ca - q * sa, c["y"] + u * sa + q * ca) for u, q in
                   ((-c["w"] / 2, -c["h"] / 2), (c["w"] / 2, -c["h"] / 2), (c["w"] / 2, c["h"] / 2), (-c["w"] / 2, c["h"] / 2))]
        px = np.array([((x - world_w / 2) * h + w / 2, (y - 0.5) * h + h / 2) for x, y in corners])
        if px.min() < 2 or px[:, 0].max() > w - 2 or px[:, 1].max() > h - 2:
            continue
        m = np.zeros((h, w), np.uint8)
        cv2.fillPoly(m, [np.round(px).astype(np.int32)], 1)
        m = cv2.erode(m, np.ones((3, 3), np.uint8))
        if m.sum() >= 12:
            masks.append(m > 0)
    return masks


def test_clutter_stays_put_in_the_gold(demo):
    """Props no step uses are there from the first frame to the last: in the fixed-view gold,
    each prop looks like the video's median frame in the first and in the last quarter, and in
    most frames (the arm may pass over it)."""
    out, manifest = demo
    key = "t01_valve"
    v = next(x for x in manifest["videos"] if x["task"] == key and x["role"] == "gold")
    cap = cv2.VideoCapture(str(out / v["path"]))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    stack = np.stack(frames).astype(np.int16)
    median = np.median(stack, axis=0)
    masks = _gold_clutter_masks(v, manifest["tasks"][key], next(t for t in all_tasks() if t.key == key).layout.world_w)
    assert len(masks) >= 2
    quarter = len(frames) // 4
    for m in masks:
        same = np.abs(stack[:, m] - median[m]).mean(axis=(1, 2)) < 8
        assert same[:quarter].any() and same[-quarter:].any() and same.mean() > 0.5, same.astype(int).tolist()


def _assert_consistent(v: dict, n_gold: int) -> None:
    """One video's deviations agree with its timeline."""
    order = [s["gold_step"] for s in v["steps"]]
    devs = v["deviations"]
    if v["kind"] in ("correct", "gold"):
        assert order == list(range(n_gold)) and devs == []
        assert all(s["role"] == "step" for s in v["steps"])
        if v["kind"] == "correct":
            assert all(0.6 - 1e-6 <= r <= 1.6 + 1e-6 for r in v["pace"])
        assert max(s["end_sec"] - s["start_sec"] for s in v["segments"] if s["role"] == "idle") < 8.0
        return
    if v["kind"] == "unrelated":
        assert order == [] and devs == []
        return
    assert len(devs) == 1 and devs[0]["type"] == DEVIATION_TYPES[v["kind"]]
    d = devs[0]
    i = d["gold_step"] if d["gold_step"] is not None else d["after_gold_step"]
    span = d["trainee_time"]
    if v["kind"] == "missing":
        assert span is None and i not in order and sorted(order) == [k for k in range(n_gold) if k != i]
        return
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


def test_small_parts_task_defects_agree_with_the_timeline():
    """t04_terminals (full sets only): every kind, each defect consistent with its timeline, and
    its wrong step one terminal off (a name saying so)."""
    tasks = [dress_station(t, 5, i) for i, t in enumerate(all_tasks())]
    task = tasks[3]
    jobs, meta = task_jobs(task, 3, seed=5, quick=False, other=tasks[0])
    assert meta["style"] == "small_parts" and len(meta["steps"]) == 6
    assert {j.record["kind"] for j in jobs} == {"gold", "correct", *DEVIATION_TYPES, "unrelated"}
    for j in jobs:
        _assert_consistent(j.record, len(task.steps))
    wrong = next(j for j in jobs if j.record["kind"] == "wrong")
    seg = next(s for s in wrong.segments if s.role == "wrong")
    assert "terminal" in seg.action.name or "shifted" in seg.action.name or "socket" in seg.action.name


def test_deviations_agree_with_the_timeline(demo):
    _, manifest = demo
    for v in manifest["videos"]:
        _assert_consistent(v, len(manifest["tasks"][v["task"]]["steps"]))

