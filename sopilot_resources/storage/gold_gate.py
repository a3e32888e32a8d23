"""Gold quality gate: a gold that is too short, or mostly dark / over-exposed / blurry / frozen,
is flagged before any trainee is scored against it."""
from __future__ import annotations

from ..embeddings import ClipEmbeddings


def gold_gate(emb: ClipEmbeddings, min_sec: float = 4.0, max_bad_fraction: float = 0.5) -> dict:
    """Returns ``{"ok", "flags", "fractions", "duration_sec", "message"}``."""
    fractions = emb.quality_fraction()
    duration = float(emb.ends[-1] - emb.starts[0]) if len(emb) else 0.0
    flags = [f for f, v in fractions.items() if v > max_bad_fraction]
    if duration < min_sec:
        flags.append("too_short")
    ok = not flags
    msg = ("gold passes the quality gate" if ok else
           f"gold flagged: {', '.join(flags)} (duration {duration:.1f} s, bad-clip shares "
           + ", ".join(f"{k} {v:.0%}" for k, v in fractions.items())
           + "); trainees of this task wait - drop a better gold into the task's gold folder")
    return {"ok": ok, "flags": flags, "fractions": fractions, "duration_sec": duration,
            "min_sec": min_sec, "max_bad_fraction": max_bad_fraction, "message": msg}
