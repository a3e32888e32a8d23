"""Each asset materialized with dg.materialize on a temporary instance, on real small videos."""
import json

import pytest

import dagster as dg
from dagster_support import resources, tick, write_steps, write_video

from sopilot_assets.assets.common import Versions
from sopilot_assets.assets.rollups import all_scores, task_summary
from sopilot_assets.assets.scores import build_score_assets
from sopilot_assets.assets.steps import build_steps_asset
from sopilot_assets.assets.videos import build_video_assets
from sopilot_assets.definitions import build_definitions, versions_from_settings
from sopilot_resources.settings import Settings
from sopilot_resources.storage import Registry, ResultsStore

S = Settings()  # the built-in defaults (run limits of the asset builders)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A data root after one sensor tick: gold (with steps) + good and swapped trainees in task
    `assembly`; a dark gold + trainee in task `night`."""
    root = tmp_path_factory.mktemp("data")
    inbox = root / "inbox"
    write_steps(write_video(inbox / "assembly/gold/gold.avi", seed=1))
    write_video(inbox / "assembly/trainee/good.avi", seed=2)
    write_video(inbox / "assembly/trainee/swapped.avi", order=(0, 2, 1, 3), seed=3)
    write_video(inbox / "night/gold/dark.avi", seed=4, dark=True)
    write_video(inbox / "night/trainee/t.avi", seed=5)
    res = resources(root)
    v = versions_from_settings(S)
    defs = build_definitions(S, resources=res, versions=v)
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        yield {"root": root, "res": res, "v": v, "defs": defs, "inst": inst, "cursor": r.cursor,
               "reg": Registry(root / "registry"),
               "rs": ResultsStore(root / "results", root / "sopilot.duckdb")}


def key_of(w, name):
    return next(r.key for r in w["reg"].videos() if r.file_name == name)


def pair_of(w, trainee, gold=None):
    return next(p.key for p in w["reg"].pairs() if p.trainee_key == key_of(w, trainee)
                and (gold is None or p.gold_key == key_of(w, gold)))


def materialize(w, assets, partition=None, selection=None, ok=True):
    res = dg.materialize(assets, partition_key=partition, instance=w["inst"], resources=w["res"],
                         selection=selection, raise_on_error=False)
    assert res.success is ok
    return res


def checks(res):
    return {e.check_name: e.passed for e in res.get_asset_check_evaluations()}


def video_assets(w):
    return [build_video_assets(w["v"], S), build_steps_asset(w["v"])]


@pytest.fixture(scope="module")
def embedded(world):
    for name in ("gold.avi", "good.avi", "swapped.avi"):
        sel = None if name == "gold.avi" else ["video", "clip_embeddings"]
        world[name] = materialize(world, video_assets(world), key_of(world, name), sel)
    return world


def test_video_asset_metadata_and_row(embedded):
    w = embedded
    mats = w["gold.avi"].asset_materializations_for_node("ingest_video")
    md = next(m.metadata for m in mats if m.asset_key.path[-1] == "video")
    assert md["resolution"].value == "160x120" and md["codec"].value == "MJPG"
    assert 11.0 < md["duration_sec"].value < 13.0 and md["fps"].value == pytest.approx(10.0)
    assert md["quality_flags"].value == "none"
    assert md["contact_sheet"].value.endswith("contact_sheet.png")
    assert "data:image/jpeg;base64," in md["preview"].value
    rows = w["rs"].query("SELECT task, role, file_name, width, height FROM videos ORDER BY file_name")
    assert [(r["file_name"], r["role"]) for r in rows] == [
        ("gold.avi", "gold"), ("good.avi", "trainee"), ("swapped.avi", "trainee")]


def test_embeddings_and_checks(embedded):
    res = embedded["gold.avi"]
    md = next(m.metadata for m in res.asset_materializations_for_node("ingest_video")
              if m.asset_key.path[-1] == "clip_embeddings")
    assert md["clips"].value > 10 and md["embedder"].value == embedded["v"].embedder_key
    assert checks(res) == {"embeddings_valid": True, "gold_quality_gate": True}


def test_gold_steps_from_sidecar(embedded):
    md = embedded["gold.avi"].asset_materializations_for_node("gold_steps")[0].metadata
    assert md["steps"].value == 4 and md["source"].value == "sidecar"
    rows = embedded["rs"].query("SELECT name, critical FROM steps WHERE role = 'gold' ORDER BY step_index")
    assert [r["name"] for r in rows] == ["step 1", "step 2", "step 3", "step 4"]
    assert [r["critical"] for r in rows] == [False, True, False, False]


def test_gold_steps_refuses_a_trainee(embedded):
    w = embedded
    res = materialize(w, video_assets(w), key_of(w, "good.avi"), ["gold_steps"], ok=False)
    assert "gold partitions only" in str(res.get_step_failure_events()[0].step_failure_data.error.message)


@pytest.fixture(scope="module")
def scored(embedded):
    w = embedded
    score = build_score_assets(w["v"], S)
    for name in ("good.avi", "swapped.avi"):
        w["pair:" + name] = materialize(w, [score], pair_of(w, name))
    return w


def test_score_pair_materializes_both_assets_with_checks(scored):
    res = scored["pair:good.avi"]
    assert checks(res) == {"alignment_path_valid": True, "score_explained": True}
    al = res.asset_materializations_for_node("score_pair")
    by_key = {m.asset_key.path[-1]: m.metadata for m in al}
    assert set(by_key) == {"pair_alignment", "pair_score"}
    sc = by_key["pair_score"]
    assert sc["verdict"].value in ("pass", "needs_review", "retrain", "fail")
    cols = [c.name for c in sc["deviation_table"].value.schema.columns]
    assert cols[:4] == ["#", "deviation", "step #", "step name"]
    for k in ("alignment_png", "timeline_png"):
        assert sc[k].value.endswith(".png")
    # timeline inline as PNG, alignment inline as JPEG (a cost matrix is large as PNG)
    assert sc["report"].value.count("data:image/png;base64,") == 1
    assert sc["report"].value.count("data:image/jpeg;base64,") == 1
    # the summary first and short enough for the UI to show inline; an HTML file to mail beside it
    assert list(sc)[0] == "summary" and len(sc["summary"].value) < 1000
    assert sc["verdict"].value.replace("_", " ").upper() in sc["summary"].value
    html = open(sc["report_html"].value).read()
    assert html.startswith("<!doctype html>") and "http" not in html and html.count("data:image/") == 2


def test_scores_in_duckdb(scored):
    rows = scored["rs"].query("SELECT trainee_file, gold_file, score, verdict, verdict_reason, scored_at, task FROM scores")
    by = {r["trainee_file"]: r for r in rows}
    assert set(by) == {"good.avi", "swapped.avi"}
    assert by["good.avi"]["verdict"] == "pass" and by["good.avi"]["gold_file"] == "gold.avi"
    assert by["good.avi"]["verdict_reason"].startswith("PASS: score ")
    assert by["swapped.avi"]["verdict_reason"].startswith(by["swapped.avi"]["verdict"].replace("_", " ").upper() + ": ")
    assert by["swapped.avi"]["score"] < by["good.avi"]["score"]
    assert all(r["scored_at"] is not None and r["task"] == "assembly" for r in rows)
    devs = scored["rs"].query("SELECT type, penalty FROM deviations WHERE trainee_file = 'swapped.avi'")
    assert devs and sum(d["penalty"] for d in devs) == pytest.approx(100 - by["swapped.avi"]["score"], abs=0.05)


def test_the_gold_step_changes_are_kept_beside_its_embeddings(scored, monkeypatch):
    """Scoring the swapped trainee made the gold's step changes; they are kept in the gold's
    work folder (scene/gold_store.py), where the next run's pairs read them back."""
    from sopilot_resources.scene import compare

    w = scored
    gold = next(r for r in w["reg"].videos() if r.file_name == "gold.avi")
    (emb,) = w["root"].rglob(f"videos/{gold.sha256}/*/embeddings.npz")
    kept = sorted(emb.parent.glob("gold.scene-*.npz"))
    assert kept, f"no gold step changes beside {emb}"
    made = []
    real = compare.gold_changes
    monkeypatch.setattr(compare, "gold_changes", lambda *a, **k: made.append(1) or real(*a, **k))
    materialize(w, [build_score_assets(w["v"], S)], pair_of(w, "swapped.avi"))  # another run
    assert not made and sorted(emb.parent.glob("gold.scene-*.npz")) == kept  # read back, none made


