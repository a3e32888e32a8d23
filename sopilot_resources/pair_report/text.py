"""What every view of a scored pair writes the same way: step numbers (1-based, "step #", the
data's 0-based ``gold_step`` + 1), time spans, verdict labels, one row per deviation."""
from __future__ import annotations

from dataclasses import dataclass

from ..scoring.deviation import tc
from ..scoring.verdict import Verdict

STEP_NOTE = "step # counts from 1, as in the messages (the data's gold_step is 0-based: step # = gold_step + 1)"
VERDICT_LABEL = {v.value: v.label for v in Verdict}  # "needs_review" -> "NEEDS REVIEW"


def step_no(gold_step: int | None) -> str:
    """The 1-based step number people read, "" for a deviation tied to no step."""
    return "" if gold_step is None else str(int(gold_step) + 1)


def span_text(span: dict | None) -> str:
    return f"{tc(span['start_sec'])}-{tc(span['end_sec'])}" if span else ""


def verdict_label(verdict: str) -> str:
    return VERDICT_LABEL.get(verdict, verdict.upper())


@dataclass(frozen=True)
class Header:
    """Who and what a report is about (file names as dropped)."""

    trainee_file: str
    gold_file: str
    task: str = ""
    gold_version: int | None = None
    scored_at: str = ""

    @classmethod
    def from_doc(cls, doc: dict, trainee_file: str = "", gold_file: str = "") -> "Header":
        """From a score.json written by ``score_stored_pair`` (its ``files`` and ``pair``)."""
        files, pair = doc.get("files") or {}, doc.get("pair") or {}
        return cls(trainee_file or files.get("trainee", pair.get("trainee_key", "trainee")),
                   gold_file or files.get("gold", pair.get("gold_key", "gold")),
                   pair.get("task", ""), pair.get("gold_version"), doc.get("scored_at", ""))

    def against(self) -> str:
        v = f" (v{self.gold_version})" if self.gold_version else ""
        return f"against gold {self.gold_file}{v}" + (f", task {self.task}" if self.task else "")


def deviation_rows(doc: dict) -> list[dict]:
    """One dict per deviation, in the words and numbers of the tables people read."""
    return [{"#": i + 1, "deviation": d["type"].replace("_", " "), "step #": step_no(d["gold_step"]),
             "step name": d["gold_step_name"] or "", "gold time": span_text(d["gold_time"]),
             "trainee time": span_text(d["trainee_time"]), "severity": d["severity"],
             "points": round(float(d["penalty"]), 1), "what happened": d["message"]}
            for i, d in enumerate(doc["deviations"])]


def step_rows(doc: dict) -> list[dict]:
    """One dict per gold step: where the trainee did it (or that it was not found)."""
    if doc.get("cycles"):
        return _recording_step_rows(doc)
    where = {s["index"]: s for s in doc["steps"]["trainee"]}
    pictures = {x["index"]: x["made_by_sec"] for x in (doc.get("metrics") or {}).get("scene_found_done") or []}
    out = []
    for s in doc["steps"]["gold"]:
        t = where.get(s["index"])
        status = "not found" if t is None else ("done differently" if not t.get("found", True) else "found")
        when = span_text(t)
        if t is None and s["index"] in pictures:  # the clips missed it, its result is in the pictures
            status, when = "found in the pictures", f"result by {tc(pictures[s['index']])}"
        out.append({"step #": step_no(s["index"]), "step name": s["name"], "gold time": span_text(s),
                    "trainee time": when, "status": status,
                    "critical": "yes" if s.get("critical") else ""})
    return out


def _recording_step_rows(doc: dict) -> list[dict]:
    """A shift recording: per gold step, in how many of the scored cycles it was found."""
    scored = sum(c["score"] is not None for c in doc["cycles"])
    found = {}
    for s in doc["steps"]["trainee"]:
        found[s["index"]] = found.get(s["index"], 0) + bool(s.get("found", True))
    return [{"step #": step_no(s["index"]), "step name": s["name"], "gold time": span_text(s),
             "status": f"found in {found.get(s['index'], 0)} of {scored} cycles",
             "critical": "yes" if s.get("critical") else ""} for s in doc["steps"]["gold"]]


def found_by_pictures_line(doc: dict) -> str:
    """The sentence naming the steps the clips missed whose result the pictures found made
    (``metrics.scene_found_done``: they cost nothing and are not in the trainee's timeline), or ""."""
    steps = (doc.get("metrics") or {}).get("scene_found_done") or []
    if not steps:
        return ""
    named = "; ".join(f"step {x['index'] + 1} '{x['name']}' (its result made by {float(x['made_by_sec']):.1f} s)"
                      for x in steps)
    return f"Found done in the pictures, not in the clips: {named}."
