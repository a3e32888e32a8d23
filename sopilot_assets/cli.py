"""``sopilot`` command line: score, demo, results, report, serve, worker, soak.

Every user error ends with exit status 2 and one line on stderr; no tracebacks
(set SOPILOT_DEBUG=1 to see one). Exit statuses are listed in ``EXIT_CODES``.
"""
from __future__ import annotations

import argparse
import sys
import warnings

from sopilot_resources.scoring.verdict import VERDICTS
from sopilot_resources.settings import Settings, SettingsError

from .report_cli import add_report_parser
from .profile_cli import add_profile_parser
from .review_cli import add_review_parsers
from .soak.cli_args import add_chaos_arguments
from .score_cli import EXIT_BELOW, cmd_score, sopilot_version

EXIT_CODES = f"""exit status:
  0    done (score: the verdict is at or above --fail-below, when given)
  1    unexpected error (one line on stderr; SOPILOT_DEBUG=1 shows the traceback)
  2    bad input: a missing, unreadable or non-video file, a bad option value
  {EXIT_BELOW}    score --fail-below: the verdict is worse than the threshold
  130  interrupted (Ctrl-C)"""


def _cmd_demo(a: argparse.Namespace) -> int:
    from sopilot_resources.demo.generate import generate_demo

    from .progress import CountProgress

    with CountProgress() as progress:
        manifest = generate_demo(a.out, seed=a.seed, quick=a.quick, progress=progress)
    print(f"wrote {len(manifest.get('videos', []))} demo videos to {a.out} (ground truth: {a.out}/manifest.json)")
    return 0


def _cmd_results(a: argparse.Namespace) -> int:
    from .results_cli import run_compact, run_results

    if a.action == "compact":
        return run_compact(a.settings.with_data_dir(a.data_dir).data_dir)
    return run_results(a.settings.with_data_dir(a.data_dir).data_dir, a.task, a.trainee, a.format)


def _cmd_serve(a: argparse.Namespace) -> int:
    from sopilot_assets.serve import serve

    settings = a.settings.with_deployment(a.deployment)  # the same switch as SOPILOT_DEPLOYMENT
    return serve(settings.with_data_dir(a.data_dir), host=a.host, port=a.port, demo=a.demo,
                 quick_demo=a.quick, verbose=a.verbose)


def _cmd_worker(a: argparse.Namespace) -> int:
    from .worker_cli import run_worker

    return run_worker(a.settings.with_data_dir(a.data_dir), a.queue, a.concurrency, a.name)


def _cmd_soak(a: argparse.Namespace) -> int:
    from sopilot_assets.soak.cli import run_chaos_cli, run_soak_cli

    if a.chaos:
        return run_chaos_cli(a, a.settings.with_data_dir(a.data_dir))
    return run_soak_cli(a.duration, a.rate, a.settings.with_data_dir(a.data_dir))