def test_rescoring_a_pair_replaces_its_rows(scored):
    w = scored
    materialize(w, [build_score_assets(w["v"], S)], pair_of(w, "good.avi"))
    n = w["rs"].query("SELECT count(*) AS n FROM scores WHERE trainee_file = 'good.avi'")[0]["n"]
    assert n == 1


def test_rollups(scored):
    w = scored
    res = materialize(w, [all_scores, task_summary])
    md = res.asset_materializations_for_node("all_scores")[0].metadata
    assert md["pairs_scored"].value == 2
    csv_text = (w["root"] / "work/reports/all_scores.csv").read_text()
    assert "good.avi" in csv_text and "swapped.avi" in csv_text
    row = w["rs"].query("SELECT * FROM task_summary")[0]
    assert row["task"] == "assembly" and row["n_scored"] == 2 and row["current_gold"] == "gold.avi"
    # every trainee with its latest verdict and score, worst first, on the page and in DuckDB
    md = res.asset_materializations_for_node("task_summary")[0].metadata
    table = md["trainees"].value
    assert [c.name for c in table.schema.columns][:4] == ["task", "trainee", "verdict", "score"]
    recs = [r.data for r in table.records]
    scores = {r["trainee_file"]: r for r in w["rs"].query("SELECT * FROM scores")}
    assert {r["trainee"] for r in recs} == {"good.avi", "swapped.avi"}
    for r in recs:
        assert r["verdict"] == scores[r["trainee"]]["verdict"] and r["partition"] == scores[r["trainee"]]["pair_key"]
    assert recs[-1]["trainee"] == "good.avi" and recs[-1]["what went wrong"] == "-"  # a pass: last
    swapped = next(r for r in recs if r["trainee"] == "swapped.avi")
    first = w["rs"].query("SELECT type, gold_step, gold_step_name FROM deviations WHERE trainee_file = 'swapped.avi' "
                          "ORDER BY penalty DESC LIMIT 1")[0]
    assert swapped["what went wrong"].startswith(
        f"{first['type'].replace('_', ' ')} step {first['gold_step'] + 1} \"{first['gold_step_name']}\"")
    rows = w["rs"].query("SELECT trainee_file, verdict, score FROM trainee_summary ORDER BY trainee_file")
    assert [(r["trainee_file"], r["verdict"]) for r in rows] == [
        (t, scores[t]["verdict"]) for t in ("good.avi", "swapped.avi")]


