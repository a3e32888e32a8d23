"""Put a demo set into the inbox: what `serve --demo`, the soak and the e2e tests drop.

The demo (`generate_demo`) is generated once into `<data root>/demo_src/<full|quick>/` (see
`demo_feed.py` for `serve --demo`, which feeds videos in while they are rendered). Each file is
copied under a hidden temporary name and renamed into place (`place`), so the inbox sensor never
sees a half-written file; gold step sidecars land before their gold video, golds before trainees.
Dropping the demo twice is harmless: the sensor dedupes by content hash.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger("sopilot.serve")


def demo_dir(data_root: Path, quick: bool = False) -> Path:
    """Where the demo set is kept once rendered: `<data root>/demo_src/<full|quick>/`."""
    return Path(data_root) / "demo_src" / ("quick" if quick else "full")


def demo_source(data_root: Path, quick: bool = False, seed: int = 0) -> Path:
    """Generate the demo set under the data root unless already there; return its folder."""
    out = demo_dir(data_root, quick)
    if not (out / "manifest.json").exists():
        from sopilot_resources.demo.generate import generate_demo

        log.info("generating the demo videos into %s (once)", out)
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        generate_demo(tmp, seed=seed, quick=quick)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    return out


def place(src: Path, dest: Path) -> Path:
    """Copy `src` to `dest` under a hidden temporary name beside it, then rename it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.copying")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest


def _drop_order(path: Path) -> tuple[int, str]:
    role = path.parent.name
    rank = 0 if path.name.endswith(".steps.json") else 1 if role == "gold" else 2
    return rank, str(path)


def copy_into_inbox(src: Path, inbox: Path) -> list[Path]:
    """Copy every file of a demo tree (not its manifest) into `inbox`, keeping the layout.

    Returns the inbox paths written, in drop order.
    """
    files = [
        p
        for p in Path(src).rglob("*")
        if p.is_file() and p.parent != Path(src) and not p.name.startswith(".")
    ]
    return [place(f, Path(inbox) / f.relative_to(src)) for f in sorted(files, key=_drop_order)]
