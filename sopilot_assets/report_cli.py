"""`sopilot report TRAINEE` and `sopilot score ... --report-dir DIR`: a scored pair as one
self-contained HTML file (pictures inline, no external files) a supervisor can open or mail.
The rendering is ``sopilot_resources.pair_report``; this module finds the inputs and writes."""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from sopilot_resources.errors import SopilotError


def _footer(doc: dict, extra: str = "") -> str:
    from .score_cli import sopilot_version

    v = sopilot_version()
    emb = (doc.get("embedder") or {}).get("name", "?")
    return f"SOPilot {v} - embedder {emb} - profile {doc.get('profile_fingerprint', '?')}" + (f" - {extra}" if extra else "")


def data_store(a: argparse.Namespace):
    """The data root a command works on (``--data-dir``, else the setting), with a clear error
    when no pipeline ever ran there."""
    from sopilot_resources.storage.video_store import VideoStore

    root = a.settings.with_data_dir(a.data_dir).data_dir
    store = VideoStore.at(root)
    if not store.registry_dir.is_dir():
        raise SopilotError(f"{root}: no SOPilot data here (no registry/); give --data-dir or set SOPILOT_DATA_DIR")
    return store


def report_name(trainee_file: str, task: str = "") -> str:
    from sopilot_resources.storage.keys import safe_name, stem_of  # here: `sopilot score` starts without storage

    return (f"{safe_name(task)}-" if task else "") + f"{safe_name(stem_of(trainee_file))}.html"


def cmd_report(a: argparse.Namespace) -> int:
    from sopilot_resources.pair_report import Header, load_pair_figures, render_html
    from sopilot_resources.pair_report.find import latest_scored
    from sopilot_resources.storage.fsutil import atomic_write_bytes

    store = data_store(a)
    s = latest_scored(store, a.trainee, a.task)
    header = Header.from_doc(s.doc, s.trainee.file_name, s.gold.file_name if s.gold else "")
    html = render_html(s.doc, header, load_pair_figures(s.work, s.doc), footer=_footer(s.doc, f"pair {s.pair.key}"))
    out = Path(a.out) if a.out else Path(report_name(s.trainee.file_name, s.trainee.task))
    atomic_write_bytes(out, html.encode())
    print(f"wrote {out}: {s.trainee.file_name} {s.doc['verdict']} {s.doc['score']:.1f} ({header.against()})")
    return 0


def _seconds(gold: str, trainee: str, doc: dict) -> tuple[float, float]:
    from sopilot_resources.pair_report.figures import video_seconds
    from sopilot_resources.video.probe import probe

    try:
        return probe(gold).duration_sec, probe(trainee).duration_sec
    except SopilotError:  # the videos were decoded a moment ago; fall back to what the score says
        return video_seconds(doc)


def write_score_report(res, gold: str, trainee: str, report_dir: str | Path) -> Path:
    """The HTML report of a ``sopilot score`` result: ``<report_dir>/<trainee stem>.html``."""
    from sopilot_resources.pair_report import Figure, Header, PairFigures, draw_timeline, render_html, scene_figures
    from sopilot_resources.pair_report.figures import TIMELINE_CAPTION
    from sopilot_resources.storage.fsutil import atomic_write_bytes

    doc = res.to_dict()
    with tempfile.TemporaryDirectory() as tmp:
        png = draw_timeline(doc, Path(tmp) / "timeline.png", _seconds(gold, trainee, doc))
        figs = PairFigures(figures=[Figure.from_file(png, TIMELINE_CAPTION)], by_deviation=scene_figures(res, doc))
    html = render_html(doc, Header(Path(trainee).name, Path(gold).name), figs, footer=_footer(doc))
    out = atomic_write_bytes(Path(report_dir) / report_name(Path(trainee).name), html.encode())
    print(f"report: {out}", file=sys.stderr)
    return out


def add_report_parser(sub, cmd, data_help: str) -> None:
    """The ``report`` subcommand (``cmd(name, text)`` makes a subparser the way cli.py does)."""
    r = cmd("report", "write a trainee's latest result (score, verdict, deviations, step timeline) as one "
                      "self-contained HTML file")
    r.add_argument("trainee", help="trainee video as dropped (file name, with or without extension), or a "
                                   "pair partition key")
    r.add_argument("--task", help="the trainee's task, when the name is used in several")
    r.add_argument("--out", metavar="FILE.html", help="where to write (default: ./<task>-<trainee>.html)")
    r.add_argument("--data-dir", default=None, help=data_help)
    r.set_defaults(func=cmd_report)
