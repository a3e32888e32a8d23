"""SOPilot's settings: one frozen ``Settings`` object, read from the environment once.

    settings = Settings.from_env()          # every SOPILOT_* variable parsed and checked
    settings.data_dir, settings.max_batch   # typed values, defaults where unset

Built where a process starts (the code location in ``sopilot_assets/definitions.py``, the
``sopilot`` command line) and passed to whatever needs it; nothing else reads the environment.
Every setting, its default and where it is used: docs/operations.md ("Settings"). Pure Python.
"""
from .model import Settings
from .timing import DurationError, parse_duration
from .values import DeprecatedSettingWarning, SettingsError

__all__ = ["Settings", "SettingsError", "DeprecatedSettingWarning", "DurationError", "parse_duration"]
