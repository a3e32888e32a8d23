"""warm_kernels loads the very overloads a score then uses: after it, scoring a pair makes numba
load or compile nothing new (checked in a fresh interpreter, where no kernel is loaded yet)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
from sopilot_resources.align import dtw_numba, subsequence
from sopilot_resources.cycles import cyclic_dp
from sopilot_resources.scoring import peaks
from sopilot_resources.scene import pixel_ops, settle
from sopilot_resources.cycles.recording import score_recording
from synthetic_embeddings import render
from synthetic_shifts import GOLD, GOLD_PLAN, P, STEPS

kernels = {"dp_block": dtw_numba.dp_block, "traceback": dtw_numba.traceback,
           "subsequence_dp": subsequence.subsequence_dp, "greedy_pick": subsequence._greedy_pick,
           "cyclic_path": cyclic_dp.cyclic_path, "prominences": peaks._prominences,
           "deviation": settle._deviation, "mean_still": settle._mean_still,
           "middle_pair": pixel_ops.middle_pair}
sigs = lambda: {k: sorted(map(str, f.signatures)) for k, f in kernels.items()}
cold = sigs()
from sopilot_resources.warm_kernels import warm_kernels
warm_kernels()
warmed = sigs()
res = score_recording(GOLD, render(GOLD_PLAN, P, noise=0.35, offset=0.3, seed=3), STEPS, scene=False)
import numpy as np  # the pictures' settled scenes: stills as StillCache hands them out (float32 from uint8)
scene = settle.settled(np.random.default_rng(1).integers(0, 255, (4, 36, 64, 3), dtype=np.uint8).astype(np.float32))
scene[:3] = np.nan  # and lighting removed, as a registered scene with pixels never seen is
from sopilot_resources.scene.pictures import flatten_light
flatten_light(scene)
print(json.dumps({"cold": cold, "warmed": warmed, "scored": sigs(), "score": res.score}))
"""


def test_a_score_after_warm_kernels_loads_no_kernel_of_its_own():
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT)], capture_output=True, text=True, check=True,
                         cwd=ROOT, timeout=300)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(not v for v in got["cold"].values())  # a fresh interpreter: nothing loaded before
    assert all(len(v) == 1 for v in got["warmed"].values())  # every kernel warmed, one overload each
    assert got["scored"] == got["warmed"]  # the score used exactly those
    assert got["score"] is not None
