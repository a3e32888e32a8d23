"""`sopilot serve`: the Dagster webserver and daemon on the project's instance, stopped cleanly.

Runs `dagster dev -w <DAGSTER_HOME>/sopilot_workspace.yaml -h HOST -p PORT --log-level warning`
(`info` with `verbose`) in its own process group with DAGSTER_HOME and SOPILOT_DATA_DIR set
(absolute). With `demo`, the demo videos are fed into the inbox in the background while the server
starts (`demo_feed.py`). Ctrl-C or SIGTERM is forwarded as
SIGINT to `dagster dev`, which shuts its webserver, daemon and code server down; whatever is still
alive in the group after that (a run worker mid-step) is terminated, then killed. A lock file in
DAGSTER_HOME keeps a second server off the same instance.
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sopilot_assets.instance import configure_instance, prepare_dagster_home
from sopilot_resources.settings import Settings
from sopilot_resources.storage.disk import DiskWatch

log = logging.getLogger("sopilot.serve")

STOP_GRACE_S = 150.0  # dagster dev waits up to 60 s for each of webserver and daemon
KILL_GRACE_S = 10.0


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 3000,
    demo: bool = False,
    quick_demo: bool = False,
    verbose: bool = False,
) -> int:
    """Start the webserver + daemon; block until Ctrl-C/SIGTERM; return the exit code (0 = clean).

    ``settings``: the data root (``--data-dir`` applied), DAGSTER_HOME, SOPILOT_KEEP_DAGSTER_YAML.
    `demo=True` feeds the demo set into `<data root>/inbox/` while the server runs (`DemoFeed`);
    `verbose=True` also shows Dagster's routine daemon lines and every run event.
    """
    _setup_logging()
    data_root = settings.data_dir
    (data_root / "inbox").mkdir(parents=True, exist_ok=True)
    home, workspace = prepare_dagster_home(settings, verbose=verbose)
    lock = _lock_home(home)
    if lock is None:
        log.error("another `sopilot serve` already uses DAGSTER_HOME=%s", home)
        return 1
    try:
        _warn_if_exposed(host)
        configure_instance(home)
        _ensure_results_views(data_root)
        feed = None
        if demo:
            from sopilot_assets.demo_feed import DemoFeed

            feed = DemoFeed(data_root, quick=quick_demo)
        log.info("data root %s, DAGSTER_HOME %s", data_root, home)
        return _run_dagster_dev(host, port, data_root, home, workspace, feed=feed, verbose=verbose)
    finally:
        lock.close()


def _warn_if_exposed(host: str) -> None:
    """The UI has no login: say so when it listens anywhere but on loopback."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        loopback = False
    if not loopback:
        log.warning("--host %s: the Dagster UI has no login; anyone who can reach this address can see "
                    "every result and launch or delete runs. Keep it on 127.0.0.1 or put a proxy with "
                    "authentication in front", host)


def _ensure_results_views(data_root: Path) -> None:
    """Create `<data root>/sopilot.duckdb` (views only) now, so people can query it from the start."""
    from sopilot_resources.dagster_resources.storage import ResultsStoreResource

    path = ResultsStoreResource(data_dir=str(data_root)).store().ensure_views()
    log.info("results: %s (list them: sopilot results --data-dir %s)", path, data_root)


def _setup_logging() -> None:
    """Our own lines on stderr, next to dagster's; other libraries' loggers are left alone."""
    logger = logging.getLogger("sopilot.serve")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s sopilot serve: %(message)s", datefmt="%H:%M:%S")
        )
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _lock_home(home: Path):
    fh = open(home / "sopilot-serve.lock", "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def _child_env(data_root: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(home)
    env["SOPILOT_DATA_DIR"] = str(data_root)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _die_with_parent() -> None:
    """In the child before exec: own process group, and SIGTERM if `sopilot serve` dies."""
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def dagster_dev_command(workspace: Path, host: str, port: int, verbose: bool = False) -> list[str]:
    """`dagster dev`; quiet (warnings and errors only from its daemon and webserver) unless verbose.

    SOPilot's own lines are not affected: sensor lines come from the code server, run lines at INFO
    from the run workers (dagster.yaml `python_logs`), serve's lines from this process."""
    quiet = [] if verbose else ["-W", "ignore:Function `dev_command` is superseded"]  # dagster's own CLI nag
    return [sys.executable, *quiet, "-m", "dagster", "dev", "-w", str(workspace), "-h", host, "-p", str(port),
            "--log-level", "info" if verbose else "warning"]


def _run_dagster_dev(host: str, port: int, data_root: Path, home: Path, workspace: Path,
                     feed=None, verbose: bool = False) -> int:
    cmd = dagster_dev_command(workspace, host, port, verbose)
    stop = {"signal": None}

    def on_signal(signum, _frame):
        if stop["signal"] is None:
            log.info("%s received, stopping webserver and daemon", signal.Signals(signum).name)
        stop["signal"] = signum

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        proc = subprocess.Popen(cmd, env=_child_env(data_root, home), preexec_fn=_die_with_parent)
        log.info("started %s (pid %d)", " ".join(cmd[cmd.index("dagster"):]), proc.pid)
        if feed is not None:
            feed.start()
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
        ready = False
        disk = DiskWatch({"the data folder, SOPILOT_DATA_DIR": data_root, "DAGSTER_HOME": home},
                         Settings.from_env().min_free_mb)
        next_disk = 0.0
        while proc.poll() is None and stop["signal"] is None:
            time.sleep(0.5)
            if time.monotonic() >= next_disk:  # said here too: no sensor tick runs on a full DAGSTER_HOME
                next_disk = time.monotonic() + 5
                if (said := disk.check()) is not None:
                    log.warning(said)
            if not ready and _responds(f"{url}/server_info"):
                ready = True
                log.info("Dagster UI ready at %s (sensors and automation run by default)", url)
        if feed is not None:
            feed.stop()
        if stop["signal"] is None:
            log.error("dagster dev exited unexpectedly with code %s", proc.returncode)
            _stop_group(proc)
            return proc.returncode or 1
        code = _stop_group(proc)
        clean = code == 0
        configure_instance(home)  # fail runs the shutdown interrupted; retried on next start
        log.info("stopped %s", "cleanly" if clean else f"(dagster dev exit code {code})")
        return 0 if clean else 1
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _responds(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _stop_group(proc: subprocess.Popen) -> int:
    """SIGINT to dagster dev, wait; then SIGTERM/SIGKILL anything left in its process group."""
    pgid = proc.pid
    if proc.poll() is None:
        _signal_pid(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            log.warning("dagster dev did not stop in %.0f s, terminating", STOP_GRACE_S)
    code = proc.returncode if proc.returncode is not None else -1
    # None: give the code server a moment to exit on its own after dagster dev is gone.
    for sig, grace in ((None, KILL_GRACE_S), (signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 5.0)):
        if not group_alive(pgid):
            break
        if sig is not None:
            log.info("sending %s to leftover processes of group %d", sig.name, pgid)
            _signal_group(pgid, sig)
        deadline = time.monotonic() + grace
        while group_alive(pgid) and time.monotonic() < deadline:
            if proc.poll() is None:
                try:
                    proc.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
            else:
                time.sleep(0.2)
    if proc.poll() is None:
        proc.wait()
    return code if code != -1 else (proc.returncode or 1)


def _signal_pid(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def group_alive(pgid: int) -> bool:
    """True while any process (zombies excluded) is in process group `pgid`."""
    import psutil

    for p in psutil.process_iter(["status"]):
        try:
            if p.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(p.pid) == pgid:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False
