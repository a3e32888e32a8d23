"""A gold's step changes kept on disk with its cached embeddings (:mod:`sopilot_resources.scene.gold_store`)."""
from __future__ import annotations

import numpy as np
import pytest

from sopilot_resources.scene.compare import kept
from sopilot_resources.scene.gold_store import GoldStore, decode, encode
from sopilot_resources.scene.regions import GoldChange
from sopilot_resources.stills import Stills


def _changes(rng) -> list[GoldChange | None]:
    h, w = 36, 64
    out: list[GoldChange | None] = []
    for s, at in enumerate([(4, 5), None, (20, 40)]):
        if at is None:
            out.append(None)
            continue
        y, x = at
        region = np.zeros((h, w), bool)
        region[y:y + 6, x:x + 9] = True
        out.append(GoldChange(s, region, rng.normal(0, 20, (h, w, 3)).astype(np.float32), bool(s % 2 == 0), 0.8 + 0.05 * s))
    return out


def _stills() -> Stills:
    return Stills(np.array([0.0, 0.5]), np.zeros(0, np.uint8), np.zeros(3, np.int64))


def test_changes_come_back_as_they_were_at_every_pixel_read(tmp_path):
    rng = np.random.default_rng(0)
    changes = _changes(rng)
    store = GoldStore.in_cache(tmp_path, "ab" + "0" * 62)
    key = ("changes", (64, 36), ((1.0, 2.0), (2.5, 3.0), (3.5, 5.0)))
    assert store.get(key) is None  # nothing yet
    path = store.put(key, changes)
    assert path is not None and path.parent == tmp_path / "ab" and path.name.startswith("ab")
    back = store.get(key)
    assert back[1] is None and len(back) == 3
    union = changes[0].region | changes[2].region
    for c, b in ((changes[0], back[0]), (changes[2], back[2])):
        assert (b.index, b.lasts, b.reliability) == (c.index, c.lasts, c.reliability)
        assert np.array_equal(b.region, c.region)
        assert np.array_equal(b.change[union], c.change[union])  # every pixel a search reads
        assert np.isnan(b.change[~union]).all()  # nothing else is kept
    # another spans, picture size or kind of memo entry is another entry (or not stored)
    assert store.get(("changes", (64, 36), ((1.0, 2.0),))) is None
    assert store.put(("reference", (64, 36)), (True, np.zeros((2, 2, 3)))) is None
    assert store.get(("reference", (64, 36))) is None


def test_a_damaged_entry_is_a_miss_and_is_removed(tmp_path):
    store = GoldStore.in_cache(tmp_path, "cd" + "1" * 62)
    key = ("changes", (64, 36), ((1.0, 2.0),))
    path = store.put(key, _changes(np.random.default_rng(1)))
    path.write_bytes(b"not an npz")
    assert store.get(key) is None
    assert not path.exists()


def test_an_entry_made_by_other_code_is_not_read(tmp_path, monkeypatch):
    from sopilot_resources.scene import gold_store

    store = GoldStore.in_cache(tmp_path, "ef" + "2" * 62)
    key = ("changes", (64, 36), ((1.0, 2.0),))
    store.put(key, _changes(np.random.default_rng(2)))
    monkeypatch.setattr(gold_store, "code_version", lambda: "another-engine")
    assert store.get(key) is None


def test_kept_reads_the_store_first_and_fills_it_once(tmp_path):
    calls = []

    def make():
        calls.append(1)
        return _changes(np.random.default_rng(3))

    key = ("changes", (64, 36), ((1.0, 2.0),))
    first = _stills()
    first.store = GoldStore(tmp_path, "gold")
    a = kept(first, key, make)
    later = _stills()  # the next command: a fresh memo, the same cache entry
    later.store = GoldStore(tmp_path, "gold")
    b = kept(later, key, make)
    assert len(calls) == 1
    assert np.array_equal(a[0].region, b[0].region) and not b[0].change.flags.writeable
    assert kept(later, key, make) is b  # then from the memo


def test_an_empty_list_of_changes_round_trips():
    back = decode(encode([None, None]))
    assert back == [None, None]


@pytest.mark.parametrize("n", [1, 7])
def test_regions_of_any_size_round_trip(n):
    rng = np.random.default_rng(n)
    region = rng.random((n, 13)) > 0.5
    c = GoldChange(0, region, rng.normal(size=(n, 13, 3)).astype(np.float32))
    (b,) = decode(encode([c]))
    assert np.array_equal(b.region, region) and np.array_equal(b.change[region], c.change[region])


def test_a_first_steps_scene_before_it_round_trips():
    rng = np.random.default_rng(4)
    changes = _changes(rng)
    region = changes[0].region
    before = np.where(region[..., None], rng.uniform(0, 255, region.shape + (3,)), np.nan).astype(np.float32)
    changes[0] = GoldChange(0, region, changes[0].change, False, 0.9, before)
    back = decode(encode(changes))
    assert np.array_equal(back[0].before[region], before[region]) and back[2].before is None
