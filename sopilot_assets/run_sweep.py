"""Fail runs whose worker process is gone, so that they are retried (run_retries) or rerun by
the inbox sensor instead of staying STARTED forever.

Why Dagster does not do it here: run monitoring checks a STARTED run's worker only through
``run_launcher.check_run_worker_health``, which the DefaultRunLauncher does not support
(``supports_check_run_worker_health`` is False): for it, the daemon only logs "Checking run ...".
The code server fails a run whose worker died from its own cleanup thread, but when that
thread's write fails (a full disk: "database or disk is full") the thread dies, and no run of
that code server is ever failed after it.

Every worker the code server starts records "Started process for run (pid: N)" as the run's
first engine event. A STARTING or STARTED run whose worker pid is no longer alive (or belongs to
a process started later: the pid was reused) is failed here with ``instance.report_run_failed``.
A run that never got a worker (no pid recorded) is left to Dagster's start timeout."""
from __future__ import annotations

import json
import socket

import dagster as dg
from dagster._core.events import DagsterEventType

from .batching import RANGE_END, RANGE_START

PID_EVENT = "Started process for run (pid:"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}
#: at most this many runs are looked at per call (runs: a few at a time on one box)
MAX_RUNS = 50
#: runs with a worker that should be alive (STARTING: launched, its worker has not loaded the code yet)
LIVE = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def worker_pid(instance, run_id: str) -> tuple[int, float] | None:
    """(pid, when the worker started) from the run's first engine events, or None."""
    recs = instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT, limit=20).records
    for r in recs:
        entry = r.event_log_entry
        ev = entry.dagster_event
        if ev is None or not (entry.message or "").startswith(PID_EVENT):
            continue
        meta = ev.engine_event_data.metadata if ev.engine_event_data else {}
        pid = getattr(meta.get("pid"), "value", None)
        if pid is not None and str(pid).isdigit():
            return int(pid), float(entry.timestamp)
    return None


def worker_alive(pid: int, started_at: float, slack_sec: float = 5.0) -> bool:
    """True while process ``pid`` runs and was started before the worker reported itself (a
    process started later only reuses the number); a zombie is not alive."""
    import psutil

    try:
        p = psutil.Process(pid)
        return p.status() != psutil.STATUS_ZOMBIE and p.create_time() <= started_at + slack_sec
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def launched_here(run: dg.DagsterRun) -> bool:
    """Whether the run's code server runs on this machine (so its pid means something here)."""
    raw = run.tags.get("dagster/grpc_info")
    if not raw:
        return True
    try:
        host = json.loads(raw).get("host") or ""
    except (ValueError, AttributeError):
        return False
    return host in LOCAL_HOSTS or host in {socket.gethostname(), socket.getfqdn()}


def fail_dead_runs(instance, log=None, why: str = "") -> list[tuple[str, str]]:
    """Fails every STARTING or STARTED run (launched on this machine) whose worker process is gone;
    returns (run id, message) of each. ``log``: a logger for one line per failed run; ``why``: what
    the caller knows of the cause ("dagster-daemon died"), said in the run's failure message.
    The inbox sensor calls it every tick, ``sopilot serve`` after each restart (supervisor_sweep)."""
    out = []
    recs = instance.get_run_records(filters=dg.RunsFilter(statuses=LIVE), limit=MAX_RUNS)
    for rec in recs:
        run = rec.dagster_run
        if not launched_here(run):
            continue
        found = worker_pid(instance, run.run_id)
        if found is None or worker_alive(*found):
            continue
        now = instance.get_run_by_id(run.run_id)  # it may have ended while we looked
        if now is None or now.status not in LIVE:
            continue
        start, end = run.tags.get(RANGE_START), run.tags.get(RANGE_END)
        what = run.tags.get("dagster/partition") or (f"{start}..{end}" if start else run.job_name)
        msg = (f"run {run.run_id[:8]} ({run.job_name}, {what}) was {now.status.value} but its worker process "
               f"(pid {found[0]}) is gone ({why or 'killed, out of memory, or it died on a full disk'}); marked "
               "failed so it is retried")
        instance.report_run_failed(now, msg)
        if log is not None:
            log.warning(msg)
        out.append((run.run_id, msg))
    return out
