"""Errors so far per inbox file, kept between intake runs (``work/intake/failures.json``:
``{rel: [size, mtime_ns, n]}``). A count lasts while the file is unchanged: new bytes get a
fresh count. The intake run writes it (one at a time; two at once lose at most a count, that is
one more try); the sensor reads it, so a file at the limit is not handed to a run again until
it changes (``intake.MAX_FAILURES``)."""
from __future__ import annotations

from .fsutil import atomic_write_json, read_json
from .video_store import VideoStore


def _path(store: VideoStore):
    return store.work / "intake" / "failures.json"


def counts(store: VideoStore) -> dict[str, int]:
    """{rel: errors so far} (the sensor's ``notice`` drops the counts of files that changed)."""
    return {rel: int(v[2]) for rel, v in (read_json(_path(store), {}) or {}).items()}


def for_entries(store: VideoStore, entries) -> dict[str, int]:
    """The counts of ``entries`` whose file is unchanged since its count was written."""
    doc = read_json(_path(store), {}) or {}
    return {e.rel: int(doc[e.rel][2]) for e in entries if e.rel in doc and list(doc[e.rel][:2]) == e.signature}


def save(store: VideoStore, entries, failures: dict[str, int]) -> None:
    """Writes the counts of ``entries`` after a run; drops those of files no longer in the inbox."""
    doc = read_json(_path(store), {}) or {}
    for e in entries:
        n = failures.get(e.rel, 0)
        if n:
            doc[e.rel] = e.signature + [n]
        else:
            doc.pop(e.rel, None)
    doc = {rel: v for rel, v in doc.items() if (store.inbox / rel).exists() or (store.inbox / rel).is_symlink()}
    if doc or _path(store).exists():
        atomic_write_json(_path(store), doc)
