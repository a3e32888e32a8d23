"""Heavy backlog runner + ledger: batches, stop when busy, resume without loss or repeats,
crash between output and ledger entry, typed errors recorded once."""
from __future__ import annotations

import json
import multiprocessing as mp

import pytest

from sopilot_resources.errors import UnreadableVideoError
from sopilot_resources.heavy import WorkItem, WorkLedger, run_backlog
from sopilot_resources.system_load import IdleVerdict

IDLE = IdleVerdict(True, [], {"cpu_percent": 5})
BUSY = IdleVerdict(False, ["CPU 90 % > 50 % budget"], {"cpu_percent": 90})


def items(n):
    return [WorkItem("embed", f"embed/v{i:02d}/k", {"i": i}) for i in range(n)]


def test_runs_everything_when_idle(tmp_path):
    led, calls = WorkLedger(tmp_path / "ledger.json"), []
    res = run_backlog(items(7), led, lambda it: calls.append(it.key) or {"n": 1},
                      gate=lambda: IDLE, batch_size=3)
    assert calls == [it.key for it in items(7)]
    assert res.done == calls and res.remaining == 0 and res.stopped is None
    assert set(led.entries()) == set(calls)


def test_stops_when_busy_then_resumes_without_repeats(tmp_path):
    led, calls = WorkLedger(tmp_path / "ledger.json"), []
    verdicts = iter([IDLE, BUSY])
    res1 = run_backlog(items(10), led, lambda it: calls.append(it.key), gate=lambda: next(verdicts),
                       batch_size=3)
    assert len(res1.done) == 6 and res1.remaining == 4
    assert res1.stopped.startswith("busy: CPU 90 % > 50 % budget")
    res2 = run_backlog(items(10), led, lambda it: calls.append(it.key), gate=lambda: IDLE,
                       batch_size=3)
    assert len(res2.done) == 4 and res2.remaining == 0
    assert sorted(calls) == sorted(it.key for it in items(10))  # each exactly once


def test_max_items_limits_a_run(tmp_path):
    led = WorkLedger(tmp_path / "ledger.json")
    res = run_backlog(items(5), led, lambda it: None, batch_size=2, max_items=3)
    assert len(res.done) == 3 and res.remaining == 2


def test_crash_mid_item_redoes_only_that_item(tmp_path):
    led, calls = WorkLedger(tmp_path / "ledger.json"), []

    def work(it):
        calls.append(it.key)
        if it.payload["i"] == 2 and calls.count(it.key) == 1:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        run_backlog(items(4), led, work, batch_size=10)
    run_backlog(items(4), led, work, batch_size=10)
    assert calls == ["embed/v00/k", "embed/v01/k", "embed/v02/k", "embed/v02/k", "embed/v03/k"]


def test_output_present_is_recovered_not_redone(tmp_path):
    led, calls = WorkLedger(tmp_path / "ledger.json"), []
    res = run_backlog(items(3), led, lambda it: calls.append(it.key),
                      output_present=lambda it: it.payload["i"] == 1)
    assert calls == ["embed/v00/k", "embed/v02/k"] and res.recovered == ["embed/v01/k"]
    assert led.entries()["embed/v01/k"]["recovered"] is True


def test_typed_error_is_recorded_once(tmp_path):
    led, calls = WorkLedger(tmp_path / "ledger.json"), []

    def work(it):
        calls.append(it.key)
        if it.payload["i"] == 0:
            raise UnreadableVideoError("x.mp4", "no frame decodes")

    res = run_backlog(items(2), led, work)
    assert "embed/v00/k" in res.rejected and res.done == ["embed/v01/k"]
    assert led.entries()["embed/v00/k"]["rejected"] == "unreadable"
    run_backlog(items(2), led, work)
    assert calls == ["embed/v00/k", "embed/v01/k"]


def _mark_many(path, start):
    led = WorkLedger(path)
    for i in range(start, start + 40):
        led.mark_done(f"k{i}", worker=start)


def test_ledger_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "ledger.json"
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_mark_many, args=(path, s)) for s in (0, 100)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    want = {f"k{i}" for i in list(range(40)) + list(range(100, 140))}
    led = WorkLedger(path)
    assert set(led.entries()) == want
    for p in led.dir.glob("*"):
        assert p.suffix == ".json" and json.loads(p.read_text())["key"] in want  # whole files, no temporaries
    assert not path.with_suffix(".json.lock").exists()  # no lock file: nothing to trust a share's flock with


def test_compaction_folds_entries_and_keeps_the_ones_written_meanwhile(tmp_path):
    led = WorkLedger(tmp_path / "ledger.json")
    for i in range(5):
        led.mark_done(f"k{i}", n=i)
    assert led.compact() == 5 and list(led.dir.glob("*.json")) == []
    assert json.loads((tmp_path / "ledger.json").read_text())["done"]["k3"]["n"] == 3
    led.mark_done("k9")
    led.mark_done("k3", n=99)  # already done: not written again
    assert set(led.entries()) == {"k0", "k1", "k2", "k3", "k4", "k9"} and led.entries()["k3"]["n"] == 3
    assert led.compact() == 1 and led.compact() == 0
    assert set(WorkLedger(tmp_path / "ledger.json").entries()) == {"k0", "k1", "k2", "k3", "k4", "k9"}
