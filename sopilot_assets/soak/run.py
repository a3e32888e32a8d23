"""``run_soak``: start a sandboxed pipeline, drop files for ``duration_sec``, drain, check
the invariants, write the report (markdown + PNGs + rows in ``<soak dir>/soak.duckdb``).

Soak dir: ``<data root>/soak/`` (``settings.data_dir``); each soak gets ``runs/<soak id>/``
with ``sandbox/`` (its own data root and DAGSTER_HOME, deleted after a passing soak unless
``keep``) and ``report/``.
"""
from __future__ import annotations

import math
import os
import shutil
import time
from pathlib import Path
from typing import Callable

from sopilot_resources.settings import Settings
from sopilot_resources.soak import invariants as inv
from sopilot_resources.soak.driver import FINAL, drive, settle
from sopilot_resources.soak.observe import observe
from sopilot_resources.soak.plan import find_corpus, plan_drops
from sopilot_resources.soak.report import markdown, now_utc, plot, write_tables

from .pipeline import IsolatedPipeline


def soak_dir(data_root: str | os.PathLike) -> Path:
    return Path(data_root) / "soak"


def corpus_for(base: Path, corpus_dir: str | os.PathLike | None) -> Path:
    """The given corpus, else the quick demo set generated once under the soak dir."""
    if corpus_dir:
        return Path(corpus_dir)
    from sopilot_assets.demo_inbox import demo_source

    return demo_source(base, quick=True)


def run_soak(duration_sec: float, rate_per_min: float, settings: Settings, *,
             corpus_dir: str | os.PathLike | None = None, drain_sec: float | None = None,
             bad_every: int = 5, seed: int = 0, keep: bool = False,
             progress: Callable[[str], None] = print) -> Path:
    """Returns the path of ``report.md``; ``report["ok"]`` is also in soak_runs.ok.
    Raises nothing for a failing invariant: the report says FAIL (see ``soak_passed``).
    ``settings``: the data root and the memory and disk bounds (SOPILOT_SOAK_*)."""
    base = soak_dir(settings.data_dir)
    started = now_utc()
    soak_id = started.strftime("%Y%m%dT%H%M%SZ")
    run_dir = base / "runs" / soak_id
    report_dir = run_dir / "report"
    report_dir.mkdir(parents=True, exist_ok=True)
    corpus = find_corpus(corpus_for(base, corpus_dir))
    n = max(1, math.floor(duration_sec * rate_per_min / 60.0))
    drops = plan_drops(corpus, n, bad_every=bad_every, seed=seed)
    interval = 60.0 / rate_per_min
    drain = drain_sec if drain_sec is not None else max(120.0, 10 * interval)
    pipe = IsolatedPipeline(run_dir / "sandbox")
    progress(f"soak {soak_id}: {n} files over {duration_sec:.0f} s into {pipe.inbox} "
             f"(sandbox DAGSTER_HOME {pipe.home})")
    try:
        pipe.start()
        disk0 = pipe.disk_bytes()
        log = drive(drops, pipe.inbox, run_dir / "staging", interval, drain,
                    observe=lambda: observe(pipe.data_dir), rss_mb=pipe.rss_mb,
                    disk_bytes=pipe.disk_bytes, progress=progress, seed=seed,
                    sample_sec=max(2.0, duration_sec / 3000.0),
                    poll_sec=min(10.0, max(2.0, duration_sec / 3600.0)), alive=pipe.alive)
        deadline = time.time() + 120  # let runs that are still finishing (roll-ups) end
        while time.time() < deadline and pipe.run_stats()[2]:
            time.sleep(2)
        n_runs, failed, busy = pipe.run_stats()
        settle(log, lambda: observe(pipe.data_dir))
        disk1 = pipe.disk_bytes()
        if not pipe.alive():
            failed.append("the sandbox daemon exited early (see daemon.log)")
    finally:
        pipe.stop()
    ended = now_utc()
    warm = [s for s in log.samples if s["accounted"] > 0] or log.samples
    checks = [
        inv.accounted_once(drops, log.last),
        inv.expected_fates(drops, log.last),
        inv.identical_inputs_identical_scores(drops, log.last),
        inv.no_failed_runs(n_runs, failed),
        inv.drained(log.drained, sum(1 for d in drops if (log.fates.get(d.file_name) or {}).get(
            "fate") not in FINAL), busy, drain),
        inv.memory_bounded([s["rss_mb"] for s in log.samples],
                           settings.soak_max_rss_mb, slack_mb=settings.soak_rss_slack_mb,
                           base_mb=[s["rss_base_mb"] for s in warm]),
        inv.disk_bounded(disk0, disk1, sum(d.size_bytes for d in drops), len(drops),
                         settings.soak_max_disk_mb_per_file),
    ]
    ok = all(c.ok for c in checks)
    rows = log.drop_rows()
    soak = {"soak_id": soak_id, "started_at": started, "ended_at": ended,
            "duration_sec": duration_sec, "rate_per_min": rate_per_min,
            "n_scored": sum(1 for r in rows if r["fate"] == "scored"),
            "n_quarantined": sum(1 for r in rows if r["fate"] == "quarantined"),
            "ok": ok, "report_path": str(report_dir / "report.md"),
            "data_dir": str(pipe.data_dir), "soak_db": str(base / "soak.duckdb")}
    plots = plot(report_dir, rows, log.samples, log.t0)
    (report_dir / "report.md").write_text(markdown(soak, rows, checks, plots), encoding="utf-8")
    write_tables(base / "soak.duckdb", soak, rows, log.samples, checks)
    for c in checks:
        progress(f"  [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}")
    if ok and not keep:
        shutil.rmtree(pipe.root, ignore_errors=True)
        shutil.rmtree(run_dir / "staging", ignore_errors=True)
    progress(f"soak {soak_id}: {'PASS' if ok else 'FAIL'}; report {report_dir / 'report.md'}")
    return report_dir / "report.md"


def soak_passed(report: Path) -> bool:
    """Whether the soak that wrote ``report`` passed (from its first lines)."""
    return "**PASS**" in Path(report).read_text(encoding="utf-8")[:2000]
