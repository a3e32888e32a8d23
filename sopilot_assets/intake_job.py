"""``sopilot_intake_job``: takes the inbox files the sensor noticed as stable (hash, dedupe, check,
move into ``raw/``, verify, register, pair, or quarantine with the reason), so a 4 GB file on a
slow share is read in a run, on a worker, never in the daemon's sensor tick.

The sensor (sensors.py) hands over the files as run config (``entries``: what ``Intake.notice``
found, each with the size and mtime it had) and starts one intake run at a time; it starts one
too when a crash left a move half-done (registry journal) or a run reported a video it cannot
embed (storage/bad_videos.py). A file gone from the inbox or changed since the sensor saw it is
skipped (taken by another run, or noticed again). What the run registered reaches the sensor
through the registry log (videos, pairs; ``steps``: a gold whose steps file changed; ``retry``:
a not-embedded video dropped again), which the next tick announces as partitions and runs. The
run writes the ``ingest_events`` rows, refreshes the ``quarantine`` table and records the
``quarantine``, ``reviews`` and ``task_profiles`` materializations of what it took."""

import json
import time

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.storage import intake_failures
from sopilot_resources.storage.bad_videos import quarantine_reported
from sopilot_resources.storage.inbox import InboxEntry
from sopilot_resources.storage.quarantine import refresh_quarantine_table, tick_text
from sopilot_resources.storage.stability import StabilityTracker

from .assets.quarantine import quarantine_event
from .assets.reviews import profiles_event, reviews_event
from .jobs import LANE, RUN_TAGS

INTAKE_JOB = "sopilot_intake_job"
OP = "inbox_intake"
FIELDS = ("rel", "kind", "task", "role", "reason", "message", "size", "mtime_ns", "recording")


def entries_config(entries: list[InboxEntry], stability: dict) -> str:
    """The run config's ``entries``: each noticed entry, with since when it is unchanged."""
    return json.dumps([{**{f: getattr(e, f) for f in FIELDS}, "since": (stability.get(e.rel) or [0, 0, 0])[2]}
                       for e in entries], separators=(",", ":"))


def intake_request(entries: list[InboxEntry], stability: dict, now: float) -> dg.RunRequest:
    import hashlib

    text = entries_config(entries, stability)
    digest = hashlib.sha1(text.encode()).hexdigest()[:12]
    return dg.RunRequest(run_key=f"intake:{digest}:{now:.0f}", job_name=INTAKE_JOB,
                         run_config={"ops": {OP: {"config": {"entries": text}}}},
                         tags={"sopilot/files": str(len(entries)), "dagster/priority": "3", LANE: "intake"})


class IntakeRunConfig(dg.Config):
    entries: str = "[]"  # JSON: the sensor's noticed entries (``entries_config``)


@dg.op(name=OP, description="Takes the inbox files the sensor found stable: hash, dedupe, check, move, verify, "
                            "register, pair, or quarantine with the reason.")
def inbox_intake(context: dg.OpExecutionContext, config: IntakeRunConfig, video_store: VideoStoreResource,
                 embedder: EmbedderResource, results_store: ResultsStoreResource) -> None:
    ekey = embedder.identity_key(video_store.store())
    intake = video_store.intake(embedder_key=ekey)
    store, registry, rs = intake.store, intake.registry, results_store.store()
    docs = json.loads(config.entries)
    entries = [InboxEntry(path=store.inbox / d["rel"], **{f: d[f] for f in FIELDS}) for d in docs]
    tracker = StabilityTracker({d["rel"]: [d["size"], d["mtime_ns"], d["since"], 0, 1] for d in docs},
                               intake.config.stable_seconds)
    events = quarantine_reported(intake)  # videos runs found cannot be embedded
    out = intake.take(entries, tracker, time.time(), intake_failures.for_entries(store, entries))
    intake_failures.save(store, entries, out.failures)
    events += out.events
    for key in out.regold:  # the sensor starts its gold_steps run
        registry.log("steps", key)
    for ev in events:
        if ev.action == "retry":  # the sensor reruns the video at once
            registry.log("retry", ev.video_key)
        getattr(context.log, ev.level if ev.level in ("info", "warning", "error") else "info")(ev.message)
    if events:
        rs.append("ingest_events", [ev.row() for ev in events], prefix=time.strftime("%Y%m%dT%H%M%S"))
    text = tick_text(events)
    made = [ev for ev in events if ev.action == "profile"]
    if made:
        context.log_event(profiles_event(registry, "; ".join(ev.message for ev in made)))
    stored = [ev for ev in events if ev.action == "review"]
    if stored:
        context.log_event(reviews_event(len(stored), "; ".join(ev.message for ev in stored)))
    rejected = [ev for ev in events if ev.action == "quarantined"]
    if rejected:
        rows = refresh_quarantine_table(store, rs)
        context.log_event(quarantine_event(rejected, rows, str(store.quarantine_dir), text))
    left = sum(1 for e in entries if e.path.exists() or e.path.is_symlink())  # a steps file went with its gold
    context.log.info(f"{len(entries)} inbox file(s) handed over: {text}" +
                     (f"; {left} left in the inbox for now (waiting for a companion file, changed, "
                      "taken by another run, or to be retried)" if left > 0 else ""))


@dg.job(name=INTAKE_JOB, tags={**RUN_TAGS, LANE: "intake"},
        description="Takes stable inbox files (started by sopilot_inbox_sensor): hash, dedupe, check, move into "
                    "raw/, register, pair, or quarantine with the reason.")
def intake_job():
    inbox_intake()
