"""The intake runs' error counts per inbox file: one file per inbox file, so two runs at once
(separate processes, as on two hosts) never lose each other's counts; the earlier releases' one
shared ``failures.json`` is read and moved into files of their own."""
from __future__ import annotations

import json

from procs_support import run_together

from sopilot_resources.storage import intake_failures as failures
from sopilot_resources.storage.inbox import InboxEntry
from sopilot_resources.storage.video_store import VideoStore

WRITERS, FILES, ROUNDS = 2, 6, 150


def _entry(store: VideoStore, rel: str, size: int = 5, mtime_ns: int = 7) -> InboxEntry:
    path = store.inbox / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    return InboxEntry(path=path, rel=rel, kind="video", task="t", role="trainee", size=size, mtime_ns=mtime_ns)


def _writer(root: str, w: int, start) -> None:
    store = VideoStore.at(root)
    mine = [_entry(store, f"t/trainee/w{w}-{i}.mp4") for i in range(FILES)]
    start.wait()
    for _ in range(ROUNDS):  # each run fails on all its files once more
        got = failures.for_entries(store, mine)
        failures.save(store, mine, {e.rel: got.get(e.rel, 0) + 1 for e in mine})


def test_two_runs_at_once_lose_no_count(tmp_path):
    store = VideoStore.at(tmp_path).ensure()
    run_together(_writer, [(str(tmp_path), w) for w in range(WRITERS)])
    assert failures.counts(store) == {f"t/trainee/w{w}-{i}.mp4": ROUNDS for w in range(WRITERS) for i in range(FILES)}


def test_counts_are_per_file_reset_by_success_and_by_new_bytes_and_dropped_with_the_file(tmp_path):
    store = VideoStore.at(tmp_path).ensure()
    a, b = _entry(store, "t/trainee/a.mp4"), _entry(store, "t/trainee/b.mp4")
    failures.save(store, [a, b], {a.rel: 2, b.rel: 1})
    assert len(list((store.work / "intake" / "failures").glob("*.json"))) == 2
    assert failures.counts(store) == {a.rel: 2, b.rel: 1}
    assert failures.for_entries(store, [a, _entry(store, b.rel, mtime_ns=8)]) == {a.rel: 2}  # b changed
    failures.save(store, [a], {})  # a went through: its count is gone, b's stays
    assert failures.counts(store) == {b.rel: 1}
    b.path.unlink()  # b left the inbox: its count goes at the next save
    failures.save(store, [a], {a.rel: 1})
    assert failures.counts(store) == {a.rel: 1}


def test_the_earlier_single_file_is_read_and_moved_into_files_of_their_own(tmp_path):
    store = VideoStore.at(tmp_path).ensure()
    a, b, c = (_entry(store, f"t/trainee/{n}.mp4") for n in "abc")
    legacy = store.work / "intake" / "failures.json"
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(json.dumps({a.rel: [5, 7, 2], b.rel: [5, 7, 1], c.rel: [5, 7, 1], "t/trainee/gone.mp4": [1, 1, 3]}))
    assert failures.counts(store) == {a.rel: 2, b.rel: 1, c.rel: 1, "t/trainee/gone.mp4": 3}
    assert failures.for_entries(store, [a, b]) == {a.rel: 2, b.rel: 1}
    # a newer count written by a run of this release is not undone by the move
    (store.work / "intake" / "failures").mkdir(parents=True)
    failures._path(store, c.rel).write_text(json.dumps({"rel": c.rel, "size": 5, "mtime_ns": 7, "n": 3}))
    failures.save(store, [b], {b.rel: 2})
    assert not legacy.exists()
    assert failures.counts(store) == {a.rel: 2, b.rel: 2, c.rel: 3}  # gone.mp4 is not in the inbox
