"""What the inbox's "is it finished?" rules cost (issue 12, fault 3).

    .venv/bin/python benchmarks/bench_intake_tick.py [--n 1000] [--big-mb 500]

1. The ``/proc`` walk (``writers.open_for_writing``) for N candidate files, with this machine's
   processes and open files as they are (counted in the output).
2. A tick over an inbox of N settled real videos (small avi/mp4) that takes one of them
   (``max_files_per_tick`` 1; all N are checked): scan, tracker, one /proc walk, N container
   checks, one video hashed, probed and stored.
3. Hashing one ``--big-mb`` file: the intake hash (``hash_unchanged``) and the check after the
   move (``sha256_file`` again, mostly from the page cache).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from sopilot_resources.storage import VideoStore, sha256_file  # noqa: E402
from sopilot_resources.storage.fsutil import hash_unchanged  # noqa: E402
from sopilot_resources.storage.intake import Intake, IntakeConfig  # noqa: E402
from sopilot_resources.storage.writers import open_for_writing  # noqa: E402


def _fds() -> tuple[int, int]:
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    n = 0
    for p in pids:
        try:
            n += len(os.listdir(f"/proc/{p}/fd"))
        except OSError:
            pass
    return len(pids), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--big-mb", type=int, default=500)
    args = ap.parse_args()
    from dagster_support import write_video

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = [write_video(root / f"src{i}.{ext}", seed=i, step_sec=0.3).read_bytes()
               for i, ext in enumerate(("avi", "mp4"))]
        d = root / "inbox" / "task" / "trainee"
        d.mkdir(parents=True)
        paths = []
        for i in range(args.n):
            p = d / f"v{i:05d}.{'avi' if i % 2 == 0 else 'mp4'}"
            p.write_bytes(src[i % 2])
            paths.append(p)
        procs, fds = _fds()
        t = time.perf_counter()
        reps = 20
        for _ in range(reps):
            open_for_writing(paths)
        walk_ms = (time.perf_counter() - t) / reps * 1e3
        print(f"/proc walk for {args.n} files ({procs} processes, {fds} open fds): {walk_ms:.1f} ms")

        intake = Intake(VideoStore.at(root), IntakeConfig(stable_seconds=1, max_files_per_tick=1))
        out = intake.tick(None, now=0.0)
        t = time.perf_counter()
        out = intake.tick(out.tracker_state, now=5.0, failures=out.failures)
        tick_ms = (time.perf_counter() - t) * 1e3
        print(f"tick over {args.n} settled videos taking 1: {tick_ms:.0f} ms (processed {out.processed})")

        big = root / "big.mp4"
        with open(big, "wb") as f:
            chunk = os.urandom(1 << 20)
            for _ in range(args.big_mb):
                f.write(chunk)
        t = time.perf_counter()
        hash_unchanged(big)
        first = time.perf_counter() - t
        t = time.perf_counter()
        sha256_file(big)
        second = time.perf_counter() - t
        print(f"{args.big_mb} MB: intake hash {first:.2f} s, check after the move {second:.2f} s")


if __name__ == "__main__":
    main()
