"""The Dagster instance `sopilot serve` runs on: where DAGSTER_HOME is, and what is written there.

DAGSTER_HOME is `$DAGSTER_HOME` when set, else `<data root>/dagster_home` (in the cluster profile a
host-local folder, never on the shared data root), and the data root is
SOPILOT_DATA_DIR (default `./data`): ``Settings.dagster_home_dir`` and ``Settings.data_dir``.
`prepare_dagster_home` writes the project's `dagster.yaml` (template shipped next to this file)
and a workspace file pointing at `sopilot_assets.definitions`; `configure_instance` stores the `gpu` pool limit and fails runs a
previous, killed server left "in progress" so that run retries pick them up.
"""

from __future__ import annotations

import json
import logging
import os
from importlib import resources
from pathlib import Path

from sopilot_resources.settings import Settings

GPU_POOL = "gpu"
GPU_POOL_LIMIT = 1
CODE_LOCATION = "sopilot"
DEFINITIONS_MODULE = "sopilot_assets.definitions"
WORKSPACE_FILE = "sopilot_workspace.yaml"

log = logging.getLogger("sopilot.serve")


#: cluster profile: runs at once, and decoding runs at once (their steps run on the workers)
CLUSTER_RUNS, CLUSTER_DECODE_RUNS = 12, 8
#: cluster profile: the steps' captured logs, under the shared data root
COMPUTE_LOGS = "dagster_compute_logs"


def instance_template(verbose: bool = False, deployment: str = "single", data_dir: Path | None = None) -> str:
    """The shipped dagster.yaml text; ``verbose``: runs also print Dagster's DEBUG events;
    ``deployment`` "cluster": the instance in Postgres and more runs at once (cluster.yaml), and,
    given the shared ``data_dir``, the steps' captured logs kept there (``compute_logs_section``)."""
    text = resources.files(__package__).joinpath("dagster.yaml").read_text(encoding="utf-8")
    if verbose:
        text = text.replace("python_log_level: INFO", "python_log_level: DEBUG")
    if deployment == "cluster":
        for old, new in ((" max_concurrent_runs: 4\n", f" max_concurrent_runs: {CLUSTER_RUNS}\n"),
                         ("value: decode\n        limit: 2\n", f"value: decode\n        limit: {CLUSTER_DECODE_RUNS}\n")):
            assert old in text, f"dagster.yaml template changed: {old!r} not found"
            text = text.replace(old, new)
        text += resources.files(__package__).joinpath("cluster.yaml").read_text(encoding="utf-8")
        if data_dir is not None:
            text += compute_logs_section(Path(data_dir))
    return text


def compute_logs_section(data_dir: Path) -> str:
    """dagster.yaml's ``compute_logs`` on the shared data root (``<data root>/dagster_compute_logs``):
    a Celery worker writes a step's captured output where the run's instance says, on whatever
    host it runs, so with DAGSTER_HOME on each host's own disk the UI on the server could not
    show the logs of steps other hosts ran. The data root is mounted at the same path everywhere."""
    return ("\n# The steps' captured stdout/stderr on the shared data root, written by every worker and read by the\n"
            "# UI on the server (DAGSTER_HOME is on each host's own disk in this profile).\n"
            "compute_logs:\n  module: dagster._core.storage.local_compute_log_manager\n"
            "  class: LocalComputeLogManager\n  config:\n"
            f"    base_dir: {json.dumps(str(data_dir / COMPUTE_LOGS))}\n")


def workspace_text() -> str:
    return (
        "# Written by `sopilot serve`: the one code location of the project.\n"
        "load_from:\n"
        "  - python_module:\n"
        f"      module_name: {DEFINITIONS_MODULE}\n"
        f"      location_name: {CODE_LOCATION}\n"
    )


def prepare_dagster_home(settings: Settings, verbose: bool = False) -> tuple[Path, Path]:
    """Create DAGSTER_HOME (``settings.dagster_home_dir``), write dagster.yaml and the workspace
    file; return (home, workspace).

    dagster.yaml is rewritten from the template on every start (so upgrades apply) unless
    SOPILOT_KEEP_DAGSTER_YAML is on and the file exists. ``verbose``: see `instance_template`.
    """
    home = settings.dagster_home_dir
    home.mkdir(parents=True, exist_ok=True)
    yaml_path = home / "dagster.yaml"
    if not (settings.keep_dagster_yaml and yaml_path.exists()):
        _write_if_changed(yaml_path, instance_template(verbose, settings.deployment, settings.data_dir))
    workspace = home / WORKSPACE_FILE
    _write_if_changed(workspace, workspace_text())
    return home, workspace


def _write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def configure_instance(home: Path) -> list[str]:
    """Store the `gpu` pool limit and fail runs orphaned by a previous server; return their ids.

    Must only run while no other server uses this DAGSTER_HOME (serve holds a lock file).
    """
    import dagster as dg
    from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.set_concurrency_slots(GPU_POOL, GPU_POOL_LIMIT)
        stale = instance.get_runs(
            filters=RunsFilter(
                statuses=[
                    DagsterRunStatus.STARTING,
                    DagsterRunStatus.STARTED,
                    DagsterRunStatus.CANCELING,
                ]
            )
        )
        failed = []
        for run in stale:
            msg = "sopilot serve: the server stopped while this run was in progress."
            if run.status == DagsterRunStatus.CANCELING:
                instance.report_run_canceled(run, msg)
            else:
                instance.report_run_failed(run, msg)
                failed.append(run.run_id)
        for run_id in instance.event_log_storage.get_concurrency_run_ids():
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        if failed:
            log.info("marked %d interrupted run(s) failed; run retries re-execute them", len(failed))
        return failed
