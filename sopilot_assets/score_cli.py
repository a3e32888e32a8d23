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
    for path, what in ((a.gold, "gold video"), *((t, "trainee video") for t in a.trainee), (a.steps, "steps file"),
                       (a.profile, "profile")):
        if path is not None and Path(path).is_dir():
            raise SopilotError(f"{path}: is a directory; the {what} must be a file")


def _abs(path: str | None) -> str | None:
    return str(Path(path).resolve()) if path else None


def json_doc(res, a: argparse.Namespace, trainee: str) -> dict:
    steps = res.metrics.get("steps_source")
    inputs = {"gold": _abs(a.gold), "trainee": _abs(trainee),
              "steps": _abs(steps) if steps and steps != "detected" else None, "profile": _abs(a.profile)}
    return {"schema_version": SCORE_JSON_SCHEMA, "version": sopilot_version(), **res.to_dict(), "inputs": inputs}


def error_doc(exc: SopilotError, a: argparse.Namespace, trainee: str) -> dict:
    """A trainee that could not be scored, in a several-trainee ``--json`` list."""
    return {"schema_version": SCORE_JSON_SCHEMA, "version": sopilot_version(),
            "error": {"type": type(exc).__name__, "message": str(exc)},
            "inputs": {"gold": _abs(a.gold), "trainee": _abs(trainee), "steps": _abs(a.steps), "profile": _abs(a.profile)}}


def exit_status(verdict: str, fail_below: str | None) -> int:
    """``EXIT_BELOW`` when ``verdict`` is worse than ``fail_below``, else 0."""
    if fail_below and Verdict(verdict).worse_than(fail_below):
        return EXIT_BELOW
    return 0


def embedding_cache(a: argparse.Namespace):
    """The embeddings cache the command uses (None with --no-cache)."""
    if not a.cache:
        return None
    from sopilot_resources.embed_cache import EmbeddingCache

    return EmbeddingCache.at(a.cache_dir, settings=a.settings)


def cmd_score(a: argparse.Namespace) -> int:
    """Scores each trainee against the gold (one process, the gold embedded once). One
    trainee: the report or the JSON object as always; several: one report after the other,
    or a JSON list. A trainee that cannot be scored is reported and the rest go on (exit 2
    at the end); a bad gold, steps file or profile stops the command."""
    from sopilot_resources.score_files import score_files

    from .progress import is_terminal, phase

    check_file_args(a)
    show = is_terminal(sys.stderr) if a.progress is None else a.progress
    several = len(a.trainee) > 1
    docs, status, failed = [], 0, 0
    names = ", ".join(Path(t).name for t in a.trainee)
    with phase(f"decoding and scoring {names} against {Path(a.gold).name} ({a.embedder})", show):
        outcomes = score_files(a.gold, a.trainee, steps_path=a.steps, profile_path=a.profile, embedder=a.embedder,
                               device=a.device, model_dir=a.model_dir, scene=a.scene, cache=embedding_cache(a))
        for out in outcomes:
            if out.error is not None:
                if not several:
                    raise out.error
                failed += 1
                print(f"sopilot: {out.trainee}: not scored: {out.error}", file=sys.stderr)
                docs.append(error_doc(out.error, a, out.trainee))
                continue
            status = max(status, _emit(out.result, a, out.trainee, show, docs))
    if a.json and several:
        print(json.dumps(docs, indent=None if a.compact else 2))
    return 2 if failed else status


def _emit(res, a: argparse.Namespace, trainee: str, show: bool, docs: list) -> int:
    from sopilot_resources.scoring.report import render

    if show:
        parts = ", ".join(f"{k.removesuffix('_sec')} {v:.1f} s" for k, v in res.timings.items() if k != "total_sec")
        who = f"{Path(trainee).name}: " if len(a.trainee) > 1 else ""
        print(f"{who}done in {res.timings.get('total_sec', 0.0):.1f} s ({parts}): {res.verdict}", file=sys.stderr)
    if a.json:
        doc = json_doc(res, a, trainee)
        if len(a.trainee) > 1:
            docs.append(doc)
        else:
            print(json.dumps(doc, indent=None if a.compact else 2))
    else:
        print(render(res, a.gold, trainee))
        if len(a.trainee) > 1:
            print()
    if a.report_dir:
        from .report_cli import write_score_report

        write_score_report(res, a.gold, trainee, a.report_dir)
    return exit_status(res.verdict, a.fail_below)
