"""The soak: the real pipeline in a sandbox, fed files on a clock, checked for invariants.

``run_soak(duration_sec, rate_per_min, ...) -> report path`` (run.py) is the one entry
point; ``sopilot soak`` (cli.py) and the nightly ``soak_report`` asset (assets.py) call it.
"""
from .run import run_soak

__all__ = ["run_soak"]
