"""The chaos soak's good videos: the quick demo set made tiny (240 px wide, 8 fps, H.264 mp4
with its index last, as ffmpeg writes by default), so hundreds of trainees embed and score on
a small box. Steps files are copied beside the golds (times are unchanged)."""
from __future__ import annotations

import shutil
from pathlib import Path

from .chaos_drops import ffmpeg_exe
from .plan import _videos

WIDTH, FPS = 240, 8


def tiny_corpus(source: str | Path, out: str | Path) -> Path:
    """``source``: ``<task>/gold|trainee/<video>`` (+ gold ``.steps.json``). Written once;
    a finished ``out`` (marker ``.done``) is reused."""
    import subprocess

    source, out = Path(source), Path(out)
    if (out / ".done").is_file():
        return out
    if out.exists():
        shutil.rmtree(out)
    for task in sorted(p for p in source.iterdir() if p.is_dir()):
        for role in ("gold", "trainee"):
            for v in _videos(task / role):
                dst = out / task.name / role / f"{v.stem}.mp4"
                dst.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(v), "-vf",
                                f"scale={WIDTH}:-2,fps={FPS}", "-c:v", "libx264", "-preset",
                                "veryfast", "-pix_fmt", "yuv420p", "-an", str(dst)],
                               check=True, timeout=300, stdin=subprocess.DEVNULL)
                steps = v.with_name(v.stem + ".steps.json")
                if role == "gold" and steps.is_file():
                    shutil.copyfile(steps, dst.with_name(dst.stem + ".steps.json"))
    (out / ".done").write_text("ok\n", encoding="utf-8")
    return out
