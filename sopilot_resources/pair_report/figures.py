"""Pictures of a scored pair, as bytes a report embeds: the step timeline, the alignment, and
pictures that belong to one deviation (``by_deviation``, keyed by the deviation's index in
``doc["deviations"]``).

A pair's pictures live in its work folder: ``cycles.png`` (a shift recording), ``timeline.png``,
``alignment.jpg`` (beside ``alignment.png``) and ``deviations/figures.json`` listing per-deviation pictures
(``save_deviation_figures`` writes it). ``load_pair_figures`` reads them back, so the Dagster
page and ``sopilot report`` show the same pictures."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from ..storage.fsutil import atomic_write_bytes, atomic_write_json, read_json

MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
DEVIATION_DIR = "deviations"
CYCLES_PNG = "cycles.png"  # a shift recording's cycle-time chart (``cycles.cycle_chart``)


@dataclass(frozen=True)
class Figure:
    caption: str
    data: bytes
    mime: str = "image/png"

    @classmethod
    def from_file(cls, path: str | Path, caption: str) -> "Figure":
        path = Path(path)
        return cls(caption, path.read_bytes(), MIME.get(path.suffix.lower(), "image/png"))

    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"


@dataclass
class PairFigures:
    """``figures``: pictures of the whole pair, in reading order; ``by_deviation``: index in
    ``doc["deviations"]`` -> that deviation's pictures."""

    figures: list[Figure] = field(default_factory=list)
    by_deviation: dict[int, list[Figure]] = field(default_factory=dict)


TIMELINE_CAPTION = ("Step timeline: gold steps (top) and where the trainee did them (bottom), numbered "
                    "from 1; red marks are deviations")
ALIGNMENT_CAPTION = "Alignment: cost of matching trainee clips (x) to gold clips (y), DTW path in red"


def scene_figures(result, doc: dict) -> dict[int, list[Figure]]:
    """Pictures of the scene comparison (gold's end beside the trainee's, the difference
    outlined; a moving camera's route) for the deviations of ``doc`` that rest on it;
    ``result``: the ScoreResult."""
    from ..scene.figures import deviation_pictures
    from ..scene.route_figure import route_pictures

    scene = getattr(result, "scene", None)
    pics = deviation_pictures(getattr(scene, "outcome", None), doc.get("deviations", []),
                              getattr(scene, "gold_picture_after", None))
    for i, figs in route_pictures(doc.get("deviations", [])).items():  # a moving camera's route
        pics.setdefault(i, []).extend(figs)
    return {i: [Figure(caption, data) for caption, data in figs] for i, figs in pics.items()}


def save_deviation_figures(work: Path, doc: dict, by_deviation: Mapping[int, Sequence[Figure]]) -> Path:
    """Writes each deviation's pictures into ``work/deviations/`` and the list
    ``figures.json``: ``[{"deviation": i, "message": ..., "caption": ..., "file": ...}, ...]``
    (replacing the previous list). ``doc``: the score the deviations belong to; a picture is
    shown only while deviation i of the pair's score.json still has that message, so a rescore
    never shows an older score's pictures."""
    d = Path(work) / DEVIATION_DIR
    entries = []
    for i in sorted(by_deviation):
        for k, fig in enumerate(by_deviation[i]):
            name = f"{i:03d}-{k}{'.jpg' if fig.mime == 'image/jpeg' else '.png'}"
            atomic_write_bytes(d / name, fig.data)
            entries.append({"deviation": int(i), "message": doc["deviations"][i]["message"],
                            "caption": fig.caption, "file": name})
    return atomic_write_json(d / "figures.json", entries)


def load_pair_figures(work: Path, doc: dict) -> PairFigures:
    """The pair's pictures from its work folder, for the score ``doc`` (its score.json). The
    timeline is drawn from ``doc`` when its file is missing (pairs rescored before it was kept)."""
    work = Path(work)
    out = PairFigures()
    if doc.get("cycles") and (work / CYCLES_PNG).is_file():
        from .cycles import CYCLE_CAPTION

        out.figures.append(Figure.from_file(work / CYCLES_PNG, CYCLE_CAPTION))
    timeline = work / "timeline.png"
    if not timeline.is_file():
        draw_timeline(doc, timeline)
    if timeline.is_file():
        out.figures.append(Figure.from_file(timeline, TIMELINE_CAPTION))
    for name in ("alignment.jpg", "alignment.png"):
        if (work / name).is_file():
            out.figures.append(Figure.from_file(work / name, ALIGNMENT_CAPTION))
            break
    devs = doc.get("deviations", [])
    for e in read_json(work / DEVIATION_DIR / "figures.json", []) or []:
        i, p = int(e["deviation"]), work / DEVIATION_DIR / e["file"]
        if p.is_file() and i < len(devs) and devs[i]["message"] == e.get("message"):
            out.by_deviation.setdefault(i, []).append(Figure.from_file(p, e["caption"]))
    return out


def video_seconds(doc: dict) -> tuple[float, float]:
    """(gold, trainee) length in seconds: recorded in score.json by the pipeline, else the
    latest time the steps and deviations mention."""
    rec = doc.get("video_seconds") or {}
    if rec.get("gold") and rec.get("trainee"):
        return float(rec["gold"]), float(rec["trainee"])
    g = [s["end_sec"] for s in doc["steps"]["gold"]]
    t = [s["end_sec"] for s in doc["steps"]["trainee"]]
    for d in doc["deviations"]:
        g += [d["gold_time"]["end_sec"]] if d.get("gold_time") else []
        t += [d["trainee_time"]["end_sec"]] if d.get("trainee_time") else []
    return max(g, default=1.0), max(t, default=1.0)


def draw_timeline(doc: dict, out: Path, seconds: tuple[float, float] | None = None) -> Path:
    from ..plots import step_timeline

    g, t = seconds or video_seconds(doc)
    return step_timeline(doc["steps"]["gold"], doc["steps"]["trainee"], doc["deviations"], out, g, t)
