"""The chaos soak's plan and writers (issue 12's bar): every hostile kind present with its
expected fate, the hostile share, unique bytes per good trainee, duplicates repeating earlier
bytes, and each kind's real bytes / links / FIFOs / folders as dropped into a real inbox."""
from __future__ import annotations

import os
import random
import stat
import time
from collections import Counter
from pathlib import Path

import pytest

from sopilot_resources.soak.chaos_drops import ChaosDropper
from sopilot_resources.soak.chaos_plan import BAD_TASK_NAMES, KINDS, LONG_NAME_BYTES, plan_chaos
from sopilot_resources.soak.plan import Corpus
from sopilot_resources.video import probe
from tests.video_synth import write_ffmpeg


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    """Two tasks, a 6 s gold (with a steps file) and two 5 s trainees each, H.264 mp4."""
    root = tmp_path_factory.mktemp("corpus")
    golds, trainees = {}, {}
    for i, task in enumerate(("t01_a", "t02_b")):
        (root / task / "gold").mkdir(parents=True)
        (root / task / "trainee").mkdir(parents=True)
        golds[task] = write_ffmpeg(root / task / "gold" / f"{task}_gold.mp4", 48, fps=8, size=(160, 96))
        (root / task / "gold" / f"{task}_gold.steps.json").write_text('{"steps": []}')
        trainees[task] = [write_ffmpeg(root / task / "trainee" / f"{task}_t{k}.mp4", 40, fps=8,
                                       size=(160, 96)) for k in range(2)]
    return Corpus(golds, trainees)


def test_every_kind_present_with_its_fate_and_the_share(corpus):
    drops = plan_chaos(corpus, 500, bad_fraction=0.1, seed=3)
    assert len(drops) == 500 and len({d.seq for d in drops}) == 500
    assert len({d.rel for d in drops}) == 500  # each drop its own inbox path
    kinds = Counter(d.kind for d in drops)
    assert {k.name for k in KINDS} <= set(kinds)
    assert sum(n for k, n in kinds.items() if k != "good") == 50
    assert max(n for k, n in kinds.items() if k != "good") - min(
        n for k, n in kinds.items() if k != "good") <= 1  # cycled evenly
    fates = {k.name: k.expected for k in KINDS}
    for d in drops:
        assert d.expected == (fates[d.kind] if d.kind != "good" else ("gold" if d.role == "gold" else "scored"))
    assert [d.role for d in drops[:2]] == ["gold", "gold"]  # golds first: trainees never wait
    assert all(len(d.file_name.encode()) <= 255 for d in drops)
    assert any(len(d.file_name.encode()) >= LONG_NAME_BYTES - 5 for d in drops if d.kind == "long_name")
    profiles = [d for d in drops if d.kind == "bad_task_profile"]
    assert [d.task for d in profiles] == list(BAD_TASK_NAMES[:len(profiles)]) and all(d.rel == f"{d.task}/profile.json" for d in profiles)
    # a duplicate repeats a good trainee dropped well before it
    for d in (d for d in drops if d.kind == "duplicate"):
        orig = drops[d.dup_of]
        assert orig.kind == "good" and orig.role == "trainee" and orig.seq < d.seq - 100


def test_small_plans_still_hold_every_kind(corpus):
    drops = plan_chaos(corpus, 30, bad_fraction=0.1)
    assert {k.name for k in KINDS} <= {d.kind for d in drops}
    with pytest.raises(ValueError, match="at least"):
        plan_chaos(corpus, 10)


def test_drops_as_written_into_a_real_inbox(corpus, tmp_path):
    drops = plan_chaos(corpus, 30, seed=1)
    inbox, staging = tmp_path / "inbox", tmp_path / "staging"
    dropper = ChaosDropper(pause_sec=1.0)
    rng = random.Random(0)
    for d in drops:
        dropper.drop(d, inbox, staging, rng)
    by_kind = {d.kind: d for d in drops}
    slow = by_kind["slow_copy"]
    time.sleep(0.6)
    assert dropper.busy() == 2 and 0 < (inbox / slow.rel).stat().st_size < slow.size_bytes  # mid-copy
    dropper.join(30)
    assert not dropper.errors and dropper.busy() == 0
    for d in drops:
        p = inbox / d.rel
        assert os.path.lexists(p), d.rel
        if d.kind in ("fifo", "directory", "symlink_outside", "symlink_loop"):
            continue
        data = p.read_bytes()
        assert len(data) == d.size_bytes and d.sha256 and d.dropped_at
    goods = [d for d in drops if d.expected == "scored"]
    assert len({d.sha256 for d in goods}) == len(goods)  # every good trainee new bytes
    assert by_kind["duplicate"].sha256 == drops[by_kind["duplicate"].dup_of].sha256
    assert (inbox / by_kind["zero_byte"].rel).stat().st_size == 0
    assert (inbox / by_kind["png_as_mp4"].rel).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_ISFIFO(os.lstat(inbox / by_kind["fifo"].rel).st_mode)
    assert (inbox / by_kind["directory"].rel).is_dir()
    loop = inbox / by_kind["symlink_loop"].rel
    assert os.readlink(loop) == loop.name
    out = Path(os.readlink(inbox / by_kind["symlink_outside"].rel))
    assert out.is_file() and inbox not in out.parents
    # the borderline videos are what they claim: a 0.2 s clip, an index-first mp4 cut short,
    # an index-last mp4 (the stalled one) that opens once complete
    assert probe(inbox / by_kind["short_clip"].rel).duration_sec < 0.5
    cut = (inbox / by_kind["faststart_cut"].rel).read_bytes()
    assert cut[4:8] == b"ftyp" and b"moov" in cut[:4096]
    stalled = (inbox / by_kind["stalled_index_last"].rel).read_bytes()
    assert stalled.find(b"moov") > stalled.find(b"mdat") > 0
    assert probe(inbox / by_kind["stalled_index_last"].rel).duration_sec > 4
    assert probe(inbox / by_kind["slow_copy"].rel).duration_sec > 4
    middle = (inbox / by_kind["zeroed_middle"].rel).read_bytes()
    assert middle[len(middle) // 2 - 64:len(middle) // 2 + 64] == bytes(128)


def test_the_cli_refuses_a_burst_too_small_for_every_kind(tmp_path, capsys):
    from sopilot_assets.cli import main

    assert main(["soak", "--chaos", "--files", "10", "--data-dir", str(tmp_path)]) == 2
    assert "at least" in capsys.readouterr().err and not (tmp_path / "soak").exists()


@pytest.mark.parametrize("files, kills", [(40, 1), (40, 2), (500, 2), (500, 3)])
def test_faults_spread_over_the_drain_and_the_disk_fills_after_the_burst(files, kills):
    from sopilot_assets.soak.chaos_run import ChaosConfig, fault_times
    from sopilot_resources.soak.chaos_drops import PAUSE_SEC

    cfg = ChaosConfig(files=files, kills=kills)
    kill_at, fill_at = fault_times(cfg)
    est = files * (cfg.interval_sec + cfg.sec_per_file)
    assert len(kill_at) == kills and kill_at == sorted(kill_at) and kill_at[0] >= 20
    assert max(kill_at) <= max(20.0, 0.7 * est)  # while files are still in flight
    assert fill_at >= files * cfg.interval_sec + PAUSE_SEC  # slow writers are done
