"""Starting and stopping the processes `sopilot serve` supervises: each in its own process group.

A started process gets its own session (so Ctrl-C in the terminal reaches only `sopilot serve`,
which forwards it) and SIGTERM when serve dies (PR_SET_PDEATHSIG), so nothing outlives a killed
serve for long. Whatever a process started (the code server's run workers) stays in its group;
`stop_all` asks each process to stop (SIGINT), waits, then terminates and kills what is left in
every group serve ever started, including those of earlier incarnations of a restarted process.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence

log = logging.getLogger("sopilot.serve")

KILL_GRACE_S = 10.0


def _own_group_die_with_parent() -> None:
    """In the child before exec: own session/process group, SIGTERM if `sopilot serve` dies."""
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start_process(cmd: Sequence[str], env: dict[str, str]) -> subprocess.Popen:
    """Start `cmd` (stdout/stderr shared with serve) in its own process group; call from the main
    thread (PDEATHSIG follows the thread that forked)."""
    return subprocess.Popen(list(cmd), env=env, preexec_fn=_own_group_die_with_parent)


def signal_pid(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def signal_group(pgid: int, sig: int) -> None:
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


def wait_all(procs: Iterable[subprocess.Popen], timeout: float) -> bool:
    """Wait until every process exited or `timeout` passed; True when all exited."""
    procs = list(procs)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(p.poll() is not None for p in procs):
            return True
        time.sleep(0.2)
    return all(p.poll() is not None for p in procs)


def interrupt_and_wait(procs: dict[str, subprocess.Popen], grace_s: float) -> list[str]:
    """SIGINT to each live process, wait up to `grace_s` for all; return the labels that did not stop."""
    live = {k: p for k, p in procs.items() if p.poll() is None}
    for p in live.values():
        signal_pid(p.pid, signal.SIGINT)
    wait_all(live.values(), grace_s)
    late = [k for k, p in live.items() if p.poll() is None]
    for k in late:
        log.warning("%s did not stop in %.0f s, terminating it", k, grace_s)
    return late


def clear_groups(pgids: Iterable[int], procs: Iterable[subprocess.Popen] = ()) -> None:
    """Give leftovers in `pgids` a moment to exit, then SIGTERM, then SIGKILL; reap `procs`."""
    pgids, procs = sorted(set(pgids)), list(procs)
    for sig, grace in ((None, KILL_GRACE_S), (signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 5.0)):
        alive = [g for g in pgids if group_alive(g)]
        if not alive:
            break
        if sig is not None:
            log.info("sending %s to leftover processes (run workers mid-step) of group(s) %s",
                     sig.name, ", ".join(map(str, alive)))
            for g in alive:
                signal_group(g, sig)
        deadline = time.monotonic() + grace
        while any(group_alive(g) for g in alive) and time.monotonic() < deadline:
            for p in procs:
                p.poll()  # reap, so an exited child is not counted as alive
            time.sleep(0.2)
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
