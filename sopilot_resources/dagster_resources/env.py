"""Resource values from ``Settings``: ``dg.EnvVar`` where a deployment set the variable.

A value the user set is passed as ``dg.EnvVar(<its variable>)``: the UI's resource view shows
the variable (not its value), and each run reads it when it starts, as Dagster resources do.
Defaults, and text that ``Settings`` normalized (a relative data root made absolute), are
passed as the checked value itself, so a resource never sees anything ``Settings`` did not
accept.
"""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from sopilot_resources.settings import Settings


def plain(settings: Settings, name: str):
    """The setting's value as a resource field takes it (paths as strings)."""
    value = getattr(settings, name)
    return str(value) if isinstance(value, Path) else value


def env_or_value(settings: Settings, name: str):
    """``dg.EnvVar(var)`` when the setting came from ``var`` as written, else ``plain``."""
    var = settings.variable_for(name)
    return dg.EnvVar(var) if var else plain(settings, name)
