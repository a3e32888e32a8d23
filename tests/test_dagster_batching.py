"""Several partitions per run: how the inbox sensor groups trainee videos and ready pairs into
partition-range runs, per-partition metadata of such runs, and a failed batch split into
one run per partition so the one at fault fails alone."""
import json

import dagster as dg
import pytest
from dagster_support import execute, tick, write_steps, write_video

from sopilot_assets.batching import RANGE_END, RANGE_START, batch_request, batch_run_key, contiguous_batches
from sopilot_resources.storage import ResultsStore
from test_dagster_sensor import drop, setup


def test_contiguous_batches_follow_stored_order_and_cut_evenly():
    order = [f"k{i}" for i in range(10)]
    assert contiguous_batches(order, ["k1", "k2", "k3", "k7", "k8"], max_batch=16, parallel=1) == [
        ["k1", "k2", "k3"], ["k7", "k8"]]
    # a long stretch: at least `parallel` parts, none over max_batch, sizes within one
    parts = contiguous_batches(order, order, max_batch=4, parallel=2)
    assert [len(p) for p in parts] == [4, 4, 2] and sum(parts, []) == order
    assert contiguous_batches(order, order[:5], max_batch=16, parallel=2) == [order[:3], order[3:5]]
    assert contiguous_batches(order, ["zz", "k0"], max_batch=16) == [["zz"], ["k0"]]  # unknown key: alone
    assert contiguous_batches(order, order[:3], max_batch=1) == [["k0"], ["k1"], ["k2"]]


def test_batch_request_is_a_partition_or_a_range():
    one = batch_request("j", ["a"], batch_run_key("video", ["a"]))
    assert one.partition_key == "a" and one.run_key == "video:a" and RANGE_START not in one.tags
    many = batch_request("j", ["a", "b", "c"], batch_run_key("pair", ["a", "b", "c"], "emb"), {"x": "1"})
    assert many.partition_key is None and many.run_key == "pairs:a..c(3):emb"
    assert (many.tags[RANGE_START], many.tags[RANGE_END], many.tags["x"]) == ("a", "c", "1")


def test_a_tracked_run_that_never_appears_is_let_go():
    from sopilot_assets.batching import failed_batches
    from sopilot_assets.sensor_cursor import InboxCursor

    cur = InboxCursor()
    with dg.instance_for_test() as inst:
        cur.track("video", "videos:a..b(2)", ["a", "b"], now=1000.0)
        assert failed_batches(inst, cur, now=1010.0) == [] and "videos:a..b(2)" in cur.batches
        assert cur.in_flight("video") == set()  # no run yet: nothing is held back for it
        assert failed_batches(inst, cur, now=1000.0 + 3600) == [] and cur.batches == {}


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    d = tmp_path_factory.mktemp("five")
    gold = write_video(d / "gold.avi", seed=1, step_sec=1.5)
    write_steps(gold, step_sec=1.5)
    return gold, [write_video(d / f"t{i}.avi", seed=20 + i, step_sec=1.5) for i in range(5)]


def _drop_task(root, gold, trainees) -> None:
    """The gold with its steps file and ``trainees`` into inbox/task/."""
    drop(root, gold, "task", "gold")
    drop(root, gold.with_name("gold.steps.json"), "task", "gold")
    for t in trainees:
        drop(root, t, "task", "trainee")


def _meta(inst, asset, key):
    recs = inst.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=5).records
    assert len(recs) <= 1, f"{asset} {key} materialized {len(recs)} times"
    return recs[0].asset_materialization.metadata if recs else None


def test_trainees_and_pairs_run_in_batches_with_their_own_metadata(tmp_path, five, monkeypatch):
    monkeypatch.setenv("SOPILOT_MAX_BATCH", "3")
    gold, trainees = five
    res, defs = setup(tmp_path)
    _drop_task(tmp_path, gold, trainees)
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        gold_rr, *batches = r.run_requests
        assert gold_rr.partition_key.startswith("task/gold/") and gold_rr.tags["dagster/priority"] == "2"
        assert gold_rr.tags["sopilot/lane"] == "gold" and {b.tags.get("sopilot/lane") for b in batches} == {None}
        assert [int(b.tags["sopilot/batch_size"]) for b in batches] == [3, 2]
        assert all(b.partition_key is None and b.run_key.startswith("videos:") for b in batches)
        assert all(x.success for x in execute(defs, inst, r.run_requests))
        videos = inst.get_dynamic_partitions("videos")
        names = {_meta(inst, "video", k)["file_name"].text for k in videos}
        assert names == {"gold.avi"} | {t.name for t in trainees}  # one materialization each, own metadata
        assert _meta(inst, "clip_embeddings", videos[3])["clips"].value > 0
        r = tick(defs, inst, r.cursor, res)
        cursor = r.cursor
        assert [int(b.tags.get("sopilot/batch_size", 1)) for b in r.run_requests] == [3, 2]
        outs = execute(defs, inst, r.run_requests)
        assert all(x.success for x in outs)
        # a batch logs its pairs in one message, a line per pair, after the last one
        infos = [e.user_message for e in inst.all_logs(outs[0].run_id) if e.level == 20 and not e.is_dagster_event]
        summary = [m for m in infos if m.startswith("3 pairs done:")]
        assert len(summary) == 1 and not [m for m in infos if " vs gold " in m and m not in summary]
        assert sum(f"- {t.name} vs gold gold.avi (v1): " in summary[0] for t in trainees) == 3
        pairs = inst.get_dynamic_partitions("pairs")
        files = {_meta(inst, "pair_score", k)["trainee_file"].text: k for k in pairs}
        assert sorted(files) == sorted(t.name for t in trainees)
        assert all(k.split("/")[1].startswith(f[:-4] + "-") for f, k in files.items())
        assert all(_meta(inst, "pair_alignment", k)["trainee_clips"].value > 0 for k in pairs)
        rows = ResultsStore(tmp_path / "results", tmp_path / "sopilot.duckdb").query(
            "SELECT trainee_file FROM scores ORDER BY trainee_file")
        assert [row["trainee_file"] for row in rows] == sorted(t.name for t in trainees)
        assert tick(defs, inst, cursor, res).run_requests == []


