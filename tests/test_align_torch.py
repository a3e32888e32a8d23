"""The torch wavefront backend, run on a torch CPU device (the same code the GPU runs), must
return exactly the numba path; CUDA-only checks are marked gpu and skip without CUDA."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")  # CI installs the torch extra, CPU build: this IS the GPU code path

from sopilot_resources.align import align_embeddings, dtw_path, l2_normalize  # noqa: E402
from sopilot_resources.align.dtw_numba import dtw_embeddings_numba  # noqa: E402
from sopilot_resources.align.dtw_torch import dtw_embeddings_torch  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), m=st.integers(1, 30), q=st.booleans())
def test_torch_cpu_path_equals_numba_on_same_cost(seed, n, m, q):
    c = np.random.default_rng(seed).random((n, m)).astype(np.float32)
    if q:  # coarse values: many exact ties, so the tie-break must match too
        c = (np.round(c * 3) / 3).astype(np.float32)
    p_numba, t_numba = dtw_path(c, backend="numba")
    p_torch, t_torch = dtw_path(c, backend="torch", device="cpu")
    np.testing.assert_array_equal(p_torch, p_numba)
    assert t_torch == t_numba


def test_torch_cpu_bands_equal_numba_on_embeddings():
    rng = np.random.default_rng(7)
    an, bn = l2_normalize(rng.standard_normal((120, 24))), l2_normalize(rng.standard_normal((90, 24)))
    p_ref, t_ref = dtw_embeddings_numba(an, bn)
    for band_bytes in (1, 4 * 90 * 13, 1 << 30):  # bands of 1 row, 13 rows, everything
        p, t = dtw_embeddings_torch(an, bn, "cpu", band_bytes=band_bytes)
        np.testing.assert_array_equal(p, p_ref)
        assert t == pytest.approx(t_ref, rel=1e-6)


def test_align_embeddings_torch_cpu_label_and_result():
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((40, 16)), rng.standard_normal((55, 16))
    ref = align_embeddings(a, b, backend="numba")
    al = align_embeddings(a, b, backend="torch", device="cpu")
    assert al.backend == "torch-cpu" and al.shape == ref.shape
    np.testing.assert_array_equal(al.path, ref.path)
    assert al.total_cost == pytest.approx(ref.total_cost, rel=1e-6)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_path_equals_numba():
    rng = np.random.default_rng(9)
    c = rng.random((300, 260)).astype(np.float32)
    c[::7] = np.round(c[::7] * 2) / 2  # some exact ties
    np.testing.assert_array_equal(dtw_path(c, backend="torch", device="cuda")[0], dtw_path(c, backend="numba")[0])
    a, b = rng.standard_normal((500, 64)), rng.standard_normal((420, 64))
    al = align_embeddings(a, b)  # auto picks the GPU
    ref = align_embeddings(a, b, backend="numba")
    assert al.backend == "torch-cuda"
    np.testing.assert_array_equal(al.path, ref.path)
    assert al.total_cost == pytest.approx(ref.total_cost, rel=1e-5)
