"""The soak: the real pipeline in a sandbox, fed files on a clock, checked for invariants.

``run_soak(duration_sec, rate_per_min, ...) -> report path`` (run.py) is the timed soak;
``sopilot soak`` (cli.py) and the nightly ``soak_report`` asset (assets.py) call it.
``run_chaos_soak(settings, ChaosConfig(...)) -> report path`` (chaos_run.py) is issue 12's bar:
hostile drops, ``kill -9`` of the daemon and a full disk under a real `sopilot serve`
(``sopilot soak --chaos``).
"""
from .chaos_run import ChaosConfig, run_chaos_soak
from .run import run_soak

__all__ = ["ChaosConfig", "run_chaos_soak", "run_soak"]