class _Help(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown after each help text (not the empty ones), the epilog kept as written."""

    def _get_help_string(self, action):
        if action.default in (None, False):
            return action.help
        return super()._get_help_string(action)


def build_parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    """The parser; defaults that a setting gives come from ``settings`` (default: built-in)."""
    from sopilot_resources.embedders import available_embedders

    from .results_cli import FORMATS

    settings = settings or Settings()
    data_help = "data root (default: $SOPILOT_DATA_DIR, else ./data)"
    p = argparse.ArgumentParser(prog="sopilot", description="Score trainee work videos against a gold SOP video.",
                                epilog=EXIT_CODES, formatter_class=_Help)
    p.set_defaults(settings=settings)
    p.add_argument("--version", action="version", version=f"sopilot {sopilot_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, epilog=EXIT_CODES, formatter_class=_Help)

    s = cmd("score", "score one or more trainee videos against a gold video")
    s.add_argument("gold", help="the gold-standard video of the task")
    s.add_argument("trainee", nargs="+", help="the trainee's video; several: each scored against the gold, which is "
                                              "embedded once (--json then prints a list)")
    s.add_argument("--steps", help="gold steps JSON (default: <gold name>.steps.json beside the gold, "
                                    "else steps detected automatically)")
    s.add_argument("--profile", help="task profile JSON (weights, thresholds, critical steps; docs/scoring.md)")
    s.add_argument("--embedder", choices=list(available_embedders()), default=settings.embedder,
                   help="clip embedder ($SOPILOT_EMBEDDER)")
    s.add_argument("--model-dir", default=settings.model_dir,
                   help="local model directory for vjepa2 (default: $SOPILOT_MODEL_DIR)")
    s.add_argument("--device", choices=["auto", "cpu", "cuda"], default=settings.device,
                   help="where to compute ($SOPILOT_DEVICE)")
    s.add_argument("--scene", action=argparse.BooleanOptionalAction, default=True,
                   help="also compare what the steps left behind in the pictures (--no-scene: clip evidence only)")
    s.add_argument("--json", action="store_true", help="one JSON object on stdout (schema: docs/scoring.md)")
    s.add_argument("--compact", action="store_true", help="with --json: on one line")
    s.add_argument("--fail-below", choices=VERDICTS[:-1], metavar="{" + ",".join(VERDICTS[:-1]) + "}",
                   help=f"exit with status {EXIT_BELOW} when the verdict is worse than this "
                        f"(order: {' > '.join(VERDICTS)}); the result is printed first")
    s.add_argument("--report-dir", metavar="DIR",
                   help="also write the result as one self-contained HTML file, DIR/<trainee>.html")
    s.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress lines on stderr (default: only when stderr is a terminal)")
    s.add_argument("--cache", action=argparse.BooleanOptionalAction, default=True,
                   help="keep each video's embeddings in the cache and read them back next time instead of "
                        "decoding again (--no-cache: decode every time, write nothing)")
    s.add_argument("--cache-dir", metavar="DIR", default=None,
                   help="where the cache lives (default: $SOPILOT_CACHE_DIR, else ~/.cache/sopilot/embeddings; "
                        "at most $SOPILOT_CACHE_MAX_MB, default 2048 MB, least recently used entries go first)")
    s.set_defaults(func=cmd_score)

    d = cmd("demo", "generate the synthetic demo videos with ground truth (progress on stderr)")
    d.add_argument("--out", required=True, help="output folder (created; earlier demo videos in it are replaced)")
    d.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same videos")
    d.add_argument("--quick", action="store_true", help="a smaller, faster set (for tests)")
    d.set_defaults(func=_cmd_demo)

    r = cmd("results", "list every scored trainee from the results DuckDB (read-only; works while serve runs); "
                       "`results compact` merges the small files of the event tables")
    r.add_argument("action", nargs="?", choices=["list", "compact"], default="list",
                   help="list (default) or compact: merge the many small files of ingest_events, reviews and "
                        "profile_events into one each (safe while serve runs; also done when the machine is idle)")
    r.add_argument("--task", help="only this task (e.g. t01_valve)")
    r.add_argument("--trainee", metavar="NAME", help="only this trainee video (file name, with or without extension)")
    r.add_argument("--format", choices=FORMATS, default="table", help="output format")
    r.add_argument("--data-dir", default=None, help=data_help)
    r.set_defaults(func=_cmd_results)

    add_report_parser(sub, cmd, data_help)
    add_review_parsers(cmd, data_help)
    add_profile_parser(cmd, data_help)

    v = cmd("serve", "start the Dagster UI and daemon, restart either if it dies (Ctrl-C stops all; "
                     "exit code 3: gave up after repeated fast deaths, docs/operations.md)")
    v.add_argument("--host", default="127.0.0.1", help="interface to listen on; the UI has no login, so "
                                                       "anything but loopback logs a warning")
    v.add_argument("--port", type=int, default=3000, help="UI port")
    v.add_argument("--data-dir", default=None, help=data_help)
    v.add_argument("--demo", action="store_true",
                   help="also render the demo videos; each goes into the inbox as soon as it is done")
    v.add_argument("--quick", action="store_true", help="with --demo: the small demo set (fewer tasks and videos, smaller frames)")
    v.add_argument("--verbose", action="store_true",
                   help="also show Dagster's routine daemon and run-event log lines")
    v.add_argument("--deployment", choices=("single", "cluster"), default=None,
                   help="deployment profile ($SOPILOT_DEPLOYMENT, default single): cluster keeps the instance in "
                        "Postgres and runs steps on Celery workers (docs/operations.md, \"Scaling out\")")
    v.set_defaults(func=_cmd_serve)

    w = cmd("worker", "a Celery worker of the cluster profile (takes steps from the `dagster` queue, "
                      "or `gpu` on a GPU host)")
    w.add_argument("--queue", action="append", default=[], choices=("dagster", "gpu"),
                   help="queue to serve (repeat for both); default: dagster")
    w.add_argument("--concurrency", type=int, default=1, help="steps at a time (default 1)")
    w.add_argument("--name", default=None, help="worker name (default sopilot-<queues>), @<host> is added")
    w.add_argument("--data-dir", default=None, help=data_help + " (the shared data root)")
    w.set_defaults(func=_cmd_worker)

    k = cmd("soak", "drive videos through the real pipeline and check invariants (docs/idle_and_soak.md)")
    k.add_argument("--duration", default="10m", help="how long, e.g. 90s, 10m, 24h")
    k.add_argument("--rate", type=float, default=settings.soak_rate_per_min,
                   help="files dropped per minute ($SOPILOT_SOAK_RATE)")
    k.add_argument("--data-dir", default=None, help=data_help + "; the soak works in <data root>/soak/")
    add_chaos_arguments(k)
    k.set_defaults(func=_cmd_soak)
    return p


def read_settings() -> Settings:
    """The settings from the environment; a deprecated variable name is one warning line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = Settings.from_env()
    for w in caught:
        print(f"sopilot: warning: {w.message}", file=sys.stderr)
    return settings


def main(argv: list[str] | None = None) -> int:
    from sopilot_resources.errors import SopilotError
    from sopilot_resources.video import quiet_opencv_logs

    try:
        settings = read_settings()
    except SettingsError as exc:
        print(f"sopilot: error: {exc}", file=sys.stderr)
        return 2
    args = build_parser(settings).parse_args(argv)
    quiet_opencv_logs()
    try:
        return int(args.func(args) or 0)
    except SopilotError as exc:
        print(f"sopilot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sopilot: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        if settings.debug:
            raise
        print(f"sopilot: error: {type(exc).__name__}: {exc} (set SOPILOT_DEBUG=1 for details)", file=sys.stderr)
        return 1


def console() -> int:
    """The ``sopilot`` command: :func:`main`, then the heap frozen for the exit. A scoring process
    ends holding ~150 000 objects (OpenCV, SciPy, numba); the interpreter's collections while it
    shuts down walked them all again and took 0.3-2 s of a cold ``sopilot score`` (1.5-2.4 s
    under load, 0.25-0.45 s with the heap frozen: benchmarks/bench_exit.py). Frozen objects are
    still freed; files and atexit hooks close as before. Not done in :func:`main`, which tests
    call in-process."""
    import gc

    rc = main()
    gc.freeze()
    return rc


if __name__ == "__main__":
    sys.exit(console())
