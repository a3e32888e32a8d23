"""Storage layer: atomic moves, quarantine, keys, registry, results store."""
import errno
import hashlib
import json
import os
import re

import pytest

from sopilot_resources.storage import ResultsStore, VideoStore, move_file, sha256_file, unique_path
from sopilot_resources.storage.fsutil import atomic_write_json, read_json
from sopilot_resources.storage.keys import legacy_pair_key, pair_key, safe_name, video_key
from sopilot_resources.storage.registry import PairRecord, Registry

KEY_RE = re.compile(r"^[A-Za-z0-9._/-]+$")


@pytest.mark.parametrize("size", [0, 1, 1 << 20, 3 * (1 << 20) + 17])
def test_sha256_streams_same_as_hashlib(tmp_path, size):
    p = tmp_path / "a.bin"
    data = os.urandom(size)
    p.write_bytes(data)
    assert sha256_file(p) == hashlib.sha256(data).hexdigest()


def test_sha256_needs_no_python_311_api(tmp_path, monkeypatch):
    """Python 3.10 has no hashlib.file_digest; hashing must not depend on it (issue 11)."""
    monkeypatch.delattr(hashlib, "file_digest", raising=False)
    p = tmp_path / "v.mp4"
    p.write_bytes(b"frame" * 300_000)
    assert sha256_file(p) == hashlib.sha256(b"frame" * 300_000).hexdigest()


def test_atomic_write_leaves_no_temp_files(tmp_path):
    atomic_write_json(tmp_path / "x" / "doc.json", {"a": 1})
    atomic_write_json(tmp_path / "x" / "doc.json", {"a": 2})
    assert read_json(tmp_path / "x" / "doc.json") == {"a": 2}
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["doc.json"]


def test_move_across_filesystems_copies_fsyncs_and_renames(tmp_path, monkeypatch):
    src = tmp_path / "in" / "v.mp4"
    src.parent.mkdir()
    src.write_bytes(b"abc" * 1000)
    real_replace = os.replace
    calls = []

    def fake_replace(a, b):  # first call (the direct move) fails like a cross-device rename
        calls.append((a, b))
        if len(calls) == 1:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(a, b)

    monkeypatch.setattr(os, "replace", fake_replace)
    dst = move_file(src, tmp_path / "store" / "v.mp4")
    assert dst.read_bytes() == b"abc" * 1000 and not src.exists()
    assert len(calls) == 2 and str(calls[1][0]).endswith(".tmp")  # copied to a temp name, renamed
    assert sorted(p.name for p in dst.parent.iterdir()) == ["v.mp4"]


def test_move_never_overwrites(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("new")
    b.write_text("old")
    with pytest.raises(FileExistsError):
        move_file(a, b)
    assert a.read_text() == "new" and b.read_text() == "old"


def test_unique_path_keeps_name(tmp_path):
    (tmp_path / "v.mp4").write_text("1")
    p = unique_path(tmp_path / "v.mp4")
    assert p.name == "v.mp4" and p != tmp_path / "v.mp4"


def test_quarantine_keeps_original_name_and_reason_without_overwriting(tmp_path):
    store = VideoStore.at(tmp_path).ensure()
    moved = []
    for content in (b"first", b"second", b"third"):
        f = store.inbox / "t" / "trainee" / "clip.mp4"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(content)
        moved.append(store.quarantine(f, "unreadable", "bad", "re-copy", task="t"))
    assert [m.name for m in moved] == ["clip.mp4"] * 3
    assert moved[0] == store.quarantine_dir / "clip.mp4"
    assert [m.read_bytes() for m in moved] == [b"first", b"second", b"third"]
    for m in moved:
        reason = json.loads((m.parent / "clip.mp4.reason.json").read_text())
        assert reason["reason"] == "unreadable" and reason["inbox_path"] == "t/trainee/clip.mp4"


def test_partition_keys_are_readable_and_valid():
    sha = "ab" * 32
    k = video_key("assembly", "trainee", "Run 03 (final)...v2.mp4", sha)
    assert k == "assembly/trainee/Run_03_final_.v2-abababab"
    assert KEY_RE.match(k) and "..." not in k and k.endswith("-abababab")
    p = pair_key("assembly", "run.mp4", sha, 2)
    assert p == "assembly/run-abababab/gold-v2" and KEY_RE.match(p)
    assert legacy_pair_key("assembly", "run.mp4", sha, "gold.mp4", "cd" * 32) == "assembly/run-abababab__vs__gold-cdcdcdcd"
    assert safe_name("...") == "x" and safe_name("a/b,c[d]|e") == "a_b_c_d_e"


def test_pairs_made_under_the_old_key_scheme_keep_their_keys(tmp_path):
    reg = Registry(tmp_path / "registry")
    t, g = "ab" * 32, "cd" * 32
    args = ("assembly", "run.mp4", t, "gold.mp4", g, 1)
    assert reg.pair_key_for(*args) == "assembly/run-abababab/gold-v1"  # new pair: the short key
    old = legacy_pair_key(*args[:5])
    reg.put_pair(PairRecord(key=old, task="assembly", gold_key="g", trainee_key="t", gold_sha256=g,
                            trainee_sha256=t, gold_version=1, created_at=""))
    assert reg.pair_key_for(*args) == old and reg.pair(old).trainee_sha256 == t
    assert reg.pair_key_for("assembly", "run.mp4", t, "gold2.mp4", "ef" * 32, 2) == "assembly/run-abababab/gold-v2"


def test_results_partition_rewrite_replaces_rows(tmp_path):
    rs = ResultsStore(tmp_path / "results", tmp_path / "sopilot.duckdb")
    row = {"pair_key": "t/a__vs__g", "task": "t", "trainee_file": "a.mp4", "gold_file": "g.mp4",
           "score": 80.0, "verdict": "needs_review"}
    rs.write("scores", row["pair_key"], [row])
    rs.write("scores", row["pair_key"], [{**row, "score": 90.0, "verdict": "pass"}])
    rows = rs.query("SELECT task, trainee_file, gold_file, score, verdict, scored_at FROM scores")
    assert rows == [{"task": "t", "trainee_file": "a.mp4", "gold_file": "g.mp4", "score": 90.0,
                     "verdict": "pass", "scored_at": None}]


def test_views_resolve_before_any_result(tmp_path):
    rs = ResultsStore(tmp_path / "results", tmp_path / "sopilot.duckdb")
    rs.ensure_views()
    import duckdb

    con = duckdb.connect(str(tmp_path / "sopilot.duckdb"), read_only=True)
    try:
        for table in ("videos", "ingest_events", "scores", "deviations", "steps", "task_summary"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
        cols = [r[0] for r in con.execute("DESCRIBE scores").fetchall()]
    finally:
        con.close()
    assert {"task", "trainee_file", "gold_file", "score", "verdict", "scored_at"} <= set(cols)
