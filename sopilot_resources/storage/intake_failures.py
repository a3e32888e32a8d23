"""Errors so far per inbox file, kept between intake runs: one small file per inbox file,
``work/intake/failures/<sha256 of its inbox path, 32 hex>.json`` (``{rel, size, mtime_ns, n}``),
written atomically (``atomic_write_json``) and removed when its count is back to 0. A count
lasts while the file is unchanged: new bytes get a fresh count. The intake run writes the files of
the entries it handled and no other, so two runs at once (on two hosts) never undo each other's
counts; the sensor reads them, so a file at the limit is not handed to a run again until it
changes (``intake.MAX_FAILURES``).

Earlier releases kept every count in one shared file, ``work/intake/failures.json``
(``{rel: [size, mtime_ns, n]}``), which two writers could each read, change and write back, one
losing the other's counts. It is still read, under the per-file counts, and the next save moves
its counts into files of their own (each created only if no newer one is there) and removes it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .fsutil import atomic_write_json, create_exclusive_json, read_json
from .video_store import VideoStore


def _legacy(store: VideoStore) -> Path:
    return store.work / "intake" / "failures.json"


def _dir(store: VideoStore) -> Path:
    return store.work / "intake" / "failures"


def _path(store: VideoStore, rel: str) -> Path:
    return _dir(store) / f"{hashlib.sha256(rel.encode('utf-8', 'surrogateescape')).hexdigest()[:32]}.json"


def _doc(rel: str, signature, n: int) -> dict:
    return {"rel": rel, "size": int(signature[0]), "mtime_ns": int(signature[1]), "n": int(n)}


def _one(store: VideoStore, rel: str) -> dict | None:
    doc = read_json(_path(store, rel))
    return doc if isinstance(doc, dict) and doc.get("rel") == rel else None


def _legacy_docs(store: VideoStore) -> dict[str, dict]:
    old = read_json(_legacy(store), {}) or {}
    return {rel: _doc(rel, v[:2], v[2]) for rel, v in old.items()}


def _all(store: VideoStore) -> dict[str, dict]:
    docs = _legacy_docs(store)
    for p in sorted(_dir(store).glob("*.json")):
        doc = read_json(p)
        if isinstance(doc, dict) and "rel" in doc:
            docs[doc["rel"]] = doc
    return docs


def counts(store: VideoStore) -> dict[str, int]:
    """{rel: errors so far} (the sensor's ``notice`` drops the counts of files that changed)."""
    return {rel: int(doc["n"]) for rel, doc in _all(store).items()}


def for_entries(store: VideoStore, entries) -> dict[str, int]:
    """The counts of ``entries`` whose file is unchanged since its count was written."""
    old = _legacy_docs(store)
    got = {}
    for e in entries:
        doc = _one(store, e.rel) or old.get(e.rel)
        if doc and [doc["size"], doc["mtime_ns"]] == list(e.signature):
            got[e.rel] = int(doc["n"])
    return got


def _migrate(store: VideoStore) -> None:
    """The earlier releases' one file, moved into files of their own (never over a newer one)."""
    if not _legacy(store).exists():
        return
    for rel, doc in _legacy_docs(store).items():
        create_exclusive_json(_path(store, rel), doc)
    _legacy(store).unlink(missing_ok=True)


def _in_inbox(store: VideoStore, rel: str) -> bool:
    return (store.inbox / rel).exists() or (store.inbox / rel).is_symlink()


def save(store: VideoStore, entries, failures: dict[str, int]) -> None:
    """Writes the counts of ``entries`` after a run (each its own file; a count of 0 removes it);
    drops those of files no longer in the inbox."""
    _migrate(store)
    for e in entries:
        n = failures.get(e.rel, 0)
        if n:
            atomic_write_json(_path(store, e.rel), _doc(e.rel, e.signature, n))
        else:
            _path(store, e.rel).unlink(missing_ok=True)
    for p in _dir(store).glob("*.json"):
        doc = read_json(p)
        if isinstance(doc, dict) and "rel" in doc and not _in_inbox(store, doc["rel"]):
            p.unlink(missing_ok=True)
