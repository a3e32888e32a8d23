"""File names the stores write: they fit every filesystem's limit whatever a user dropped.

Linux filesystems (ext4, xfs, btrfs, tmpfs) and most others allow 255 BYTES per name
component, not characters: a CJK character takes 3 bytes in UTF-8, so 85 of them fill a name.
A stored name also needs room for what goes beside it: ``<name>.reason.json`` (+12 bytes) and
the temporary names of atomic writes, ``.<name>.reason.json.<8 hex>.tmp`` (+26 bytes). So
names in ``quarantine/`` and ``archive/`` are kept to ``STORED_NAME_MAX`` bytes; a longer one
is shortened (its extension kept, ``~<8 hex of the full name>`` added so two long names that
share a beginning stay apart). The name as dropped is kept in the reason record / registry.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

NAME_MAX = 255
#: the longest name written into quarantine/ or archive/ (leaves room for companions and temps)
STORED_NAME_MAX = 200
_MAX_EXT = 16


def name_bytes(name: str) -> int:
    """Length of ``name`` as the filesystem sees it (bytes; undecodable bytes count as one)."""
    return len(os.fsencode(name))


def _cut(text: str, budget: int) -> str:
    while text and name_bytes(text) > budget:
        text = text[:-1]
    return text


def fit_name(name: str, max_bytes: int = STORED_NAME_MAX) -> str:
    """``name`` itself when it fits in ``max_bytes``, else ``<shortened stem>~<hash8><ext>``:
    cut on a character boundary, never empty, never starting with a dot."""
    if name_bytes(name) <= max_bytes:
        return name
    ext = Path(name).suffix
    if not ext or name_bytes(ext) > _MAX_EXT or ext == name:
        ext = ""
    tag = "~" + hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
    stem = _cut(name[: len(name) - len(ext)] if ext else name, max_bytes - name_bytes(tag + ext))
    return (stem.lstrip(".") or "file") + tag + ext


def free_name_beside(path: Path) -> Path:
    """``path`` if nothing is there, else ``<stem>~<n><ext>`` beside it (n = 2, 3, ...), fitted
    to ``NAME_MAX``: for putting a file back into an inbox folder whose name was taken meanwhile."""
    if not (path.exists() or path.is_symlink()):
        return path
    ext = Path(path.name).suffix
    stem = path.name[: len(path.name) - len(ext)]
    n = 2
    while True:
        tag = f"~{n}{ext}"
        cand = path.with_name(_cut(stem, NAME_MAX - name_bytes(tag)) + tag)
        if not (cand.exists() or cand.is_symlink()):
            return cand
        n += 1
