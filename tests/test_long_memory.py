"""Memory of long recordings (issue 16 item 5): the stills live in a file, not in memory, and
the embedder holds a recording's vectors once; an .npz keeps the stills readable in place."""
from __future__ import annotations

import tracemalloc
import zipfile

import numpy as np
import pytest

from sopilot_resources.embeddings import ClipEmbeddings
from sopilot_resources.embedders.color_motion import ColorMotionEmbedder
from sopilot_resources.file_bytes import FileBytes, npz_member_bytes, write_npz
from sopilot_resources.spill import spill_file
from sopilot_resources.stills import Stills
from sopilot_resources.stills_tap import StillsTap
from sopilot_resources.video.types import Clip


def _file_bytes(data: bytes) -> FileBytes:
    f = spill_file()
    f.write(b"head" + data)
    f.flush()
    return FileBytes(f, 4, len(data))


def test_file_bytes_reads_like_an_array():
    data = bytes(range(256)) * 3
    fb, arr = _file_bytes(data), np.frombuffer(data, np.uint8)
    assert len(fb) == fb.nbytes == 768 and fb.shape == (768,)
    np.testing.assert_array_equal(fb[10:300], arr[10:300])
    np.testing.assert_array_equal(fb[-5:], arr[-5:])
    np.testing.assert_array_equal(fb[::7], arr[::7])
    assert fb[3] == 3 and fb[-1] == 255
    np.testing.assert_array_equal(np.asarray(fb), arr)
    np.testing.assert_array_equal(np.concatenate([fb, fb[:2]]), np.concatenate([arr, arr[:2]]))
    with pytest.raises(IndexError):
        fb[768]


def test_file_bytes_cut_short_is_a_clear_error():
    fb = _file_bytes(b"x" * 100)
    fb.file.truncate(50)
    with pytest.raises(OSError, match="expected"):
        fb[0:100]


def test_npz_keeps_stored_bytes_readable_in_place(tmp_path):
    jpeg = _file_bytes(b"\xff\xd8" + bytes(range(200)) * 50)
    vec = np.random.default_rng(0).random((40, 8)).astype(np.float32)
    write_npz(tmp_path / "a.npz", {"vectors": vec, "stills_jpeg": jpeg}, stored=("stills_jpeg",))
    with np.load(tmp_path / "a.npz") as z:  # any reader of .npz still reads it
        np.testing.assert_array_equal(z["vectors"], vec)
        np.testing.assert_array_equal(z["stills_jpeg"], np.asarray(jpeg))
    with zipfile.ZipFile(tmp_path / "a.npz") as zf:
        assert zf.getinfo("vectors.npy").compress_type == zipfile.ZIP_DEFLATED
    back = npz_member_bytes(tmp_path / "a.npz", "stills_jpeg")
    np.testing.assert_array_equal(np.asarray(back), np.asarray(jpeg))
    assert npz_member_bytes(tmp_path / "a.npz", "vectors") is None  # compressed: not in place
    assert npz_member_bytes(tmp_path / "a.npz", "absent") is None
    np.savez_compressed(tmp_path / "old.npz", stills_jpeg=np.asarray(jpeg))  # files of older versions
    assert npz_member_bytes(tmp_path / "old.npz", "stills_jpeg") is None


def _clips(n: int, size=(180, 320), fps: float = 10.0, frames_per_clip: int = 4):
    """n non-overlapping clips of noisy frames (hard to compress: ~20 KB a JPEG)."""
    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    for i in range(n):
        idx = np.arange(i * frames_per_clip, (i + 1) * frames_per_clip)
        frames = np.stack([np.roll(base, int(k), axis=1) for k in idx])
        yield Clip(index=i, frames=frames, frame_indices=idx, times=idx / fps, start_sec=idx[0] / fps,
                   end_sec=(idx[-1] + 1) / fps, quality={})


