"""The SOPilot code location: ``dagster dev -w workspace.yaml`` (or ``sopilot serve``) loads ``defs``.

Resources come from environment variables (see docs/dagster.md). Code versions carry the
embedder identity and the default scoring profile's fingerprint, so changing either shows the
affected assets stale in the UI.
"""
from __future__ import annotations

import os

import dagster as dg

from sopilot_assets.schedules import idle_definitions

from sopilot_resources.dagster_resources.engine import (
    AlignerResource, EmbedderResource, ScoringProfileResource)
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource

from .assets.common import Versions
from .assets.quarantine import quarantine_spec
from .assets.rollups import all_scores, task_summary
from .assets.scores import build_score_assets
from .assets.steps import build_steps_asset
from .assets.videos import build_video_assets
from .jobs import pair_job, rollup_job, video_job
from .sensors import build_inbox_sensor

AUTOMATION_SENSOR = "sopilot_automation_sensor"


def default_resources() -> dict:
    return {
        "video_store": VideoStoreResource.from_env(),
        "results_store": ResultsStoreResource.from_env(),
        "embedder": EmbedderResource.from_env(),
        "aligner": AlignerResource.from_env(),
        "scoring_profile": ScoringProfileResource.from_env(),
    }


def versions_from_env() -> Versions:
    """The values code versions carry, resolved now (not as EnvVar placeholders)."""
    emb = EmbedderResource(name=os.environ.get("SOPILOT_EMBEDDER") or "color-motion",
                           device=os.environ.get("SOPILOT_DEVICE") or "auto",
                           model_dir=os.environ.get("SOPILOT_VJEPA2_DIR") or None)
    prof = ScoringProfileResource(profile_path=os.environ.get("SOPILOT_PROFILE") or None)
    aligner = AlignerResource(device=os.environ.get("SOPILOT_DEVICE") or "auto")
    return Versions(embedder_key=emb.fingerprint(), profile_fingerprint=prof.fingerprint(),
                    gpu_embed=emb.uses_gpu, gpu_align=aligner.uses_gpu)


def build_definitions(resources: dict | None = None, versions: Versions | None = None,
                      sensor_interval_sec: int | None = None,
                      extra: list[dg.Definitions] = ()) -> dg.Definitions:
    """The graph (assets, jobs, inbox + automation sensors, resources). ``extra``: more
    Definitions merged in (e.g. idle-time schedules and their jobs/resources)."""
    v = versions or versions_from_env()
    interval = sensor_interval_sec or int(os.environ.get("SOPILOT_SENSOR_INTERVAL") or 3)
    assets = [build_video_assets(v), build_steps_asset(v),
              build_score_assets(v), all_scores, task_summary, quarantine_spec]
    automation = dg.AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR, target=dg.AssetSelection.assets(all_scores, task_summary),
        default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=max(interval, 30),
        run_tags={"dagster/priority": "-1"},  # behind every video and pair run in the queue
        description="Refreshes the roll-ups after new scores.")
    core = dg.Definitions(
        assets=assets, jobs=[video_job, pair_job, rollup_job],
        sensors=[build_inbox_sensor(interval), automation],
        resources=resources or default_resources(),
        executor=dg.in_process_executor,  # ad hoc runs too: no process per step on a small box
    )
    return dg.Definitions.merge(core, *extra) if extra else core


# issue 4: idle-time heavy work, the nightly soak, the idle gate resource
defs = build_definitions(extra=[idle_definitions()])
