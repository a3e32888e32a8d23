"""A task's golden set: its reviewed trainee videos, and how well the engine's latest results
agree with the reviews (issue 15 item 2; docs/reviews.md).

Per task, over the current review of each reviewed video that has an engine result:

- ``verdict_agreement``: share whose engine verdict equals the reviewed one;
- ``pass_agreement``: share where both say ``pass`` or both say not ``pass`` (what a supervisor
  acts on); ``unsafe``: reviewed not ``pass`` but the engine says ``pass`` (a defective video let
  through: the direction that must never get worse); ``strict``: reviewed ``pass``, engine not;
- ``auc``: how well the engine's score ranks reviewed-``pass`` videos above the others (Mann-
  Whitney, ties half), where both kinds exist;
- deviations: a reviewed deviation is ``found`` when the engine reports the same type at the same
  gold step (any step when the review names none), else ``missed``; an engine deviation that no
  reviewed one matches, on a video whose review lists deviations, is ``extra``.

``version``: a content hash of the reviews counted and the engine results they were compared
with, so the golden set's version changes exactly when either does.
"""
from __future__ import annotations

import hashlib
import json

from ..scoring.verdict import Verdict
from .reviews import CURRENT_SQL as REVIEWS_SQL

#: each trainee's latest engine result: against its newest gold, the latest scoring
LATEST_SQL = """
SELECT task, trainee_sha256, pair_key, verdict, score, scored_at, gold_version, profile_fingerprint, n_critical,
       n_cycles FROM scores
QUALIFY row_number() OVER (PARTITION BY task, trainee_sha256 ORDER BY gold_version DESC, scored_at DESC) = 1
"""
DEVIATIONS_SQL = "SELECT pair_key, type, gold_step FROM deviations"


def auc(pos: list[float], neg: list[float]) -> float | None:
    """P(score of a positive > score of a negative), ties counted half; None without both."""
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return round(wins / (len(pos) * len(neg)), 4)


def _match(reviewed: list[dict], engine: list[tuple[str, int | None]]) -> tuple[int, int, int]:
    """(found, missed, extra) of one video's reviewed deviations against the engine's."""
    left = list(engine)
    found = 0
    for d in reviewed:
        hit = next((e for e in left if e[0] == d["type"] and (d["gold_step"] is None or e[1] == d["gold_step"])), None)
        if hit is not None:
            left.remove(hit)
            found += 1
    return found, len(reviewed) - found, len(left) if reviewed else 0


def golden_sets(reviews: list[dict], latest: list[dict], deviations: list[dict]) -> list[dict]:
    """Rows of table ``golden_set``, one per task with a review (see the module docstring).
    reviews: current reviews; latest: each trainee's latest engine result; deviations: every
    engine deviation (pair_key, type, gold_step)."""
    results = {(r["task"], r["trainee_sha256"]): r for r in latest}
    devs: dict[str, list[tuple[str, int | None]]] = {}
    for d in deviations:
        devs.setdefault(d["pair_key"], []).append((d["type"], d["gold_step"]))
    out = []
    for task in sorted({r["task"] for r in reviews}):
        rows = [(r, results.get((task, r["trainee_sha256"]))) for r in reviews if r["task"] == task]
        both = [(r, s) for r, s in rows if s is not None]
        n = len(both)
        good = Verdict.PASS.value
        unsafe = [r["trainee_file"] for r, s in both if r["verdict"] != good and s["verdict"] == good]
        strict = [r["trainee_file"] for r, s in both if r["verdict"] == good and s["verdict"] != good]
        found = missed = extra = 0
        for r, s in both:
            f, m, x = _match(json.loads(r["deviations"] or "[]"), devs.get(s["pair_key"], []))
            found, missed, extra = found + f, missed + m, extra + x
        blob = json.dumps(sorted((r["review_id"], s["pair_key"], str(s["scored_at"])) for r, s in both))
        out.append({
            "task": task, "n_reviewed": len(rows), "n_compared": n,
            "n_reviewed_pass": sum(r["verdict"] == good for r, _ in both),
            "verdict_agreement": round(sum(r["verdict"] == s["verdict"] for r, s in both) / n, 4) if n else None,
            "pass_agreement": round(1 - (len(unsafe) + len(strict)) / n, 4) if n else None,
            "n_unsafe": len(unsafe), "unsafe": ", ".join(sorted(unsafe)),
            "n_strict": len(strict), "strict": ", ".join(sorted(strict)),
            "auc": auc([float(s["score"]) for r, s in both if r["verdict"] == good],
                       [float(s["score"]) for r, s in both if r["verdict"] != good]),
            "deviations_found": found, "deviations_missed": missed, "deviations_extra": extra,
            "version": hashlib.sha256(blob.encode()).hexdigest()[:12],
        })
    return out


def compute_golden_sets(rs) -> list[dict]:
    """``golden_sets`` over the results store ``rs`` (a ResultsStore)."""
    return golden_sets(rs.query(REVIEWS_SQL), rs.query(LATEST_SQL), rs.query(DEVIATIONS_SQL))
