"""`serve --demo`'s feed: videos reach the inbox as they are rendered (real renderer, quick set),
each task's sidecar and gold before its trainees, atomically; a rendered set is reused; stop()
ends the render child and its encoders."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import psutil
import pytest

from sopilot_assets.demo_feed import DemoFeed, _Arrivals


def _videos(root: Path) -> list[str]:
    """task/role/file paths under `root`, steps sidecars left out."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and len(p.relative_to(root).parts) == 3 and not p.name.endswith(".steps.json"))


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    root = tmp_path_factory.mktemp("feed") / "data"
    feed = DemoFeed(root, quick=True).start()
    seen_before_done = None
    deadline = time.monotonic() + 600
    while not feed.join(0.2):
        if seen_before_done is None and list((root / "inbox").rglob("*.steps.json")):
            seen_before_done = not (feed.cache / "manifest.json").exists()
        assert time.monotonic() < deadline, "the quick demo did not finish rendering in 10 minutes"
    return root, feed, seen_before_done


def test_every_video_arrives_once_in_a_safe_order(fed):
    root, feed, seen_before_done = fed
    manifest = json.loads((feed.cache / "manifest.json").read_text())
    videos = sorted(v["path"] for v in manifest["videos"])
    assert _videos(root / "inbox") == videos  # the same layout as the set
    assert seen_before_done  # files were in the inbox while the set was still rendering
    placed = feed.arrivals.placed
    assert sorted(p for p in placed if not p.endswith(".steps.json")) == videos
    for task, meta in manifest["tasks"].items():
        first_trainee = min(i for i, p in enumerate(placed) if p.startswith(f"{task}/trainee/"))
        assert placed.index(meta["steps_file"]) < placed.index(meta["gold"]) < first_trainee
    assert not [p for p in (root / "inbox").rglob(".*")]  # no temporary name left behind
    assert not feed.staging.exists() and feed.proc.returncode == 0


def test_a_rendered_set_is_copied_at_once(fed, tmp_path):
    root, first, _ = fed
    again = DemoFeed(root, quick=True)
    again.inbox = tmp_path / "inbox2"  # the same cache, a fresh inbox
    t0 = time.monotonic()
    again.start()
    assert again.join(60) and time.monotonic() - t0 < 30
    assert again.proc is None  # nothing rendered
    assert _videos(again.inbox) == _videos(root / "inbox")


def test_trainees_wait_for_their_gold(tmp_path):
    staging, inbox = tmp_path / "staging", tmp_path / "inbox"
    for rel in ["t1/gold/g.mp4", "t1/gold/g.steps.json", "t1/trainee/a.mp4", "t1/trainee/b.mp4"]:
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).write_bytes(rel.encode())
    arr = _Arrivals(staging, inbox)
    assert arr.finished("t1/trainee/a.mp4") == [] and not (inbox / "t1").exists()
    assert arr.finished("t1/gold/g.mp4") == ["t1/gold/g.mp4", "t1/trainee/a.mp4"]
    assert arr.finished("t1/trainee/b.mp4") == ["t1/trainee/b.mp4"]
    assert arr.placed == ["t1/gold/g.steps.json", "t1/gold/g.mp4", "t1/trainee/a.mp4", "t1/trainee/b.mp4"]
    assert (inbox / "t1/trainee/a.mp4").read_bytes() == b"t1/trainee/a.mp4"


def test_stop_ends_the_render_and_its_encoders(tmp_path):
    feed = DemoFeed(tmp_path / "data", quick=True).start()
    deadline = time.monotonic() + 120
    while feed.proc is None or not psutil.Process(feed.proc.pid).children(recursive=True):
        assert time.monotonic() < deadline, "the render child never started an encoder"
        time.sleep(0.1)
    tree = [psutil.Process(feed.proc.pid), *psutil.Process(feed.proc.pid).children(recursive=True)]
    t0 = time.monotonic()
    feed.stop()
    assert time.monotonic() - t0 < 15 and feed.join(0)
    gone, alive = psutil.wait_procs(tree, timeout=10)
    assert not alive, [p.cmdline()[:3] for p in alive]
    assert not (feed.cache / "manifest.json").exists()  # an interrupted render is not kept as the cache


def test_a_failed_render_is_one_error_line(tmp_path, caplog, monkeypatch):
    feed = DemoFeed(tmp_path / "data", quick=True)
    feed.staging.parent.mkdir(parents=True)
    feed.staging.write_text("a file where the render goes")  # generate_demo refuses it
    monkeypatch.setattr(logging.getLogger("sopilot.serve"), "propagate", True)  # serve may have turned it off
    with caplog.at_level(logging.INFO, logger="sopilot.serve"):
        assert feed.start().join(120)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "demo: rendering failed (exit code 1: " in errors[0]
    assert "demo output must be a directory" in errors[0] and str(feed.render_log) in errors[0]
    assert not (feed.cache / "manifest.json").exists() and not list((tmp_path / "data" / "inbox").rglob("*.*"))
