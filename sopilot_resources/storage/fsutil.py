"""Crash-safe file operations: atomic writes, atomic moves (also across filesystems), hashing.

Every file a reader can see under its final name is complete: writers go through a temporary
name in the same directory and ``os.replace`` it into place.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

from .names import NAME_MAX, fit_name

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, streamed in 1 MiB chunks (never reads the whole file at once)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def open_regular(path: str | os.PathLike):
    """Opens ``path`` for reading only if it is a regular file: never follows a symlink and
    never blocks on a FIFO (``O_NONBLOCK``); anything else raises ``OSError``."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@dataclass(frozen=True)
class Hashed:
    """A file's SHA-256 with the size and mtime it had while it was read."""

    sha256: str
    size: int
    mtime_ns: int


def hash_unchanged(path: str | os.PathLike) -> Hashed | None:
    """SHA-256 of a regular file (``open_regular``), or None when the file changed while it
    was read (size or mtime moved, or more or fewer bytes than its size): still being written."""
    h, n = hashlib.sha256(), 0
    with open_regular(path) as f:
        before = os.fstat(f.fileno())
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
            n += len(chunk)
        after = os.fstat(f.fileno())
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or n != after.st_size:
        return None
    return Hashed(h.hexdigest(), n, after.st_mtime_ns)


def _tmp_name(path: Path) -> Path:
    """``.<name>.<8 hex>.tmp`` beside ``path``; a long name is shortened so this one fits too."""
    return path.with_name(f".{fit_name(path.name, NAME_MAX - 14)}.{uuid.uuid4().hex[:8]}.tmp")


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_aside(tmp: Path, data: bytes, fsync: bool) -> None:
    """``data`` written whole to ``tmp`` (a :func:`_tmp_name`; its folder made)."""
    tmp.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as f:
        f.write(data)
        if fsync:
            f.flush()
            os.fsync(f.fileno())


def atomic_write_bytes(path: str | os.PathLike, data: bytes, fsync: bool = True) -> Path:
    """Writes ``data`` to ``path`` via a temporary file + rename: readers see old or new, never half."""
    path = Path(path)
    tmp = _tmp_name(path)
    try:
        _write_aside(tmp, data, fsync)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def create_exclusive_json(path: str | os.PathLike, doc, fsync: bool = True) -> bool:
    """Publishes ``doc`` at ``path`` only if nothing is there yet: written whole under a temporary
    name, then ``os.link``-ed to ``path`` (atomic and exclusive, also on NFS, without ``flock``).
    True when this call created it; False when ``path`` already existed (another writer won)."""
    path = Path(path)
    tmp = _tmp_name(path)
    try:
        _write_aside(tmp, json.dumps(doc, indent=1, sort_keys=True, default=str).encode(), fsync)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_json(path: str | os.PathLike, doc, fsync: bool = True) -> Path:
    return atomic_write_bytes(path, json.dumps(doc, indent=1, sort_keys=True, default=str).encode(), fsync)


def read_json(path: str | os.PathLike, default=None):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def _free(path: Path, companions: tuple[str, ...]) -> bool:
    return all(not (q.exists() or q.is_symlink())
               for q in [path] + [Path(str(path) + c) for c in companions])


def unique_path(path: str | os.PathLike, companions: tuple[str, ...] = ()) -> Path:
    """``path`` if free, else ``<parent>/<n>/<name>`` for the first free n >= 2: the file keeps
    its exact name and nothing is ever overwritten. ``companions``: suffixes of files that go
    beside it (e.g. ``".reason.json"``) and must be free too."""
    path = Path(path)
    if _free(path, companions):
        return path
    n = 2
    while not _free(path.parent / str(n) / path.name, companions):
        n += 1
    return path.parent / str(n) / path.name


def move_file(src: str | os.PathLike, dst: str | os.PathLike, overwrite: bool = False) -> Path:
    """Moves ``src`` to ``dst`` atomically: ``os.replace`` within one filesystem; across
    filesystems copy to a temporary name beside ``dst``, fsync, rename, then unlink ``src``.
    Refuses to overwrite an existing ``dst`` unless ``overwrite``. Symlinks are moved as links."""
    src, dst = Path(src), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and (dst.exists() or dst.is_symlink()):
        raise FileExistsError(f"{dst} already exists; not overwriting it")
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = _tmp_name(dst)
        try:
            if src.is_symlink():
                os.symlink(os.readlink(src), tmp)
            else:
                with open(src, "rb") as fi, open(tmp, "wb") as fo:
                    shutil.copyfileobj(fi, fo, CHUNK)
                    fo.flush()
                    os.fsync(fo.fileno())
                shutil.copystat(src, tmp)
            os.replace(tmp, dst)
        finally:
            if tmp.exists() or tmp.is_symlink():
                tmp.unlink()
        fsync_dir(dst.parent)
        src.unlink()
    fsync_dir(dst.parent)
    return dst
