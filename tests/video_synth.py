"""Small synthetic videos for the video-reader tests, written on the fly with cv2.VideoWriter
(and the ffmpeg binary shipped by imageio-ffmpeg for H.264 / variable frame rate)."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

Frame = Callable[[int], np.ndarray]


def textured(width: int = 320, height: int = 240, seed: int = 0) -> Frame:
    """A textured, moving, normally exposed scene: frame i -> (H, W, 3) uint8 BGR."""
    rng = np.random.default_rng(seed)
    tex = rng.integers(0, 256, (max(1, height // 4), max(1, width // 4), 3), dtype=np.uint8)
    base = (cv2.resize(tex, (width, height), interpolation=cv2.INTER_NEAREST) * 0.6 + 60).astype(np.uint8)

    def frame(i: int) -> np.ndarray:
        f = base.copy()
        x = 10 + (i * 4) % max(1, width - 80)
        cv2.rectangle(f, (x, height // 3), (x + 60, height // 3 + 80), (200, 50, 50), -1)
        cv2.putText(f, f"SOP {i}", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        return f

    return frame


def write_video(path: Path, n_frames: int, fps: float = 30.0, size: tuple[int, int] = (320, 240),
                fourcc: str = "mp4v", frame: Frame | None = None) -> Path:
    """Writes n_frames of frame(i) (default: textured scene) with cv2.VideoWriter."""
    frame = frame or textured(*size)
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert w.isOpened(), f"this cv2 build cannot write {fourcc} into {path.suffix}"
    for i in range(n_frames):
        w.write(frame(i))
    w.release()
    return path


def write_ffmpeg(path: Path, n_frames: int, fps: float = 30.0, size: tuple[int, int] = (320, 240),
                 args: tuple[str, ...] = ("-c:v", "libx264", "-g", "300", "-pix_fmt", "yuv420p")) -> Path:
    """Pipes raw BGR frames of the textured scene into the ffmpeg binary of imageio-ffmpeg."""
    import imageio_ffmpeg

    frame = textured(*size)
    raw = b"".join(frame(i).tobytes() for i in range(n_frames))
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
           "-s", f"{size[0]}x{size[1]}", "-r", str(fps), "-i", "-", *args, str(path)]
    subprocess.run(cmd, input=raw, check=True, timeout=120)
    return path


def _boxes(b: bytes | bytearray, off: int = 0, end: int | None = None):
    end = len(b) if end is None else end
    while off + 8 <= end:
        size, typ = struct.unpack(">I4s", b[off:off + 8])
        hdr = 8
        if size == 1:
            size, hdr = struct.unpack(">Q", b[off + 8:off + 16])[0], 16
        elif size == 0:
            size = end - off
        yield typ.decode("latin1"), off, hdr, size
        off += size


def faststart(data: bytes) -> bytes:
    """Moves an MP4's 'moov' index in front of 'mdat' (patching chunk offsets), like
    ``ffmpeg -movflags +faststart``; such a file cut short still opens, so it can be
    recognised as truncated (an MP4 with its index at the end cut short cannot open at all)."""
    top = list(_boxes(data))
    moov = next(t for t in top if t[0] == "moov")
    mdat_off = next(t for t in top if t[0] == "mdat")[1]
    m = bytearray(data[moov[1]:moov[1] + moov[3]])

    def patch(off: int, end: int) -> None:
        for typ, o, h, sz in _boxes(m, off, end):
            if typ in ("trak", "mdia", "minf", "stbl"):
                patch(o + h, o + sz)
            elif typ in ("stco", "co64"):
                n = struct.unpack(">I", m[o + h + 4:o + h + 8])[0]
                w, fmt = (4, ">I") if typ == "stco" else (8, ">Q")
                for i in range(n):
                    p = o + h + 8 + i * w
                    m[p:p + w] = struct.pack(fmt, struct.unpack(fmt, m[p:p + w])[0] + len(m))

    patch(8, len(m))
    rest = data[:moov[1]] + data[moov[1] + moov[3]:]
    return rest[:mdat_off] + bytes(m) + rest[mdat_off:]
