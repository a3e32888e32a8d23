"""A scored pair as people read it: markdown for the Dagster UI, one self-contained HTML file
for a supervisor, the pictures both embed. Plain Python (no Dagster import).

Per-deviation pictures: pass them as ``PairFigures.by_deviation`` ({index in
``doc["deviations"]``: [Figure, ...]}) to ``render_html`` / ``report_md``, or store them with a
pair's score via ``save_deviation_figures(work, doc, ...)`` so ``load_pair_figures`` (the
Dagster page, ``sopilot report``) finds them."""
from .figures import CYCLES_PNG, Figure, PairFigures, draw_timeline, load_pair_figures, save_deviation_figures, scene_figures
from .html import render_html
from .markdown import report_md, summary_md
from .text import STEP_NOTE, Header, deviation_rows, step_no, step_rows

__all__ = ["CYCLES_PNG", "Figure", "PairFigures", "draw_timeline", "load_pair_figures", "save_deviation_figures", "scene_figures",
           "render_html", "report_md", "summary_md", "STEP_NOTE", "Header", "deviation_rows", "step_no",
           "step_rows"]
