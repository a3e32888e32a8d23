"""The soak: the real pipeline in a sandbox, fed files on a clock, checked for invariants.

``run_soak(duration_sec, rate_per_min, ...) -> report path`` (run.py) is the timed soak;
``sopilot soak`` (cli.py) and the nightly ``soak_report`` asset (assets.py) call it.
``run_chaos_soak(settings, ChaosConfig(...)) -> report path`` (chaos_run.py) is issue 12's bar:
hostile drops, ``kill -9`` of the daemon and a full disk under a real `sopilot serve`
(``sopilot soak --chaos``).
"""


def __getattr__(name: str):
    """The soak's entry points on first use: ``import sopilot_assets.soak.cli_args`` (the
    ``sopilot`` parser) must not import the whole soak (0.3 s in every ``sopilot score``)."""
    if name in ("ChaosConfig", "run_chaos_soak"):
        from . import chaos_run

        return getattr(chaos_run, name)
    if name == "run_soak":
        from .run import run_soak

        return run_soak
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["ChaosConfig", "run_chaos_soak", "run_soak"]
