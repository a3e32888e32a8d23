"""What a cold ``sopilot score`` spends after its result is out: the interpreter's exit.

    .venv/bin/python benchmarks/bench_exit.py GOLD TRAINEE [--runs 5]

Runs the same scoring as whole processes, alternating, in one run of this script: ``frozen``
(the ``sopilot`` command: :func:`sopilot_assets.cli.console`, the heap frozen before the exit)
and ``plain`` (:func:`sopilot_assets.cli.main` returned to the interpreter as before). Each
process prints when ``main`` returned; the exit cost is the process's wall time after that.
Prints per variant the min / median / max of the exit cost and of the whole wall time, and the
ratio of the medians. Use ``--no-cache`` footage of your own or a demo pair, e.g.
``bench_out/acc3/seed1-v2/t01_valve/gold/t01_gold.mp4`` and a trainee beside it.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

PROBE = """
import sys, time
t0 = time.perf_counter()
from sopilot_assets import cli
sys.argv = ["sopilot", *sys.argv[1:]]
rc = cli.{fn}()
sys.stderr.write(f"\\nMAIN_RETURNED {{time.perf_counter() - t0:.4f}}\\n")
sys.exit(rc)
"""


def one(fn: str, args: list[str]) -> tuple[float, float]:
    """(wall s, exit s) of one process running ``cli.<fn>()`` on ``args``."""
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", PROBE.format(fn=fn), *args], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode not in (0, 1):  # 1: a verdict below the --fail-below bar is still a result
        raise SystemExit(f"{fn}: exit {p.returncode}: {p.stderr[-2000:]}")
    main = float(p.stderr.rsplit("MAIN_RETURNED", 1)[1].split()[0])
    return wall, wall - main


def stats(xs: list[float]) -> str:
    return f"{min(xs):.2f} / {statistics.median(xs):.2f} / {max(xs):.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gold")
    ap.add_argument("trainee")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    args = ["score", a.gold, a.trainee, "--json", "--compact", "--no-cache"]
    variants = {"frozen": "console", "plain": "main"}
    out: dict[str, dict[str, list[float]]] = {v: {"wall": [], "exit": []} for v in variants}
    for fn in variants.values():  # warm-up (page cache, numba's on-disk cache), not timed
        one(fn, args)
    for _ in range(a.runs):
        for name, fn in variants.items():
            wall, ex = one(fn, args)
            out[name]["wall"].append(wall)
            out[name]["exit"].append(ex)
    print("| variant | exit s (min / median / max) | wall s (min / median / max) |\n|---|---|---|")
    for name in variants:
        print(f"| {name} | {stats(out[name]['exit'])} | {stats(out[name]['wall'])} |")
    med = {n: statistics.median(out[n]["wall"]) for n in variants}
    print(f"\nwall plain / frozen: {med['plain'] / med['frozen']:.2f}x over {a.runs} alternating runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
