"""A scored pair as one self-contained HTML file a supervisor can open or mail: styles inline,
pictures inline as base64 data URIs, no script, nothing fetched from anywhere."""
from __future__ import annotations

from html import escape

from .cycles import cycle_rows, cycles_line, has_cycles, segment_line
from .figures import PairFigures
from .text import STEP_NOTE, Header, deviation_rows, found_by_pictures_line, span_text, step_rows, verdict_label

COLOURS = {"pass": "#1a7f37", "needs_review": "#9a6700", "retrain": "#bc4c00", "fail": "#cf222e"}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:70rem;
     padding:0 1rem;color:#1f2328;line-height:1.4}
h1{margin:0 0 .3rem;font-size:1.6rem} h2{margin-top:2rem;font-size:1.2rem;border-bottom:1px solid #d0d7de}
.verdict{color:#fff;border-radius:.3rem;padding:.1rem .6rem;font-size:1.1rem;vertical-align:middle}
.score{font-size:2.2rem;font-weight:600;margin:.2rem 0} .muted{color:#59636e;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.9rem} th,td{border:1px solid #d0d7de;padding:.3rem .5rem;
     text-align:left;vertical-align:top} th{background:#f6f8fa} td.num{text-align:right;white-space:nowrap}
figure{margin:1rem 0} img{max-width:100%;border:1px solid #d0d7de} figcaption{color:#59636e;font-size:.85rem}
tr.critical td{background:#fff0f0}
"""


def _table(rows: list[dict], numeric=(), row_class=None) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{escape(k)}</th>" for k in rows[0])
    body = []
    for r in rows:
        cls = f' class="{row_class(r)}"' if row_class and row_class(r) else ""
        cells = "".join(f'<td{" class=num" if k in numeric else ""}>{escape(str(v))}</td>' for k, v in r.items())
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(fig) -> str:
    return (f'<figure><img src="{fig.data_uri()}" alt="{escape(fig.caption)}">'
            f"<figcaption>{escape(fig.caption)}</figcaption></figure>")


def _cycles(doc: dict, figs: PairFigures) -> list[str]:
    """A shift recording: the cycles summed up, the cycle-time chart, a table linking each
    cycle to its own section (``#cycle-17``) with its deviations."""
    rows = cycle_rows(doc)
    out = ["<h2>Cycles</h2>", f"<p>{escape(cycles_line(doc))}.</p>"]
    out += [_figure(f) for f in figs.figures if f.caption.startswith("Cycle times")]
    head = "".join(f"<th>{escape(k)}</th>" for k in rows[0])
    body = []
    for r, c in zip(rows, doc["cycles"]):
        link = f'<a href="#cycle-{c["index"] + 1}">{r["cycle #"]}</a>' if c["deviations"] else r["cycle #"]
        cells = [link] + [escape(str(v)) for k, v in r.items() if k != "cycle #"]
        cls = ' class="critical"' if c["verdict"] in ("retrain", "fail") else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    out.append("<h2>What went wrong, cycle by cycle</h2>")
    bad = [c for c in doc["cycles"] if c["deviations"]]
    if not bad:
        out.append("<p>No deviations in any complete cycle.</p>")
    for c in bad:
        out.append(f'<section id="cycle-{c["index"] + 1}"><h3>Cycle {c["index"] + 1}, '
                   f'{escape(span_text(c["trainee_time"]))}: {c["score"]:.1f} '
                   f'{escape(verdict_label(c["verdict"]))}</h3>')
        out += [_table(deviation_rows(c), numeric=("#", "step #", "points"),
                       row_class=lambda r: "critical" if r["severity"] == "critical" else ""), "</section>"]
    return out + [f'<p class="muted">{escape(STEP_NOTE)}</p>']


def render_html(doc: dict, header: Header, figs: PairFigures | None = None, footer: str = "") -> str:
    """``doc``: the score (``ScoreResult.to_dict()`` or a pair's score.json); ``figs``: the
    pair's pictures (``figs.figures`` after the deviations, ``figs.by_deviation[i]`` in a
    section of deviation i, linked from its row)."""
    figs = figs or PairFigures()
    verdict = doc["verdict"]
    title = f"{header.trainee_file}: {verdict_label(verdict)} ({doc['score']:.1f})"
    rows = deviation_rows(doc)
    for i, r in enumerate(rows):
        if figs.by_deviation.get(i):
            r["pictures"] = f"see {i + 1} below"
    m = doc.get("metrics") or {}
    found = f"{m['steps_found']} of {m['steps_total']} steps found. " if "steps_found" in m else ""
    pictures = found_by_pictures_line(doc)
    found += escape(pictures) + " " if pictures else ""
    out = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>SOPilot: {escape(title)}</title><style>{CSS}</style></head><body>",
        f'<h1>{escape(header.trainee_file)} <span class="verdict" style="background:'
        f'{COLOURS.get(verdict, "#59636e")}">{escape(verdict_label(verdict))}</span></h1>',
        f'<p class="score">{doc["score"]:.1f} / 100</p>',
        *([f'<p>Why: {escape(doc["verdict_reason"])}</p>'] if doc.get("verdict_reason") else []),
        f'<p>Scored {escape(header.against())}'
        + (f' <span class="muted">({escape(header.scored_at[:16].replace("T", " "))} UTC)</span>'
           if header.scored_at else "") + "</p>",
    ]
    if segment_line(doc):
        out.append(f"<p>{escape('S' + segment_line(doc)[1:])}.</p>")
    if has_cycles(doc):
        out += _cycles(doc, figs)
    elif rows:
        out.append("<h2>What went wrong</h2>")
        total = sum(float(d["penalty"]) for d in doc["deviations"])
        out += [f"<p>{found}{len(rows)} deviation(s), {total:.1f} points off.</p>",
                _table(rows, numeric=("#", "step #", "points"),
                       row_class=lambda r: "critical" if r["severity"] == "critical" else ""),
                f'<p class="muted">{escape(STEP_NOTE)}</p>']
    else:
        out += ["<h2>What went wrong</h2>", f"<p>{found}No deviations: the trainee followed the SOP.</p>"]
    for i, d in enumerate(doc["deviations"]):
        if figs.by_deviation.get(i):
            out.append(f'<section id="deviation-{i + 1}"><h3>{i + 1}. {escape(rows[i]["deviation"])}'
                       f' - step {escape(rows[i]["step #"] or "-")} {escape(rows[i]["step name"])}</h3>'
                       f"<p>{escape(d['message'])}</p>")
            out += [_figure(f) for f in figs.by_deviation[i]] + ["</section>"]
    for fig in figs.figures:
        if fig.caption.startswith("Cycle times"):
            continue  # shown in the Cycles section
        out += [f"<h2>{escape(fig.caption.split(':')[0])}</h2>", _figure(fig)]
    out += ["<h2>Steps</h2>", _table(step_rows(doc), numeric=("step #",))]
    out.append(f'<p class="muted">{escape(footer)}</p></body></html>' if footer else "</body></html>")
    return "\n".join(out)
