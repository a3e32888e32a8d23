"""Chaos suite, the inbox side (issue 12, faults 4 and 6): names up to the filesystem's limit
(in bytes, CJK too), FIFOs and folders named like videos, symlink loops, bad task names of a
profile, and a file that cannot be handled: retried a bounded number of times, reported once."""
from __future__ import annotations

import json
import os
import threading

import dagster as dg
import pytest
from dagster_support import resources, tick, write_video

from sopilot_assets.definitions import build_definitions
from sopilot_assets.assets.common import Versions
from sopilot_resources.storage import Registry, VideoStore
from sopilot_resources.storage.intake import Intake, IntakeConfig
from sopilot_resources.storage.intake_types import MAX_FAILURES
from sopilot_resources.storage.names import NAME_MAX, STORED_NAME_MAX, fit_name, free_name_beside, name_bytes
from sopilot_resources.storage.quarantine import quarantined

CJK = "検査動画"  # 3 bytes a character in UTF-8


def name_of(n_bytes: int, ext: str = ".mp4", text: str = "x") -> str:
    """A name of exactly ``n_bytes`` bytes (or the longest below it for multi-byte text)."""
    stem = ""
    while name_bytes(stem + text[len(stem) % len(text)] + ext) <= n_bytes:
        stem += text[len(stem) % len(text)]
    return stem + ext


def every_name_fits(root):
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            assert name_bytes(n) <= NAME_MAX, n


def tick_once(root, **cfg) -> list:
    return Intake(VideoStore.at(root), IntakeConfig(stable_seconds=0, **cfg)).tick(None, now=1.0).events


@pytest.mark.parametrize("name", [name_of(200), name_of(240), name_of(250), name_of(255), name_of(255, ".txt"),
                                  name_of(255, ".mp4", CJK), name_of(238, ".mp4", "日本語")],
                         ids=["200B", "240B", "250B", "255B", "255B-txt", "cjk-253B", "cjk-238B"])
def test_a_name_of_any_length_is_quarantined_with_its_reason(tmp_path, name):
    f = tmp_path / "inbox" / "task" / "trainee" / name
    f.parent.mkdir(parents=True)
    f.write_bytes(os.urandom(3000))  # not a video: unreadable (or unsupported_format for .txt)
    events = tick_once(tmp_path)
    assert [e.action for e in events] == ["quarantined"] and events[0].level == "warning"
    [row] = quarantined(VideoStore.at(tmp_path))
    assert row["file_name"] == name and row["inbox_path"] == f"task/trainee/{name}"
    stored = tmp_path / row["stored_path"]
    assert stored.exists() and name_bytes(stored.name) <= STORED_NAME_MAX
    assert json.loads(open(str(stored) + ".reason.json", encoding="utf-8").read())["file"] == name
    assert stored.suffix == os.path.splitext(name)[1] and not f.exists()
    every_name_fits(tmp_path)


def test_long_cjk_names_are_ingested_and_their_duplicates_archived(tmp_path):
    clip = write_video(tmp_path / "src.avi", seed=4, step_sec=0.5)
    first, again = name_of(255, ".avi", CJK), name_of(254, ".avi", "重複")
    d = tmp_path / "inbox" / "task" / "trainee"
    d.mkdir(parents=True)
    (d / first).write_bytes(clip.read_bytes())
    (d / again).write_bytes(clip.read_bytes())
    events = tick_once(tmp_path)
    assert sorted((e.action, e.reason) for e in events) == [
        ("duplicate", "duplicate"), ("ingested", ""), ("waiting", "no_gold")], [e.message for e in events]
    [rec] = Registry(tmp_path / "registry").videos()
    assert {rec.file_name, rec.duplicates[0]["inbox_path"].split("/")[-1]} == {first, again}
    archived = [p for p in (tmp_path / "archive").rglob("*.avi")]
    assert len(archived) == 1 and name_bytes(archived[0].name) <= STORED_NAME_MAX
    every_name_fits(tmp_path)


def test_fitted_names_keep_extension_characters_and_stay_apart():
    a, b = name_of(255, ".mp4", CJK), name_of(254, ".mp4", CJK) + "x"
    fa, fb = fit_name(a), fit_name(b)
    assert fa != fb and fa.endswith(".mp4") and name_bytes(fa) <= STORED_NAME_MAX
    assert os.fsencode(fa).decode("utf-8")  # no character cut in half
    assert fit_name("short.mp4") == "short.mp4" and fit_name("." + "y" * 300).startswith("y")


def test_put_back_name_when_the_inbox_name_was_taken(tmp_path):
    p = tmp_path / name_of(255)
    p.write_bytes(b"")
    q = free_name_beside(p)
    assert q != p and q.name.endswith("~2.mp4") and name_bytes(q.name) <= NAME_MAX