def test_dark_gold_is_flagged_and_its_trainee_waits(embedded):
    w = embedded
    res = materialize(w, video_assets(w), key_of(w, "dark.avi"), ok=False)
    assert checks(res)["gold_quality_gate"] is False
    assert "gold flagged: dark" in str(res.get_step_failure_events()[0].step_failure_data.error.message)
    materialize(w, video_assets(w), key_of(w, "t.avi"), ["video", "clip_embeddings"])
    r = tick(w["defs"], w["inst"], w["cursor"], w["res"])
    night = [rr for rr in r.run_requests if rr.partition_key.startswith("night/")]
    assert night == []
    assert "gold flagged" in json.dumps(json.loads(r.cursor)["blocked"])
    assert w["rs"].query("SELECT count(*) AS n FROM ingest_events WHERE reason = 'gold_flagged'")[0]["n"] == 1
    # a better gold takes over the waiting trainee; its pair runs once the gold is embedded
    write_video(w["root"] / "inbox/night/gold/bright.avi", seed=6)
    r = tick(w["defs"], w["inst"], r.cursor, w["res"])
    new_pair = pair_of(w, "t.avi", gold="bright.avi")
    assert new_pair in w["inst"].get_dynamic_partitions("pairs")
    assert w["reg"].task("night").current_gold["version"] == 2
    materialize(w, video_assets(w), key_of(w, "bright.avi"))
    r = tick(w["defs"], w["inst"], r.cursor, w["res"])
    assert [(rr.job_name, rr.partition_key) for rr in r.run_requests] == [("sopilot_pair_job", new_pair)]


