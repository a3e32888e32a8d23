"""A short REAL soak through the soak_report asset: the project's own daemon on a sandboxed
instance, files dropped into its inbox on a clock (good, bad, duplicated, repacked), every
invariant checked from outside (DuckDB, quarantine, registry, run storage). About 3
minutes on 2 cores (SOPILOT_SOAK_TEST_DRAIN_SEC gives a slower machine longer to drain)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from sopilot_assets.soak.assets import build_soak_report
from sopilot_assets.soak.run import soak_passed
from sopilot_resources.settings import Settings


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """One task of the quick demo set: its gold (with steps) and two MP4 trainees."""
    from sopilot_resources.demo.generate import generate_demo

    demo = tmp_path_factory.mktemp("demo")
    generate_demo(demo, seed=0, quick=True)
    task = sorted(p for p in demo.iterdir() if p.is_dir())[0]
    out = tmp_path_factory.mktemp("corpus") / task.name
    shutil.copytree(task / "gold", out / "gold")
    (out / "trainee").mkdir()
    for v in sorted((task / "trainee").glob("*.mp4"))[:2]:
        shutil.copy(v, out / "trainee" / v.name)
    return out.parent


@pytest.mark.timeout(900)
def test_short_real_soak(corpus, tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("SOPILOT_DATA_DIR", str(data))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    # 7 drops 5 s apart: trainee before its gold, gold, trainee, zero-byte file, both
    # trainees repacked (new bytes, same frames), the first again (the same bytes)
    cfg = {"duration": "35s", "rate_per_min": 12, "corpus_dir": str(corpus), "bad_every": 4,
           "drain_sec": float(os.environ.get("SOPILOT_SOAK_TEST_DRAIN_SEC") or 150)}
    with dg.instance_for_test() as inst:
        res = dg.materialize([build_soak_report(Settings.from_env())], instance=inst,
                             run_config={"ops": {"soak_report": {"config": cfg}}})
    assert res.success
    meta = res.asset_materializations_for_node("soak_report")[0].metadata
    report = Path(meta["report"].value)
    check = res.get_asset_check_evaluations()[0]
    assert check.passed and meta["passed"].value, report.read_text()
    assert soak_passed(report)
    for png in ("throughput.png", "latency.png", "memory.png"):
        assert (report.parent / png).stat().st_size > 1000
    with duckdb.connect(str(data / "soak" / "soak.duckdb"), read_only=True) as con:
        fates = dict(con.execute("SELECT fate, count(*) FROM soak_drops GROUP BY fate").fetchall())
        repacked = con.execute("SELECT count(*) FROM soak_drops WHERE variant = 'repack' "
                               "AND fate = 'scored'").fetchone()[0]
        checks = con.execute("SELECT name, ok FROM soak_checks").fetchall()
        n_samples = con.execute("SELECT count(*) FROM soak_samples").fetchone()[0]
    assert fates == {"scored": 4, "gold": 1, "quarantined": 1, "duplicate": 1}
    assert repacked == 2  # so "identical inputs give identical scores" compared real scores
    assert len(checks) == 7 and all(ok for _, ok in checks)
    assert n_samples > 10
    assert not (data / "inbox").exists()  # the production data root is untouched
    assert not (data / "soak" / "runs" / meta["soak_id"].value / "sandbox").exists()  # passed: cleaned
