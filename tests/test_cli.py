"""The `sopilot` command line: --version, help, bad input, `score --json` keys, --fail-below, progress."""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from importlib.metadata import version

import pytest
from dagster_support import gold_same_swapped

from sopilot_assets.cli import build_parser, main
from sopilot_assets.progress import CountProgress, phase
from sopilot_resources.embedders import available_embedders


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    return (d, *gold_same_swapped(d))


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_version_comes_from_package_metadata(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"sopilot {version('sopilot')}"


def test_every_argument_has_help_and_the_embedder_is_a_choice(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # no line wrapping inside the checked phrases
    subs = _subparsers(build_parser())
    assert {"score", "demo", "results", "serve", "soak"} <= set(subs)
    for name, sp in subs.items():
        for action in sp._actions:
            assert action.help, f"sopilot {name} {action.dest}: no help text"
    embedder = next(a for a in subs["score"]._actions if a.dest == "embedder")
    assert embedder.choices == list(available_embedders())
    text = subs["score"].format_help()
    assert "(default: color-motion)" in text and "(default: auto)" in text
    assert "exit status" in text and "--fail-below" in text


def test_unknown_embedder_is_refused_by_the_parser(videos, capsys):
    _, gold, same, _ = videos
    with pytest.raises(SystemExit) as exc:
        main(["score", str(gold), str(same), "--embedder", "clip"])
    assert exc.value.code == 2 and "invalid choice: 'clip'" in capsys.readouterr().err


@pytest.mark.parametrize("which, what", [(0, "gold video"), (1, "trainee video"), ("--steps", "steps file"),
                                         ("--profile", "profile")])
def test_a_directory_is_one_clear_line(videos, tmp_path, capsys, which, what):
    _, gold, same, _ = videos
    args = ["score", str(gold), str(same)]
    if isinstance(which, int):
        args[1 + which] = str(tmp_path)
    else:
        args += [which, str(tmp_path)]
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"sopilot: error: {tmp_path}: is a directory; the {what} must be a file\n"


def test_score_json_has_schema_version_and_inputs(videos, capsys):
    d, gold, same, _ = videos
    profile = d / "profile.json"
    profile.write_text(json.dumps({"pass_min": 80}))
    assert main(["score", str(gold), str(same), "--json", "--profile", str(profile)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == 1 and doc["version"] == version("sopilot")
    assert doc["inputs"] == {"gold": str(gold.resolve()), "trainee": str(same.resolve()),
                             "steps": str(gold.with_name("gold.steps.json").resolve()), "profile": str(profile.resolve())}
    assert {"score", "verdict", "deviations", "steps", "metrics"} <= set(doc)


def test_score_json_inputs_steps_is_null_when_detected(videos, tmp_path, capsys):
    _, gold, same, _ = videos
    bare = tmp_path / "bare_gold.avi"  # no sidecar beside it
    bare.write_bytes(gold.read_bytes())
    assert main(["score", str(bare), str(same), "--json", "--compact"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out)["inputs"]["steps"] is None


def test_fail_below_gates_on_the_verdict(videos, capsys):
    _, gold, same, swapped = videos
    assert main(["score", str(gold), str(same), "--json", "--fail-below", "pass"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "pass"
    code = main(["score", str(gold), str(swapped), "--json", "--fail-below", "pass"])
    verdict = json.loads(capsys.readouterr().out)["verdict"]  # the result is printed before the exit
    assert verdict != "pass" and code == 3
    code = main(["score", str(gold), str(swapped), "--json", "--fail-below", "retrain"])
    assert code == (3 if json.loads(capsys.readouterr().out)["verdict"] == "fail" else 0)
    with pytest.raises(SystemExit) as exc:  # nothing is worse than fail
        main(["score", str(gold), str(same), "--fail-below", "fail"])
    assert exc.value.code == 2


def test_progress_goes_to_stderr_only_when_asked(videos):
    _, gold, same, _ = videos
    cmd = [sys.executable, "-m", "sopilot_assets.cli", "score", str(gold), str(same), "--json"]
    quiet = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""  # not a terminal: silent by default
    loud = subprocess.run([*cmd, "--progress"], capture_output=True, text=True, timeout=120)
    lines = loud.stderr.splitlines()
    assert lines[0] == "decoding and scoring same.avi against gold.avi (color-motion) ..."
    assert lines[1].startswith("done in ") and lines[1].endswith(": pass") and len(lines) == 2
    assert json.loads(loud.stdout)["verdict"] == "pass"  # stdout stays pure JSON


def test_count_progress_plain_lines_and_terminal_bar():
    plain = io.StringIO()
    with CountProgress(plain, terminal=False) as p:
        p(1, 45, "t01_valve/gold/t01_gold.mp4")
        p(12, 45, "t01_valve/trainee/t01_missing_x.mkv")
    assert plain.getvalue() == "[1/45] t01_valve/gold/t01_gold.mp4\n[12/45] t01_valve/trainee/t01_missing_x.mkv\n"
    tty = io.StringIO()
    with CountProgress(tty, terminal=True) as p:
        p(12, 45, "t01_valve/trainee/t01_missing_x.mkv")
    assert "12/45" in tty.getvalue() and "t01_missing_x.mkv" in tty.getvalue() and "[12/45]" not in tty.getvalue()


def test_phase_line_plain_or_spinner():
    plain = io.StringIO()
    with phase("decoding", True, plain, terminal=False):
        pass
    assert plain.getvalue() == "decoding ...\n"
    off = io.StringIO()
    with phase("decoding", False, off, terminal=True):
        pass
    assert off.getvalue() == ""
    tty = io.StringIO()
    with phase("decoding", True, tty, terminal=True):
        pass
    assert "decoding" in tty.getvalue() and "\x1b[" in tty.getvalue()  # redrawn in place
