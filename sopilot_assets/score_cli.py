"""`sopilot score GOLD TRAINEE`: the report or the JSON object, progress on stderr, a verdict gate.

The JSON object is the engine's `ScoreResult.to_dict()` plus what only the command line knows:
`schema_version`, the sopilot `version` and the `inputs` it was given (docs/scoring.md).
"""
from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sopilot_resources.errors import SopilotError
from sopilot_resources.scoring.verdict import Verdict

#: ``--fail-below V`` exits with this when the verdict is worse than V (:meth:`Verdict.worse_than`)
EXIT_BELOW = 3
#: version of the ``score --json`` object (its keys: docs/scoring.md)
SCORE_JSON_SCHEMA = 1


def sopilot_version() -> str:
    try:
        return version("sopilot")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def check_file_args(a: argparse.Namespace) -> None:
    """A directory given for a file: one clear line (exit 2) before anything is decoded."""
    for path, what in ((a.gold, "gold video"), (a.trainee, "trainee video"), (a.steps, "steps file"),
                       (a.profile, "profile")):
        if path is not None and Path(path).is_dir():
            raise SopilotError(f"{path}: is a directory; the {what} must be a file")


def _abs(path: str | None) -> str | None:
    return str(Path(path).resolve()) if path else None


def json_doc(res, a: argparse.Namespace) -> dict:
    steps = res.metrics.get("steps_source")
    inputs = {"gold": _abs(a.gold), "trainee": _abs(a.trainee),
              "steps": _abs(steps) if steps and steps != "detected" else None, "profile": _abs(a.profile)}
    return {"schema_version": SCORE_JSON_SCHEMA, "version": sopilot_version(), **res.to_dict(), "inputs": inputs}


def exit_status(verdict: str, fail_below: str | None) -> int:
    """``EXIT_BELOW`` when ``verdict`` is worse than ``fail_below``, else 0."""
    if fail_below and Verdict(verdict).worse_than(fail_below):
        return EXIT_BELOW
    return 0


def cmd_score(a: argparse.Namespace) -> int:
    from sopilot_resources.scoring.engine import score_videos
    from sopilot_resources.scoring.report import render

    from .progress import is_terminal, phase

    check_file_args(a)
    show = is_terminal(sys.stderr) if a.progress is None else a.progress
    text = f"decoding and scoring {Path(a.trainee).name} against {Path(a.gold).name} ({a.embedder})"
    with phase(text, show):
        res = score_videos(a.gold, a.trainee, steps_path=a.steps, profile_path=a.profile,
                           embedder=a.embedder, device=a.device, model_dir=a.model_dir, scene=a.scene)
    if show:
        parts = ", ".join(f"{k.removesuffix('_sec')} {v:.1f} s" for k, v in res.timings.items() if k != "total_sec")
        print(f"done in {res.timings.get('total_sec', 0.0):.1f} s ({parts}): {res.verdict}", file=sys.stderr)
    if a.json:
        print(json.dumps(json_doc(res, a), indent=None if a.compact else 2))
    else:
        print(render(res, a.gold, a.trainee))
    if a.report_dir:
        from .report_cli import write_score_report

        write_score_report(res, a.gold, a.trainee, a.report_dir)
    return exit_status(res.verdict, a.fail_below)
