"""The registry under several writers at once (separate processes, as workers on several hosts
would be), without flock: one record per content, no log entry lost or numbered twice, pending
pairs added and dropped at once never undo each other."""
from __future__ import annotations

import json

from procs_support import run_together

from sopilot_resources.storage.registry import Registry, VideoRecord

WRITERS, CONTENTS, ROUNDS = 6, 12, 3


def _writer(root: str, w: int, start) -> None:
    reg = Registry(root)
    start.wait()
    for r in range(ROUNDS):
        for c in range(CONTENTS):
            sha = f"{c:02d}" * 32
            rec = VideoRecord(key=f"t-trainee-w{w}-{sha[:8]}", sha256=sha, task="t", role="trainee",
                              file_name=f"w{w}.mp4", inbox_path=f"t/trainee/w{w}-{c}.mp4", raw_path="raw/x",
                              size_bytes=1, registered_at="now")
            won = reg.create_video(rec)
            reg.log("video", f"{won.key}|w{w}r{r}c{c}")  # the suffix makes every entry traceable
            reg.add_pending_pair(f"pair-w{w}-r{r}-c{c}")
            if c % 2:
                reg.drop_pending_pairs([f"pair-w{w}-r{r}-c{c - 1}"])


def test_concurrent_writers_one_record_per_content_and_no_lost_log_entry(tmp_path):
    reg = Registry(tmp_path)
    (tmp_path / "pending_pairs.json").write_text(json.dumps(["legacy-a", "legacy-b"]))  # an earlier release's list
    run_together(_writer, [(str(tmp_path), w) for w in range(WRITERS)])

    videos = reg.videos()
    assert sorted(v.sha256 for v in videos) == sorted(f"{c:02d}" * 32 for c in range(CONTENTS))
    entries = reg.log_after(0, 10_000)
    n = WRITERS * CONTENTS * ROUNDS
    assert [e["seq"] for e in entries] == list(range(1, n + 1))  # numbered without a gap or a repeat
    assert reg.last_seq() == n
    tags = [e["key"].split("|")[1] for e in entries]
    assert len(set(tags)) == n  # every writer's every entry is there, once
    # every logged key is the key of the one record of its content (the loser logged the winner's)
    keys = {v.key for v in videos}
    assert {e["key"].split("|")[0] for e in entries} == keys

    pending = reg.pending_pairs()
    expected = {f"pair-w{w}-r{r}-c{c}" for w in range(WRITERS) for r in range(ROUNDS) for c in range(CONTENTS)
                if c % 2} | {"legacy-a", "legacy-b"}
    assert set(pending) == expected and len(pending) == len(expected)
    assert pending[:2] == ["legacy-a", "legacy-b"]  # kept first, in their order
    assert not (tmp_path / "pending_pairs.json").exists()


def test_log_reads_stop_at_an_entry_not_written_yet_and_pass_old_holes(tmp_path):
    reg = Registry(tmp_path)
    for k in range(3):
        reg.log("video", f"v{k}")
    (tmp_path / "log" / "000000002.json").unlink()  # a hole an earlier release's crash could leave
    assert [e["key"] for e in reg.log_after(0, 10)] == ["v0", "v2"]
    # an entry beyond the hint that is not there yet ends the read (it may be on its way)
    (tmp_path / "log" / "000000005.json").write_text(json.dumps({"seq": 5, "kind": "video", "key": "v5"}))
    assert [e["key"] for e in reg.log_after(2, 10)] == ["v2"]
    assert reg.log("pair", "p") == 4 and reg.last_seq() == 5
    assert [e["key"] for e in reg.log_after(3, 10)] == ["p", "v5"]


def _count_up(root: str, n: int, start) -> None:
    from sopilot_resources.storage.fsutil import atomic_write_json, read_json

    reg = Registry(root)
    start.wait()
    for _ in range(n):
        with reg.locked():
            with reg.locked():  # re-entrant
                doc = read_json(f"{root}/counter.json", {"n": 0})
                atomic_write_json(f"{root}/counter.json", {"n": doc["n"] + 1}, fsync=False)


def test_the_registry_lease_serializes_read_modify_write_and_outlives_a_killed_holder(tmp_path):
    from sopilot_resources.storage.fsutil import read_json

    run_together(_count_up, [(str(tmp_path), 40)] * 4)
    assert read_json(tmp_path / "counter.json")["n"] == 160  # no update undone by another
    assert not (tmp_path / "lock").exists()

    # a holder killed while it held the lease: its file stays; a waiter takes over after stale_sec
    (tmp_path / "lock").write_text(json.dumps({"id": "dead", "host": "gone", "pid": 1}))
    with Registry(tmp_path).locked(stale_sec=0.3, wait_sec=10):
        assert read_json(tmp_path / "lock")["id"] != "dead"
    assert not (tmp_path / "lock").exists() and not list(tmp_path.glob(".lock.stale.*"))
    (tmp_path / "lock").write_text(json.dumps({"id": "busy"}))
    import pytest

    with pytest.raises(TimeoutError, match="locked by"):
        with Registry(tmp_path).locked(stale_sec=60, wait_sec=0.3):
            pass
