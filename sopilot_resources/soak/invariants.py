"""What a soak must prove, as plain functions over what the driver recorded.

Each check returns ``Check(name, ok, detail)``; the report lists them all.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .plan import Drop


@dataclass
class Observation:
    """The pipeline's state as seen from outside (DuckDB + data root), keyed by the file
    name as dropped. scores: rows with task, trainee_file, gold_file, score, verdict."""

    scores: list[dict] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)  # file name -> reason
    waiting: set[str] = field(default_factory=set)  # trainee names waiting for a gold
    golds: set[str] = field(default_factory=set)  # gold names registered
    duplicates: set[str] = field(default_factory=set)  # names whose bytes were already stored

    def outcomes(self) -> dict[str, list[str]]:
        """file name -> every fate the pipeline gave it (exactly one expected)."""
        out: dict[str, list[str]] = defaultdict(list)
        for row in self.scores:
            out[row["trainee_file"]].append("scored")
        for name in self.quarantined:
            out[name].append("quarantined")
        for name in self.waiting:
            out[name].append("waiting")
        for name in self.golds:
            out[name].append("gold")
        for name in self.duplicates:
            out[name].append("duplicate")
        return out


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def _short(items, k=5) -> str:
    items = list(items)
    return ", ".join(map(str, items[:k])) + (f" (+{len(items) - k} more)" if len(items) > k else "")


def accounted_once(drops: list[Drop], obs: Observation) -> Check:
    out = obs.outcomes()
    names = {d.file_name for d in drops}
    missing = [n for n in sorted(names) if not out.get(n)]
    multiple = {n: f for n, f in out.items() if n in names and len(f) > 1}
    strangers = sorted(set(out) - names)
    no_reason = [n for n, r in obs.quarantined.items() if n in names and not str(r).strip()]
    ok = not (missing or multiple or strangers or no_reason)
    detail = (f"{len(names)} dropped, {len(names) - len(missing)} accounted"
              + (f"; unaccounted: {_short(missing)}" if missing else "")
              + (f"; more than one fate: {_short(f'{k}={v}' for k, v in multiple.items())}"
                 if multiple else "")
              + (f"; rows for files never dropped: {_short(strangers)}" if strangers else "")
              + (f"; quarantined without reason: {_short(no_reason)}" if no_reason else ""))
    return Check("every file accounted for exactly once", ok, detail)


def expected_fates(drops: list[Drop], obs: Observation) -> Check:
    """Good trainees with a gold in place are scored (not left waiting), bad files are
    quarantined, golds registered."""
    out = obs.outcomes()
    wrong = [f"{d.file_name}: expected {d.expected}, got {out.get(d.file_name) or 'nothing'}"
             for d in drops if out.get(d.file_name) != [d.expected]]
    return Check("each file got its expected fate", not wrong,
                 f"{len(drops) - len(wrong)}/{len(drops)} as expected"
                 + (f"; {_short(wrong, 4)}" if wrong else ""))


def identical_inputs_identical_scores(drops: list[Drop], obs: Observation) -> Check:
    """Rows whose trainee and gold have the same content (the same corpus file, possibly
    repacked into new bytes) must have the same score."""
    sha = {d.file_name: d.content_id or d.sha256 for d in drops}
    groups: dict[tuple, set] = defaultdict(set)
    rows_per_input: Counter = Counter()
    for row in obs.scores:
        key = (sha.get(row["trainee_file"], row["trainee_file"]),
               sha.get(row.get("gold_file") or "", row.get("gold_file")))
        groups[key].add(round(float(row["score"]), 6))
        rows_per_input[key] += 1
    repeated = sum(1 for n in rows_per_input.values() if n > 1)
    bad = {k: v for k, v in groups.items() if len(v) > 1}
    detail = (f"{len(groups)} distinct (trainee, gold) inputs, {repeated} scored more than once"
              + (f"; differing scores: {_short(sorted(v) for v in bad.values())}" if bad else ""))
    return Check("identical inputs give identical scores", not bad, detail)


def no_failed_runs(n_runs: int, failed: list[str]) -> Check:
    return Check("no failed runs", not failed,
                 f"{n_runs} runs, {len(failed)} failed" + (f": {_short(failed)}" if failed else ""))


def memory_bounded(rss_mb: list[float], max_mb: float, growth_ratio: float = 1.5,
                   slack_mb: float = 256.0, base_mb: list[float] | None = None) -> Check:
    """Peak RSS (all processes) under ``max_mb``; the median of the last third of the
    long-lived processes' samples (``base_mb``; default ``rss_mb``) at most ``growth_ratio`` x
    the first third's + ``slack_mb`` (a leak grows without bound)."""
    base = base_mb if base_mb is not None else rss_mb
    if len(base) < 3 or not rss_mb:
        return Check("memory bounded", False, f"only {len(base)} memory samples")
    k = len(base) // 3
    early, late, peak = statistics.median(base[:k]), statistics.median(base[-k:]), max(rss_mb)
    ok = peak <= max_mb and late <= early * growth_ratio + slack_mb
    return Check("memory bounded", ok,
                 f"long-lived RSS median {early:.0f} MB early -> {late:.0f} MB late, peak of all "
                 f"{peak:.0f} MB (limit {max_mb:.0f} MB, growth <= {growth_ratio}x + "
                 f"{slack_mb:.0f} MB)")


def disk_bounded(start_bytes: int, end_bytes: int, dropped_bytes: int, n_drops: int,
                 max_mb_per_file: float) -> Check:
    """Disk growth beyond the dropped bytes themselves (which are kept), per dropped file."""
    overhead = max(0, end_bytes - start_bytes - dropped_bytes)
    per_file = overhead / max(1, n_drops) / 2**20
    return Check("disk growth bounded", per_file <= max_mb_per_file,
                 f"grew {(end_bytes - start_bytes) / 2**20:.1f} MB for "
                 f"{dropped_bytes / 2**20:.1f} MB dropped: {per_file:.2f} MB per file over the "
                 f"inputs (limit {max_mb_per_file:.0f})")


def drained(all_final: bool, n_not_final: int, unfinished_runs: int, drain_sec: float) -> Check:
    ok = all_final and unfinished_runs == 0
    return Check("pipeline caught up", ok,
                 f"every file reached its final state and every run ended within {drain_sec:.0f} s "
                 "of the last drop" if ok else
                 f"{n_not_final} files not final, {unfinished_runs} runs unfinished "
                 f"{drain_sec:.0f} s after the last drop")
