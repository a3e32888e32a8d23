"""The chaos soak's drop plan (issue 12's bar): a burst of good trainees with ~10 % hostile
drops, every kind the inbox was attacked with, each with the fate it must reach.

Fates: ``scored`` (exactly one score row for its bytes), ``gold`` (registered),
``quarantined`` (in ``quarantine/`` with a reason), ``duplicate`` (archived, not scored
again), ``ignored`` (left in the inbox and reported exactly once). The bytes of each kind are
written by ``chaos_drops.py``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from .plan import Corpus, Drop


@dataclass(frozen=True)
class Kind:
    name: str
    expected: str
    what: str
    #: a word the quarantine reason must contain ("" = any non-empty reason)
    reason_has: str = ""


#: every hostile kind of issue 12, in the order they cycle through the burst
KINDS: tuple[Kind, ...] = (
    Kind("zero_byte", "quarantined", "a video file of 0 bytes"),
    Kind("garbage", "quarantined", "64 KiB of random bytes named .mp4"),
    Kind("truncated", "quarantined", "an mp4 with its index last, cut to a third"),
    Kind("wrong_extension", "quarantined", "a good video named .txt"),
    Kind("png_as_mp4", "quarantined", "a PNG picture renamed .mp4"),
    Kind("short_clip", "quarantined", "a real 0.2 s video"),
    Kind("faststart_cut", "quarantined", "an mp4 with its index first (faststart), cut in half"),
    Kind("zeroed_middle", "quarantined", "an mp4 whose middle 40 % of bytes are zeros"),
    Kind("long_name_bad", "quarantined", "random bytes under a 250-byte name"),
    Kind("long_name", "scored", "a good video under a 250-byte name"),
    Kind("odd_name", "scored", "a good video named with CJK, spaces, quotes and a,b[c]|d"),
    Kind("symlink_outside", "quarantined", "a symlink to a video outside the inbox"),
    Kind("symlink_loop", "quarantined", "a symlink pointing at itself", reason_has="loop"),
    Kind("fifo", "ignored", "a FIFO named like a video"),
    Kind("directory", "ignored", "an empty directory named like a video"),
    Kind("bad_task_profile", "quarantined", "profile.json in a badly named task folder"),
    Kind("duplicate", "duplicate", "the same bytes as an earlier good drop"),
    Kind("slow_copy", "scored", "an index-first mp4 written 5 chunks, a 15 s pause, 5 chunks"),
    Kind("stalled_index_last", "scored", "an index-last mp4 whose copy stalls 15 s half-way"),
)
KIND_BY_NAME = {k.name: k for k in KINDS}
#: task folder names a profile.json is dropped under (each must be refused)
BAD_TASK_NAMES = ("bad task", "日本", "a,b[c]|d")
ODD_STEMS = ('研修 "記録" it\'s', "a,b[c]|d clip", "日本語 ビデオ #1 (copy)")
#: the inbox rel path of a drop is at most this many bytes per name (ext4/xfs/tmpfs: 255)
LONG_NAME_BYTES = 250


def _name(kind: str, seq: int, src_stem: str, ext: str, rng: random.Random) -> str:
    tag = f"-s{seq:05d}"
    if kind in ("long_name", "long_name_bad"):
        # multi-byte characters so the byte length, not the character count, is what is long
        body = (src_stem + "-長い名前-" + "x" * LONG_NAME_BYTES)
        out = ""
        for ch in body:
            if len((out + ch + tag + ext).encode()) > LONG_NAME_BYTES:
                break
            out += ch
        return out + tag + ext
    if kind == "odd_name":
        return f"{rng.choice(ODD_STEMS)}{tag}{ext}"
    if kind == "wrong_extension":
        return f"bad-wrong-extension{tag}.txt"
    if kind in KIND_BY_NAME and KIND_BY_NAME[kind].expected in ("quarantined", "ignored"):
        return f"bad-{kind.replace('_', '-')}{tag}.mp4"
    return f"{src_stem}{tag}{ext}"


def plan_chaos(corpus: Corpus, n: int = 500, bad_fraction: float = 0.1,
               seed: int = 0) -> list[Drop]:
    """``n`` drops: each task's gold first, then good trainees (each a repacked copy of a
    corpus video: new bytes, so each must be scored once) with hostile drops spread evenly,
    cycling through ``KINDS`` (every kind at least once, whatever ``bad_fraction``).
    A duplicate repeats the bytes of a good trainee dropped at least a third of the burst
    earlier."""
    rng = random.Random(seed)
    tasks = sorted(corpus.golds)
    if n < len(tasks) + len(KINDS) + 2:
        raise ValueError(f"a chaos soak needs at least {len(tasks) + len(KINDS) + 2} files "
                         f"({len(tasks)} golds, one of each of {len(KINDS)} kinds, 2 trainees)")
    n_hostile = max(len(KINDS), round(n * bad_fraction))
    n_rest = n - len(tasks)
    hostile_at = {len(tasks) + 1 + round(i * (n_rest - 1) / n_hostile) for i in range(n_hostile)}
    hostile_at = sorted(hostile_at)[:n_hostile]
    drops: list[Drop] = []
    for task in tasks:
        g = corpus.golds[task]
        drops.append(Drop(seq=len(drops), task=task, role="gold", kind="good",
                          file_name=f"{g.stem}-s{len(drops):05d}{g.suffix}", src=str(g),
                          expected="gold"))
    trainees = [(t, p) for t in tasks for p in corpus.trainees[t]]
    kinds = iter(KINDS * (n_hostile // len(KINDS) + 1))
    hostile_set = set(hostile_at)
    for seq in range(len(tasks), n):
        task, src = trainees[seq % len(trainees)]
        if seq not in hostile_set:
            drops.append(Drop(seq=seq, task=task, role="trainee", kind="good",
                              file_name=_name("good", seq, src.stem, src.suffix, rng),
                              src=str(src), variant="repack", expected="scored"))
            continue
        kind = next(kinds)
        d = Drop(seq=seq, task=task, role="trainee", kind=kind.name,
                 file_name=_name(kind.name, seq, src.stem, src.suffix, rng), src=str(src),
                 variant="repack" if kind.expected == "scored" else "", expected=kind.expected)
        if kind.name == "bad_task_profile":
            i = sum(1 for x in drops if x.kind == "bad_task_profile")
            name = BAD_TASK_NAMES[i % len(BAD_TASK_NAMES)] + (f" {i // len(BAD_TASK_NAMES)}" if i >= len(BAD_TASK_NAMES) else "")
            d.task, d.role, d.file_name = name, "", "profile.json"
        if kind.name == "duplicate":
            earlier = [x for x in drops if x.kind == "good" and x.role == "trainee"
                       and x.seq <= seq - max(1, (n - len(tasks)) // 3)]
            orig = earlier[-1] if earlier else next(x for x in drops if x.role == "trainee"
                                                    and x.kind == "good")
            d.task, d.src, d.variant, d.dup_of = orig.task, orig.src, "duplicate", orig.seq
            d.file_name = f"dup-of-s{orig.seq:05d}-s{seq:05d}{orig.file_name[orig.file_name.rfind('.'):]}"
        drops.append(d)
    for d in drops:
        d.rel = f"{d.task}/{d.file_name}" if not d.role else f"{d.task}/{d.role}/{d.file_name}"
    return drops


def expected_counts(drops: list[Drop]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in drops:
        out[d.expected] = out.get(d.expected, 0) + 1
    return out
