"""Helpers for the chaos tests: a real small disk (tmpfs), filling it, and bad videos that
open (a PNG renamed .mp4, a 0.2 s clip, an mp4 with its index in front cut short, a video
whose middle was zeroed)."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from video_synth import faststart, write_video


@contextlib.contextmanager
def small_disk(path: Path, mb: int):
    """A tmpfs of ``mb`` MB mounted at ``path`` (root only); skips when mounting is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mb}m", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs at {path} to make a small real disk ({r.stderr.strip() or r.returncode}); "
                    "these tests need root (CI runs them as root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path, leave_mb: float) -> Path:
    """Writes ``disk/ballast`` until only about ``leave_mb`` MB are free (0: completely full)."""
    ballast = disk / "ballast"
    want = max(0, shutil.disk_usage(disk).free - int(leave_mb * 1e6))
    chunk = b"\0" * (1 << 20)
    with open(ballast, "ab", buffering=0) as f:  # unbuffered: the write that finds the disk full raises, not close()
        try:
            while want > 0:
                n = min(len(chunk), want)
                f.write(chunk[:n])
                f.flush()
                want -= n
        except OSError:
            pass
    return ballast


def bad_videos(d: Path) -> dict[str, Path]:
    """name -> a bad file that opens as a video: caught at intake (png, short, cut) or only
    while decoding (zeroed)."""
    d.mkdir(parents=True, exist_ok=True)
    ok, png = cv2.imencode(".png", np.full((120, 160, 3), 128, np.uint8))
    (d / "png.mp4").write_bytes(png.tobytes())
    write_video(d / "short.mp4", 6, fps=30)
    full = write_video(d / "full.mp4", 150, fps=30).read_bytes()
    fs = faststart(full)
    (d / "cut.mp4").write_bytes(fs[: len(fs) // 2])
    data = bytearray(full)
    n = len(data)
    data[n // 3: 2 * n // 3] = bytes(2 * n // 3 - n // 3)
    (d / "zeroed.mp4").write_bytes(bytes(data))
    (d / "full.mp4").unlink()
    for ext, fourcc in ((".avi", "MJPG"), (".mkv", "mp4v")):  # other containers cut short
        data = write_video(d / f"whole{ext}", 60, fps=30, fourcc=fourcc).read_bytes()
        (d / f"cut{ext}").write_bytes(data[: len(data) * 2 // 3])
        (d / f"whole{ext}").unlink()
    return {p.stem + ("" if p.suffix == ".mp4" else p.suffix.replace(".", "_")): p
            for p in sorted(d.iterdir()) if p.suffix in (".mp4", ".avi", ".mkv")}
