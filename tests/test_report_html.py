"""The supervisor's report: one self-contained HTML file (pictures inline, nothing fetched),
the short summary the UI shows without a click, per-deviation pictures, and `sopilot report
TRAINEE` on a data root scored by the real scoring path (synthetic clip embeddings, no video)."""
import base64
import json
import re

import cv2
import numpy as np
import pytest

from sopilot_resources.pair_report import (Figure, Header, PairFigures, load_pair_figures, render_html, report_md,
                                           save_deviation_figures, summary_md)
from scored_root import STEPS, put_video, scored_root
from sopilot_resources.storage import Registry


def png(color=(0, 0, 255), size=(40, 30)) -> bytes:
    img = np.zeros((size[1], size[0], 3), np.uint8)
    img[:] = color
    return cv2.imencode(".png", img)[1].tobytes()


@pytest.fixture()
def scored(tmp_path):
    """A data root with gold v1 and a trainee that skipped step 3, scored by score_stored_pair."""
    return scored_root(tmp_path, "run <7>.mp4")


def _self_contained(html: str) -> list[bytes]:
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    low = html.lower()
    for bad in ("http://", "https://", "<script", "<link", "url(", "<iframe"):
        assert bad not in low, bad
    srcs = re.findall(r'src="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/") for s in srcs)
    out = []
    for s in srcs:
        data = base64.b64decode(s.split(",", 1)[1])
        assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is not None
        out.append(data)
    return out


def test_html_report_is_self_contained_with_step_numbers_from_one(scored):
    store, s = scored
    doc = s.doc
    miss = next(i for i, d in enumerate(doc["deviations"]) if d["type"] == "missing_step")
    assert doc["deviations"][miss]["gold_step"] == 2
    figs = load_pair_figures(s.work, doc)  # no timeline.png yet: drawn from score.json
    assert [f.caption.split(":")[0] for f in figs.figures] == ["Step timeline"]
    figs.by_deviation[miss] = [Figure("gold after step 3 vs trainee", png())]
    html = render_html(doc, Header.from_doc(doc), figs, footer="pair x")
    pictures = _self_contained(html)
    assert len(pictures) == 2 and png() in pictures
    assert "run &lt;7&gt;.mp4" in html and "run <7>" not in html  # file names escaped
    row = re.search(r"<tr[^>]*><td class=num>(\d+)</td><td>missing step</td><td class=num>(\d+)</td><td>([^<]*)</td>", html)
    assert row and row.group(2) == "3" and row.group(3) == STEPS[2].name
    assert f'id="deviation-{miss + 1}"' in html and "step # counts from 1" in html
    assert ">NEEDS REVIEW<" in html or ">FAIL<" in html or ">RETRAIN<" in html


def test_summary_fits_inline_and_report_carries_deviation_pictures(scored):
    _, s = scored
    doc = dict(s.doc, deviations=s.doc["deviations"] * 30)
    short = summary_md(doc, Header.from_doc(doc))
    assert len(short) < 1000 and "more in deviation_table" in short
    assert "step 3 " in short and "run <7>.mp4" in short
    figs = PairFigures([Figure("Step timeline: x", png((0, 255, 0)))], {0: [Figure("dev pic", png())]})
    md = report_md(s.doc, Header.from_doc(s.doc), figs)
    assert md.count("data:image/png;base64,") == 2
    assert md.index("dev pic") < md.index("### Step timeline")


def test_deviation_pictures_are_kept_with_the_score_they_belong_to(scored):
    _, s = scored
    save_deviation_figures(s.work, s.doc, {0: [Figure("gold vs trainee after the step", png())]})
    got = load_pair_figures(s.work, s.doc)
    assert [f.caption for f in got.by_deviation[0]] == ["gold vs trainee after the step"]
    changed = json.loads(json.dumps(s.doc))
    changed["deviations"][0]["message"] = "something else"  # a rescore with other deviations
    assert load_pair_figures(s.work, changed).by_deviation == {}


def _report(argv):
    """`sopilot report ...` through the real command line; SopilotError propagates (main turns
    it into one line and exit status 2)."""
    from sopilot_assets.cli import build_parser

    a = build_parser().parse_args(argv)
    return a.func(a)


def test_sopilot_report_writes_the_latest_result(scored, tmp_path, capsys):
    store, s = scored
    out = tmp_path / "mail" / "report.html"
    assert _report(["report", "run <7>", "--data-dir", str(store.root), "--out", str(out)]) == 0
    html = out.read_text()
    _self_contained(html)
    assert f"{s.doc['score']:.1f} / 100" in html and "against gold gold1.mp4 (v1), task assembly" in html
    assert "wrote" in capsys.readouterr().out
    # by the pair key as well; the default name is <task>-<trainee>.html in the current folder
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert _report(["report", s.pair.key, "--data-dir", str(store.root)]) == 0
    finally:
        os.chdir(cwd)
    assert (tmp_path / "assembly-run_7.html").is_file()


def test_sopilot_report_says_what_is_wrong(scored, tmp_path):
    from sopilot_resources.errors import SopilotError

    store, _ = scored
    with pytest.raises(SopilotError, match="no trainee video named 'nobody'.*known: run <7>.mp4"):
        _report(["report", "nobody", "--data-dir", str(store.root)])
    with pytest.raises(SopilotError, match="no SOPilot data"):
        _report(["report", "x", "--data-dir", str(tmp_path / "empty")])
    reg = Registry(store.registry_dir)
    put_video(store, reg, 3, "trainee", name="late.mp4")
    with pytest.raises(SopilotError, match="late.mp4 \\(task assembly\\) has no score yet"):
        _report(["report", "late", "--data-dir", str(store.root)])
    put_video(store, reg, 4, "trainee", task="other", name="late.mp4")
    with pytest.raises(SopilotError, match="several tasks \\(assembly, other\\); add --task"):
        _report(["report", "late.mp4", "--data-dir", str(store.root)])


def test_score_report_dir_writes_the_same_report(tmp_path, capsys):
    """`sopilot score GOLD TRAINEE --report-dir DIR` on two small real videos."""
    from dagster_support import write_steps, write_video

    from sopilot_assets.cli import main

    gold = write_video(tmp_path / "gold.avi", seed=1)
    write_steps(gold)
    trainee = write_video(tmp_path / "run 3.avi", order=(0, 2, 1, 3), seed=3)
    assert main(["score", str(gold), str(trainee), "--report-dir", str(tmp_path / "reports"), "--device", "cpu",
                 "--json", "--no-progress"]) == 0
    doc = json.loads(capsys.readouterr().out)
    html = (tmp_path / "reports" / "run_3.html").read_text()
    assert len(_self_contained(html)) == 1  # the step timeline
    assert f"{doc['score']:.1f} / 100" in html and "against gold gold.avi" in html
    assert doc["deviations"]
    for d in doc["deviations"]:  # each deviation's row: its 1-based step number beside its name
        if d["gold_step"] is not None:
            assert f"<td class=num>{d['gold_step'] + 1}</td><td>{d['gold_step_name']}</td>" in html


def test_a_step_the_pictures_found_done_is_named(scored):
    """A step the clips missed whose result the pictures found made costs nothing; the report
    says which, so a reviewer sees why it is not in the trainee's timeline."""
    store, s = scored
    doc = json.loads(json.dumps(s.doc))
    doc["metrics"]["scene_found_done"] = [{"index": 0, "name": "pick <body>", "made_by_sec": 3.75}]
    html = render_html(doc, Header.from_doc(doc), PairFigures())
    assert "Found done in the pictures, not in the clips: step 1 &#x27;pick &lt;body&gt;&#x27; (its result made by 3.8 s)" in html
    assert "Found done in the pictures, not in the clips: step 1 'pick <body>' (its result made by 3.8 s)." in report_md(
        doc, Header.from_doc(doc), PairFigures())
    doc["metrics"]["scene_found_done"] = []
    assert "Found done in the pictures" not in render_html(doc, Header.from_doc(doc), PairFigures())
    assert "Found done in the pictures" not in report_md(doc, Header.from_doc(doc), PairFigures())
