"""Is a video file's container complete? Told from the file's own bytes, reading headers only.

A copy that stalls half-way leaves a file whose container says it should be longer: an mp4's
top-level boxes run past the end of the file or its index (``moov``) is missing (it is often
written last), a Matroska/WebM ``Segment`` is longer than the file, an AVI's ``RIFF`` chunk is
longer than the file. Such a file is ``incomplete``: the inbox waits for the rest instead of
taking it (or quarantining it as unreadable). ``complete``: the container ends exactly where the
file does. ``unknown``: the format cannot tell (not one of these containers, a live recording
without sizes, a fragmented mp4 or an OpenDML avi of several RIFF chunks - a copy paused between
two fragments looks whole - , bytes that do not parse): the inbox falls back on its other rules.

The format is sniffed from the first bytes, not the extension. Cost: a few reads of 16 bytes per
top-level box (an mp4 has a handful; a fragmented one one pair per fragment). Pure Python.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .fsutil import open_regular

COMPLETE, INCOMPLETE, UNKNOWN = "complete", "incomplete", "unknown"
#: box types an ISO-BMFF / QuickTime file may start with
_MP4_FIRST = {b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin", b"pnot", b"uuid"}
_MAX_BOXES = 1_000_000
_EBML, _SEGMENT = b"\x1a\x45\xdf\xa3", b"\x18\x53\x80\x67"


@dataclass(frozen=True)
class Completeness:
    state: str  # COMPLETE | INCOMPLETE | UNKNOWN
    detail: str = ""

    @property
    def incomplete(self) -> bool:
        return self.state == INCOMPLETE


def container_state(path: str | os.PathLike) -> Completeness:
    """Whether the container of the (regular) file at ``path`` is complete; never blocks on a
    FIFO, never follows a symlink (``open_regular``). Raises ``OSError`` if it cannot be read."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(16)
        if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"):
            return _riff(f, size)
        if head[:4] == _EBML:
            return _matroska(f, size)
        if len(head) >= 8 and head[4:8] in _MP4_FIRST:
            return _mp4(f, size)
    return Completeness(UNKNOWN, "not an mp4/mov, mkv/webm or avi container")


def _read(f, pos: int, n: int) -> bytes:
    f.seek(pos)
    return f.read(n)


def _mp4(f, size: int) -> Completeness:
    pos, moov, n, open_ended = 0, False, 0, False
    kinds: set[bytes] = set()
    while pos < size and n < _MAX_BOXES:
        hdr = _read(f, pos, 16)
        if len(hdr) < 8:  # the next box's header, being written - or a few stray bytes at the end
            if moov:
                return Completeness(UNKNOWN, f"mp4: {len(hdr)} stray bytes after its last box")
            return Completeness(INCOMPLETE, f"mp4 box header cut at byte {pos} of {size}")
        box, kind = int.from_bytes(hdr[:4], "big"), hdr[4:8]
        if not all(32 <= c < 127 for c in kind):
            return Completeness(UNKNOWN, f"mp4: unreadable box at byte {pos}")
        if box == 1:
            if len(hdr) < 16:
                return Completeness(INCOMPLETE, f"mp4 box header cut at byte {pos} of {size}")
            box = int.from_bytes(hdr[8:16], "big")
        elif box == 0:  # runs to the end of the file, however long it gets
            box, open_ended = size - pos, True
        if box < 8:
            return Completeness(UNKNOWN, f"mp4: box of {box} bytes at byte {pos}")
        moov = moov or kind == b"moov"
        kinds.add(kind)
        if pos + box > size:
            return Completeness(INCOMPLETE, f"mp4 box '{kind.decode()}' needs {pos + box} bytes, "
                                            f"the file has {size}")
        pos += box
        n += 1
    if n >= _MAX_BOXES:
        return Completeness(UNKNOWN, "mp4: too many boxes to check")
    if not moov:
        return Completeness(INCOMPLETE, "mp4 index (moov box) not written yet")
    if open_ended or b"moof" in kinds:  # more fragments may follow a copy that paused between them
        return Completeness(UNKNOWN, "fragmented or open-ended mp4: its end cannot be told")
    return Completeness(COMPLETE, "mp4 boxes end at the end of the file, index present")


def _vint(data: bytes, pos: int) -> tuple[int | None, int]:
    """An EBML variable-size integer at ``pos``: (value or None when 'unknown', its length)."""
    if pos >= len(data):
        raise ValueError("cut")
    if data[pos] == 0:
        raise ValueError("bad EBML size")
    length = 9 - data[pos].bit_length()
    raw = data[pos:pos + length]
    if len(raw) < length:
        raise ValueError("cut")
    value = int.from_bytes(raw, "big") & ((1 << (7 * length)) - 1)
    return (None if value == (1 << (7 * length)) - 1 else value), length


def _matroska(f, size: int) -> Completeness:
    head = _read(f, 0, 12)
    try:
        hsize, n = _vint(head, 4)
        if hsize is None:
            return Completeness(UNKNOWN, "mkv: EBML header of unknown size")
        seg_at = 4 + n + hsize
        seg = _read(f, seg_at, 12)
        if len(seg) < 4 or seg[:4] != _SEGMENT:
            if seg_at + len(seg) >= size and _SEGMENT.startswith(seg[:4]):
                return Completeness(INCOMPLETE, f"mkv: the file ends ({size} bytes) before its Segment")
            return Completeness(UNKNOWN, "mkv: no Segment after the EBML header")
        ssize, m = _vint(seg, 4)
    except ValueError as exc:
        if str(exc) == "cut":
            return Completeness(INCOMPLETE, f"mkv: the file ends ({size} bytes) inside its header")
        return Completeness(UNKNOWN, "mkv: unreadable header")
    if ssize is None:
        return Completeness(UNKNOWN, "mkv Segment of unknown size (a live recording)")
    end = seg_at + 4 + m + ssize
    if end > size:
        return Completeness(INCOMPLETE, f"mkv Segment needs {end} bytes, the file has {size}")
    return Completeness(COMPLETE, "mkv Segment ends within the file")


def _riff(f, size: int) -> Completeness:
    pos, chunks = 0, 0
    while pos < size:
        hdr = _read(f, pos, 8)
        if len(hdr) < 8 and b"RIFF".startswith(hdr[:4]):
            return Completeness(INCOMPLETE, f"avi chunk header cut at byte {pos} of {size}")
        if hdr[:4] != b"RIFF":
            return Completeness(UNKNOWN, f"avi: data after its RIFF chunks at byte {pos}")
        n = int.from_bytes(hdr[4:8], "little")
        if pos + 8 + n > size:
            return Completeness(INCOMPLETE, f"avi RIFF chunk needs {pos + 8 + n} bytes, the file has {size}")
        pos += 8 + n + (n & 1)
        chunks += 1
    if chunks > 1:  # an OpenDML avi (over 1 GB): one more RIFF chunk may follow a paused copy
        return Completeness(UNKNOWN, f"avi of {chunks} RIFF chunks: its end cannot be told")
    return Completeness(COMPLETE, "avi RIFF chunks end at the end of the file")
