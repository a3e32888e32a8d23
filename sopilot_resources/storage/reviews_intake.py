"""Review files dropped into ``inbox/<task>/reviews/`` (part of ``Intake``; docs/reviews.md).

A file holds one review or many: JSON (an object, a list of objects, or ``{"reviews": [...]}``)
or CSV (a header row), each with ``trainee``, ``verdict`` and optionally ``deviations`` (a list,
or in CSV one cell with ``;`` between them), ``note`` and ``reviewer``. The whole file is
validated before anything is written: all its reviews are stored, then the file is archived
(``archive/reviews/<task>/``); or none is, and the file is quarantined with the reason. A
review of a trainee not registered yet, or of one whose steps are named but that has no score
yet, waits (its video may be arriving with it) up to ``IntakeConfig.orphan_sidecar_sec``.
"""
from __future__ import annotations

import csv
import io
import json

from .fsutil import move_file, sha256_file, unique_path
from .inbox import InboxEntry
from .intake_types import Event
from .names import fit_name
from .reviews import ReviewError, make_review, record_review

FIELDS = ("trainee", "verdict", "deviations", "note", "reviewer")
#: errors that may clear up on their own (the video or its score is on the way)
_WAIT_FOR = ("no trainee video named", "has no score yet")


def read_review_file(text: str, suffix: str) -> list[dict]:
    """The reviews a file holds, each ``{trainee, verdict, deviations: [...], note, reviewer}``;
    ReviewError when it cannot be read as such."""
    if suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        if not rows or not {"trainee", "verdict"} <= set(rows[0]):
            raise ReviewError("a review CSV needs a header with at least trainee and verdict "
                              f"(columns: {', '.join(FIELDS)})")
        for r in rows:
            r["deviations"] = [d.strip() for d in (r.get("deviations") or "").split(";") if d.strip()]
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReviewError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
        rows = doc.get("reviews") if isinstance(doc, dict) and "reviews" in doc else doc
        rows = [rows] if isinstance(rows, dict) else rows
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise ReviewError("a review JSON is an object, a list of objects or {\"reviews\": [...]}")
    out = []
    for k, r in enumerate(rows, 1):
        unknown = set(r) - set(FIELDS)
        if unknown:
            raise ReviewError(f"review {k}: unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(FIELDS)}")
        if not r.get("trainee") or not r.get("verdict"):
            raise ReviewError(f"review {k}: trainee and verdict are required")
        devs = r.get("deviations") or []
        if isinstance(devs, str):
            devs = [devs]
        out.append({"trainee": str(r["trainee"]), "verdict": str(r["verdict"]), "deviations": [str(d) for d in devs],
                    "note": str(r.get("note") or ""), "reviewer": str(r.get("reviewer") or "")})
    return out


class ReviewIntakeMixin:
    def _review(self, e: InboxEntry, events: list[Event]) -> bool:
        """True when the file was handled (stored and archived, or quarantined); False: wait."""
        try:
            text = e.path.read_text(encoding="utf-8-sig")
            reviews = [make_review(self.store, r["trainee"], r["verdict"], r["deviations"], r["note"],
                                   r["reviewer"], task=e.task, source=f"inbox:{e.rel}")
                       for r in read_review_file(text, e.path.suffix.lower())]
        except UnicodeDecodeError:
            self._quarantine(e.path, e, "bad_review", "not a text file (UTF-8): reviews are .json or .csv", events)
            return True
        except ReviewError as exc:
            if any(w in str(exc) for w in _WAIT_FOR) and self._still_waiting(e):
                return False  # the video, or its score, may still be on the way
            self._quarantine(e.path, e, "bad_review", f"{exc}; nothing from this file was stored - fix it "
                             "and drop it again", events)
            return True
        sha = sha256_file(e.path)
        stored = [record_review(self.store, r) for r in reviews]
        dst = move_file(e.path, unique_path(self.store.archive / "reviews" / e.task / fit_name(e.path.name)))
        names = ", ".join(f"{r.trainee_file} {r.verdict}" for r in stored[:5]) + (" ..." if len(stored) > 5 else "")
        events.append(Event("review", f"{e.rel}: {len(stored)} review(s) stored ({names}); file archived",
                            e.task, "reviews", e.path.name, e.rel, sha, stored_path=self._rel(dst)))
        return True
