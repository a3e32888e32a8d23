"""``run_chaos_soak``: issue 12's bar as a soak. A burst of ``files`` drops (~10 % hostile, every
kind of ``chaos_plan.KINDS``) into a real `sopilot serve` on a sandbox mounted as a tmpfs of
fixed size, while the daemon is killed with ``kill -9`` (twice by default) and the sandbox's
disk is filled and freed once; then the chaos invariants and a report (markdown + JSON + rows
in ``<soak dir>/soak.duckdb``).

Soak dir: ``<data root>/soak/``; this soak: ``runs/chaos-<stamp>/`` with ``sandbox/`` (the
tmpfs: data root + DAGSTER_HOME), ``serve.log``, ``report/``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sopilot_resources.settings import Settings
from sopilot_resources.soak import chaos_invariants as ci
from sopilot_resources.soak.chaos_corpus import tiny_corpus
from sopilot_resources.soak.chaos_drops import PAUSE_SEC, ChaosDropper
from sopilot_resources.soak.chaos_faults import FaultClock, mount_tmpfs, unmount
from sopilot_resources.soak.chaos_observe import observe_chaos, record_chaos_fates
from sopilot_resources.soak.chaos_plan import plan_chaos
from sopilot_resources.soak.driver import drive, settle
from sopilot_resources.soak.plan import find_corpus

from .chaos_report import write_chaos_report
from .chaos_serve import ServedPipeline
from .run import corpus_for, soak_dir

FINAL = frozenset({"scored", "quarantined", "gold", "duplicate", "ignored"})


@dataclass(frozen=True)
class ChaosConfig:
    files: int = 500
    bad_fraction: float = 0.1
    interval_sec: float = 0.2  # between drops: 500 files in 100 s
    kills: int = 2
    disk_fault: bool = True
    tmpfs_mb: int = 3072
    hold_sec: float = 60.0  # how long the disk stays full
    #: expected drain pace, places the faults (500 files drained in 12 min on 2 cores: 1.4 s);
    #: on the low side, so the faults strike while files are still in flight
    sec_per_file: float = 1.0
    drain_sec: float | None = None  # default: 4 x the expected drain, at least 15 min
    back_limit_sec: float = 60.0
    corpus_dir: str | None = None
    report_dir: str | None = None
    seed: int = 0
    keep: bool = False


def fault_times(cfg: ChaosConfig) -> tuple[list[float], float | None]:
    """(kill times, fill time) in s after the first drop, spread over the expected drain (kills
    from 20 % to 70 % of it, the fill at 45 %, after the burst and its slow writers). The
    clock runs them one at a time, so a late one waits for the one before."""
    burst = cfg.files * cfg.interval_sec
    est = burst + cfg.files * cfg.sec_per_file
    kills = [max(20.0, (0.2 + 0.5 * i / max(1, cfg.kills - 1)) * est) for i in range(cfg.kills)]
    fill = max(burst + PAUSE_SEC + 10, 0.45 * est) if cfg.disk_fault else None
    return kills, fill


def run_chaos_soak(settings: Settings, cfg: ChaosConfig = ChaosConfig(),
                   progress: Callable[[str], None] = print) -> Path:
    """Returns the path of ``report.md`` (PASS/FAIL in its first lines, see ``soak_passed``)."""
    from sopilot_resources.soak.report import now_utc

    base = soak_dir(settings.data_dir)
    started = now_utc()
    soak_id = "chaos-" + started.strftime("%Y%m%dT%H%M%SZ")
    run_dir = base / "runs" / soak_id
    (run_dir / "report").mkdir(parents=True, exist_ok=True)
    source = corpus_for(base, cfg.corpus_dir).resolve()
    corpus = find_corpus(tiny_corpus(source, base / "chaos_src" / hashlib.sha1(
        str(source).encode()).hexdigest()[:10]))
    drops = plan_chaos(corpus, cfg.files, cfg.bad_fraction, cfg.seed)
    kill_at, fill_at = fault_times(cfg)
    last_fault = max(kill_at + ([fill_at + cfg.hold_sec] if fill_at is not None else []), default=0)
    drain = cfg.drain_sec or max(900.0, 4 * cfg.files * cfg.sec_per_file)
    drain = max(drain, last_fault + 240 - cfg.files * cfg.interval_sec)
    pipe = ServedPipeline(run_dir / "sandbox", run_dir / "serve.log")
    progress(f"chaos soak {soak_id}: {len(drops)} files, kill -9 of the daemon at "
             f"{', '.join(f'{t:.0f}' for t in kill_at) or '-'} s, disk full at "
             f"{'-' if fill_at is None else f'{fill_at:.0f}'} s for {cfg.hold_sec:.0f} s; "
             f"sandbox {pipe.root}, serve log {pipe.log_path}")
    mounted = False
    dropper = ChaosDropper()
    clock = None
    result: dict = {"statuses": {}, "not_ready": False}
    try:
        if cfg.disk_fault:
            mount_tmpfs(pipe.root, cfg.tmpfs_mb)
            mounted = True
        try:
            pipe.start()
            if not pipe.wait_ready():
                result["not_ready"] = True
                progress(f"chaos soak: serve did not come up (see {pipe.log_path})")
            else:
                clock = FaultClock(t0=time.time(), kill_at=kill_at, kill=pipe.kill_daemon,
                                   is_back=pipe.is_back, fill_at=fill_at, fill_dir=pipe.root,
                                   hold_sec=cfg.hold_sec, log=progress)
                _drain(pipe, drops, cfg, drain, dropper, clock, result, progress)
        finally:
            pipe.stop()
            dropper.join(5)
        write_chaos_report(
            base=base, run_dir=run_dir, soak_id=soak_id, started=started, cfg=cfg, drops=drops,
            pipe=pipe, clock=clock, dropper=dropper, result=result, drain_sec=drain,
            progress=progress)
    finally:
        if mounted:
            if not report_ok(run_dir) or cfg.keep:  # the tmpfs goes with the unmount: keep a copy
                try:
                    shutil.copytree(pipe.root, run_dir / "sandbox_kept", symlinks=True,
                                    ignore_dangling_symlinks=True, dirs_exist_ok=True,
                                    ignore=shutil.ignore_patterns("chaos-filler.bin"), copy_function=_copy)
                except shutil.Error:
                    pass  # what could not be copied (FIFOs) is named in the report already
                progress(f"sandbox kept for the post-mortem: {run_dir / 'sandbox_kept'}")
            unmount(pipe.root)
        elif report_ok(run_dir) and not cfg.keep:
            shutil.rmtree(pipe.root, ignore_errors=True)
    if cfg.report_dir:
        shutil.copytree(run_dir / "report", Path(cfg.report_dir) / soak_id, dirs_exist_ok=True)
        progress(f"report copied to {Path(cfg.report_dir) / soak_id}")
    return run_dir / "report" / "report.md"


def _drain(pipe: ServedPipeline, drops, cfg: ChaosConfig, drain: float, dropper: ChaosDropper,
           clock: FaultClock, result: dict, progress) -> None:
    """Drops on the clock, faults on the clock, until every drop is final (or the drain time
    is up); then waits up to 3 min for runs still going, and takes the last look."""
    log = drive(drops, pipe.inbox, pipe.root / "staging", cfg.interval_sec, drain,
                observe=lambda: observe_chaos(pipe.data_dir), rss_mb=pipe.rss_mb,
                disk_bytes=pipe.disk_bytes, progress=progress, seed=cfg.seed,
                poll_sec=2.0, sample_sec=5.0, alive=pipe.alive,
                drop_fn=dropper.drop, record_fn=record_chaos_fates, final=FINAL,
                on_poll=clock.poll, hold=lambda: not clock.done() or dropper.busy() > 0)
    result["log"] = log
    deadline = time.time() + 180
    while time.time() < deadline and pipe.alive() and sum(
            n for s, n in pipe.run_statuses().items() if s in ci.UNFINISHED):
        time.sleep(3)
    result["statuses"] = dict(pipe.run_statuses())
    settle(log, lambda: observe_chaos(pipe.data_dir), record_fn=record_chaos_fates)
    result["serve_alive"] = pipe.alive()


def report_ok(run_dir: Path) -> bool:
    p = run_dir / "report" / "report.md"
    return p.is_file() and "**PASS**" in p.read_text(encoding="utf-8")[:2000]


def _copy(src, dst, *, follow_symlinks=True):
    """Copies what can be copied (FIFOs and such are skipped)."""
    try:
        if os.path.isfile(src) or os.path.islink(src):
            return shutil.copy2(src, dst, follow_symlinks=False)
    except OSError:
        pass
    return dst
