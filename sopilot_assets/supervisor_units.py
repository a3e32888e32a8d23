"""What `sopilot serve` starts: the code server, the webserver and the daemon, as `dagster dev` would.

`dagster dev` (dagster/_cli/dev.py) starts one code server (`dagster code-server start`, which loads
the code location and launches run workers), then `dagster-webserver` and `dagster-daemon run`
pointed at it by a workspace file of one `grpc_server` entry, with DAGSTER_IS_DEV_CLI=1 and
DAGSTER_verbose set, and stops all of them when one dies. Serve starts the same three processes
itself, with the same flags, so each one is restarted alone: the code server listens on a fixed
Unix socket, so a restarted one is found again by the webserver and daemon without restarting them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sopilot_assets.instance import CODE_LOCATION, DEFINITIONS_MODULE

UNIT_ORDER = ("code_server", "webserver", "daemon")  # start order; the stop order is the reverse
LABELS = {"code_server": "dagster code server", "webserver": "dagster-webserver", "daemon": "dagster-daemon"}


@dataclass(frozen=True)
class ServeLayout:
    """Where the pieces meet: the code server's socket and the workspace file that points at it."""

    runtime_dir: Path  # short path (a Unix socket path must stay under 108 bytes)
    host: str
    port: int
    verbose: bool = False

    @property
    def socket(self) -> Path:
        return self.runtime_dir / "code.sock"

    @property
    def workspace(self) -> Path:
        return self.runtime_dir / "workspace.yaml"

    @property
    def url(self) -> str:
        return f"http://{'127.0.0.1' if self.host in ('0.0.0.0', '') else self.host}:{self.port}"


def workspace_text(layout: ServeLayout) -> str:
    """The webserver's and daemon's workspace: the one code location, served by serve's code server."""
    return ("# Written by `sopilot serve`: the code location served by its code server.\n"
            "load_from:\n"
            "  - grpc_server:\n"
            f"      location_name: {CODE_LOCATION}\n"
            f"      socket: {layout.socket}\n"
            "      host: localhost\n"
            "      additional_metadata:\n"
            f"        module_name: {DEFINITIONS_MODULE}\n")


def write_workspace(layout: ServeLayout) -> Path:
    layout.runtime_dir.mkdir(parents=True, exist_ok=True)
    tmp = layout.workspace.with_name(".workspace.yaml.tmp")
    tmp.write_text(workspace_text(layout), encoding="utf-8")
    os.replace(tmp, layout.workspace)
    return layout.workspace


def log_level(verbose: bool) -> str:
    """Dagster's own webserver/daemon lines: warnings and errors only unless verbose."""
    return "info" if verbose else "warning"


def unit_commands(layout: ServeLayout) -> dict[str, list[str]]:
    """The three command lines, flags as `dagster dev` passes them (code server logs at warning,
    as `dagster dev`'s default). SOPilot's own lines are not affected: sensor lines come from the
    code server, run lines at INFO from the run workers (dagster.yaml `python_logs`)."""
    py, level = sys.executable, log_level(layout.verbose)
    workspace = ["--code-server-log-level", "warning", "--workspace", str(layout.workspace)]
    return {
        "code_server": [py, "-m", "dagster", "code-server", "start", "--socket", str(layout.socket),
                        "--log-level", "warning", "--inject-env-vars-from-instance",
                        "--location-name", CODE_LOCATION, "-m", DEFINITIONS_MODULE],
        "webserver": [py, "-m", "dagster_webserver", "--port", str(layout.port), "--host", layout.host,
                      "--dagster-log-level", level, "--log-format", "colored",
                      "--live-data-poll-rate", "2000", *workspace],
        "daemon": [py, "-m", "dagster._daemon", "run", "--log-level", level, "--log-format", "colored",
                   *workspace],
    }


def unit_env(data_root: Path, home: Path, verbose: bool, deployment: str = "single") -> dict[str, str]:
    env = dict(os.environ)
    env["SOPILOT_DEPLOYMENT"] = deployment  # the profile serve was started with (--deployment)
    env["DAGSTER_HOME"] = str(home)
    env["SOPILOT_DATA_DIR"] = str(data_root)
    env["DAGSTER_IS_DEV_CLI"] = "1"  # what `dagster dev` sets: short code-location errors
    env["DAGSTER_verbose"] = "1" if verbose else ""  # full stack traces only with --verbose
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.pop("DAGSTER_GRPC_PORT", None)  # would clash with --socket
    return env
