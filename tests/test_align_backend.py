import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sopilot_resources.align import AlignmentInputError, available_backends, resolve_backend
from sopilot_resources.align.backend import _cuda_available

ROOT = Path(__file__).resolve().parents[1]


def test_available_and_resolution():
    names = available_backends()
    assert names[0] == "numba"
    assert resolve_backend("numba", "auto") == ("numba", "cpu")
    assert resolve_backend("auto", "cpu") == ("numba", "cpu")
    expected = ("torch", "cuda") if _cuda_available() else ("numba", "cpu")
    assert resolve_backend("auto", "auto") == expected
    if "torch-cpu" in names:
        assert resolve_backend("torch", "cpu") == ("torch", "cpu")
    if not _cuda_available():
        with pytest.raises(AlignmentInputError, match="no CUDA"):
            resolve_backend("auto", "cuda")


def _run(code: str, **env) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_default_path_never_imports_torch():
    code = ("import sys, numpy as np, sopilot_resources.align as A\n"
            "x = np.random.default_rng(0).standard_normal((20, 4))\n"
            "A.align_embeddings(x, x, device='cpu'); A.subsequence_matches(x[:3], x)\n"
            "print('torch' in sys.modules)")
    assert _run(code).strip() == "False"


def test_numba_cache_is_written_and_reused(tmp_path):
    """cache=True works where __pycache__ is not ours to write: NUMBA_CACHE_DIR takes over,
    and a second cold process loads the compiled kernels from it."""
    code = ("import numpy as np, sopilot_resources.align as A\n"
            "x = np.random.default_rng(0).standard_normal((20, 4))\n"
            "print(A.align_embeddings(x, x[::-1], backend='numba').total_cost,"
            " A.subsequence_matches(x[:3], x)[0].end)")
    first = _run(code, NUMBA_CACHE_DIR=str(tmp_path))
    assert len(list(tmp_path.rglob("*.nbi"))) >= 3  # dp_block, traceback, subsequence_dp
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.nbc")}
    assert _run(code, NUMBA_CACHE_DIR=str(tmp_path)) == first
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.nbc")} == stamps  # reused, not rebuilt