def test_a_failed_batch_is_split_so_the_bad_video_fails_alone(tmp_path, five, monkeypatch):
    monkeypatch.setenv("SOPILOT_MAX_BATCH", "3")
    gold, trainees = five
    res, defs = setup(tmp_path)
    for t in trainees[:3]:
        drop(tmp_path, t, "task", "trainee")
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        assert len(r.run_requests) == 2  # 3 trainees, two run slots: 2 + 1
        batch = next(b for b in r.run_requests if b.partition_key is None)
        bad_key = batch.tags[RANGE_START]
        from sopilot_resources.storage import Registry

        rec = Registry(tmp_path / "registry").video_by_key(bad_key)
        raw = tmp_path / rec.raw_path
        raw.chmod(0o644)
        raw.write_bytes(raw.read_bytes()[:2000])  # truncated behind the intake's back
        results = execute(defs, inst, [batch])
        assert not results[0].success
        assert _meta(inst, "video", batch.tags[RANGE_END]) is None  # nothing half-recorded
        r2 = tick(defs, inst, r.cursor, res)
        # the bad video (its run cannot open what is left of it) is quarantined, not rerun; the other one runs alone
        assert Registry(tmp_path / "registry").video_by_key(bad_key).quarantined["reason"] == "unreadable"
        assert (tmp_path / "quarantine" / rec.file_name).exists()
        assert [x.run_key for x in r2.run_requests] == [f"video:{batch.tags[RANGE_END]}"]
        tracked = json.loads(r2.cursor)["batches"]  # the failed batch is forgotten, its solos followed
        assert batch.run_key not in tracked and {x.run_key for x in r2.run_requests} <= set(tracked)
        assert all(out.success for out in execute(defs, inst, r2.run_requests))
        assert tick(defs, inst, r2.cursor, res).run_requests == []


def test_a_failed_pair_batch_is_split_into_single_pair_runs(tmp_path, five, monkeypatch):
    monkeypatch.setenv("SOPILOT_MAX_BATCH", "3")
    gold, trainees = five
    res, defs = setup(tmp_path)
    _drop_task(tmp_path, gold, trainees[:4])
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        assert all(x.success for x in execute(defs, inst, r.run_requests))
        r = tick(defs, inst, r.cursor, res)
        assert len(r.run_requests) == 2 and all(b.partition_key is None for b in r.run_requests)
        batch = r.run_requests[0]
        from sopilot_resources.storage import Registry, VideoStore

        pair = Registry(tmp_path / "registry").pair(batch.tags[RANGE_END])
        trainee = Registry(tmp_path / "registry").video(pair.trainee_sha256)
        store = VideoStore.at(tmp_path)
        emb = next(store.video_work(trainee.sha256).rglob("embeddings.npz"))
        emb.rename(emb.with_suffix(".gone"))  # its embeddings vanish before the pair run
        assert not execute(defs, inst, [batch])[0].success
        emb.with_suffix(".gone").rename(emb)
        r2 = tick(defs, inst, r.cursor, res)
        singles = [x for x in r2.run_requests if x.partition_key]
        assert sorted(x.partition_key for x in singles) == sorted(
            inst.get_dynamic_partitions("pairs")[:2])  # the failed batch's pairs, one run each
        assert all(x.run_key.startswith("pair:") for x in singles)
        assert all(x.success for x in execute(defs, inst, singles))
        assert all(_meta(inst, "pair_score", x.partition_key) for x in singles)


def test_pairs_wait_for_their_trainees_whole_batch_run(tmp_path, five, monkeypatch):
    """Embeddings land one by one during a batch run; the pairs are requested once the run has
    ended, together, instead of a trickle of small pair runs that hold the run slots."""
    monkeypatch.setenv("SOPILOT_MAX_BATCH", "2")
    gold, trainees = five
    res, defs = setup(tmp_path)
    _drop_task(tmp_path, gold, trainees[:3])
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        gold_rr, first, second = r.run_requests
        assert int(first.tags["sopilot/batch_size"]) == 2 and second.partition_key
        execute(defs, inst, [gold_rr, first])
        from dagster._core.storage.dagster_run import DagsterRunStatus

        queued = inst.create_run_for_job(defs.resolve_job_def(second.job_name), tags={
            "dagster/run_key": second.run_key, "dagster/partition": second.partition_key})
        unkeyed = dg.RunRequest(job_name=second.job_name, partition_key=second.partition_key,
                                asset_selection=second.asset_selection, tags={})
        assert execute(defs, inst, [unkeyed])[0].success  # embeddings exist, its own run not ended yet
        assert inst.get_run_by_id(queued.run_id).status == DagsterRunStatus.NOT_STARTED
        r = tick(defs, inst, r.cursor, res)
        assert [x.tags.get("sopilot/batch_size") for x in r.run_requests] == ["2"]  # the third waits
        inst.report_run_failed(inst.get_run_by_id(queued.run_id))  # its run ends
        r = tick(defs, inst, r.cursor, res)
        assert [x.partition_key.split("/")[1][:2] for x in r.run_requests] == ["t2"]
