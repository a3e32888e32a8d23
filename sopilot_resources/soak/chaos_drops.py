"""The bytes (or non-files) of each chaos drop kind, put into the inbox the way a plant would.

Whole files are written in a staging folder and renamed into the inbox (atomic); the slow
and stalled copies are written straight into the inbox by a background thread (that is the
attack); links, FIFOs and directories are made in place. ``ChaosDropper`` keeps the threads
so the soak can wait for them.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import threading
import time
from pathlib import Path

from .plan import Drop, repack_mp4, sha256_file

#: the slow writers: 5 chunks, a pause, 5 more chunks (issue 12, fault 3)
CHUNKS, PAUSE_SEC, CHUNK_GAP_SEC = 10, 15.0, 0.2


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", *args], check=True, timeout=120,
                   stdin=subprocess.DEVNULL)


def faststart_copy(src: Path, dst: Path) -> Path:
    """The same video with its mp4 index (moov) in front (``-movflags +faststart``)."""
    _ffmpeg("-i", str(src), "-c", "copy", "-movflags", "+faststart", str(dst))
    return dst


def short_clip(src: Path, dst: Path, seconds: float = 0.2) -> Path:
    _ffmpeg("-i", str(src), "-t", f"{seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-an", str(dst))
    return dst


def png_bytes(seed: int) -> bytes:
    import cv2
    import numpy as np

    img = np.random.default_rng(seed).integers(0, 256, (90, 160, 3), dtype=np.uint8)
    return cv2.imencode(".png", img)[1].tobytes()


def zero_middle(data: bytes, lo: float = 0.3, hi: float = 0.7) -> bytes:
    a, b = int(len(data) * lo), int(len(data) * hi)
    return data[:a] + bytes(b - a) + data[b:]


class ChaosDropper:
    """``drop(drop, inbox, staging, rng)`` is the driver's ``drop_fn``."""

    def __init__(self, pause_sec: float = PAUSE_SEC):
        self.pause_sec = pause_sec
        self.threads: list[threading.Thread] = []
        self.errors: list[str] = []

    def busy(self) -> int:
        return sum(1 for t in self.threads if t.is_alive())

    def join(self, timeout: float = 120.0) -> None:
        deadline = time.time() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.time()))

    def drop(self, d: Drop, inbox: str | Path, staging: str | Path, rng: random.Random) -> Path:
        inbox, staging = Path(inbox), Path(staging)
        staging.mkdir(parents=True, exist_ok=True)
        dest = inbox / d.rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        src = Path(d.src) if d.src else None
        d.dropped_at = time.time()
        if d.kind == "symlink_outside":
            target = staging / f"outside-s{d.seq:05d}{src.suffix}"
            shutil.copyfile(src, target)
            os.symlink(target, dest)
            return dest
        if d.kind == "symlink_loop":
            os.symlink(dest.name, dest)
            return dest
        if d.kind == "fifo":
            os.mkfifo(dest)
            return dest
        if d.kind == "directory":
            dest.mkdir()
            return dest
        data = self._bytes(d, src, staging, rng)
        d.sha256, d.size_bytes = _sha(data), len(data)
        d.content_id = sha256_file(src) if src is not None and d.expected in ("scored", "gold",
                                                                            "duplicate") else d.sha256
        if d.kind in ("slow_copy", "stalled_index_last"):
            t = threading.Thread(target=self._slow_write, args=(d, dest, data), daemon=True,
                                 name=f"chaos-writer-{d.seq}")
            self.threads.append(t)
            t.start()
            return dest
        tmp = staging / f"s{d.seq:05d}.part"
        tmp.write_bytes(data)
        if d.role == "gold" and src is not None:
            sidecar = src.with_name(src.stem + ".steps.json")
            if sidecar.is_file():
                shutil.copyfile(sidecar, dest.with_name(Path(d.file_name).stem + ".steps.json"))
        os.replace(tmp, dest)
        return dest

    def _bytes(self, d: Drop, src: Path | None, staging: Path, rng: random.Random) -> bytes:
        k = d.kind
        if k == "bad_task_profile":
            return json.dumps({}).encode()
        if k == "zero_byte":
            return b""
        if k in ("garbage", "long_name_bad"):
            return rng.randbytes(64 * 1024)
        if k == "png_as_mp4":
            return png_bytes(d.seq)
        if k == "short_clip":
            return short_clip(src, staging / f"s{d.seq:05d}-short.mp4").read_bytes()
        data = src.read_bytes()
        if k == "truncated":
            return data[: max(1, len(data) // 3)]
        if k == "wrong_extension":
            return data
        if k == "zeroed_middle":
            return zero_middle(data)
        if k in ("faststart_cut", "slow_copy"):
            fast = faststart_copy(src, staging / f"s{d.seq:05d}-fast.mp4").read_bytes()
            return fast[: len(fast) // 2] if k == "faststart_cut" else repack_mp4(fast, _tag(d))
        if k == "duplicate":
            return repack_mp4(data, _tag(d, d.dup_of))
        if d.role == "gold":
            return data
        return repack_mp4(data, _tag(d))  # every good trainee: new bytes, the corpus frames

    def _slow_write(self, d: Drop, dest: Path, data: bytes) -> None:
        step = -(-len(data) // CHUNKS)
        try:
            with open(dest, "wb") as fh:
                for i in range(CHUNKS):
                    fh.write(data[i * step:(i + 1) * step])
                    fh.flush()
                    time.sleep(self.pause_sec if i == CHUNKS // 2 - 1 else CHUNK_GAP_SEC)
        except OSError as exc:
            self.errors.append(f"{d.rel}: {exc}")


def _tag(d: Drop, seq: int | None = None) -> bytes:
    return f"chaos-{d.seq if seq is None else seq}".encode()


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
