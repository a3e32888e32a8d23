"""Jobs the inbox sensor starts (and people can launch from the UI).

Their executor is the code location's (``executors.py``): in-process in the single profile (one
process per run: no per-step process start-up on a small machine), Celery workers or Kubernetes
jobs in the cluster profile.
Steps retry through their RetryPolicy; a run is retried by the instance only when its worker
died (not when a step failed for good, e.g. a corrupt video)."""
import dagster as dg

VIDEO_JOB = "sopilot_video_job"
PAIR_JOB = "sopilot_pair_job"
ROLLUP_JOB = "sopilot_rollup_job"
RUN_TAGS = {"dagster/retry_on_asset_or_op_failure": "false"}
#: the instance config lets at most two "decode" runs go at once, and keeps a third run slot
#: for scoring, so a batch of pairs never waits behind a batch of videos (and vice versa). A
#: gold's run (one video, which all its task's pairs wait for) is tagged GOLD_LANE instead, so
#: it starts beside two trainee batches rather than holding one of them back.
LANE = "sopilot/lane"
GOLD_LANE = "gold"

VIDEO_ASSETS = ("video", "clip_embeddings", "gold_steps")
TRAINEE_ASSETS = ("video", "clip_embeddings")

video_job = dg.define_asset_job(
    VIDEO_JOB, selection=dg.AssetSelection.assets(*VIDEO_ASSETS),
    tags={**RUN_TAGS, LANE: "decode"},
    description="Videos (one, or a range of trainees): register (probe, contact sheet), embed, and for a gold its steps.")
pair_job = dg.define_asset_job(
    PAIR_JOB, selection=dg.AssetSelection.assets("pair_alignment", "pair_score"),
    tags={**RUN_TAGS, LANE: "score"},
    description="Pairs (one or a range): align each trainee to its gold and score it.")
rollup_job = dg.define_asset_job(
    ROLLUP_JOB, selection=dg.AssetSelection.assets("all_scores", "task_summary", "golden_set"),
    tags=RUN_TAGS,
    description="Refresh the roll-ups and golden sets (also automatic after new scores and reviews).")
