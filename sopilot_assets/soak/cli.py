"""``sopilot soak --duration 10m [--rate 6] [--data-dir D]``: prints progress and the
report path; exit status 0 when every invariant holds, 1 otherwise."""
from __future__ import annotations

from sopilot_resources.settings import DurationError, Settings, parse_duration

__all__ = ["DurationError", "parse_duration", "run_soak_cli"]


def run_soak_cli(duration: str, rate_per_min: float, settings: Settings) -> int:
    """``settings``: the data root (``--data-dir`` applied) and the soak's bounds."""
    from .run import run_soak, soak_passed

    if rate_per_min <= 0:
        raise DurationError(f"rate {rate_per_min}: files per minute must be positive")
    report = run_soak(parse_duration(duration), rate_per_min, settings,
                      progress=lambda line: print(line, flush=True))
    print(f"report: {report}", flush=True)
    return 0 if soak_passed(report) else 1


def run_chaos_cli(a, settings: Settings) -> int:
    """``sopilot soak --chaos``: issue 12's bar (docs/idle_and_soak.md, "Chaos soak")."""
    from .chaos_run import ChaosConfig, run_chaos_soak
    from .run import soak_passed

    from sopilot_resources.soak.chaos_plan import KINDS

    least = len(KINDS) + 4  # one of each kind, two golds, two good trainees
    if a.files < least or not 0 <= a.bad_fraction <= 1:
        raise DurationError(f"--files must be at least {least} (one of each of {len(KINDS)} hostile "
                            "kinds, golds and good trainees) and --bad-fraction between 0 and 1")
    cfg = ChaosConfig(files=a.files, bad_fraction=a.bad_fraction, kills=a.kills,
                      disk_fault=a.disk_fault is not False, tmpfs_mb=a.tmpfs_mb, hold_sec=a.fill_hold,
                      interval_sec=a.interval, corpus_dir=a.corpus, report_dir=a.report_dir,
                      keep=a.keep)
    report = run_chaos_soak(settings, cfg, progress=lambda line: print(line, flush=True))
    print(f"report: {report}", flush=True)
    return 0 if soak_passed(report) else 1