def test_sensor_requests_pair_runs_once_inputs_exist(scored):
    w = scored
    r = tick(w["defs"], w["inst"], w["cursor"], w["res"])
    # both assembly pairs are scored already: nothing to request for them
    assert not [rr for rr in r.run_requests if rr.partition_key.startswith("assembly/")]
    assert all(not k.startswith("assembly/") for k in w["reg"].pending_pairs())


def test_code_versions_carry_embedder_and_profile():
    a = Versions(embedder_key="color-motion-v1-aaaa", profile_fingerprint="p1")
    b = Versions(embedder_key="vjepa2-v1-bbbb", profile_fingerprint="p1")
    c = Versions(embedder_key="color-motion-v1-aaaa", profile_fingerprint="p2")

    def cv(v, builder, key):
        asset = builder(v) if builder is build_steps_asset else builder(v, S)
        return asset.code_versions_by_key[dg.AssetKey(key)]

    assert cv(a, build_video_assets, "clip_embeddings") != cv(b, build_video_assets, "clip_embeddings")
    assert cv(a, build_steps_asset, "gold_steps") != cv(b, build_steps_asset, "gold_steps")
    assert cv(a, build_video_assets, "video") == cv(b, build_video_assets, "video")
    for key in ("pair_alignment", "pair_score"):
        assert len({cv(x, build_score_assets, key) for x in (a, b, c)}) == 3


def test_definitions_module_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("SOPILOT_DATA_DIR", str(tmp_path.resolve()))
    monkeypatch.setenv("SOPILOT_SENSOR_INTERVAL", "7")
    import importlib

    import sopilot_assets.definitions as mod

    defs = importlib.reload(mod).defs
    dg.Definitions.validate_loadable(defs)
    assert {j.name for j in defs.resolve_all_job_defs()} >= {
        "sopilot_video_job", "sopilot_pair_job", "sopilot_rollup_job"}
    assert {s.name for s in defs.sensors} == {"sopilot_inbox_sensor", "sopilot_automation_sensor"}
    assert defs.resolve_job_def("sopilot_video_job").executor_def.name == "in_process"
    # settings read once at load: a variable that is set reaches the resource as a dg.EnvVar
    # (the UI shows the variable; each run reads it), the sensor gets its interval
    store = defs.resources["video_store"]
    assert isinstance(store.data_dir, dg.EnvVar) and store.data_dir.env_var_name == "SOPILOT_DATA_DIR"
    assert defs.resolve_sensor_def("sopilot_inbox_sensor").minimum_interval_seconds == 7


def test_gpu_work_goes_to_the_gpu_pool_only_with_a_gpu():
    cpu = Versions(embedder_key="k", profile_fingerprint="p")
    gpu = Versions(embedder_key="k", profile_fingerprint="p", gpu_embed=True, gpu_align=True)

    def pools(assets_def):
        return set(assets_def.op.pools)

    assert pools(build_video_assets(cpu, S)) == set() and pools(build_score_assets(cpu, S)) == set()
    assert pools(build_video_assets(gpu, S)) == {"gpu"} and pools(build_score_assets(gpu, S)) == {"gpu"}
    assert pools(build_steps_asset(gpu)) == set()  # CPU work never waits for the GPU


def test_runs_cap_blas_threads_while_they_work():
    """Runs share the cores: while a run works its BLAS pool has one thread, then it is restored."""
    from threadpoolctl import threadpool_info

    from sopilot_assets.assets.common import shared_machine

    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    assert before, "NumPy's BLAS is not visible to threadpoolctl"
    with shared_machine(nice=0, blas_threads=1):
        assert blas_threads() == [1] * len(before)
    assert blas_threads() == before
