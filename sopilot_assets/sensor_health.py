"""What the inbox sensor does first on every tick: measure free space, fail runs whose worker
is gone, and sweep the temporary files of failed writes.

While a disk is full the tick says so (a warning every tick, on the server console too) and
stops there: new files wait in the inbox and no run is started, since each would fail. The
check ``data_disk/free_space`` fails (recorded when the disk fills, every few minutes while it
stays full, and once passed when space is back).
When space is back: temporary files are swept and failed videos are retried at once."""
from __future__ import annotations

import time

from sopilot_resources.storage.disk import TEMP_MAX_AGE_SEC, disk_space, sweep_temp_files

from .assets.disk import REPEAT_SEC, evaluation, places
from .run_sweep import fail_dead_runs
from .sensor_cursor import InboxCursor

#: leftover temporary files are looked for this often (a walk of the data folder)
SWEEP_EVERY_SEC = 600.0
#: when space is back, temporary files older than this are the failed writes' (a write takes seconds)
BACK_AGE_SEC = 120.0


def health(context, store, cur: InboxCursor, floor_mb: float, dagster_home=None,
           now: float | None = None) -> tuple[bool, list, str]:
    """(disk full, asset events to record, the disk message). Updates ``cur``'s ``disk``
    {low, reported} and ``swept_at``; sets ``cur.space_back`` on the tick space is back."""
    now = time.time() if now is None else now
    spaces = disk_space(places(store.root, dagster_home), floor_mb)
    low = [s for s in spaces if s.low]
    report, back = cur.disk_seen(bool(low), now, REPEAT_SEC)
    events = [evaluation(spaces, floor_mb)] if report else []
    text = " ".join(s.message() for s in low)
    if low:
        context.log.warning(text)  # on the console too; when no tick can run, `sopilot serve` says it
    elif back:
        context.log.info("free space is back; retrying the videos that failed, sweeping temporary files")
    try:
        fail_dead_runs(context.instance, context.log)
    except Exception as exc:  # a full DAGSTER_HOME: the next tick tries again
        context.log.warning(f"could not look for runs whose worker died: {type(exc).__name__}: {exc}")
    if not low and (cur.space_back or now - cur.swept_at > SWEEP_EVERY_SEC):
        gone = sweep_temp_files(store.root, BACK_AGE_SEC if cur.space_back else TEMP_MAX_AGE_SEC, now=now,
                                skip=(dagster_home,) if dagster_home else ())
        cur.swept(now)
        if gone:
            context.log.info(f"removed {len(gone)} temporary file(s) left by failed writes, e.g. "
                             f"{gone[0].relative_to(store.root)}")
    return bool(low), events, text
