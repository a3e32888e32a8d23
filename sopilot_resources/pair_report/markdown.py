"""A scored pair as markdown for the Dagster UI: ``summary_md`` short enough to show inline on
the partition's page (the UI expands markdown under 1,000 characters; longer markdown and any
inline picture sit behind "Show Markdown"), ``report_md`` the whole report with its pictures."""
from __future__ import annotations

from .cycles import cycles_line, has_cycles, segment_line
from .figures import PairFigures
from .text import STEP_NOTE, Header, found_by_pictures_line, verdict_label

#: the UI shows markdown metadata inline below this many characters
INLINE_LIMIT = 1000
#: a picture bigger than this is left out of the markdown (the UI would choke on it)
MAX_PICTURE_BYTES = 400_000


def _line(d: dict) -> str:
    """The message names the step (1-based), e.g. "step 3 'insert stem' missing (...)"."""
    return f"- **{d['type'].replace('_', ' ')}** (-{d['penalty']:.1f}): {d['message']}"


def summary_md(doc: dict, header: Header, limit: int = INLINE_LIMIT) -> str:
    """Verdict, score and the deviations in one short block (under ``limit`` characters:
    deviation lines are cut to fit and the rest counted)."""
    head = (f"**{verdict_label(doc['verdict'])}** {doc['score']:.1f}/100 - {header.trainee_file} "
            f"{header.against()}")
    if doc.get("verdict_reason"):
        head += f"\n\nWhy: {doc['verdict_reason']}"
    if segment_line(doc):
        head += f"\n\n{segment_line(doc)}"
    if has_cycles(doc):
        head += f"\n\nshift recording: {cycles_line(doc)} (table `cycles`)"
    lines, devs = [head], doc["deviations"]
    if not devs:
        return head + "\n\nno deviations"
    for k, d in enumerate(devs):
        line = _line(d)
        if len(line) > 160:
            line = line[:157] + "..."
        rest = f"- ... {len(devs) - k} more in deviation_table"
        if len("\n".join(lines + [line, rest])) >= limit:
            lines.append(rest)
            break
        lines.append(line)
    return "\n".join(lines)


def _img(fig) -> str:
    if len(fig.data) > MAX_PICTURE_BYTES:
        return f"*({fig.caption}: too large to show here; see the HTML report)*"
    return f"![{fig.caption}]({fig.data_uri()})"


def report_md(doc: dict, header: Header, figs: PairFigures) -> str:
    """The whole report: verdict, deviations (each followed by its own pictures, if any), then
    the pair's pictures (the step timeline first)."""
    lines = [f"## {header.trainee_file}: {doc['score']:.1f} - **{verdict_label(doc['verdict'])}**",
             header.against(), ""]
    if doc.get("verdict_reason"):
        lines += [f"Why: {doc['verdict_reason']}", ""]
    if segment_line(doc):
        lines += ["S" + segment_line(doc)[1:] + ".", ""]
    if has_cycles(doc):
        lines += [f"Shift recording: {cycles_line(doc)}.", ""]
    for i, d in enumerate(doc["deviations"]):
        lines.append(_line(d))
        for fig in figs.by_deviation.get(i, []):
            lines += ["", f"  {_img(fig)}", f"  *{fig.caption}*", ""]
    if not doc["deviations"]:
        lines.append("- no deviations")
    pictures = found_by_pictures_line(doc)
    if pictures:
        lines += ["", pictures]
    lines += ["", f"*{STEP_NOTE}*"]
    for fig in figs.figures:
        lines += ["", f"### {fig.caption.split(':')[0]}", _img(fig)]
    return "\n".join(lines)
