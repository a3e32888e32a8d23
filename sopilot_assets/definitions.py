"""The SOPilot code location: ``dagster dev -w workspace.yaml`` (or ``sopilot serve``) loads ``defs``.

The settings are read from the environment once, here, when the code location loads
(``Settings.from_env()``, every variable in docs/operations.md), and passed to what needs them:
resources (``dg.EnvVar`` where a variable is set), sensors, schedules, asset builders. Code
versions carry the embedder identity and the default scoring profile's fingerprint, so changing
either shows the affected assets stale in the UI.
"""
from __future__ import annotations

import dagster as dg

from sopilot_assets.schedules import idle_definitions

from sopilot_resources.dagster_resources.engine import (
    AlignerResource, EmbedderResource, ScoringProfileResource, gpu_present)
from sopilot_resources.dagster_resources.env import plain
from sopilot_resources.deploy import gpu_wanted
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.settings import Settings

from .assets.common import Versions
from .assets.disk import build_disk_check, disk_spec
from .assets.quarantine import quarantine_spec
from .assets.reviews import golden_set, profiles_spec, reviews_spec
from .assets.rollups import all_scores, task_summary
from .assets.scores import build_score_assets
from .assets.steps import build_steps_asset
from .assets.videos import build_video_assets
from .executors import executor_for
from .intake_job import intake_job
from .jobs import pair_job, rollup_job, video_job
from .sensors import build_inbox_sensor

AUTOMATION_SENSOR = "sopilot_automation_sensor"


def default_resources(settings: Settings) -> dict:
    return {
        "video_store": VideoStoreResource.from_settings(settings),
        "results_store": ResultsStoreResource.from_settings(settings),
        "embedder": EmbedderResource.from_settings(settings),
        "aligner": AlignerResource.from_settings(settings),
        "scoring_profile": ScoringProfileResource.from_settings(settings),
    }


def versions_from_settings(settings: Settings) -> Versions:
    """The values code versions carry, from the settings' values (not EnvVar placeholders)."""
    emb = EmbedderResource(name=settings.embedder, device=settings.device,
                           model_dir=plain(settings, "model_dir"))
    prof = ScoringProfileResource(profile_path=plain(settings, "profile"))
    return Versions(embedder_key=emb.fingerprint(), profile_fingerprint=prof.fingerprint(),
                    gpu_embed=gpu_wanted(settings, "embed", gpu_present),
                    gpu_align=gpu_wanted(settings, "align", gpu_present))


def build_definitions(settings: Settings | None = None, resources: dict | None = None,
                      versions: Versions | None = None, extra: list[dg.Definitions] = ()) -> dg.Definitions:
    """The graph (assets, jobs, inbox + automation sensors, resources) under ``settings``
    (default: read from the environment now). ``extra``: more Definitions merged in (e.g.
    idle-time schedules and their jobs/resources)."""
    s = settings or Settings.from_env()
    v = versions or versions_from_settings(s)
    assets = [build_video_assets(v, s), build_steps_asset(v),
              build_score_assets(v, s), all_scores, task_summary, quarantine_spec, disk_spec,
              reviews_spec, golden_set, profiles_spec]
    automation = dg.AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR, target=dg.AssetSelection.assets(all_scores, task_summary, golden_set),
        default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=max(s.sensor_interval, 30),
        run_tags={"dagster/priority": "-1"},  # behind every video and pair run in the queue
        description="Refreshes the roll-ups after new scores, and the golden sets after new reviews.")
    core = dg.Definitions(
        assets=assets, asset_checks=[build_disk_check(s.min_free_mb, s.dagster_home)],
        jobs=[intake_job, video_job, pair_job, rollup_job],
        sensors=[build_inbox_sensor(s), automation],
        resources=resources or default_resources(s),
        executor=executor_for(s),  # in-process on one box; Celery or k8s in the cluster profile
    )
    return dg.Definitions.merge(core, *extra) if extra else core


def code_location(settings: Settings | None = None) -> dg.Definitions:
    """Everything the code location serves: the graph, plus idle-time heavy work, the nightly
    soak and the idle gate (issue 4), all under one ``Settings`` (default: the environment)."""
    s = settings or Settings.from_env()
    v = versions_from_settings(s)
    return build_definitions(s, versions=v, extra=[idle_definitions(s, v)])


defs = code_location()
