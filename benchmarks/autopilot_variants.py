"""The demo sets rescored under the autopilot's detection variants (``bench_autopilot.py
--detection``): per video, the pair's evidence is built once from the embeddings cache that
``bench_accuracy.py`` keeps (with the stills, so the pictures count as in the product), then the
detectors run once per variant (``scoring.engine.rejudge``), as the product's dry rescoring
does. The matrix is kept in ``bench_out/autopilot/variants-<set>.json`` (``--fresh`` rebuilds it).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from bench_accuracy import embeddings_on_disk

from sopilot_resources.embedders.registry import get_embedder
from sopilot_resources.scoring.autopilot import Case
from sopilot_resources.scoring.autopilot_detect import apply, case_of, variants
from sopilot_resources.scoring.build_pair import build_evidence
from sopilot_resources.scoring.engine import rejudge
from sopilot_resources.scoring.profile import Profile, parse_profile
from sopilot_resources.scoring.steps import load_steps


def _key(v: tuple) -> str:
    return json.dumps(v)


def matrix(set_dir: Path, rows: list[dict], truth, cache: Path, fresh: bool = False) -> dict[tuple, dict[str, Case]]:
    """{variant: {video name: Case}} for every trainee row of ``set_dir``'s results.json (all
    variants of today's default profile within the starting bounds)."""
    if cache.is_file() and not fresh:
        doc = json.loads(cache.read_text())
        return {tuple(tuple(x) for x in json.loads(k)): {n: Case(n, c[0], c[1], c[2], tuple(tuple(p) for p in c[3]))
                                                          for n, c in cs.items()} for k, cs in doc.items()}
    man = json.loads((set_dir / "manifest.json").read_text())
    emb = get_embedder("color-motion")
    vs = variants({}, {})
    profiles = {v: parse_profile(apply({}, v)) for v in vs}
    out: dict[tuple, dict[str, Case]] = {v: {} for v in vs}
    t0 = time.perf_counter()
    for k, r in enumerate(rows):
        task = man["tasks"][r["task"]]
        g = embeddings_on_disk(set_dir, task["gold"], emb)
        t = embeddings_on_disk(set_dir, r["path"], emb)
        pe, _ = build_evidence(g, t, load_steps(set_dir / task["steps_file"]), Profile())
        name = Path(r["path"]).name
        for v, prof in profiles.items():
            out[v][name] = case_of(name, truth(r["kind"]), rejudge(pe, prof))
        print(f"  {set_dir.name}: {k + 1}/{len(rows)} rescored under {len(vs)} variants "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({_key(v): {n: [c.reviewed, c.score, c.critical, c.penalties] for n, c in cs.items()}
                                 for v, cs in out.items()}) + "\n")
    return out
