"""A resolution of pictures the scene evidence works at: the gold steps' changes, the trainee's
registered scenes and the two end scenes at that size, each made on first use and kept."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .regions import GoldChange
from .search import TraineeScenes


@dataclass
class SearchLevel:
    """One resolution the both-ways search runs at: ``changes(steps)`` the gold steps' changes
    (a list over all steps, None where not asked or nothing visible), ``search(spans)`` the
    trainee's registered scenes near those gold steps; what they made is kept for the next call."""

    name: str
    changes: Callable[[list[int]], list[GoldChange | None]]
    search: Callable[[list[tuple[float, float]] | None], TraineeScenes]
    #: the two end scenes at this level (:func:`.end_state.end_scenes`; None: not registered)
    ends: Callable[[], tuple[np.ndarray, np.ndarray] | None] = lambda: None
    #: the gold's settled scene right after step s at this level, lighting removed as the end
    #: scenes are (None: not made here): it shows the step's result where the gold's end scene
    #: hides it (the performer resting over it)
    gold_after: Callable[[int], np.ndarray | None] = lambda s: None
    _changes: dict = field(default_factory=dict, repr=False)
    _all_scenes: TraineeScenes | None = field(default=None, repr=False)

    def change(self, steps: list[int]) -> dict[int, GoldChange | None]:
        new = [s for s in steps if s not in self._changes]
        if new:
            got = self.changes(new)
            self._changes.update({s: got[s] for s in new})
        return {s: self._changes[s] for s in steps}
