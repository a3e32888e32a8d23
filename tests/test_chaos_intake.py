"""Chaos suite, the inbox side (issue 12, fault 3): copies that stall, writers that keep a file
open, containers written index-last, files that change after they were taken. Real files,
real writer threads and processes, real /proc, ticks in real time with short waits."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time

import pytest
from dagster_support import write_video

from sopilot_resources.storage import Registry, VideoStore, sha256_file
from sopilot_resources.storage.completeness import COMPLETE, INCOMPLETE, UNKNOWN, container_state
from sopilot_resources.storage.intake import Intake, IntakeConfig, _default_check
from sopilot_resources.storage.writers import open_for_writing

needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc")
FAST = dict(stable_seconds=0.3, stalled_seconds=3.0, truncated_after_sec=600.0)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Bytes of small real videos: avi (RIFF), mp4 with its index (moov) last, and an mkv whose
    Segment size is 'unknown' (as a live recorder writes it: its format cannot tell the end)."""
    d = tmp_path_factory.mktemp("media")
    avi = write_video(d / "a.avi", seed=1, step_sec=0.5).read_bytes()
    mp4 = write_video(d / "a.mp4", seed=2, step_sec=0.5).read_bytes()
    import cv2
    import numpy as np

    vw = cv2.VideoWriter(str(d / "a.mkv"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for i in range(20):
        vw.write(np.full((120, 160, 3), (i * 12) % 255, np.uint8))
    vw.release()
    mkv = bytearray((d / "a.mkv").read_bytes())
    assert mkv[40:44] == b"\x18\x53\x80\x67" and mkv[44] == 1  # Segment, 8-byte size
    mkv[44:52] = b"\x01" + b"\xff" * 7  # size unknown
    return {"avi": avi, "mp4": mp4, "mkv": bytes(mkv)}


class Writer(threading.Thread):
    """Writes ``data`` to ``dst`` in 10 chunks: 5, a pause, 5 more. ``hold``: one open file all
    along (like cp); else reopened for each chunk, like a copy whose writer this machine cannot
    see (a network share written from another machine)."""

    def __init__(self, data: bytes, dst, pause: float, hold: bool, gap: float = 0.12):
        super().__init__(daemon=True)
        self.data, self.dst, self.pause, self.hold, self.gap = data, dst, pause, hold, gap
        self.done_at = None

    def run(self):
        n = len(self.data)
        chunks = [self.data[n * i // 10: n * (i + 1) // 10] for i in range(10)]
        self.dst.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.dst, "wb") if self.hold else None
        for i, c in enumerate(chunks):
            if i == 5:
                time.sleep(self.pause)
            if f is not None:
                f.write(c)
                f.flush()
            else:
                with open(self.dst, "ab") as g:
                    g.write(c)
            time.sleep(self.gap)
        if f is not None:
            f.close()
        self.done_at = time.time()


def tick_through(intake: Intake, writer: Writer, deadline: float = 15.0) -> tuple[list, float | None]:
    """Ticks every 0.1 s while ``writer`` copies, until the video is registered or
    ``deadline`` s passed; returns every event and when the video was registered."""
    state = failures = None
    events, taken_at, t0 = [], None, time.time()
    writer.start()
    while time.time() - t0 < deadline and taken_at is None:
        out = intake.tick(state, failures=failures)
        state, failures = out.tracker_state, out.failures
        events += out.events
        if any(e.action == "ingested" for e in out.events):
            taken_at = time.time()
        time.sleep(0.1)
    writer.join(5)
    return events, taken_at


def assert_whole_copy_stored(root, data: bytes, events, writer: Writer, taken_at):
    sha = hashlib.sha256(data).hexdigest()
    assert taken_at is not None and writer.done_at is not None and taken_at >= writer.done_at
    [rec] = Registry(VideoStore.at(root).registry_dir).videos()
    assert rec.sha256 == sha and rec.size_bytes == len(data)
    assert (root / rec.raw_path).read_bytes() == data and rec.raw_path.endswith(sha + os.path.splitext(rec.raw_path)[1])
    assert not any(e.action in ("quarantined", "error") for e in events), [e.message for e in events]
    assert not list((root / "quarantine").iterdir())


@pytest.mark.parametrize("kind, hold", [("avi", True), ("avi", False), ("mp4", False), ("mkv", False)])
def test_a_copy_that_pauses_longer_than_the_stability_wait_is_taken_whole(tmp_path, media, kind, hold):
    """The issue's writer (5 chunks, a pause longer than stable_seconds, 5 more). Held open: the
    /proc check keeps it; reopened per chunk: the avi's RIFF size or the mp4's missing index
    (moov written last) keeps it; the mkv of unknown size was seen growing: the stalled-copy wait
    keeps it. Never taken half-written, never quarantined while the copy goes on."""
    if hold and not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs Linux /proc")
    intake = Intake(VideoStore.at(tmp_path), IntakeConfig(**FAST))
    dst = tmp_path / "inbox" / "task" / "trainee" / f"cam.{kind}"
    writer = Writer(media[kind], dst, pause=1.2, hold=hold)
    events, taken_at = tick_through(intake, writer)
    assert_whole_copy_stored(tmp_path, media[kind], events, writer, taken_at)
    waits = [e.reason for e in events if e.action == "waiting"]
    assert len(waits) == len(set(waits)) <= 2  # each wait reported once, not every tick


def test_an_incomplete_copy_waits_then_is_quarantined_as_truncated(tmp_path, media):
    """An mp4 whose copy stopped before its index: waiting (said once), not quarantined as
    unreadable; quarantined as ``truncated`` (remedy: copy it again) only after
    SOPILOT_TRUNCATED_AFTER unchanged."""
    store = VideoStore.at(tmp_path)
    intake = Intake(store, IntakeConfig(stable_seconds=5, truncated_after_sec=600))
    f = tmp_path / "inbox" / "task" / "trainee" / "cut.mp4"
    f.parent.mkdir(parents=True)
    f.write_bytes(media["mp4"][: len(media["mp4"]) * 6 // 10])
    assert container_state(f).state == INCOMPLETE
    out = intake.tick(None, now=1000.0)
    said = []
    for now in (1006.0, 1300.0, 1599.0):
        out = intake.tick(out.tracker_state, now=now, failures=out.failures)
        said += out.events
        assert f.exists() and out.processed == 0
    assert [(e.action, e.reason) for e in said] == [("waiting", "incomplete")]
    assert "quarantined as truncated if it stays like this for 10 min" in said[0].message
    out = intake.tick(out.tracker_state, now=1601.0, failures=out.failures)
    [q] = [e for e in out.events if e.action == "quarantined"]
    assert q.reason == "truncated" and "copy it again" in q.message and not f.exists()
    assert Registry(store.registry_dir).videos() == []


@needs_proc
def test_a_writer_that_keeps_the_file_open_is_not_taken(tmp_path, media):
    """A complete video still held open for writing by another process (no writes for a
    while): not taken, however long; taken once the process closes it."""
    store = VideoStore.at(tmp_path)
    intake = Intake(store, IntakeConfig(stable_seconds=1, stalled_seconds=5, truncated_after_sec=60))
    f = tmp_path / "inbox" / "task" / "trainee" / "held.avi"
    f.parent.mkdir(parents=True)
    f.write_bytes(media["avi"])
    proc = subprocess.Popen([sys.executable, "-c", "import sys; f = open(sys.argv[1], 'ab'); sys.stdin.read()",
                             str(f)], stdin=subprocess.PIPE)
    try:
        t0 = time.time()
        while not (open_for_writing([f]) or {}).get(f) and time.time() - t0 < 10:
            time.sleep(0.05)
        assert f"process {proc.pid}" in open_for_writing([f])[f]
        assert open_for_writing([f], proc=str(tmp_path / "no-proc")) is None  # cannot tell: other rules
        out, said = intake.tick(None, now=0.0), []
        for now in (2.0, 100.0, 10_000.0):
            out = intake.tick(out.tracker_state, now=now, failures=out.failures)
            said += out.events
            assert f.exists() and out.processed == 0
        assert [(e.action, e.reason) for e in said] == [("waiting", "open_for_writing")]
        assert f"process {proc.pid}" in said[0].message and "taken once it is closed" in said[0].message
    finally:
        proc.stdin.close()
        proc.wait(10)
    out = intake.tick(out.tracker_state, now=10_001.0, failures=out.failures)
    assert out.processed == 1 and Registry(store.registry_dir).videos()[0].sha256 == sha256_file(
        tmp_path / Registry(store.registry_dir).videos()[0].raw_path)


def test_a_file_changed_after_it_was_taken_is_a_new_drop(tmp_path, media):
    """Bytes appended while the file is probed (a writer this machine cannot see): after the
    move its size and hash no longer match, so it is not registered but put back into the
    inbox, and later taken under the hash of its final bytes. Nothing stored mismatches its
    name; nothing is lost."""
    extra = b"\0late bytes from a stalled writer" * 50
    appended = []

    def check_while_written(path, **kw):
        info = _default_check(path, **kw)  # the real probe
        if not appended:
            with open(path, "ab") as g:
                g.write(extra)
            appended.append(path)
        return info

    store = VideoStore.at(tmp_path)
    intake = Intake(store, IntakeConfig(stable_seconds=1, stalled_seconds=30), check_video=check_while_written)
    f = tmp_path / "inbox" / "task" / "trainee" / "late.avi"
    f.parent.mkdir(parents=True)
    f.write_bytes(media["avi"])
    out = intake.tick(None, now=0.0)
    out = intake.tick(out.tracker_state, now=2.0)
    [back] = [e for e in out.events if e.reason == "changed_while_taken"]
    assert "put back into the inbox as task/trainee/late.avi" in back.message
    assert f.read_bytes() == media["avi"] + extra and Registry(store.registry_dir).videos() == []
    assert not [p for p in (tmp_path / "raw").rglob("*") if p.is_file()]
    for now in (4.0, 20.0):  # watched as a new drop that was seen growing: the stalled wait
        out = intake.tick(out.tracker_state, now=now, failures=out.failures)
        assert out.processed == 0 and f.exists()
    out = intake.tick(out.tracker_state, now=40.0, failures=out.failures)
    [rec] = Registry(store.registry_dir).videos()
    assert rec.sha256 == hashlib.sha256(media["avi"] + extra).hexdigest() == sha256_file(tmp_path / rec.raw_path)


def test_a_stored_file_changed_before_a_crash_recovery_is_put_back(tmp_path, media, monkeypatch):
    """Killed after the move, before registration; the stored file then grew. The next tick's
    recovery checks it and puts it back into the inbox instead of registering it."""
    store = VideoStore.at(tmp_path)
    f = tmp_path / "inbox" / "task" / "trainee" / "crash.avi"
    f.parent.mkdir(parents=True)
    f.write_bytes(media["avi"])

    def killed(self, rec, events):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(Intake, "commit", killed)
    with pytest.raises(KeyboardInterrupt):
        Intake(store, IntakeConfig(stable_seconds=0)).tick(None, now=1.0)
    monkeypatch.undo()
    [raw] = [p for p in (tmp_path / "raw").rglob("*.avi")]
    with open(raw, "ab") as g:
        g.write(b"more")
    out = Intake(store, IntakeConfig(stable_seconds=0, stalled_seconds=10)).tick(None, now=2.0)
    assert [e.reason for e in out.events if e.action == "waiting"][0] == "changed_while_taken"
    assert f.read_bytes() == media["avi"] + b"more" and not raw.exists()
    assert Registry(store.registry_dir).videos() == [] and Registry(store.registry_dir).journal() == []


def test_container_completeness_of_real_files(tmp_path, media):
    for kind, data in media.items():
        p = tmp_path / f"v.{kind}"
        p.write_bytes(data)
        assert container_state(p).state == (UNKNOWN if kind == "mkv" else COMPLETE), kind
        for frac in (0.05, 0.5, 0.98):
            p.write_bytes(data[: int(len(data) * frac)])
            assert container_state(p).state == (UNKNOWN if kind == "mkv" else INCOMPLETE), (kind, frac)
        p.write_bytes(data + b"\0\0\0\0")  # stray bytes after a whole container: cannot tell
        assert container_state(p).state == UNKNOWN, kind
    def box(kind: bytes, body: bytes = b"", size: int | None = None) -> bytes:
        return (len(body) + 8 if size is None else size).to_bytes(4, "big") + kind + body

    head = box(b"ftyp", b"isom\0\0\0\0") + box(b"moov", b"\0" * 40)
    for tail in (box(b"moof", b"\0" * 16) + box(b"mdat", b"\1" * 64),  # fragmented: may go on
                 box(b"mdat", b"\1" * 64, size=0)):  # mdat 'to the end of the file'
        p.write_bytes(head + tail)
        assert container_state(p).state == UNKNOWN
    riff = b"RIFF" + (12).to_bytes(4, "little") + b"AVI " + b"\0" * 8
    p.write_bytes(riff + b"RIFF" + (8).to_bytes(4, "little") + b"AVIX" + b"\0" * 4)  # OpenDML
    assert container_state(p).state == UNKNOWN
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))  # a picture named like a video
    assert container_state(p).state == UNKNOWN
    os.mkfifo(tmp_path / "pipe.mp4")  # never opened for reading: would block
    with pytest.raises(OSError):
        container_state(tmp_path / "pipe.mp4")
