"""Progress on stderr for the long CLI commands (`sopilot demo`, `sopilot score`).

On a terminal one line is redrawn in place (rich's progress display); otherwise plain lines, one
per event, so that logs and CI output stay readable. Never on stdout, which `--json` owns.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TextIO


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _live(stream: TextIO, *columns, transient: bool):
    from rich.console import Console
    from rich.progress import Progress

    return Progress(*columns, console=Console(file=stream, force_terminal=True), transient=transient)


class CountProgress:
    """``progress(done, total, label)`` callback: ``[12/45] label`` per call, or a live bar on a terminal."""

    def __init__(self, stream: TextIO | None = None, terminal: bool | None = None):
        self.stream = stream or sys.stderr
        self.terminal = is_terminal(self.stream) if terminal is None else terminal
        self._bar = None
        self._task = None

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.terminal:
            print(f"[{done}/{total}] {label}", file=self.stream, flush=True)
            return
        if self._bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

            self._bar = _live(self.stream, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                              TextColumn("{task.fields[label]}"), transient=False)
            self._bar.start()
            self._task = self._bar.add_task("", total=total, label="")
        self._bar.update(self._task, completed=done, total=total, label=label)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> "CountProgress":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


@contextmanager
def phase(text: str, enabled: bool, stream: TextIO | None = None, terminal: bool | None = None):
    """While the block runs: ``text`` with a spinner and the elapsed time on a terminal, else one
    plain line ``text ...`` when it starts. Nothing when not ``enabled``."""
    stream = stream or sys.stderr
    if not enabled:
        yield
        return
    if not (is_terminal(stream) if terminal is None else terminal):
        print(f"{text} ...", file=stream, flush=True)
        yield
        return
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    with _live(stream, SpinnerColumn(), TextColumn(text), TimeElapsedColumn(), transient=True) as live:
        live.add_task(text, total=None)
        yield
