"""The ``sopilot soak --chaos`` options (the chaos soak: docs/idle_and_soak.md)."""
from __future__ import annotations

import argparse


def add_chaos_arguments(k: argparse.ArgumentParser) -> None:
    c = k.add_argument_group("chaos soak (--chaos; needs root for the disk fault)")
    c.add_argument("--chaos", action="store_true",
                   help="issue 12's bar instead of a timed soak: a burst of --files drops, ~10%% "
                        "hostile, the daemon killed with kill -9, the disk filled and freed once")
    c.add_argument("--files", type=int, default=500, help="how many files in the burst")
    c.add_argument("--bad-fraction", type=float, default=0.1,
                   help="share of hostile drops (at least one of each kind)")
    c.add_argument("--kills", type=int, default=2, help="kill -9 of the daemon, this many times")
    c.add_argument("--no-disk-fault", dest="disk_fault", action="store_false", default=None,
                   help="no tmpfs, no full disk (runs without root)")
    c.add_argument("--tmpfs-mb", type=int, default=3072, help="size of the sandbox's tmpfs")
    c.add_argument("--fill-hold", type=float, default=60.0, help="seconds the disk stays full")
    c.add_argument("--interval", type=float, default=0.2, help="seconds between drops")
    c.add_argument("--corpus", default=None,
                   help="folder <task>/gold|trainee/ of good videos (default: the quick demo set), "
                        "made tiny once into <data root>/soak/chaos_src")
    c.add_argument("--report-dir", default=None,
                   help="also copy the report to DIR/<soak id>/ (it is always in the soak dir)")
    c.add_argument("--keep", action="store_true", help="keep a copy of the sandbox even when it passes")
