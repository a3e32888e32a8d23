"""`sopilot score GOLD T1 T2 ...` in one process, and the embeddings cache behind it: the gold
embedded once, a cached video read back (same result as decoding it), several trainees in
one JSON list, a bad trainee reported while the rest are scored, the cache bounded and safe
when entries vanish under it."""
from __future__ import annotations

import json
import os
import time

import pytest
from dagster_support import gold_same_swapped

from sopilot_assets.cli import main
from sopilot_resources.embed_cache import EmbeddingCache
from sopilot_resources.score_files import score_files


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("many")
    gold, same, swapped = gold_same_swapped(d)
    bad = d / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    return d, gold, same, swapped, bad


def test_several_trainees_one_json_list_each_as_alone(videos, tmp_path, capsys):
    d, gold, same, swapped, _ = videos
    cache = str(tmp_path / "c")
    assert main(["score", str(gold), str(same), str(swapped), "--json", "--cache-dir", cache]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [doc["inputs"]["trainee"] for doc in docs] == [str(same.resolve()), str(swapped.resolve())]
    assert docs[0]["metrics"]["embeddings_cache"] == {"gold": "miss", "trainee": "miss"}
    assert main(["score", str(gold), str(swapped), "--json", "--cache-dir", cache]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert alone["metrics"]["embeddings_cache"] == {"gold": "hit", "trainee": "hit"}
    for k in ("score", "verdict", "deviations", "steps"):
        assert alone[k] == docs[1][k], k  # read back from the cache: the same result as decoded


def test_a_bad_trainee_is_reported_and_the_others_scored(videos, tmp_path, capsys):
    d, gold, same, _, bad = videos
    code = main(["score", str(gold), str(bad), str(same), "--json", "--no-cache"])
    out = capsys.readouterr()
    docs = json.loads(out.out)
    assert code == 2 and "bad.mp4: not scored" in out.err
    assert docs[0]["error"]["type"].endswith("Error") and docs[0]["inputs"]["trainee"] == str(bad.resolve())
    assert docs[1]["verdict"] == "pass" and docs[1]["metrics"]["embeddings_cache"] == {"gold": "off", "trainee": "off"}
    assert not (tmp_path / "c").exists()


def test_no_cache_writes_nothing_and_the_default_cache_is_the_env_one(videos, tmp_path, monkeypatch, capsys):
    d, gold, same, *_ = videos
    monkeypatch.setenv("SOPILOT_CACHE_DIR", str(tmp_path / "env"))
    assert main(["score", str(gold), str(same), "--json", "--no-cache"]) == 0
    assert not (tmp_path / "env").exists()
    assert main(["score", str(gold), str(same), "--json"]) == 0
    entries = list((tmp_path / "env").glob("??/*.npz"))
    assert len([p for p in entries if ".scene-" not in p.name]) == 2  # and any gold step changes kept
    capsys.readouterr()


def test_cache_is_bounded_least_recently_used_first(videos, tmp_path):
    d, gold, same, swapped, _ = videos
    first = list(score_files(gold, [same], cache=EmbeddingCache.at(tmp_path)))[0]
    assert first.result is not None
    cache = EmbeddingCache.at(tmp_path)
    gold_key = cache.key(gold, first.result.embedder, _sampling(), 2.0)
    gold_entry = cache.path(gold_key)
    other = next(p for _, _, p in cache.entries() if p != gold_entry)
    old = time.time() - 3600
    for _, _, p in cache.entries():
        os.utime(p, (old, old))
    assert cache.get(gold_key) is not None  # a hit refreshes the gold
    # room for the gold and one trainee (with slack), not for two trainees
    small = EmbeddingCache(tmp_path, max_bytes=int(gold_entry.stat().st_size + 1.5 * other.stat().st_size))
    list(score_files(gold, [swapped], cache=small))  # swapped is added: the least recently used goes
    left = {p.name for _, _, p in small.entries() if ".scene-" not in p.name}  # not the gold's step changes
    assert len(left) == 2 and gold_entry.name in left and other.name not in left


def test_an_entry_removed_or_damaged_under_a_reader_is_a_miss(videos, tmp_path):
    d, gold, same, *_ = videos
    cache = EmbeddingCache.at(tmp_path)
    list(score_files(gold, [same], cache=cache))
    entries = [p for _, _, p in cache.entries()]
    entries[0].unlink()
    entries[1].write_bytes(b"half a file")
    out = list(score_files(gold, [same], cache=cache))[0]
    assert out.result.metrics["embeddings_cache"] == {"gold": "miss", "trainee": "miss"}
    assert not list(tmp_path.glob("??/.*"))  # no temporary file left behind


def _sampling():
    from sopilot_resources.video.types import SamplingConfig

    return SamplingConfig().to_dict()


def test_a_bad_gold_stops_the_command_at_once(videos, capsys):
    d, gold, same, swapped, bad = videos
    t0 = time.perf_counter()
    assert main(["score", str(bad), str(same), str(swapped), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "bad.mp4" in err and "Traceback" not in err and time.perf_counter() - t0 < 30


def test_the_gold_step_changes_are_kept_with_its_cached_embeddings(videos, tmp_path, monkeypatch):
    """A second command against a cached gold reads its step changes back instead of making
    them (:mod:`sopilot_resources.scene.gold_store`), with the same result."""
    from sopilot_resources.scene import compare

    d, gold, _, swapped, _ = videos
    made = []
    real = compare.gold_changes
    monkeypatch.setattr(compare, "gold_changes", lambda *a, **k: made.append(1) or real(*a, **k))
    first = list(score_files(gold, [swapped], cache=EmbeddingCache.at(tmp_path)))[0].result
    assert made, "the swapped trainee's scene comparison reads the gold's step changes"
    kept = list(tmp_path.glob("??/*.scene-*.npz"))
    assert len(kept) == len(made) and all(p.name.startswith(p.parent.name) for p in kept)
    made.clear()
    again = list(score_files(gold, [swapped], cache=EmbeddingCache.at(tmp_path)))[0].result
    assert not made  # read back
    assert (again.score, again.verdict) == (first.score, first.verdict)
    assert [x.to_dict() for x in again.deviations] == [x.to_dict() for x in first.deviations]
    list(score_files(gold, [swapped], cache=None))  # no cache: made again, nothing stored
    assert made and len(list(tmp_path.glob("??/*.scene-*.npz"))) == len(kept)
