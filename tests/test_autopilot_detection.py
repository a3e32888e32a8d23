"""The autopilot's detection settings (issue 15 item 4: strictness, ratios): each candidate
rescores the golden set from stored embeddings (dry, nothing written), the search picks the
setting that agrees best with the reviews, behind the same gate and canary as thresholds."""
import json

import pytest

from scored_root import DURS, EKEY, GOLD_PLAN, P, STEPS, put_video
from synthetic_embeddings import render
from sopilot_resources.pair_scoring import score_stored_pair
from sopilot_resources.scoring.autopilot import Case, best_variant, propose
from sopilot_resources.scoring.autopilot_detect import apply, variants
from sopilot_resources.scoring.build_pair import build_evidence
from sopilot_resources.scoring.engine import rejudge, score_embeddings
from sopilot_resources.scoring.profile import Profile, load_profile
from sopilot_resources.storage import PairRecord, Registry, ResultsStore, VideoStore, pair_key
from sopilot_resources.storage import autopilot_state as ap
from sopilot_resources.storage.profiles import add_version
from sopilot_resources.storage.registry import TaskRecord
from sopilot_resources.storage.reviews import make_review, record_review

TASK = "assembly"
#: the plant's profile: slowness costs 40 points, so a step flagged slow leaves `pass`
#: whatever the thresholds within their bounds; the reviews say those trainees passed
DOC = {"penalties": {"slow_step": 40.0}}
CURRENT = {"pass_min": 85.0, "review_min": 70.0, "retrain_min": 50.0}


def plan(slow: int | None = None, factor: float = 2.4, drop: int | None = None):
    out = [(-1, 2.0)]
    for k, d in enumerate(DURS):
        if k != drop:
            out += [(k, d * (factor if k == slow else 1.0)), (-1, 1.0)]
    return out


