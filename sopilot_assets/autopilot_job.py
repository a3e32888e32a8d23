"""``autopilot_job``: one pass of the per-task autopilot (docs/reviews.md, "Autopilot"); its
nightly schedule, when the machine is idle, is in ``schedules.py``. Each task's pass is one atomic step (a
profile_events row; an adoption is one registry write after its profile file), so a run that is
stopped leaves every task done or untouched, and the next run simply goes on."""
import dagster as dg

from sopilot_resources.dagster_resources.storage import VideoStoreResource
from sopilot_resources.settings import Settings

TAG = "sopilot/autopilot"


def build_autopilot_job(settings: Settings) -> dg.JobDefinition:
    @dg.op(description="One autopilot pass per task with reviews (propose; adopt with SOPILOT_AUTOPILOT_ADOPT=1).")
    def autopilot_pass(context: dg.OpExecutionContext, video_store: VideoStoreResource) -> dg.Output:
        from sopilot_resources.storage import autopilot_state as ap
        from sopilot_resources.storage.reviews import current_reviews

        store = video_store.store()
        tasks = sorted({r["task"] for r in current_reviews(store)}) if (store.results / "reviews").is_dir() else []
        outcome = {}
        for task in tasks:
            kind, _, msg = ap.run(store, task, adopt=settings.autopilot_adopt, min_reviews=settings.autopilot_min_reviews,
                                  canary=settings.autopilot_canary, detection=settings.autopilot_detection,
                                  device=settings.device)
            outcome[task] = kind
            context.log.info(msg)
            if kind == "adopted":
                from .assets.reviews import profiles_event

                context.log_event(profiles_event(video_store.registry(), msg))
        if not tasks:
            context.log.info("no reviews yet: nothing for the autopilot (sopilot review, docs/reviews.md)")
        md = "\n".join(f"- {t}: {k}" for t, k in outcome.items()) or "no task with reviews"
        return dg.Output(None, metadata={"tasks": len(tasks), "outcome": dg.MetadataValue.md(md),
                                         "adopted": sum(k == "adopted" for k in outcome.values())})

    @dg.job(name="autopilot_job", tags={TAG: "1"}, executor_def=dg.in_process_executor,
            description="The per-task autopilot: proposals from the golden sets, behind the gate (docs/reviews.md).")
    def autopilot_job():
        autopilot_pass()

    return autopilot_job
