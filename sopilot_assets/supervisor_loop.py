"""The watch loop of `sopilot serve`: start the code server, webserver and daemon; restart whichever
dies (back-off from `RestartPolicy`), fail the runs a crash interrupted, give up after repeated
fast deaths; stop everything on Ctrl-C/SIGTERM or on giving up.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable

from sopilot_assets.supervisor import RestartPolicy, UnitRecord, describe_exit, judge_death, recent, window_words
from sopilot_assets.supervisor_procs import KILL_GRACE_S, clear_groups, interrupt_and_wait, start_process
from sopilot_assets.supervisor_state import ServeState
from sopilot_assets.supervisor_units import LABELS, UNIT_ORDER, ServeLayout

log = logging.getLogger("sopilot.serve")

STOP_GRACE_S = 60.0  # per stage, as `dagster dev` waits for its webserver and daemon
TICK_S = 0.5
GAVE_UP = 3  # exit code of serve after giving up
# the longest a stop can take: daemon+webserver, code server, then leftovers' quiet, SIGTERM, SIGKILL waits
WORST_STOP_S = 2 * STOP_GRACE_S + 2 * KILL_GRACE_S + 5.0


class Supervisor:
    """One serve session: ``run(stop_requested)`` returns "stopped" or the give-up message."""

    def __init__(self, layout: ServeLayout, commands: dict[str, list[str]], env: dict[str, str],
                 state: ServeState, sweep: Callable[[str], object], rearm: Callable[[float], object],
                 policy: RestartPolicy = RestartPolicy()):
        self.layout, self.commands, self.env, self.state = layout, commands, env, state
        self.sweep, self.rearm, self.policy = sweep, rearm, policy
        self.outage: tuple[float, str] | None = None  # (epoch s, why) of a code server death not yet swept
        self.rearm_due: list[float] = []  # monotonic times of the checks for retries lost in that outage
        self._since = 0.0  # epoch s: retries that failed after this were lost in the outage
        self.records = {name: UnitRecord(name, LABELS[name]) for name in UNIT_ORDER}
        self.procs: dict[str, subprocess.Popen] = {}
        self.pgids: set[int] = set()
        self.ui_down_since: float | None = None
        self.ui_seen = False

    def _start(self, name: str) -> None:
        proc = start_process(self.commands[name], self.env)
        self.procs[name], rec = proc, self.records[name]
        self.pgids.add(proc.pid)
        again = rec.restart_due is not None
        rec.started_at, rec.restart_due = time.monotonic(), None
        self.state.started(name, proc.pid)
        log.info("%s %s (pid %d)", "restarted" if again else "started", rec.label, proc.pid)

    def run(self, stop_requested: Callable[[], bool], on_tick: Callable[[], None] | None = None) -> str:
        """Start the units and watch them until ``stop_requested()``; ``on_tick()`` runs every
        loop (serve's full-disk watch). Returns "stopped" or the give-up message."""
        self._start("code_server")
        if not self._wait_code_server(stop_requested):
            return "stopped" if stop_requested() else self._give_up_now("code_server")
        for name in ("webserver", "daemon"):
            self._start(name)
        while not stop_requested():
            time.sleep(TICK_S)
            for name in UNIT_ORDER:
                outcome = self._watch(name)
                if outcome:
                    return outcome
            self._after_code_server_outage()
            self._watch_ui()
            if on_tick is not None:
                on_tick()
        return "stopped"

    def _wait_code_server(self, stop_requested) -> bool:
        """Start the webserver and daemon only once the code server answers, as `dagster dev` does
        (a daemon that starts first sees the code location broken for a minute)."""
        deadline = time.monotonic() + 300
        while not stop_requested() and time.monotonic() < deadline and self.procs["code_server"].poll() is None:
            if self._code_server_answers():
                return True
            time.sleep(0.5)
        return False

    def _code_server_answers(self) -> bool:
        from dagster._grpc.client import DagsterGrpcClient

        try:
            DagsterGrpcClient(socket=str(self.layout.socket), host="localhost").ping("")
            return True
        except Exception:  # not listening (yet): dagster raises its own unreachable error
            return False

    def _after_code_server_outage(self) -> None:
        """Once a restarted code server answers: fail the runs whose worker died with it, then (now,
        and a few times over the next two minutes) re-arm retries Dagster could not launch meanwhile."""
        now = time.monotonic()
        if self.outage is not None and self.procs["code_server"].poll() is None and self._code_server_answers():
            since, why = self.outage
            self._sweep(why)
            self.rearm_due = [now, now + 15, now + 45, now + 105]
            self.outage, self._since = None, since
        if self.rearm_due and now >= self.rearm_due[0]:
            self.rearm_due.pop(0)
            try:
                self.rearm(self._since)
            except Exception as exc:
                log.warning("could not check for retries lost while the code server was down: %s", exc)

    def _watch(self, name: str) -> str | None:
        rec, proc = self.records[name], self.procs[name]
        now = time.monotonic()
        if rec.restart_due is not None:
            if now < rec.restart_due:
                return None
            try:
                self._start(name)
            except OSError as exc:  # no process at all (out of memory, too many processes)
                rec.restart_due = None
                return self._died(name, 0.0, f"could not be started: {exc}")
            return None
        if proc.poll() is None:
            return None
        if name == "webserver":
            self.ui_down_since = now
        return self._died(name, now - rec.started_at, describe_exit(proc.returncode) + self._hint(name))

    def _died(self, name: str, lived_s: float, why: str) -> str | None:
        """Log the death, fail the runs it interrupted, schedule the restart; the give-up message."""
        rec, now = self.records[name], time.monotonic()
        death = judge_death(self.policy, rec.streak, lived_s)
        rec.streak = death.streak
        self.state.restarted(name, why)
        if death.give_up:
            return self._give_up_message(rec, death.streak, why)
        rec.restart_times.append(now)
        rec.restart_due = now + death.delay_s
        n = recent(rec.restart_times, now, self.policy.window_s)
        log.warning("%s died (%s) after %.0f s; restarting it in %.0f s (restart %d in the last %s)",
                    rec.label, why, death.lived_s, death.delay_s, n, window_words(self.policy.window_s))
        if name == "code_server":
            self.layout.socket.unlink(missing_ok=True)  # the new one binds the same path
            since = self.outage[0] if self.outage else time.time() - 5
            self.outage = (since, f"{rec.label} {why}")  # swept once the new one answers
        else:
            self._sweep(f"{rec.label} {why}")
        return None

    def _sweep(self, why: str) -> None:
        try:
            self.sweep(why)
        except Exception as exc:  # the instance itself may be what is failing (disk full)
            log.warning("could not check for interrupted runs after the restart: %s", exc)

    def _hint(self, name: str) -> str:
        if name == "webserver" and port_taken(self.layout.host, self.layout.port):
            return f"; port {self.layout.port} on {self.layout.host} is taken by another program"
        return ""

    def _give_up_message(self, rec: UnitRecord, streak: int, why: str) -> str:
        where = {"webserver": "the dagster-webserver/uvicorn error lines above (a port in use, a broken "
                              "dagster.yaml in DAGSTER_HOME)",
                 "daemon": "the dagster-daemon error lines above (a broken dagster.yaml in DAGSTER_HOME, "
                           "a full disk under DAGSTER_HOME)",
                 "code_server": "the code server's error lines above (the code location cannot load: "
                                "try `python -c 'import sopilot_assets.definitions'`)"}[rec.name]
        return (f"giving up: {rec.label} died {streak} times in a row, each within "
                f"{self.policy.healthy_after_s:.0f} s of its start (last: {why}). Look at {where}; "
                f"every restart is listed in {self.state.path}. Stopping everything; fix the cause and "
                "start `sopilot serve` again (under systemd it is restarted by itself)")

    def _give_up_now(self, name: str) -> str:
        proc = self.procs[name]
        why = describe_exit(proc.returncode) if proc.poll() is not None else "did not answer within 300 s"
        return self._give_up_message(self.records[name], 1, why)

    def _watch_ui(self) -> None:
        """Poll the UI only until it answers: at the start and after the webserver died."""
        if self.ui_seen and self.ui_down_since is None:
            return
        if self.procs["webserver"].poll() is not None or not responds(f"{self.layout.url}/server_info"):
            return
        if not self.ui_seen:
            self.ui_seen = True
            log.info("Dagster UI ready at %s (sensors and automation run by default)", self.layout.url)
        else:
            log.info("Dagster UI answering again at %s (%.0f s after it went down)", self.layout.url,
                     time.monotonic() - self.ui_down_since)
        self.ui_down_since = None

    def stop(self) -> bool:
        """Stop daemon and webserver, then the code server, then leftovers; True when all stopped
        by themselves within their grace."""
        late = interrupt_and_wait({LABELS[n]: p for n, p in self.procs.items() if n != "code_server"},
                                  STOP_GRACE_S)
        if "code_server" in self.procs:
            late += interrupt_and_wait({LABELS["code_server"]: self.procs["code_server"]}, STOP_GRACE_S)
        clear_groups(self.pgids, self.procs.values())
        return not late


def responds(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def port_taken(host: str, port: int) -> bool:
    """True when another socket listens on (host, port): binding it fails with "address in use"."""
    try:
        infos = socket.getaddrinfo(host or "0.0.0.0", port, type=socket.SOCK_STREAM)
    except OSError:
        return False
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            return exc.errno == 98  # EADDRINUSE
    return False
