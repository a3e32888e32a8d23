"""`sopilot serve --demo`: the demo videos arrive in the inbox while the UI is already up.

A demo set rendered by an earlier `serve --demo` (`<data root>/demo_src/<full|quick>/`) is copied
in at once. Otherwise a child process (`python -m sopilot_assets.demo_feed STAGING`) renders it
into `<data root>/demo_src/<full|quick>.tmp/` and prints one JSON line per finished video; a
thread of `sopilot serve` copies each into `<data root>/inbox/<task>/<gold|trainee>/` under a
hidden name and renames it (`demo_inbox.place`), so the sensor's stability wait and content-hash
dedupe work as for any drop. A task's steps sidecar and gold go in before its trainees: a trainee
finished earlier waits for them. The finished staging folder becomes the cache. The child runs in
its own session, dies with `sopilot serve` (parent-death signal) and is terminated by `stop()`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .demo_inbox import copy_into_inbox, demo_dir, place

log = logging.getLogger("sopilot.serve")


class _Arrivals:
    """Places finished videos into the inbox in a safe order: sidecar, gold, then trainees."""

    def __init__(self, staging: Path, inbox: Path):
        self.staging, self.inbox = staging, inbox
        self.tasks_with_gold: set[str] = set()
        self.waiting: dict[str, list[str]] = {}
        self.placed: list[str] = []  # relative paths, in the order they went in (sidecars too)

    def _put(self, rel: str) -> None:
        place(self.staging / rel, self.inbox / rel)
        self.placed.append(rel)

    def finished(self, rel: str) -> list[str]:
        """`rel` (task/role/file) is complete in staging; returns the videos placed now."""
        task, role = Path(rel).parts[:2]
        if role != "gold" and task not in self.tasks_with_gold:
            self.waiting.setdefault(task, []).append(rel)
            return []
        if role == "gold":
            sidecar = Path(rel).with_suffix(".steps.json").as_posix()
            if (self.staging / sidecar).is_file():
                self._put(sidecar)
            self.tasks_with_gold.add(task)
        videos = [rel, *self.waiting.pop(task, [])] if role == "gold" else [rel]
        for v in videos:
            self._put(v)
        return videos

    def flush(self) -> list[str]:
        """Trainees still waiting (their task has no gold in this set): place them anyway."""
        videos = [v for vs in self.waiting.values() for v in vs]
        self.waiting.clear()
        for v in videos:
            self._put(v)
        return videos


class DemoFeed:
    """Background feed of the demo set into `<data root>/inbox/` (see the module docstring)."""

    def __init__(self, data_root: Path, quick: bool = False, seed: int = 0):
        self.inbox = Path(data_root) / "inbox"
        self.cache = demo_dir(data_root, quick)
        self.staging = self.cache.with_name(self.cache.name + ".tmp")
        self.render_log = self.cache.with_name(self.cache.name + ".render.log")  # the child's stderr
        self.quick, self.seed = quick, seed
        self.arrivals = _Arrivals(self.staging, self.inbox)
        self.proc: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sopilot-demo-feed", daemon=True)

    def start(self) -> "DemoFeed":
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the feed to finish; True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the render (its whole process group) and wait for the feed thread."""
        with self._lock:
            self._stopping.set()
            proc = self.proc
        if proc is not None and proc.poll() is None:
            log.info("demo: stopping the demo render")
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout=grace)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._thread.is_alive():
            self._thread.join(grace)

    def _run(self) -> None:
        try:
            if (self.cache / "manifest.json").is_file():
                n = sum(not p.name.endswith(".steps.json") for p in copy_into_inbox(self.cache, self.inbox))
                log.info("demo: copied %d demo videos (rendered earlier, %s) into %s", n, self.cache, self.inbox)
            else:
                self._render()
        except Exception as exc:  # noqa: BLE001 - the server keeps running; say why the demo stopped
            log.error("demo: stopped: %s: %s", type(exc).__name__, exc)

    def _render(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        cmd = [sys.executable, "-m", __name__, str(self.staging), "--seed", str(self.seed),
               "--parent-pid", str(os.getpid()), *(["--quick"] if self.quick else [])]
        self.render_log.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.render_log, "wb") as errors:
            if self._stopping.is_set():
                return
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True,
                                         start_new_session=True)
        log.info("demo: rendering the demo videos into %s; each goes into %s as soon as it is done",
                 self.staging, self.inbox)
        t0, moved, total = time.monotonic(), 0, 0
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:  # not ours (a library printing on stdout)
                continue
            total = msg["total"]
            for rel in self.arrivals.finished(msg["path"]):
                moved += 1
                log.info("demo: [%d/%d] %s -> inbox", moved, total, rel)
        code = self.proc.wait()
        if self._stopping.is_set():
            return
        if code != 0:
            tail = self.render_log.read_text(errors="replace").strip().splitlines()[-1:] or ["no message"]
            log.error("demo: rendering failed (exit code %s: %s; all of it in %s); %d of %s videos are in the inbox",
                      code, tail[0], self.render_log, moved, total or "?")
            return
        for rel in self.arrivals.flush():
            moved += 1
            log.info("demo: [%d/%d] %s -> inbox", moved, total, rel)
        shutil.rmtree(self.cache, ignore_errors=True)
        os.replace(self.staging, self.cache)
        log.info("demo: all %d demo videos are in the inbox (rendered in %.0f s); kept in %s for the next --demo",
                 moved, time.monotonic() - t0, self.cache)


def _die_with_parent(parent_pid: int) -> None:
    """SIGTERM this process when `sopilot serve` dies (Linux); exit now if it is already gone."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    if os.getppid() != parent_pid:
        sys.exit(1)


def main(argv: list[str] | None = None) -> int:
    """The render child: one JSON line per finished video on stdout."""
    ap = argparse.ArgumentParser(prog="python -m sopilot_assets.demo_feed")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--parent-pid", type=int, default=None)
    a = ap.parse_args(argv)
    if a.parent_pid is not None:
        _die_with_parent(a.parent_pid)
    from sopilot_resources.demo.generate import generate_demo

    def report(done: int, total: int, path: str) -> None:
        print(json.dumps({"done": done, "total": total, "path": path}), flush=True)

    generate_demo(a.out, seed=a.seed, quick=a.quick, progress=report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
