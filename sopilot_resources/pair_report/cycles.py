"""A shift recording's cycles as people read them: one row per cycle (the Dagster table, the
HTML report), the cycle-time chart, a one-line summary. ``doc``: a score with ``cycles`` and
``cycle_stats`` (``ScoreResult.to_dict()`` of a recording of several cycles)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..canvas import Axes, canvas, dashed_hline, save_png, text
from ..cycles.unrecognised import unrecognised_line
from .text import span_text, step_no, verdict_label

#: bar colours by verdict (RGB); partial cycles grey
VERDICT_RGB = {"pass": (26, 127, 55), "needs_review": (154, 103, 0), "retrain": (188, 76, 0), "fail": (207, 34, 46)}
PARTIAL_RGB = (175, 184, 193)
CYCLE_CAPTION = ("Cycle times: one bar per cycle (coloured by verdict, grey: partial, cut by the recording), "
                 "dashed: the median of complete cycles")


def has_cycles(doc: dict) -> bool:
    return bool(doc.get("cycles"))


def what_went_wrong(devs: list[dict]) -> str:
    return "; ".join(d["type"].replace("_", " ") + ("" if d["gold_step"] is None else f" step {step_no(d['gold_step'])}")
                     for d in devs)


def cycle_rows(doc: dict) -> list[dict]:
    """One dict per cycle, cycle # from 1, in the words of the tables people read."""
    out, prev = [], None
    for c in doc["cycles"]:
        t = c["trainee_time"]
        out.append({"cycle #": c["index"] + 1, "trainee time": span_text(t),
                    "cycle time (s)": round(t["end_sec"] - t["start_sec"], 1),
                    "gap before (s)": "" if prev is None else round(t["start_sec"] - prev, 1),
                    "score": "" if c["score"] is None else round(float(c["score"]), 1),
                    "verdict": "partial (not scored)" if c["partial"] else verdict_label(c["verdict"]),
                    "deviations": len(c["deviations"]), "what went wrong": what_went_wrong(c["deviations"])})
        prev = t["end_sec"]
    return out


def cycles_line(doc: dict) -> str:
    """'20 cycles (19 complete, 1 partial), 17 passed; cycle time median 31.2 s (IQR 2.1 s), slowest 4, 12, 9'."""
    st = doc["cycle_stats"]
    line = f"{st['found']} cycles ({st['complete']} complete, {st['partial']} partial), {st['passed']} passed"
    ct = st.get("cycle_time")
    if ct:
        line += (f"; cycle time median {ct['median_sec']:.1f} s (IQR {ct['iqr_sec']:.1f} s), slowest "
                 + ", ".join(str(i + 1) for i in ct["slowest"]))
    odd = unrecognised_line(st.get("unrecognised_work") or [])
    return f"{line}; {odd}" if odd else line


def segment_line(doc: dict) -> str:
    """'' unless ``doc`` scores one segment file of a shift recording; then which segment, where
    it sits in the recording and what it hands on to the next."""
    seg = (doc.get("metrics") or {}).get("segment")
    if not seg:
        return ""
    from ..scoring.deviation import tc

    n = seg["cycles_listed"]
    line = (f"segment {seg['index'] + 1} ({seg['file_name']}) of recording {seg['recording']}, "
            f"{tc(seg['offset_sec'])}-{tc(seg['end_sec'])} of the recording: ")
    line += (f"cycles {seg['cycles_before'] + 1}-{seg['cycles_before'] + n}" if n > 1 else
             f"cycle {seg['cycles_before'] + 1}" if n == 1 else "no whole cycle")
    if seg.get("pending_from_sec") is not None:
        line += f"; the cycle begun at {tc(seg['pending_from_sec'])} is scored with the next segment"
    return line


def cycle_chart(doc: dict, out: str | Path) -> Path:
    """Bar chart of the cycle times (x: cycle #, y: seconds), a PNG written atomically."""
    cycles = doc["cycles"]
    secs = np.array([c["trainee_time"]["end_sec"] - c["trainee_time"]["start_sec"] for c in cycles], float)
    n = len(cycles)
    img = canvas(300, 900)
    ax = Axes(60, 20, 880, 240, float(n), float(max(secs.max(initial=1.0) * 1.15, 1.0)))
    for k, (c, s) in enumerate(zip(cycles, secs)):
        colour = PARTIAL_RGB if c["partial"] else VERDICT_RGB.get(c["verdict"], (89, 99, 110))
        x0, x1 = int(ax.px(k + 0.12)), int(ax.px(k + 0.88))
        cv2.rectangle(img, (x0, int(ax.py(s))), (max(x1, x0 + 1), ax.y1), colour, -1)
    ct = (doc.get("cycle_stats") or {}).get("cycle_time")
    if ct:
        y = int(ax.py(ct["median_sec"]))
        dashed_hline(img, y, ax.x0, ax.x1, (40, 40, 40))
        text(img, f"median {ct['median_sec']:.1f} s", ax.x1 - 4, y - 5, 0.38, anchor="r")
    ax.frame(img, "", "cycle time (s)", yticks=True)
    # the x ticks Axes draws are positions, not cycle numbers: cover them with the cycle # row
    img[ax.y1 + 2:ax.y1 + 20, ax.x0 - 20:ax.x1 + 20] = 255
    for k in range(n):
        if n <= 60 or (k + 1) % 5 == 0:
            text(img, str(k + 1), int(ax.px(k + 0.5)), ax.y1 + 14, 0.33, anchor="c")
    text(img, "cycle #   green pass, amber needs review, orange retrain, red fail, grey partial",
         (ax.x0 + ax.x1) // 2, ax.y1 + 40, 0.4, anchor="c")
    return save_png(img, out)
