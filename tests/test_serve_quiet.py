"""What `sopilot serve` prints: Dagster's routine lines only with --verbose, run workers at INFO
(every event still stored for the UI), and a warning when the UI listens beyond loopback."""
from __future__ import annotations

import logging

import dagster as dg
import pytest

from sopilot_assets.instance import prepare_dagster_home
from sopilot_assets.serve import _warn_if_exposed
from sopilot_assets.supervisor_units import ServeLayout, unit_commands, unit_env
from sopilot_resources.settings import Settings


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("DAGSTER_HOME", "SOPILOT_DATA_DIR", "SOPILOT_KEEP_DAGSTER_YAML"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_dagster_processes_are_quiet_unless_verbose(tmp_path):
    quiet = unit_commands(ServeLayout(tmp_path, "127.0.0.1", 3000))
    loud = unit_commands(ServeLayout(tmp_path, "127.0.0.1", 3000, verbose=True))
    flag = {"webserver": "--dagster-log-level", "daemon": "--log-level"}
    for name, option in flag.items():
        assert quiet[name][quiet[name].index(option) + 1] == "warning"
        assert loud[name][loud[name].index(option) + 1] == "info"
    for cmds in (quiet, loud):  # the code server stays at warning, as under `dagster dev`
        assert cmds["code_server"][cmds["code_server"].index("--log-level") + 1] == "warning"
    assert quiet["daemon"][1:4] == ["-m", "dagster._daemon", "run"]
    assert quiet["webserver"][quiet["webserver"].index("--port") + 1] == "3000"
    assert unit_env(tmp_path, tmp_path, verbose=False)["DAGSTER_verbose"] == ""  # short code errors
    assert unit_env(tmp_path, tmp_path, verbose=True)["DAGSTER_verbose"] == "1"


@pytest.mark.parametrize("verbose, level", [(False, "INFO"), (True, "DEBUG")])
def test_instance_run_log_level(clean_env, tmp_path, verbose, level):
    home, _ = prepare_dagster_home(Settings(data_dir=tmp_path / "data"), verbose=verbose)
    with dg.DagsterInstance.from_config(str(home)) as inst:
        assert inst.python_log_level == level


@dg.asset
def _said_hello(context) -> None:
    context.log.info("sopilot says hello")


def test_runs_print_info_but_store_every_event(clean_env, tmp_path, capfd):
    """The run console shows the asset's own line, not STEP_START & co.; the event log keeps them."""
    home, _ = prepare_dagster_home(Settings(data_dir=tmp_path / "data"))
    with dg.DagsterInstance.from_config(str(home)) as inst:
        # dg.materialize, not Definitions(...).resolve_job_def: resolving Definitions reads the
        # defs-state storage of whatever instance an earlier test left current
        result = dg.materialize([_said_hello], instance=inst)
        stored = {e.dagster_event.event_type_value for e in inst.all_logs(result.run_id) if e.dagster_event}
    printed = capfd.readouterr().err
    assert "sopilot says hello" in printed
    assert "STEP_START" not in printed and " - DEBUG - " not in printed
    assert {"STEP_START", "STEP_SUCCESS", "ASSET_MATERIALIZATION"} <= stored


@pytest.mark.parametrize("host, warned", [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                          ("127.0.1.1", False), ("0.0.0.0", True), ("192.168.1.20", True),
                                          ("factory-pc", True)])
def test_non_loopback_host_warns_that_the_ui_has_no_login(host, warned):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("sopilot.serve")
    logger.addHandler(handler)
    try:
        _warn_if_exposed(host)
    finally:
        logger.removeHandler(handler)
    assert bool(records) == warned
    if warned:
        assert records[0].levelno == logging.WARNING and "no login" in records[0].getMessage()
