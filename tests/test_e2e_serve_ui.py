"""End to end: `sopilot serve` scores videos dropped into the inbox; the UI shows lineage and scores.

Starts the real webserver + daemon (a subprocess, free port, temporary data root), drops one
task's gold and three trainees of the quick demo into the inbox, waits for their rows in
DuckDB, then drives the UI in headless Debian chromium (Playwright): the score's upstream
lineage and one score partition's metadata. Screenshots: build/test-artifacts/e2e_ui/.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

from _serve_harness import Server, artifacts_dir, demo_subset, score_rows, wait_until

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VERDICTS = {"pass", "needs_review", "retrain", "fail"}
UI_TIMEOUT_MS = 120_000


def test_dropped_videos_are_scored_and_shown_in_the_ui(tmp_path):
    art = artifacts_dir("e2e_ui")
    src, expected = demo_subset(tmp_path / "drop", n_trainees=3)
    srv = Server(tmp_path / "data", art / "serve.log").start()
    try:
        srv.wait_ready()
        srv.drop(src)
        rows = wait_until(lambda: _complete(score_rows(srv.data_root), expected), 600, 3,
                          f"{len(expected)} score rows in DuckDB")
        got = sorted((r["task"], r["trainee_file"]) for r in rows)
        assert got == expected, "exactly one scores row per dropped trainee"
        for r in rows:
            assert 0.0 <= r["score"] <= 100.0 and r["verdict"] in VERDICTS
            assert r["gold_file"].endswith(".mp4") and r["scored_at"] is not None
        _check_ui(srv.url, min(rows, key=lambda r: r["score"]), art)  # the most telling one
    finally:
        code = srv.stop()
        survivors = srv.survivors()
        srv.kill_everything()
        print(srv.log_tail(30))
    assert code == 0, "sopilot serve exits 0 on SIGTERM"
    assert not survivors, f"processes left after stop: {[p.cmdline()[:4] for p in survivors]}"


def _complete(rows, expected):
    keys = sorted((r["task"], r["trainee_file"]) for r in rows)
    return rows if set(keys) >= set(expected) else None


def _check_ui(url: str, row: dict, art) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(UI_TIMEOUT_MS)
            # Lineage: the score and everything upstream of it, with their group boxes.
            page.goto(f"{url}/assets/pair_score?view=lineage&lineageScope=upstream&lineageDepth=4")
            for name in ("video", "clip_embeddings", "gold_steps", "pair_alignment", "pair_score"):
                expect(page.get_by_text(name, exact=True).first).to_be_visible(timeout=UI_TIMEOUT_MS)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(art / "lineage.png"))

            # One score partition: its metadata shows the same score and verdict as DuckDB.
            part = urllib.parse.quote(row["pair_key"], safe="")
            page.goto(f"{url}/assets/pair_score?view=partitions&partition={part}")
            meta = {}
            for key in ("score", "verdict", "trainee_file", "gold_file"):
                cell = page.locator("tr").filter(has=page.get_by_text(re.compile(f"^{key}$")))
                expect(cell.first).to_be_visible(timeout=UI_TIMEOUT_MS)
                meta[key] = cell.first.inner_text().split(key, 1)[1].strip()
            assert meta["verdict"] == row["verdict"]
            assert float(meta["score"]) == pytest.approx(float(row["score"]), abs=0.01)
            assert meta["trainee_file"] == row["trainee_file"]
            assert meta["gold_file"] == row["gold_file"]
            expect(page.get_by_text("deviation_table", exact=True)).to_be_visible()
            # the summary is shown without a click: its verdict label is on the page
            label = row["verdict"].replace("_", " ").upper()
            summary = page.locator("tr").filter(has=page.get_by_text(re.compile("^summary$"))).first
            expect(summary.get_by_text(label).first).to_be_visible()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(art / "score_metadata.png"), full_page=True)
        finally:
            browser.close()
