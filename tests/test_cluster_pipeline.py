"""The project's own pipeline on the cluster profile: the inbox sensor evaluated on a Postgres
instance, the intake, video and pair runs it asks for executed with the Celery executor on two
`sopilot worker` processes sharing one data root. Every good trainee is scored exactly once, the bad file
is quarantined with its reason, the duplicate archived, nothing dropped is lost."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import pytest

from cluster_support import TESTS, Workers, cluster_env, cluster_instance
from dagster_support import gold_same_swapped, tick, write_video

from sopilot_assets.definitions import code_location, default_resources
from sopilot_resources.settings import Settings
from sopilot_resources.storage import ResultsStore

pytestmark = pytest.mark.timeout(420)


@pytest.fixture
def env(tmp_path, postgres, redis_url, monkeypatch):
    vals = cluster_env(tmp_path, postgres.create_db("t_pipeline"), redis_url,
                       SOPILOT_STABLE_SECONDS="0", SOPILOT_GOLD_MIN_SEC="1", SOPILOT_MAX_BATCH="1")
    for k, v in vals.items():
        monkeypatch.setenv(k, v)
    return vals


def _run_all(home: str, requests) -> list:
    """Each requested run in a process of its own (as the daemon launches them), two at a time,
    on the Celery executor: (partition, success, run id)."""
    out, pending = [], list(requests)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent), os.environ.get("PYTHONPATH", "")])}
    while pending:
        procs = []
        for rr in pending[:2]:
            tags = {**rr.tags, "dagster/run_key": rr.run_key or ""}
            if rr.partition_key:
                tags["dagster/partition"] = rr.partition_key
            sel = [k.to_user_string() for k in (rr.asset_selection or [])]
            procs.append((rr, subprocess.Popen(
                [sys.executable, str(TESTS / "cluster_jobs.py"), home, rr.job_name, json.dumps(tags),
                 json.dumps(sel), json.dumps(rr.run_config or {})], stdout=subprocess.PIPE, text=True, env=env)))
        del pending[:2]
        for rr, p in procs:
            stdout, _ = p.communicate(timeout=300)
            doc = json.loads(stdout.strip().splitlines()[-1])
            out.append((rr.partition_key, doc["ok"], doc["run_id"]))
    return out


def test_the_pipeline_on_two_celery_workers(env, tmp_path):
    settings = Settings.from_env(env)
    root = settings.data_dir
    clips = tmp_path / "clips"
    gold, same, swapped = gold_same_swapped(clips)
    inbox = root / "inbox" / "t1"
    (inbox / "gold").mkdir(parents=True)
    (inbox / "trainee").mkdir(parents=True)
    gold.rename(inbox / "gold" / gold.name)
    (clips / "gold.steps.json").rename(inbox / "gold" / "gold.steps.json")
    (inbox / "trainee" / "same.avi").write_bytes(same.read_bytes())
    (inbox / "trainee" / "swapped.avi").write_bytes(swapped.read_bytes())
    (inbox / "trainee" / "again.avi").write_bytes(same.read_bytes())  # a duplicate of same.avi
    (inbox / "trainee" / "broken.avi").write_bytes(b"not a video at all" * 100)
    write_video(inbox / "trainee" / "third.avi", order=(0, 1, 3, 2), seed=3)
    dropped = {p.name: p.read_bytes() for p in inbox.rglob("*") if p.is_file()}

    defs = code_location(settings)
    res = default_resources(settings)
    workers = Workers(env, tmp_path)
    try:
        with cluster_instance(env) as instance:
            workers.start("w1", "dagster")
            workers.start("w2", "dagster")
            workers.wait_ready()
            cursor, ran, home = None, [], str(instance.root_directory)

            def intake(requests):  # the intake runs on the workers too, each in a process of its own
                done = _run_all(home, requests)
                ran.extend(done)
                return done

            for _ in range(8):  # ticks until nothing more is asked for
                r = tick(defs, instance, cursor, res, run_intake=intake)
                cursor = r.cursor
                if not r.run_requests and ran and not any(inbox.rglob("*.avi")):
                    break
                ran += _run_all(home, r.run_requests or [])
            assert ran and all(ok for _, ok, _ in ran), ran
            intake_runs = [rid for rid in {x[2] for x in ran}
                           if instance.get_run_by_id(rid).job_name == "sopilot_intake_job"]
            assert intake_runs  # the inbox was taken by intake runs, on the workers
            on = {w.value for rid in {x[2] for x in ran}
                  for rec in instance.all_logs(rid, of_type=dg.DagsterEventType.ENGINE_EVENT)
                  for k, w in dict(rec.dagster_event.engine_event_data.metadata or {}).items()
                  if k == "Celery worker"}
            assert {w.split("@")[0] for w in on} == {"w1", "w2"}  # both workers took steps
    finally:
        workers.stop()

    rs = ResultsStore(root / "results", root / "sopilot.duckdb")
    scores = rs.query("SELECT trainee_file, count(*) AS n FROM scores GROUP BY trainee_file ORDER BY 1")
    names = [x["trainee_file"] for x in scores]
    assert all(x["n"] == 1 for x in scores) and len(names) == 3  # each distinct trainee scored once
    first, = {"again.avi", "same.avi"} & set(names)  # the same bytes twice: the first taken is scored
    assert set(names) == {first, "swapped.avi", "third.avi"}
    dup = ({"again.avi", "same.avi"} - {first}).pop()
    archived = list((root / "archive").rglob(dup))
    assert len(archived) == 1 and archived[0].read_bytes() == dropped[dup]
    assert len(list((root / "quarantine").rglob("broken.avi"))) == 1
    reasons = rs.query("SELECT file_name, reason FROM ingest_events WHERE action = 'quarantined'")
    assert [(r["file_name"], bool(r["reason"])) for r in reasons] == [("broken.avi", True)]
    # nothing lost: every dropped file's bytes are somewhere under the data root
    kept = {p.read_bytes() for p in root.rglob("*") if p.is_file() and p.suffix in (".avi", ".json")}
    assert all(b in kept for b in dropped.values())
