"""Supervisor reviews: what a trainee video really was (issue 15 item 1).

A review names a trainee video as the supervisor knows it (file name, with or without its
extension, and its task when the name is used in several), its true verdict and, optionally,
the deviations it really has (``TYPE:STEP``, the step by its number from 1 or its name in the
gold's steps of the trainee's latest score) and a note. It is validated in full before anything
is written: an unknown trainee, task, verdict, deviation type or step is a :class:`ReviewError`
and nothing is stored. Reviews go to the results table ``reviews``, one Parquet file each,
never rewritten: a later review of the same video supersedes the earlier one (``supersedes``
names it), and both are kept (docs/reviews.md).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from ..errors import SopilotError
from ..scoring.deviation import DEVIATION_TYPES
from ..scoring.verdict import Verdict
from .registry import Registry, VideoRecord
from .video_store import VideoStore

TABLE = "reviews"
#: the current review of each reviewed video: its latest
CURRENT_SQL = """
SELECT * FROM reviews
QUALIFY row_number() OVER (PARTITION BY task, trainee_sha256 ORDER BY reviewed_at DESC) = 1
"""


class ReviewError(SopilotError):
    reason = "bad_review"


@dataclass(frozen=True)
class ReviewedDeviation:
    """type: one of DEVIATION_TYPES; gold_step: 0-based index in the gold's steps (None: not
    tied to a step, e.g. an extra action between steps); gold_step_name."""

    type: str
    gold_step: int | None = None
    gold_step_name: str | None = None


@dataclass(frozen=True)
class Review:
    task: str
    trainee_file: str
    trainee_key: str
    trainee_sha256: str
    verdict: str
    deviations: tuple[ReviewedDeviation, ...] = ()
    note: str = ""
    reviewer: str = ""
    source: str = "cli"
    gold_file: str | None = None
    gold_version: int | None = None
    reviewed_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    review_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    supersedes: str | None = None

    def row(self) -> dict:
        d = asdict(self)
        d["deviations"] = json.dumps([asdict(x) for x in self.deviations])
        return d


def parse_verdict(text: str) -> str:
    v = str(text).strip().lower().replace("-", "_").replace(" ", "_")
    if v not in {x.value for x in Verdict}:
        raise ReviewError(f"unknown verdict {text!r}; one of {', '.join(x.value for x in Verdict)}")
    return v


def parse_deviation(text: str, steps: list[str] | None) -> ReviewedDeviation:
    """``TYPE`` or ``TYPE:STEP`` (STEP: number from 1, or a step name of ``steps``, the gold's
    step names in order; None when the trainee has no score yet, so no step is known)."""
    kind, _, step = str(text).partition(":")
    kind, step = kind.strip().lower(), step.strip()
    if kind not in DEVIATION_TYPES:
        raise ReviewError(f"unknown deviation type {kind!r} in {text!r}; one of {', '.join(DEVIATION_TYPES)}")
    if not step:
        return ReviewedDeviation(kind)
    if steps is None:
        raise ReviewError(f"{text!r}: the trainee has no score yet, so its gold's steps are not known; "
                          "give the deviation without a step, or review it once it is scored")
    if step.isdigit():
        k = int(step) - 1
        if not 0 <= k < len(steps):
            raise ReviewError(f"{text!r}: step {step} does not exist; the gold has steps 1-{len(steps)}")
        return ReviewedDeviation(kind, k, steps[k])
    names = [s.lower() for s in steps]
    if step.lower() not in names:
        raise ReviewError(f"{text!r}: no step named {step!r}; the gold's steps: "
                          + ", ".join(f"{i + 1} {s}" for i, s in enumerate(steps)))
    k = names.index(step.lower())
    return ReviewedDeviation(kind, k, steps[k])


def find_reviewed_trainee(registry: Registry, name: str, task: str | None) -> VideoRecord:
    """The trainee video ``name`` (in ``task``), with a clear error for an unknown task."""
    from ..pair_report.find import NotFoundError, find_trainee

    if task is not None and not any(v.task == task for v in registry.videos()):
        tasks = sorted({v.task for v in registry.videos()})
        raise ReviewError(f"unknown task {task!r}; tasks with videos: {', '.join(tasks) or 'none'}")
    try:
        return find_trainee(registry, name, task)
    except NotFoundError as exc:
        raise ReviewError(str(exc)) from None


def make_review(store: VideoStore, trainee: str, verdict: str, deviations: list[str] = (), note: str = "",
                reviewer: str = "", task: str | None = None, source: str = "cli") -> Review:
    """A validated Review of trainee ``trainee`` (raises ReviewError; writes nothing)."""
    from ..pair_report.find import NotFoundError, latest_scored

    registry = Registry(store.registry_dir)
    video = find_reviewed_trainee(registry, trainee, task)
    verdict = parse_verdict(verdict)
    try:
        scored = latest_scored(store, video.key, video.task)
        steps = [s["name"] for s in (scored.doc.get("steps") or {}).get("gold") or []]
        gold = (scored.gold.file_name if scored.gold else None), scored.pair.gold_version
    except NotFoundError:  # not scored yet: a verdict can be reviewed, steps are not known
        steps, gold = None, (None, None)
    devs = tuple(parse_deviation(d, steps) for d in deviations)
    return Review(video.task, video.file_name, video.key, video.sha256, verdict, devs, str(note or ""),
                  str(reviewer or ""), source, gold[0], gold[1])


def current_reviews(store: VideoStore, task: str | None = None) -> list[dict]:
    """The latest review of each reviewed trainee video (of ``task``), oldest first."""
    from .results_store import ResultsStore

    rs = ResultsStore(store.results, store.duckdb_path)
    return rs.query(f"SELECT * FROM ({CURRENT_SQL}) WHERE $task IS NULL OR task = $task ORDER BY reviewed_at",
                    {"task": task})


def record_review(store: VideoStore, review: Review) -> Review:
    """Stores ``review`` as a new file of table ``reviews`` (never replacing one); returns it
    with ``supersedes`` set to the review of the same video it replaces, if any."""
    from dataclasses import replace

    from .results_store import ResultsStore

    rs = ResultsStore(store.results, store.duckdb_path)
    before = [r for r in current_reviews(store, review.task) if r["trainee_sha256"] == review.trainee_sha256]
    review = replace(review, supersedes=before[-1]["review_id"] if before else None)
    rs.append(TABLE, [review.row()], prefix=f"{review.task}-{review.trainee_key}")
    rs.ensure_views()
    return review
