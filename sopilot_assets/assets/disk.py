"""``data_disk``: the disks SOPilot writes to (the data folder, DAGSTER_HOME), with the check
``free_space``. The inbox sensor records the check's result when free space falls under the
floor (SOPILOT_MIN_FREE_MB), again every ``REPEAT_SEC`` while it stays there, and when it is
back; a person can also execute the check from the UI."""
from pathlib import Path

import dagster as dg

from sopilot_resources.dagster_resources.storage import VideoStoreResource
from sopilot_resources.storage.disk import disk_space

ASSET, CHECK = "data_disk", "free_space"
#: while the disk stays full, the failed check is recorded again this often
REPEAT_SEC = 600.0

disk_spec = dg.AssetSpec(
    ASSET, group_name="inbox", description="The disks under the data folder (SOPILOT_DATA_DIR) and DAGSTER_HOME. "
    "Check free_space fails while either has less free space than SOPILOT_MIN_FREE_MB: runs then fail and the "
    "inbox waits (docs/operations.md, 'A full disk'). Recorded by sopilot_inbox_sensor.")


def places(data_dir: Path, dagster_home: Path | None) -> dict[str, Path]:
    """What is measured: the data folder, and DAGSTER_HOME when set."""
    out = {"the data folder, SOPILOT_DATA_DIR": Path(data_dir)}
    if dagster_home is not None:
        out["DAGSTER_HOME"] = Path(dagster_home)
    return out


def evaluation(spaces, floor_mb: float) -> dg.AssetCheckEvaluation:
    """The check's result for ``spaces`` (storage.disk.DiskSpace list)."""
    low = [s for s in spaces if s.low]
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(ASSET), check_name=CHECK, passed=not low, severity=dg.AssetCheckSeverity.ERROR,
        description=" ".join(s.message() for s in low) or f"every disk has more than {floor_mb:.0f} MB free",
        metadata={**{f"free_mb {s.what}": round(s.free_bytes / 1e6, 1) for s in spaces},
                  "floor_mb": float(floor_mb)})


def build_disk_check(floor_mb: float, dagster_home: Path | None) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=ASSET, name=CHECK, description=f"at least {floor_mb:.0f} MB free (SOPILOT_MIN_FREE_MB) "
                    "under the data folder and DAGSTER_HOME")
    def free_space(video_store: VideoStoreResource) -> dg.AssetCheckResult:
        ev = evaluation(disk_space(places(video_store.store().root, dagster_home), floor_mb), floor_mb)
        return dg.AssetCheckResult(passed=ev.passed, severity=ev.severity, description=ev.description,
                                   metadata=ev.metadata)

    return free_space
