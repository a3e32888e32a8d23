"""A content-addressed cache of clip embeddings (with their stills) for the command line.

Scoring many trainees against one gold is the common case: the gold is decoded and embedded
once, then read back in milliseconds. An entry is keyed by the SHA-256 of the video's bytes
and everything the embeddings depend on (embedder identity, sampling, stills rate and size, format
version), so a renamed or copied video hits and an edited one misses.

Safe under concurrent runs: an entry is written under a unique temporary name and renamed
into place, so a reader sees a whole file or none, and two writers of one key write the same
bytes. Bounded: after each write the least recently used entries (by modification time,
refreshed on every hit) are removed until the cache holds at most ``max_bytes``; an entry
another process removes meanwhile is a miss, never an error.

A gold's step changes (where each step changes the work area: the costly part of the scene
comparison that only the gold decides) are kept beside its entry by :mod:`.scene.gold_store`,
as ``<key>.scene-<digest>.npz``: counted in the cache's size and trimmed with the entries.

Where: ``--cache-dir``, else ``SOPILOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/sopilot/embeddings``
(``~/.cache/sopilot/embeddings``). Size: ``SOPILOT_CACHE_MAX_MB`` (default 2048).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from .embeddings import ClipEmbeddings, embedder_key
from .storage.fsutil import sha256_file

#: bump when what an entry holds changes: older entries then simply miss
FORMAT = 1
SUFFIX = ".npz"


def default_dir(settings=None) -> Path:
    """``SOPILOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/sopilot/embeddings``, else
    ``~/.cache/sopilot/embeddings`` (``settings``: a Settings, default: read now)."""
    if settings is None:
        from .settings import Settings

        settings = Settings.from_env()
    if settings.cache_dir:
        return Path(settings.cache_dir)
    return Path(settings.xdg_cache_home or Path.home() / ".cache") / "sopilot" / "embeddings"


@dataclass
class EmbeddingCache:
    root: Path
    max_bytes: int = 2048 * 1024 * 1024

    @classmethod
    def at(cls, root: str | os.PathLike | None = None, max_bytes: int | None = None, settings=None) -> "EmbeddingCache":
        """The cache in ``root`` (default: :func:`default_dir`), at most ``max_bytes`` (default:
        ``SOPILOT_CACHE_MAX_MB``)."""
        if settings is None:
            from .settings import Settings

            settings = Settings.from_env()
        if max_bytes is None:
            max_bytes = int(settings.cache_max_mb * 1024 * 1024)
        return cls(Path(root) if root else default_dir(settings), max_bytes)

    def key(self, video: str | os.PathLike, identity: dict, sampling: dict, stills_fps: float) -> str:
        """The entry's key: the video's bytes and what its embeddings depend on."""
        from .stills import STILLS_SIDE

        what = {"format": FORMAT, "video": sha256_file(video), "embedder": embedder_key(identity),
                "sampling": sampling, "stills_fps": round(float(stills_fps), 6), "stills_side": STILLS_SIDE}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str) -> ClipEmbeddings | None:
        """The entry, or None (missing, removed meanwhile, or unreadable: then it is removed)."""
        p = self.path(key)
        try:
            emb = ClipEmbeddings.load(p)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged entry (disk trouble): drop it, embed again
            p.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(p)  # most recently used
        return emb

    def put(self, key: str, emb: ClipEmbeddings) -> Path | None:
        """Stores ``emb`` (atomically) and trims the cache; None when it cannot be written
        (a read-only or full disk: the run goes on without caching)."""
        final = self.path(key)
        tmp = final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}{SUFFIX}")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            emb.save(tmp)
            os.replace(tmp, final)
        except OSError:
            tmp.unlink(missing_ok=True)
            return None
        self.trim(keep=final)
        return final

    def entries(self) -> list[tuple[float, int, Path]]:
        """(mtime, size, path) of every entry, oldest first."""
        out = []
        for p in self.root.glob(f"??/*{SUFFIX}"):
            if p.name.startswith("."):
                continue
            try:
                st = p.stat()
            except OSError:
                continue
            out.append((st.st_mtime, st.st_size, p))
        return sorted(out)

    def trim(self, keep: Path | None = None) -> int:
        """Removes least recently used entries until at most ``max_bytes`` remain (``keep``
        stays); returns the bytes removed."""
        entries = self.entries()
        total, freed = sum(s for _, s, _ in entries), 0
        for _, size, p in entries:
            if total - freed <= self.max_bytes:
                break
            if p == keep:
                continue
            p.unlink(missing_ok=True)
            freed += size
        return freed
