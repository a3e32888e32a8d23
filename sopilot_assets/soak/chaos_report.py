"""The chaos soak's verdict and report: the chaos invariants over the last observation, then
``report.md`` (the soak report plus the fault timeline and the fates per kind), ``report.json``,
plots, and rows in ``<soak dir>/soak.duckdb`` (same tables as every soak)."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sopilot_resources.soak import chaos_invariants as ci
from sopilot_resources.soak import invariants as inv
from sopilot_resources.soak.chaos_observe import ChaosObservation, fates_of, observe_chaos
from sopilot_resources.soak.chaos_plan import KIND_BY_NAME
from sopilot_resources.soak.report import markdown, now_utc, plot, write_tables


def chaos_checks(drops, obs: ChaosObservation, data_dir: Path, statuses: dict, kills: list,
                 planned_kills: int, disk: dict | None, disk_planned: bool, back_limit: float,
                 drained: bool, serve_alive: bool) -> list[inv.Check]:
    checks = [
        ci.scored_exactly_once(drops, obs),
        ci.fates_as_planned(drops, obs),
        ci.ignored_reported_once(drops, obs),
        ci.nothing_lost(drops, obs),
        ci.no_runs_left(statuses),
        ci.no_half_written(data_dir),
        ci.service_recovered(kills, planned_kills, back_limit),
        ci.disk_fault_done(disk, disk_planned),
        inv.identical_inputs_identical_scores(drops, obs),
        inv.Check("drained with the service up", drained and serve_alive,
                  "every file final, serve still running" if drained and serve_alive else
                  f"drained: {drained}, serve running at the end: {serve_alive}"),
    ]
    return checks


def per_kind(drops, obs: ChaosObservation) -> list[dict]:
    rows: dict[str, dict] = {}
    for d in drops:
        k = d.kind if d.kind != "good" else f"good {d.role}"
        r = rows.setdefault(k, {"kind": k, "expected": d.expected, "n": 0, "fates": Counter()})
        r["n"] += 1
        got = fates_of(d, obs)
        r["fates"]["+".join(got) or "none"] += 1
    return [{**r, "fates": dict(r["fates"]),
             "what": KIND_BY_NAME[r["kind"]].what if r["kind"] in KIND_BY_NAME else "a good video"}
            for r in rows.values()]


def write_chaos_report(*, base: Path, run_dir: Path, soak_id: str, started, cfg, drops, pipe, clock,
                       dropper, result: dict, drain_sec: float, progress) -> Path:
    log = result.get("log")
    obs = log.last if log is not None and isinstance(log.last, ChaosObservation) else observe_chaos(pipe.data_dir)
    kills = clock.kills if clock else []
    checks = chaos_checks(drops, obs, pipe.data_dir, result.get("statuses") or {}, kills, cfg.kills,
                          clock.disk if clock else None, cfg.disk_fault, cfg.back_limit_sec,
                          bool(log and log.drained), bool(result.get("serve_alive")))
    if clock is not None and log is not None:
        done = [f["at"] for f in log.fates.values() if f.get("fate") in ("scored", "quarantined", "gold",
                                                                      "duplicate", "ignored")]
        last = max(done) if len(done) == len(drops) else None
        checks.append(ci.faults_while_draining(clock.kills, clock.disk or None, last, clock.t0))
    if result.get("not_ready"):
        checks.insert(0, inv.Check("service started", False, f"serve never answered; see {pipe.log_path}"))
    if dropper.errors:
        checks.append(inv.Check("drops written", False, "; ".join(dropper.errors[:5])))
    ok = all(c.ok for c in checks)
    ended = now_utc()
    rows = log.drop_rows() if log is not None else [d.to_dict() for d in drops]
    report_dir = run_dir / "report"
    soak = {"soak_id": soak_id, "started_at": started, "ended_at": ended,
            "duration_sec": (ended - started).total_seconds(), "rate_per_min": 60.0 / cfg.interval_sec,
            "n_scored": sum(1 for r in rows if r.get("fate") == "scored"),
            "n_quarantined": sum(1 for r in rows if r.get("fate") == "quarantined"),
            "ok": ok, "report_path": str(report_dir / "report.md"), "data_dir": str(pipe.data_dir),
            "soak_db": str(base / "soak.duckdb")}
    plots = plot(report_dir, rows, log.samples, log.t0) if log is not None and log.samples else {}
    timeline = clock.timeline() if clock else []
    kinds = per_kind(drops, obs)
    md = markdown(soak, rows, checks, plots) + _chaos_md(cfg, timeline, kinds, result, pipe)
    (report_dir / "report.md").write_text(md, encoding="utf-8")
    doc = {**{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in soak.items()},
           "config": cfg.__dict__, "drain_sec": drain_sec, "checks": [c.to_dict() for c in checks], "timeline": timeline,
           "kills": kills, "disk": clock.disk if clock else None, "per_kind": kinds,
           "run_statuses": result.get("statuses"), "drops": rows}
    (report_dir / "report.json").write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
    write_tables(base / "soak.duckdb", soak, rows, log.samples if log else [], checks)
    for c in checks:
        progress(f"  [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}")
    progress(f"chaos soak {soak_id}: {'PASS' if ok else 'FAIL'}; report {report_dir / 'report.md'}")
    return report_dir / "report.md"


def _chaos_md(cfg, timeline: list[dict], kinds: list[dict], result: dict, pipe) -> str:
    lines = ["## Chaos", "",
             f"{cfg.files} files ({cfg.bad_fraction:.0%} hostile, at least one of each kind), one every "
             f"{cfg.interval_sec:g} s; {cfg.kills} x `kill -9` of the daemon; disk "
             + (f"(tmpfs of {cfg.tmpfs_mb} MB) filled for {cfg.hold_sec:.0f} s" if cfg.disk_fault else "fault off")
             + f". Runs at the end: {result.get('statuses') or {}}.", "",
             "| s after first drop | fault | detail |", "|---|---|---|",
             *[f"| {t['at_sec']:.0f} | {t['event']} | {t['detail']} |" for t in timeline], "",
             "| kind | what | n | expected | fates seen |", "|---|---|---|---|---|",
             *[f"| {k['kind']} | {k['what'].replace('|', chr(92) + '|')} | {k['n']} | {k['expected']} | "
               + ", ".join(f"{f} {n}" for f, n in sorted(k['fates'].items())) + " |" for k in kinds],
             "", f"Serve log: `{pipe.log_path}`", ""]
    return "\n".join(lines)
