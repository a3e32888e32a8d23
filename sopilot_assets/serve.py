"""`sopilot serve`: the Dagster code server, webserver and daemon on the project's instance,
supervised (restarted when one dies) and stopped cleanly.

Starts what `dagster dev` would start, itself (`supervisor_units.py`), each process in its own
process group with DAGSTER_HOME and SOPILOT_DATA_DIR set (absolute), and watches them
(`supervisor_loop.py`): a dead one is restarted alone after a back-off, runs its death interrupted
are failed so run retries pick them up, and serve gives up (stops everything, exit code 3) only
after repeated fast deaths (`supervisor.RestartPolicy`). `<DAGSTER_HOME>/sopilot-serve.json` lists
the pids and restarts (`supervisor_state.py`). With `demo`, the demo videos are fed into the inbox
in the background while the server starts (`demo_feed.py`). Ctrl-C or SIGTERM stops the daemon and
webserver (SIGINT), then the code server; whatever is still alive in their groups after that (a run
worker mid-step) is terminated, then killed, and its run failed (retried on the next start). A lock
file in DAGSTER_HOME keeps a second server off the same instance.
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import os
import shutil
import signal
import tempfile
from pathlib import Path

from sopilot_assets.instance import configure_instance, prepare_dagster_home
from sopilot_assets.supervisor import RestartPolicy
from sopilot_assets.supervisor_loop import GAVE_UP, Supervisor, port_taken
from sopilot_assets.supervisor_procs import group_alive  # noqa: F401  (used by the soak)
from sopilot_assets.supervisor_state import ServeState
from sopilot_assets.supervisor_sweep import retry_lost_retries, sweep_dead_workers
from sopilot_assets.supervisor_units import ServeLayout, unit_commands, unit_env, write_workspace
from sopilot_resources.settings import Settings
from sopilot_resources.storage.disk import DiskWatch

log = logging.getLogger("sopilot.serve")


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 3000,
    demo: bool = False,
    quick_demo: bool = False,
    verbose: bool = False,
    policy: RestartPolicy = RestartPolicy(),
) -> int:
    """Start the webserver + daemon; block until Ctrl-C/SIGTERM; return the exit code (0 = clean).

    ``settings``: the data root (``--data-dir`` applied), DAGSTER_HOME, SOPILOT_KEEP_DAGSTER_YAML.
    `demo=True` feeds the demo set into `<data root>/inbox/` while the server runs (`DemoFeed`);
    `verbose=True` also shows Dagster's routine daemon lines and every run event; ``policy``: when
    a dead process is restarted and when serve gives up (exit code 3).
    """
    _setup_logging()
    data_root = settings.data_dir
    (data_root / "inbox").mkdir(parents=True, exist_ok=True)
    home, _workspace = prepare_dagster_home(settings, verbose=verbose)
    lock = _lock_home(home)
    if lock is None:
        log.error("another `sopilot serve` already uses DAGSTER_HOME=%s", home)
        return 1
    try:
        _warn_if_exposed(host)
        if port_taken(host, port):
            log.error("port %d on %s is already used by another program (see `ss -ltnp 'sport = :%d'`); "
                      "stop it or choose another port with --port", port, host, port)
            return 1
        configure_instance(home)
        _ensure_results_views(data_root)
        feed = None
        if demo:
            from sopilot_assets.demo_feed import DemoFeed

            feed = DemoFeed(data_root, quick=quick_demo)
        log.info("data root %s, DAGSTER_HOME %s", data_root, home)
        layout = ServeLayout(Path(tempfile.mkdtemp(prefix="sopilot-serve-")), host, port, verbose)
        try:
            return _supervise(layout, data_root, home, feed, policy, settings.deployment)
        finally:
            shutil.rmtree(layout.runtime_dir, ignore_errors=True)
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
    """One ``sopilot serve`` per DAGSTER_HOME: keeps two ``serve`` on one host apart. The only
    ``flock`` of the project, and single-host by design: in the cluster profile DAGSTER_HOME
    belongs on the head host's local disk (the instance itself is in Postgres); nothing on the
    shared data root is ever locked with it (docs/operations.md, "Scaling out")."""
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


def _supervise(layout: ServeLayout, data_root: Path, home: Path, feed, policy: RestartPolicy,
               deployment: str = "single") -> int:
    write_workspace(layout)
    state = ServeState(home, layout.url)
    sup = Supervisor(layout, unit_commands(layout), unit_env(data_root, home, layout.verbose, deployment), state,
                     sweep=lambda why: sweep_dead_workers(home, why),
                     rearm=lambda since: retry_lost_retries(home, since), policy=policy)
    stop = {"signal": None}

    def on_signal(signum, _frame):
        if stop["signal"] is None:
            log.info("%s received, stopping webserver, daemon and code server", signal.Signals(signum).name)
        stop["signal"] = signum

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if feed is not None:
            feed.start()
        disk = DiskWatch({"the data folder, SOPILOT_DATA_DIR": data_root, "DAGSTER_HOME": home},
                         Settings.from_env().min_free_mb)

        def watch_disk() -> None:  # said here too: no sensor tick runs on a full DAGSTER_HOME
            if (said := disk.check()) is not None:
                log.warning(said)

        try:
            outcome = sup.run(lambda: stop["signal"] is not None, on_tick=watch_disk)
        except BaseException:
            sup.stop()
            raise
        if feed is not None:
            feed.stop()
        state.finished("stopping")
        if outcome != "stopped":
            log.error(outcome)
        clean = sup.stop()
        _final_sweep(home)
        if outcome != "stopped":
            state.finished("gave_up", message=outcome)
            log.error("stopped after giving up (exit code %d)", GAVE_UP)
            return GAVE_UP
        state.finished("stopped")
        log.info("stopped %s", "cleanly" if clean else "(a process had to be terminated)")
        return 0 if clean else 1
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _final_sweep(home: Path) -> None:
    """Fail runs the shutdown interrupted (retried on the next start); a full disk must not turn a
    stop into a crash."""
    try:
        configure_instance(home)
    except Exception as exc:
        log.warning("could not mark interrupted runs failed (%s); the next start does it", exc)
