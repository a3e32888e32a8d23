"""``sopilot`` command line: score, demo, serve, soak.

Every user error ends with exit status 2 and one line on stderr; no tracebacks
(set SOPILOT_DEBUG=1 to see one).
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def _cmd_score(a: argparse.Namespace) -> int:
    from sopilot_resources.scoring.engine import score_videos
    from sopilot_resources.scoring.report import render

    res = score_videos(a.gold, a.trainee, steps_path=a.steps, profile_path=a.profile,
                       embedder=a.embedder, device=a.device, model_dir=a.model_dir)
    if a.json:
        print(json.dumps(res.to_dict(), indent=None if a.compact else 2))
    else:
        print(render(res, a.gold, a.trainee))
    return 0


def _cmd_demo(a: argparse.Namespace) -> int:
    from sopilot_resources.demo.generate import generate_demo

    manifest = generate_demo(a.out, seed=a.seed, quick=a.quick)
    print(f"wrote {len(manifest.get('videos', []))} demo videos to {a.out} (ground truth: {a.out}/manifest.json)")
    return 0


def _cmd_serve(a: argparse.Namespace) -> int:
    from sopilot_assets.serve import serve

    return serve(host=a.host, port=a.port, data_dir=a.data_dir, demo=a.demo)


def _cmd_soak(a: argparse.Namespace) -> int:
    from sopilot_assets.soak.cli import run_soak_cli

    return run_soak_cli(a.duration, rate_per_min=a.rate, data_dir=a.data_dir)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sopilot", description="Score trainee work videos against a gold SOP video.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score", help="score a trainee video against a gold video")
    s.add_argument("gold")
    s.add_argument("trainee")
    s.add_argument("--steps", help="gold steps JSON (default: <gold name>.steps.json beside the gold)")
    s.add_argument("--profile", help="task profile JSON (weights, thresholds, critical steps)")
    s.add_argument("--embedder", default=os.environ.get("SOPILOT_EMBEDDER", "color-motion"))
    s.add_argument("--model-dir", default=os.environ.get("SOPILOT_MODEL_DIR"), help="local model directory (vjepa2)")
    s.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    s.add_argument("--json", action="store_true", help="one JSON object on stdout")
    s.add_argument("--compact", action="store_true", help="with --json: on one line")
    s.set_defaults(func=_cmd_score)
    d = sub.add_parser("demo", help="generate the synthetic demo videos with ground truth")
    d.add_argument("--out", required=True)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--quick", action="store_true", help="a smaller, faster set (for tests)")
    d.set_defaults(func=_cmd_demo)
    v = sub.add_parser("serve", help="start the Dagster webserver and daemon")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=3000)
    v.add_argument("--data-dir", default=None, help="data root (default: $SOPILOT_DATA_DIR or ./data)")
    v.add_argument("--demo", action="store_true", help="first drop the demo videos into the inbox")
    v.set_defaults(func=_cmd_serve)
    k = sub.add_parser("soak", help="drive videos through the real pipeline and check invariants")
    k.add_argument("--duration", default="10m", help="e.g. 90s, 10m, 24h")
    k.add_argument("--rate", type=float, default=6.0, help="files dropped per minute")
    k.add_argument("--data-dir", default=None)
    k.set_defaults(func=_cmd_soak)
    return p


def main(argv: list[str] | None = None) -> int:
    from sopilot_resources.errors import SopilotError
    from sopilot_resources.video import quiet_opencv_logs

    args = build_parser().parse_args(argv)
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
        if os.environ.get("SOPILOT_DEBUG"):
            raise
        print(f"sopilot: error: {type(exc).__name__}: {exc} (set SOPILOT_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
