"""Soak report: DuckDB rows (soak_runs, soak_drops, soak_samples, soak_checks), a markdown
summary and three PNG plots (throughput, drop -> score latency, memory over time)."""
from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

import duckdb

from .invariants import Check

_SCHEMA = """
CREATE TABLE IF NOT EXISTS soak_runs (soak_id VARCHAR PRIMARY KEY, started_at TIMESTAMPTZ,
  ended_at TIMESTAMPTZ, duration_sec DOUBLE, rate_per_min DOUBLE, n_drops INTEGER,
  n_scored INTEGER, n_quarantined INTEGER, ok BOOLEAN, report_path VARCHAR);
CREATE TABLE IF NOT EXISTS soak_drops (soak_id VARCHAR, seq INTEGER, task VARCHAR,
  role VARCHAR, kind VARCHAR, variant VARCHAR, file_name VARCHAR, sha256 VARCHAR,
  content_id VARCHAR, size_bytes BIGINT,
  dropped_at DOUBLE, expected VARCHAR, fate VARCHAR, accounted_at DOUBLE,
  latency_sec DOUBLE, score DOUBLE, reason VARCHAR);
CREATE TABLE IF NOT EXISTS soak_samples (soak_id VARCHAR, t_sec DOUBLE, rss_mb DOUBLE,
  rss_base_mb DOUBLE, disk_mb DOUBLE, dropped INTEGER, accounted INTEGER, scored INTEGER);
CREATE TABLE IF NOT EXISTS soak_checks (soak_id VARCHAR, name VARCHAR, ok BOOLEAN,
  detail VARCHAR);
"""


def write_tables(db_path: Path, soak: dict, drops: list[dict], samples: list[dict],
                 checks: list[Check]) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_path)) as con:
        con.execute(_SCHEMA)
        sid = soak["soak_id"]
        for table in ("soak_runs", "soak_drops", "soak_samples", "soak_checks"):
            con.execute(f"DELETE FROM {table} WHERE soak_id = ?", [sid])
        con.execute("INSERT INTO soak_runs VALUES (?,?,?,?,?,?,?,?,?,?)", [
            sid, soak["started_at"], soak["ended_at"], soak["duration_sec"],
            soak["rate_per_min"], len(drops), soak["n_scored"], soak["n_quarantined"],
            soak["ok"], soak["report_path"]])
        cols = ["seq", "task", "role", "kind", "variant", "file_name", "sha256", "content_id",
                "size_bytes",
                "dropped_at", "expected", "fate", "accounted_at", "latency_sec", "score", "reason"]
        con.executemany(f"INSERT INTO soak_drops VALUES (?{',?' * len(cols)})",
                        [[sid] + [d.get(c) for c in cols] for d in drops])
        scols = ["t_sec", "rss_mb", "rss_base_mb", "disk_mb", "dropped", "accounted", "scored"]
        con.executemany(f"INSERT INTO soak_samples VALUES (?{',?' * len(scols)})",
                        [[sid] + [s.get(c) for c in scols] for s in samples])
        con.executemany("INSERT INTO soak_checks VALUES (?,?,?,?)",
                        [[sid, c.name, c.ok, c.detail] for c in checks])


def plot(out_dir: Path, drops: list[dict], samples: list[dict], t0: float) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = {}
    ts = [s["t_sec"] / 60 for s in samples]

    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(ts, [s["dropped"] for s in samples], label="dropped")
    ax.plot(ts, [s["accounted"] for s in samples], label="accounted (any fate)")
    ax.plot(ts, [s["scored"] for s in samples], label="scored")
    ax.set(xlabel="minutes", ylabel="files", title="Throughput")
    ax.legend(fontsize=8)
    paths["throughput"] = _save(fig, out_dir / "throughput.png")

    fig, ax = plt.subplots(figsize=(7, 3.2))
    lat = [((d["dropped_at"] - t0) / 60, d["latency_sec"]) for d in drops
           if d.get("fate") == "scored" and d.get("latency_sec") is not None]
    if lat:
        ax.scatter(*zip(*lat), s=12)
    ax.set(xlabel="dropped at (minutes)", ylabel="seconds", title="Latency drop -> score")
    paths["latency"] = _save(fig, out_dir / "latency.png")

    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(ts, [s["rss_mb"] for s in samples], color="tab:blue", label="daemon + code server + runs")
    ax.plot(ts, [s.get("rss_base_mb") for s in samples], color="tab:blue", ls="--",
            label="daemon + code server")
    ax.set(xlabel="minutes", title="Memory and disk")
    ax.set_ylabel("RSS (MB)", color="tab:blue")
    ax.legend(fontsize=8, loc="upper left")
    ax2 = ax.twinx()
    ax2.plot(ts, [s["disk_mb"] for s in samples], color="tab:orange")
    ax2.set_ylabel("sandbox disk (MB)", color="tab:orange")
    paths["memory"] = _save(fig, out_dir / "memory.png")
    return paths


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def markdown(soak: dict, drops: list[dict], checks: list[Check], plots: dict[str, Path]) -> str:
    lat = sorted(d["latency_sec"] for d in drops
                 if d.get("fate") == "scored" and d.get("latency_sec") is not None)
    fates = {}
    for d in drops:
        fates[d.get("fate") or "unaccounted"] = fates.get(d.get("fate") or "unaccounted", 0) + 1
    p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: float("nan"))
    lines = [
        f"# Soak report {soak['soak_id']}",
        "",
        f"**{'PASS' if soak['ok'] else 'FAIL'}** - {len(drops)} files dropped over "
        f"{soak['duration_sec'] / 60:.1f} min at {soak['rate_per_min']:g}/min "
        f"(started {soak['started_at']:%Y-%m-%d %H:%M:%S %Z}, ended {soak['ended_at']:%H:%M:%S}).",
        "",
        "| invariant | ok | detail |", "|---|---|---|",
        *[f"| {c.name} | {'yes' if c.ok else '**NO**'} | {c.detail} |" for c in checks],
        "",
        "Fates: " + ", ".join(f"{k} {v}" for k, v in sorted(fates.items())),
        "",
        f"Latency drop -> score (s): median {statistics.median(lat) if lat else float('nan'):.1f}, "
        f"p90 {p(0.9):.1f}, max {max(lat) if lat else float('nan'):.1f} over {len(lat)} scores.",
        "",
        *[f"![{k}]({v.name})" for k, v in plots.items()],
        "",
        f"Data root: `{soak['data_dir']}`  ",
        f"Rows: `{soak['soak_db']}` tables soak_runs, soak_drops, soak_samples, soak_checks "
        f"(soak_id = '{soak['soak_id']}').",
        "",
    ]
    return "\n".join(lines)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
