"""What the soak drops, in which order: a corpus of good videos plus generated bad files.

Corpus layout (the demo generator's): ``<corpus>/<task>/gold/<name>.<ext>`` (+ ``.steps.json``)
and ``<corpus>/<task>/trainee/<name>.<ext>``.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from ..video.types import VIDEO_EXTENSIONS

#: kinds of bad files, each expected in quarantine with a reason
BAD_KINDS = ("zero_byte", "garbage", "truncated", "wrong_extension")


@dataclass
class Drop:
    seq: int
    task: str
    role: str  # gold | trainee
    kind: str  # good | zero_byte | garbage | truncated | wrong_extension
    file_name: str  # name as dropped into the inbox
    src: str  # corpus file it came from ("" for generated garbage)
    #: "" = the corpus bytes; "duplicate" = the same bytes again (deduped by the pipeline);
    #: "repack" = an MP4 with a trailing ``free`` box: new bytes, the same frames
    variant: str = ""
    content_id: str = ""  # sha256 of the corpus file: same content_id -> same frames
    sha256: str = ""
    size_bytes: int = 0
    dropped_at: float = 0.0  # epoch seconds, set when dropped
    expected: str = ""  # scored | gold | quarantined | duplicate (chaos: also ignored)
    #: chaos drops: the path under the inbox (names repeat across task folders, e.g.
    #: profile.json) and, for a duplicate, the seq of the drop whose bytes it repeats
    rel: str = ""
    dup_of: int = -1

    @property
    def ident(self) -> str:
        """What the soak keys this drop's fate by: its inbox path, else its (unique) name."""
        return self.rel or self.file_name

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Corpus:
    golds: dict[str, Path]  # task -> gold video
    trainees: dict[str, list[Path]]  # task -> trainee videos


def _videos(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS)


def find_corpus(root: str | Path) -> Corpus:
    root = Path(root)
    golds, trainees = {}, {}
    for task_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        g, t = _videos(task_dir / "gold"), _videos(task_dir / "trainee")
        if g and t:
            golds[task_dir.name], trainees[task_dir.name] = g[0], t
    if not golds:
        raise FileNotFoundError(f"{root}: no <task>/gold/*.mp4 with <task>/trainee/* found")
    return Corpus(golds, trainees)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def plan_drops(corpus: Corpus, n: int, bad_every: int = 5, seed: int = 0) -> list[Drop]:
    """``n`` drops: each task's gold first (the first task's only after one of its
    trainees, which must then wait for it), then trainees cycling through the corpus; every
    ``bad_every``-th drop is a bad file of the next kind in BAD_KINDS (named ``bad-<kind>-...``).
    Trainees repeat once the corpus is used up, alternately repacked into new bytes with the
    same frames (which must get the same score) and as the same bytes (deduplicated)."""
    rng = random.Random(seed)
    tasks = sorted(corpus.golds)
    trainees = [(t, p) for t in tasks for p in corpus.trainees[t]]
    # trainees[0] is dropped first, before its gold (it waits); the cycle resumes after it
    trainee_cycle = itertools.islice(itertools.cycle(enumerate(trainees)), 1, None)
    passes: dict[int, int] = {0: 0}
    bad_cycle = itertools.cycle(BAD_KINDS)
    drops: list[Drop] = []
    pending_golds = list(tasks)
    first_waiter = tasks[0]

    def add(task, role, kind, src: Path | None, variant=""):
        seq = len(drops)
        ext = src.suffix if src is not None else ".mp4"
        stem = src.stem if kind == "good" else f"bad-{kind.replace('_', '-')}"
        if kind == "wrong_extension":
            ext = ".txt"
        elif kind != "good":
            ext = ".mp4"
        drops.append(Drop(seq=seq, task=task, role=role, kind=kind,
                          file_name=f"{stem}-s{seq:05d}{ext}", src=str(src or ""),
                          variant=variant,
                          expected="quarantined" if kind != "good" else "duplicate"
                          if variant == "duplicate" else ("gold" if role == "gold" else "scored")))

    # a trainee that arrives before its gold, then the golds
    t0 = corpus.trainees[first_waiter][0]
    add(first_waiter, "trainee", "good", t0)
    while len(drops) < n:
        if pending_golds:
            task = pending_golds.pop(0)
            add(task, "gold", "good", corpus.golds[task])
        elif bad_every and (len(drops) + 1) % bad_every == 0:
            task = rng.choice(tasks)
            kind = next(bad_cycle)
            add(task, "trainee", kind, rng.choice(corpus.trainees[task]))
        else:
            i, (task, src) = next(trainee_cycle)
            k = passes[i] = passes.get(i, -1) + 1
            # pass 0: as is; then alternately a repacked copy (MP4/MOV only) and the same bytes
            variant = "" if k == 0 else ("repack" if k % 2 and _repackable(src) else "duplicate")
            add(task, "trainee", "good", src, variant)
    return drops[:n]


def _repackable(path: Path) -> bool:
    return path.suffix.lower() in (".mp4", ".mov", ".m4v")


def repack_mp4(data: bytes, tag: bytes) -> bytes:
    """Append an ISO-BMFF ``free`` box (ignored by every reader): different bytes, the same
    frames. ``tag`` makes each copy unique."""
    payload = b"sopilot-soak:" + tag
    return data + (8 + len(payload)).to_bytes(4, "big") + b"free" + payload


def materialize(drop: Drop, inbox: str | Path, staging: str | Path, rng: random.Random) -> Path:
    """Write the drop's bytes into ``staging`` then rename into the inbox (atomic), copying
    a gold's ``.steps.json`` first. Returns the inbox path; fills sha256/size/dropped_at."""
    import time

    staging, dest_dir = Path(staging), Path(inbox) / drop.task / drop.role
    staging.mkdir(parents=True, exist_ok=True)
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = staging / drop.file_name
    src = Path(drop.src) if drop.src else None
    if drop.kind == "good" and drop.variant == "repack":
        tmp.write_bytes(repack_mp4(src.read_bytes(), f"{drop.seq}".encode()))
    elif drop.kind == "good" or drop.kind == "wrong_extension":
        shutil.copyfile(src, tmp)
    elif drop.kind == "zero_byte":
        tmp.write_bytes(b"")
    elif drop.kind == "garbage":
        tmp.write_bytes(rng.randbytes(64 * 1024))
    elif drop.kind == "truncated":
        data = src.read_bytes()
        tmp.write_bytes(data[: max(1, len(data) // 3)])
    else:
        raise ValueError(f"unknown drop kind {drop.kind!r}")
    if drop.role == "gold" and src is not None:
        sidecar = src.with_name(src.stem + ".steps.json")
        if sidecar.is_file():
            shutil.copyfile(sidecar, dest_dir / (Path(drop.file_name).stem + ".steps.json"))
    drop.sha256, drop.size_bytes = sha256_file(tmp), tmp.stat().st_size
    drop.content_id = sha256_file(src) if src is not None and drop.kind == "good" else drop.sha256
    dest = dest_dir / drop.file_name
    os.replace(tmp, dest)
    drop.dropped_at = time.time()
    return dest
