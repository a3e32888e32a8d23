"""What a scored pair shows in the UI: its pictures (drawn into the pair's work folder), the
HTML report beside them, and the metadata of ``pair_alignment`` / ``pair_score``. Used by the
``score_pair`` asset and by the idle-time rescoring, so both record the same page."""

from pathlib import Path

import numpy as np

import dagster as dg

from sopilot_resources.pair_report import (CYCLES_PNG, Header, deviation_rows, load_pair_figures, render_html, report_md,
                                           save_deviation_figures, scene_figures, summary_md)
from sopilot_resources.pair_scoring import StoredPairScore
from sopilot_resources.storage.fsutil import atomic_write_bytes

from .alignment import gold_step_bounds
from .common import md_image

DEVIATION_COLUMNS = [
    ("#", "int", "deviation number in this score"),
    ("deviation", "string", "kind of deviation"),
    ("step #", "string", "gold step number, counting from 1 as in the messages (DuckDB's gold_step + 1)"),
    ("step name", "string", "gold step name"),
    ("gold time", "string", "where the step is in the gold (MM:SS)"),
    ("trainee time", "string", "where it happened in the trainee video (MM:SS)"),
    ("severity", "string", "critical / quality / efficiency"),
    ("points", "float", "points taken off the score"),
    ("what happened", "string", "the deviation in words"),
]


CYCLE_COLUMNS = [
    ("cycle #", "int", "cycle number in the recording, from 1 (DuckDB table cycles: cycle + 1)"),
    ("trainee time", "string", "where the cycle is in the recording (MM:SS)"),
    ("cycle time (s)", "float", "first step's start to last step's end"),
    ("gap before (s)", "string", "time since the previous cycle ended"),
    ("score", "string", "the cycle's score (empty: partial, cut by the recording, not scored)"),
    ("verdict", "string", "the cycle's verdict"),
    ("deviations", "int", "deviations in this cycle"),
    ("what went wrong", "string", "its deviations, step # from 1"),
]


def cycle_metadata(s: StoredPairScore) -> dict:
    """A shift recording's cycles: the table (one row per cycle), the cycle-time chart and the
    figures industrial engineers read; {} for a video of one performance."""
    from sopilot_resources.pair_report.cycles import cycle_chart, cycle_rows, has_cycles

    doc = s.doc
    if not has_cycles(doc):
        return {}
    st = doc["cycle_stats"]
    chart = cycle_chart(doc, s.work / CYCLES_PNG)
    out = {
        "cycles": dg.MetadataValue.table(
            records=[dg.TableRecord({k: (str(v) if k in ("gap before (s)", "score") else v) for k, v in r.items()})
                     for r in cycle_rows(doc)],
            schema=dg.TableSchema(columns=[dg.TableColumn(n, t, description=d) for n, t, d in CYCLE_COLUMNS])),
        "cycle_times": dg.MetadataValue.md(md_image(chart, "cycle times, one bar per cycle")),
        "cycles_found": st["found"], "cycles_complete": st["complete"], "cycles_passed": st["passed"],
    }
    ct = st.get("cycle_time")
    if ct:
        out.update(cycle_time_median_sec=ct["median_sec"], cycle_time_iqr_sec=ct["iqr_sec"])
    return out


def deviation_table(doc: dict) -> dg.MetadataValue:
    return dg.MetadataValue.table(
        records=[dg.TableRecord(r) for r in deviation_rows(doc)],
        schema=dg.TableSchema(columns=[dg.TableColumn(n, t, description=d) for n, t, d in DEVIATION_COLUMNS]))


def draw_pictures(s: StoredPairScore) -> tuple[Path, Path]:
    """Alignment (PNG + JPEG copy) and step timeline of a scored pair, in its work folder."""
    from sopilot_resources.plots import alignment_picture, step_timeline

    g, t, doc = s.gold_emb, s.trainee_emb, s.doc
    hop_g = float(np.median(np.diff(g.starts))) if len(g) > 1 else 0.5
    hop_t = float(np.median(np.diff(t.starts))) if len(t) > 1 else 0.5
    apic = alignment_picture(g.vectors, t.vectors, s.result.alignment.path,
                             gold_step_bounds(doc["steps"]["gold"], g.starts), s.work / "alignment.png", hop_g, hop_t)
    tpic = step_timeline(doc["steps"]["gold"], doc["steps"]["trainee"], doc["deviations"], s.work / "timeline.png",
                         float(g.ends[-1]), float(t.ends[-1]))
    return apic, tpic


def pair_metadata(s: StoredPairScore) -> tuple[dict, dict]:
    """Draws the pictures and the HTML report; returns (pair_alignment, pair_score) metadata.
    ``summary`` comes first and is short enough for the UI to show it without a click."""
    apic, tpic = draw_pictures(s)
    cmeta = cycle_metadata(s)  # draws cycles.png first: the HTML report embeds it
    doc, res = s.doc, s.result
    header = Header.from_doc(doc)
    save_deviation_figures(s.work, doc, scene_figures(res, doc))
    figs = load_pair_figures(s.work, doc)
    html = atomic_write_bytes(s.work / "report.html", render_html(
        doc, header, figs, footer=f"pair {s.pair.key} - embedder {s.embedder_key} - profile "
                                  f"{s.profile.fingerprint()}").encode())
    n, m = res.alignment.shape
    ameta = {
        "gold_clips": n, "trainee_clips": m, "backend": res.alignment.backend,
        "normalized_cost": round(float(res.alignment.normalized_cost), 4),
        "path": dg.MetadataValue.path(str(s.alignment_path)),
        "alignment_png": dg.MetadataValue.path(str(apic)),
        "picture": dg.MetadataValue.md(md_image(apic.with_suffix(".jpg"), "cost matrix with DTW path")),
    }
    smeta = {
        "summary": dg.MetadataValue.md(summary_md(doc, header)),
        "score": dg.MetadataValue.float(float(res.score)), "verdict": res.verdict,
        "verdict_reason": res.verdict_reason,
        "deviation_table": deviation_table(doc),
        "report": dg.MetadataValue.md(report_md(doc, header, figs)),
        "report_html": dg.MetadataValue.path(str(html)),
        "task": s.pair.task, "trainee_file": s.trainee.file_name, "gold_file": s.gold.file_name,
        "gold_version": s.pair.gold_version, "deviations": len(doc["deviations"]),
        "penalty_total": round(res.penalty_total, 2), "profile": s.profile.fingerprint(),
        "alignment_png": dg.MetadataValue.path(str(apic)),
        "timeline_png": dg.MetadataValue.path(str(tpic)),
        **cmeta,
    }
    return ameta, smeta