def _peak_while(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class _Null:
    name, version, dim = "null", 1, 1

    def identity(self):
        return {"name": "null"}

    def params(self):
        return {}

    def embed_clips(self, clips):
        return np.zeros((sum(1 for _ in clips), 1), np.float32)


def test_stills_tap_memory_does_not_grow_with_the_recording(tmp_path):
    taps = {}

    def run(n):
        taps[n] = StillsTap(_Null(), fps=2.0)
        taps[n].embed_clips(_clips(n))

    short, long_ = _peak_while(lambda: run(40)), _peak_while(lambda: run(400))
    st = taps[400].stills()
    assert isinstance(st.jpeg, FileBytes) and len(st) == 320  # 160 s at 2 stills a second
    assert st.jpeg.nbytes > 2_000_000  # the stills themselves: megabytes, on disk
    assert long_ - short < 300_000  # only times and sizes grow in memory (16 bytes a still)
    assert st.frame(319).shape == (180, 320, 3)
    emb = ClipEmbeddings(np.zeros((2, 1), np.float32), np.zeros(2), np.ones(2), np.zeros((2, 0), bool),
                         np.zeros(2, np.float32), {"name": "null"}, stills=st)
    back = ClipEmbeddings.load(emb.save(tmp_path / "e.npz"))
    assert isinstance(back.stills.jpeg, FileBytes)
    np.testing.assert_array_equal(back.stills.frame(100), st.frame(100))


def test_embedder_holds_a_recordings_vectors_about_twice_at_most():
    emb = ColorMotionEmbedder()
    peaks = {n: _peak_while(lambda n=n: emb.embed_clips(_clips(n, size=(36, 64)))) for n in (300, 1200)}
    per_clip = (peaks[1200] - peaks[300]) / 900 / (emb.dim * 4)
    assert per_clip < 2.4  # the vectors, and their chunks while copied out; was ~3.8 (a list of rows, its stack, a copy, a quotient)


def test_finish_in_place_equals_finish_on_a_copy():
    rng = np.random.default_rng(2)
    x = rng.random((9000, ColorMotionEmbedder().dim)).astype(np.float32)
    emb = ColorMotionEmbedder()
    a = emb.finish(x)  # copies
    b = emb.finish(x.copy(), copy=False)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, x)


def test_stills_between_reads_only_the_cycle():
    from sopilot_resources.cycles.slicing import stills_between

    imgs = [np.full((18, 32, 3), v, np.uint8) for v in range(0, 250, 10)]
    mem = Stills.from_frames(imgs, np.arange(len(imgs)) * 0.5)
    st = Stills(mem.times, _file_bytes(mem.jpeg.tobytes()), mem.offsets)
    part = stills_between(st, 2.0, 3.0)
    assert isinstance(part.jpeg, np.ndarray) and len(part) == 3
    np.testing.assert_array_equal(part.frame(0), mem.frame(4))


def test_a_long_recordings_vectors_go_to_a_file_with_the_same_values(monkeypatch):
    import sopilot_resources.spill as spill

    clips = list(_clips(300, size=(36, 64)))
    in_memory = ColorMotionEmbedder().embed_clips(iter(clips))
    monkeypatch.setattr(spill, "SPILL_ROWS", 100)
    spilled = ColorMotionEmbedder().embed_clips(iter(clips))
    assert isinstance(spilled, np.memmap) and not isinstance(in_memory, np.memmap)
    np.testing.assert_array_equal(spilled, in_memory)


def test_a_long_recordings_vectors_are_mapped_from_its_file(tmp_path, monkeypatch):
    import sopilot_resources.embeddings as em

    rng = np.random.default_rng(3)
    n = 50
    emb = ClipEmbeddings(rng.random((n, 16)).astype(np.float32), np.arange(n) * 0.5, np.arange(n) * 0.5 + 1,
                         np.zeros((n, 2), bool), np.zeros(n, np.float32), {"name": "x"})
    short = ClipEmbeddings.load(emb.save(tmp_path / "short.npz"))
    assert not isinstance(short.vectors, np.memmap)
    monkeypatch.setattr(em, "MAP_ROWS", 40)
    long_ = ClipEmbeddings.load(emb.save(tmp_path / "long.npz"))
    assert isinstance(long_.vectors, np.memmap) and not long_.vectors.flags.writeable
    np.testing.assert_array_equal(long_.vectors, emb.vectors)
    with np.load(tmp_path / "long.npz") as z:
        np.testing.assert_array_equal(z["vectors"], emb.vectors)


def test_spill_files_go_where_sopilot_spill_dir_says_and_leave_nothing(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("SOPILOT_SPILL_DIR", str(tmp_path / "spill"))
    f = spill_file()
    assert os.readlink(f"/proc/self/fd/{f.fileno()}").startswith(str(tmp_path / "spill"))
    assert list((tmp_path / "spill").iterdir()) == []  # anonymous: gone from the folder at once
    f.close()
    (tmp_path / "a_file").write_text("x")
    monkeypatch.setenv("SOPILOT_SPILL_DIR", str(tmp_path / "a_file" / "below"))  # cannot be made
    with spill_file() as g:
        g.write(b"still works")