def _root(tmp_path):
    store = VideoStore.at(tmp_path / "data").ensure()
    reg = Registry(store.registry_dir)
    gold = put_video(store, reg, 1, "gold", task=TASK, version=1)
    path = store.embeddings_path(gold.sha256, EKEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    render(GOLD_PLAN, P, noise=0.3, seed=1).save(path)
    store.steps_path(gold.sha256, EKEY).write_text(json.dumps({"steps": [s.to_dict() for s in STEPS]}))
    reg.put_task(TaskRecord(task=TASK, golds=[{"version": 1, "key": gold.key, "sha256": gold.sha256,
                                               "file_name": gold.file_name, "registered_at": ""}]))
    entry = ap.write_profile(store, TASK, DOC)
    add_version(reg, reg.task(TASK), entry, "inbox", "the plant's profile")
    return store, gold, entry["sha256"]


def _trainee(store, gold, profile_sha, n, trainee_plan, seed, verdict):
    """Trainee ``n`` rendered from ``trainee_plan``, scored by the real path, then reviewed."""
    reg = Registry(store.registry_dir)
    tr = put_video(store, reg, n, "trainee", task=TASK)
    path = store.embeddings_path(tr.sha256, EKEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    render(trainee_plan, P, noise=0.3, seed=seed).save(path)
    pair = PairRecord(key=pair_key(TASK, tr.file_name, tr.sha256, 1), task=TASK, gold_key=gold.key,
                      trainee_key=tr.key, gold_sha256=gold.sha256, trainee_sha256=tr.sha256, gold_version=1,
                      created_at="", profile_sha256=profile_sha)
    reg.put_pair(pair)
    s = score_stored_pair(store, ResultsStore(store.results, store.duckdb_path), pair.key, EKEY, device="cpu")
    verdict = verdict or s.result.verdict  # None: the reviewer agrees with the engine
    record_review(store, make_review(store, tr.file_name, verdict, task=TASK, reviewer="maria"))
    return s.result


def _golden(tmp_path):
    """2 correct, 4 slow at one step (reviewed: pass), 4 with a step skipped (reviewed as the
    engine judged them: retrain or needs_review)."""
    store, gold, sha = _root(tmp_path)
    res = {}
    for n, (p, seed, verdict) in enumerate([
            (plan(), 11, "pass"), (plan(), 12, "pass"),
            (plan(slow=0), 7, "pass"), (plan(slow=2), 9, "pass"), (plan(slow=0), 17, "pass"), (plan(slow=2), 19, "pass"),
            (plan(drop=0), 21, None), (plan(drop=2), 22, None), (plan(drop=3), 23, None),
            (plan(drop=0), 24, None)], start=2):
        res[n] = _trainee(store, gold, sha, n, p, seed, verdict)
    return store, gold, sha, res


def test_rejudging_built_evidence_equals_scoring_afresh():
    g = render(GOLD_PLAN, P, noise=0.3, seed=1)
    t = render(plan(slow=2), P, noise=0.3, seed=9)
    pe, _ = build_evidence(g, t, STEPS, Profile(), device="cpu", scene=False)
    for prof in (Profile(), Profile(slow_ratio=2.6), Profile(min_confidence=0.9, critical_steps=("step 3",))):
        a, b = rejudge(pe, prof).to_dict(), score_embeddings(g, t, STEPS, prof, device="cpu", scene=False).to_dict()
        a.pop("timings"), b.pop("timings")
        assert a == b
    assert [d.type for d in rejudge(pe, Profile()).deviations] == ["slow_step"]
    assert rejudge(pe, Profile(slow_ratio=2.6)).deviations == []


def test_variants_move_one_setting_within_its_bound():
    vs = variants({"slow_ratio": 2.2}, {"d:slow_ratio": 1}, ("slow_ratio", "min_confidence"))
    assert vs == [(), (("slow_ratio", 2.0, 1),), (("slow_ratio", 2.4, 1),), (("min_confidence", 0.25, 2),),
                  (("min_confidence", 0.3, 1),), (("min_confidence", 0.4, 1),), (("min_confidence", 0.45, 2),)]
    assert variants({"fast_ratio": 0.15}, {}, ("fast_ratio",)) == [(), (("fast_ratio", 0.2, 1),), (("fast_ratio", 0.25, 2),)]
    assert apply({"pass_min": 80}, (("slow_ratio", 2.4, 1),)) == {"pass_min": 80, "slow_ratio": 2.4}


def test_a_setting_that_would_pass_a_reviewed_defective_is_never_chosen():
    today = [Case("good", "pass", 70.0), Case("bad", "retrain", 60.0), Case("bad2", "retrain", 40.0)]
    loose = [Case("good", "pass", 100.0), Case("bad", "retrain", 100.0), Case("bad2", "retrain", 40.0)]
    fair = [Case("good", "pass", 100.0), Case("bad", "retrain", 60.0), Case("bad2", "retrain", 40.0)]
    v_loose, v_fair = (("min_confidence", 0.6, 1),), (("slow_ratio", 2.6, 2),)
    assert best_variant({(): today, v_loose: loose}, CURRENT, {})[0] == ()
    assert best_variant({(): today, v_loose: loose, v_fair: fair}, CURRENT, {})[0] == v_fair
    p = propose(today, CURRENT, {}, variants={v_loose: loose, v_fair: fair}, detection_now={"slow_ratio": 2.2})
    assert p.proposed["d:slow_ratio"] == 2.6 and p.changes == {"d:slow_ratio": (2.2, 2.6)}


def test_the_autopilot_tunes_slowness_from_the_reviews_and_adopts_it(tmp_path):
    store, _, _, res = _golden(tmp_path)
    slow = [res[n] for n in (4, 5, 6, 7)]
    assert all([d.type for d in r.deviations] == ["slow_step"] and r.verdict != "pass" for r in slow)
    kind, p, msg = ap.run(store, TASK, adopt=True, canary=0, detection=())  # thresholds and weights cannot fix it
    assert kind == "rejected" and "no threshold, weight or detection setting" in msg
    kind, p, msg = ap.run(store, TASK, adopt=True, canary=0, detection=("slow_ratio", "min_confidence"))
    assert kind == "adopted", msg
    assert p.changes == {"d:slow_ratio": (2.2, 2.6)} and "slow_ratio 2.2 -> 2.6" in msg
    assert (p.agreement_before, p.agreement_after, p.n) == (6, 10, 10) and p.cv_after > p.cv_before
    reg = Registry(store.registry_dir)
    doc = json.loads((store.root / reg.task(TASK).profile["path"]).read_text())
    assert doc["slow_ratio"] == 2.6 and doc["penalties"] == DOC["penalties"]  # the weights as they were
    assert load_profile(store.root / reg.task(TASK).profile["path"]).slow_ratio == 2.6
    events = ResultsStore(store.results, store.duckdb_path).query("SELECT event, changes FROM profile_events")
    assert [e["event"] for e in events if e["event"] == "adopted"] and any(
        json.loads(e["changes"]).get("d:slow_ratio") == [2.2, 2.6] for e in events)
    st = ap.state(store, TASK)
    assert st["bounds"]["d:slow_ratio"] == 3.0  # 2 steps x 1.5 after an adopted change


@pytest.mark.parametrize("slow_review, outcome", [("pass", "adopted"), ("retrain", "canary_failed")])
def test_a_detection_canary_rescores_the_new_trainees_under_both_profiles(tmp_path, slow_review, outcome):
    store, gold, sha, _ = _golden(tmp_path)
    kind, _, msg = ap.run(store, TASK, adopt=True, canary=2, detection=("slow_ratio",))
    assert kind == "canary_started", msg
    assert ap.state(store, TASK)["candidate"]["thresholds"]["d:slow_ratio"] == 2.6
    # scored under the profile in force (slow: not a pass); the reviewer says whether slowness is fine
    _trainee(store, gold, sha, 20, plan(slow=0), 31, slow_review)
    kind, _, msg = ap.run(store, TASK, detection=("slow_ratio",))
    assert kind == "canary_waiting" and "1 of 2" in msg
    _trainee(store, gold, sha, 21, plan(drop=2), 32, None)
    kind, p, msg = ap.run(store, TASK, detection=("slow_ratio",))
    assert kind == outcome, msg
    reg = Registry(store.registry_dir)
    if outcome == "adopted":
        assert (p.agreement_before, p.agreement_after) == (1, 2) and "canary: 2 vs 1 of 2" in msg
        assert load_profile(store.root / reg.task(TASK).profile["path"]).slow_ratio == 2.6
    else:  # the candidate would pass the slow trainee the reviewer failed: dropped, bounds narrowed
        assert "would pass" in msg and p.unsafe_after == ["trainee20.mp4"]
        assert reg.task(TASK).profile["version"] == 1 and ap.state(store, TASK)["bounds"]["d:slow_ratio"] == 1.0
