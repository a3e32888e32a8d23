"""Bytes that live in a file, not in memory: the JPEG stills of a long recording (hours of
them would otherwise grow the process by ~100 MB an hour), and the .npz writer/reader that
keeps them on disk (docs/scoring.md, "Shift recordings": memory).

``FileBytes`` reads with ``os.pread`` (positionless, so threads can share one), and
``write_npz`` stores such a member uncompressed so that ``npz_member_bytes`` can point a new
``FileBytes`` at it inside the .npz; ``np.load`` reads the file as any other .npz.
"""
from __future__ import annotations

import os
import zipfile
from typing import BinaryIO

import numpy as np

_LOCAL_HEADER = 30  # fixed part of a zip local file header
_CHUNK = 1 << 20


class FileBytes:
    """A read-only (n,) uint8 array kept in ``file`` (an open binary file, owned and kept open
    by this object) from ``offset``: ``fb[a:b]`` reads those bytes, ``np.asarray(fb)`` all."""

    dtype = np.dtype(np.uint8)
    ndim = 1

    def __init__(self, file: BinaryIO, offset: int = 0, length: int | None = None):
        self.file = file
        self.offset = int(offset)
        self.length = int(os.fstat(file.fileno()).st_size - self.offset if length is None else length)

    def __len__(self) -> int:
        return self.length

    @property
    def shape(self) -> tuple[int]:
        return (self.length,)

    @property
    def nbytes(self) -> int:
        return self.length

    def read(self, start: int, stop: int) -> np.ndarray:
        """(stop - start,) uint8 copy of bytes [start, stop) (clipped to the array)."""
        start, stop = max(0, start), min(self.length, stop)
        if stop <= start:
            return np.zeros(0, np.uint8)
        buf = os.pread(self.file.fileno(), stop - start, self.offset + start)
        if len(buf) != stop - start:
            raise OSError(f"{getattr(self.file, 'name', 'spill file')}: {stop - start} bytes expected "
                          f"at {self.offset + start}, {len(buf)} read (file cut short?)")
        return np.frombuffer(buf, np.uint8).copy()

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self.length)
            if step != 1:
                return self.read(0, self.length)[key]
            return self.read(start, stop)
        i = int(key) + (self.length if int(key) < 0 else 0)
        if not 0 <= i < self.length:
            raise IndexError(f"index {key} out of range for {self.length} bytes")
        return self.read(i, i + 1)[0]

    def __array__(self, dtype=None, copy=None):
        out = self.read(0, self.length)
        return out if dtype is None else out.astype(dtype)

    def copy_to(self, dst: BinaryIO, chunk: int = _CHUNK) -> None:
        """Writes all the bytes to ``dst``, ``chunk`` at a time."""
        for a in range(0, self.length, chunk):
            dst.write(self.read(a, min(self.length, a + chunk)).tobytes())


def write_npz(path: str | os.PathLike, arrays: dict, stored: tuple[str, ...] = ()) -> None:
    """Like ``np.savez_compressed``; the arrays named in ``stored`` (and any FileBytes, which is
    streamed, never read whole) are written uncompressed, so that they can be read in place."""
    with zipfile.ZipFile(path, "w", allowZip64=True) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            keep = isinstance(arr, FileBytes) or name in stored
            info.compress_type = zipfile.ZIP_STORED if keep else zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as f:
                if isinstance(arr, FileBytes):
                    np.lib.format.write_array_header_2_0(
                        f, {"descr": "|u1", "fortran_order": False, "shape": (len(arr),)})
                    arr.copy_to(f)
                else:
                    np.lib.format.write_array(f, np.asanyarray(arr), allow_pickle=False)


def npz_member(f: BinaryIO, name: str) -> tuple[int, tuple, np.dtype] | None:
    """(offset of the data, shape, dtype) of the C-order array ``name`` stored uncompressed in
    the .npz open as ``f``; None when it is absent, compressed or Fortran-ordered."""
    with zipfile.ZipFile(f) as zf:
        try:
            info = zf.getinfo(f"{name}.npy")
        except KeyError:
            return None
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    f.seek(info.header_offset)
    head = f.read(_LOCAL_HEADER)
    name_len, extra_len = int.from_bytes(head[26:28], "little"), int.from_bytes(head[28:30], "little")
    f.seek(info.header_offset + _LOCAL_HEADER + name_len + extra_len)
    version = np.lib.format.read_magic(f)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read(f)
    return None if fortran else (f.tell(), tuple(shape), np.dtype(dtype))


def npz_member_bytes(path: str | os.PathLike, name: str) -> FileBytes | None:
    """The 1-D uint8 array ``name`` of the .npz at ``path`` as FileBytes, read in place; None
    when it is absent, compressed (files written before ``write_npz``) or not 1-D uint8."""
    f = open(path, "rb")  # noqa: SIM115 - owned by the FileBytes returned
    try:
        m = npz_member(f, name)
    except Exception:
        f.close()
        raise
    if m is None or m[2] != np.uint8 or len(m[1]) != 1:
        f.close()
        return None
    return FileBytes(f, m[0], int(m[1][0]))


def npz_memmap(path: str | os.PathLike, name: str) -> np.ndarray | None:
    """The array ``name`` of the .npz at ``path``, memory-mapped read-only where it lies (its
    pages are the page cache's, not the process's); None as :func:`npz_member`."""
    with open(path, "rb") as f:
        m = npz_member(f, name)
    if m is None or 0 in m[1]:
        return None
    return np.memmap(path, dtype=m[2], mode="r", offset=m[0], shape=m[1])
