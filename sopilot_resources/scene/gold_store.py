"""A gold's step changes kept on disk beside its cached embeddings, from one command to the next.

Where a gold's steps change the work area (:func:`.regions.gold_changes`) is the costly part
of a pair's scene comparison that only the gold decides (about 0.6 s for a one-minute 720p
gold with its 6 steps, 4.3 s for a two-minute one with 22 detected steps). One command keeps
it in the gold's memo (:attr:`..stills.Stills.memo`) for all its trainees; this keeps it for
the next command too, in the embedding cache
(:class:`..embed_cache.EmbeddingCache`), so ``sopilot score GOLD T`` run again for each new
trainee pays it once per gold, and in the Dagster video store beside the gold's embeddings, so
the runs that score each new trainee's pair do too.

An entry is keyed by the gold's cache key (its bytes, embedder, sampling, stills), what the
changes depend on besides (the pictures' size, the steps' spans) and the source of the code
that makes them (:func:`code_version`): an edited engine misses instead of reading regions
another version made. Compact: each step's region as bits, and its change only at the union
of all steps' regions (the only pixels read: a step's own region, where its neighbours'
changes are also read); elsewhere NaN. Written like the cache's entries (a unique name, then
renamed into place), and in the cache trimmed with them (least recently used first); a
damaged entry is a miss and is removed.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .regions import GoldChange

#: the gold memo's keys kept on disk (:func:`.compare.kept`): the steps' changes
STORED = ("changes",)


@functools.cache
def code_version() -> str:
    """A digest of the source of the modules that make a gold's changes and decide how
    (whether its camera is fixed, which steps at which level)."""
    from . import compare, lasting, pictures, pixel_ops, regions, register, search, settle

    h = hashlib.sha256()
    for mod in (regions, lasting, pictures, settle, pixel_ops, compare, search, register):
        h.update(Path(mod.__file__).read_bytes())
    h.update(Path(regions.__file__).with_name("lasting_numba.py").read_bytes())  # its kernel, read unimported
    return h.hexdigest()[:16]


def encode(changes: list[GoldChange | None]) -> dict[str, np.ndarray]:
    """The arrays of an .npz holding ``changes`` (all of one picture size)."""
    have = [c for c in changes if c is not None]
    shape = have[0].region.shape if have else (0, 0)
    union = np.logical_or.reduce([c.region for c in have]) if have else np.zeros(shape, bool)
    befores = [c.before[union] for c in have if c.before is not None]  # a fixed camera's first step
    return {"shape": np.array(shape, np.int64), "present": np.array([c is not None for c in changes], bool),
            "index": np.array([c.index for c in have], np.int64), "lasts": np.array([c.lasts for c in have], bool),
            "reliability": np.array([c.reliability for c in have], np.float64),
            "regions": np.packbits(np.array([c.region for c in have], bool).reshape(len(have), union.size), axis=1),
            "union": np.packbits(union.ravel()),
            "change_at": np.array([c.change[union] for c in have], np.float32).reshape(len(have), int(union.sum()), 3),
            "has_before": np.array([c.before is not None for c in have], bool),
            "before_at": np.array(befores, np.float32).reshape(len(befores), int(union.sum()), 3)}


def decode(z) -> list[GoldChange | None]:
    """The changes :func:`encode` wrote (``z``: its arrays, by name)."""
    h, w = (int(x) for x in z["shape"])
    union = np.unpackbits(z["union"], count=h * w).astype(bool).reshape(h, w)
    regions = np.unpackbits(z["regions"], axis=1, count=h * w).astype(bool).reshape(len(z["index"]), h, w)
    out: list[GoldChange | None] = []
    k, befores = 0, iter(z["before_at"])

    def at_union(values: np.ndarray) -> np.ndarray:
        full = np.full((h, w, 3), np.nan, np.float32)
        full[union] = values
        return full

    for present in z["present"]:
        if not present:
            out.append(None)
            continue
        before = at_union(next(befores)) if z["has_before"][k] else None
        out.append(GoldChange(int(z["index"][k]), regions[k], at_union(z["change_at"][k]), bool(z["lasts"][k]),
                              float(z["reliability"][k]), before))
        k += 1
    return out


@dataclass
class GoldStore:
    """A gold's stored changes: files ``<stem>.scene-<digest>.npz`` in ``folder``, beside its
    embeddings (the command line's cache: the entry's folder and key, :meth:`in_cache`; the
    Dagster video store: the gold's work folder and "gold")."""

    folder: Path
    stem: str

    @classmethod
    def in_cache(cls, root: str | os.PathLike, key: str) -> "GoldStore":
        """Beside the entry ``key`` of the embedding cache at ``root``."""
        return cls(Path(root) / key[:2], key)

    def path(self, memo_key: tuple) -> Path:
        what = json.dumps([self.stem, code_version(), list(memo_key)], default=float)
        digest = hashlib.sha256(what.encode()).hexdigest()[:24]
        return Path(self.folder) / f"{self.stem}.scene-{digest}.npz"

    def get(self, memo_key: tuple) -> list[GoldChange | None] | None:
        """The stored value of ``memo_key``, or None (not a stored kind, not there, unreadable)."""
        if memo_key[0] not in STORED:
            return None
        p = self.path(memo_key)
        try:
            with np.load(p) as z:
                out = decode(z)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged entry: drop it, make the changes again
            with contextlib.suppress(OSError):  # a folder that cannot be written: only a miss
                p.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(p)  # most recently used, as the cache's own entries
        return out

    def put(self, memo_key: tuple, value) -> Path | None:
        """Stores ``value`` when ``memo_key`` is a stored kind; None when not stored (another
        kind, or a disk that cannot be written: the command goes on without)."""
        if memo_key[0] not in STORED:
            return None
        final = self.path(memo_key)
        tmp = final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}.npz")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(tmp, **encode(value))
            os.replace(tmp, final)
        except OSError:
            tmp.unlink(missing_ok=True)
            return None
        return final