def test_fifos_and_folders_named_like_videos_are_reported_once_and_never_opened(tmp_path):
    d = tmp_path / "inbox" / "task" / "trainee"
    d.mkdir(parents=True)
    os.mkfifo(d / "pipe.mp4")  # reading it would block the tick for ever
    os.mkfifo(tmp_path / "inbox" / "task" / "profile.json")
    (d / "folder.mp4").mkdir()
    intake = Intake(VideoStore.at(tmp_path), IntakeConfig(stable_seconds=0))
    outs = []
    t = threading.Thread(target=lambda: outs.append(intake.tick(None, now=1.0)), daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "the tick hung on a FIFO"
    got = {(e.inbox_path, e.reason) for e in outs[0].events if e.action == "ignored"}
    assert got == {("task/trainee/pipe.mp4", "not_a_regular_file"), ("task/profile.json", "not_a_regular_file"),
                   ("task/trainee/folder.mp4", "folder_named_like_video")}
    assert all(e.action == "ignored" for e in outs[0].events)
    again = intake.tick(outs[0].tracker_state, now=2.0, failures=outs[0].failures)
    assert again.events == []  # once
    assert (d / "pipe.mp4").exists() and (d / "folder.mp4").is_dir()


def test_a_symlink_loop_is_called_a_loop(tmp_path):
    d = tmp_path / "inbox" / "task" / "trainee"
    d.mkdir(parents=True)
    (d / "self.mp4").symlink_to("self.mp4")
    (d / "a.mp4").symlink_to("b.mp4")
    (d / "b.mp4").symlink_to("a.mp4")
    tick_once(tmp_path)
    rows = {r["file_name"]: r for r in quarantined(VideoStore.at(tmp_path))}
    assert {n: r["reason"] for n, r in rows.items()} == dict.fromkeys(["self.mp4", "a.mp4", "b.mp4"], "symlink_loop")
    assert "points to itself" in rows["self.mp4"]["what_to_do"]
    assert (tmp_path / "quarantine" / "self.mp4").is_symlink()  # the link itself, kept


@pytest.mark.parametrize("task", ["bad task", "日本", "a,b[c]|d"])
def test_a_profile_in_a_badly_named_task_folder_is_rejected(tmp_path, task):
    p = tmp_path / "inbox" / task / "profile.json"
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps({"pass_min": 90.0}))
    events = tick_once(tmp_path)
    assert [(e.action, e.reason) for e in events] == [("quarantined", "bad_task_name")]
    assert Registry(tmp_path / "registry").task(task).profile is None


def test_a_persistent_failure_is_retried_a_few_times_then_reported_once(tmp_path):
    """A file whose quarantine keeps failing (``quarantine/2`` is a file, so the second
    ``notes.txt`` has nowhere to go): MAX_FAILURES tries, one error, then silence - no ERROR
    and no new ``ingest_events`` file each tick - and the file stays in the inbox. Once the
    cause is gone, touching the file tries it again."""
    res = resources(tmp_path)
    defs = build_definitions(resources=res, versions=Versions(embedder_key="e-test", profile_fingerprint="p0"))
    q = tmp_path / "quarantine"
    q.mkdir(parents=True)
    (q / "notes.txt").write_text("an earlier notes.txt")
    (q / "2").write_text("in the way")
    f = tmp_path / "inbox" / "task" / "trainee" / "notes.txt"
    f.parent.mkdir(parents=True)
    f.write_text("hello")
    logs = tmp_path / "results" / "ingest_events"
    files_after, cursor = [], None
    with dg.instance_for_test() as inst:
        for _ in range(8):
            cursor = tick(defs, inst, cursor, res).cursor
            files_after.append(len(list(logs.glob("*.parquet"))))
        from sopilot_resources.storage import ResultsStore

        rows = ResultsStore(tmp_path / "results", tmp_path / "sopilot.duckdb").query(
            "SELECT action, reason, message FROM ingest_events WHERE file_name = 'notes.txt' ORDER BY event_at")
        assert [r["action"] for r in rows] == ["error"] * MAX_FAILURES
        assert "could not be quarantined" in rows[-1]["message"] and "touch the file" in rows[-1]["message"]
        assert files_after[MAX_FAILURES - 1:] == [files_after[MAX_FAILURES - 1]] * (8 - MAX_FAILURES + 1)
        assert f.read_text() == "hello"
        (q / "2").unlink()  # the cause is gone; the operator touches the file
        os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
        tick(defs, inst, cursor, res)
    assert not f.exists() and (q / "2" / "notes.txt").read_text() == "hello"
