"""What the detectors read about one gold / trainee pair (:class:`PairEvidence`, built once by
:func:`.build_pair.build_evidence`), and what they say about each step (:class:`StepStatus`).

The chain (docs/scoring.md, :func:`.engine.score_embeddings`): every detector takes the
evidence and the step statuses so far, and *returns* its result (new statuses or
deviations); nothing in the evidence or in a status is changed after it is made.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..align.types import Alignment
from .evidence import Span, StepEvidence
from .profile import Profile
from .steps import Step
from .timeline import Timeline

#: a trainee whose typical step contrast is below this is compared against this instead:
#: a video unrelated to the gold has no steps that stand out, and must not pass
MIN_CONTRAST = 0.12


@dataclass(frozen=True)
class StepStatus:
    """What the detectors concluded about one gold step (a new one replaces it, never an edit)."""

    step: Step
    critical: bool
    found: bool
    ratio: float  # contrast relative to the typical step
    where: Span | None  # trainee location if found (or done wrongly)
    in_place: bool = True


@dataclass(frozen=True)
class PairEvidence:
    """The pair's evidence, S gold steps, N gold clips, M trainee clips; its arrays are read-only.

    steps, critical: the gold steps and which are critical (steps file or profile);
    gold_tl, tr_tl: clip index <-> seconds of each video;
    step_ev: per step, where it shows up in the trainee and how clearly (:class:`.evidence.StepEvidence`);
    like: (S, M) step likelihood of every trainee clip (after the per-pair reweighting);
    ref: the typical step contrast of this trainee (at least ``MIN_CONTRAST``), the unit of
        every "how clearly";
    idle, gold_idle: (M,) / (N,) still clips (pauses closed over short twitches);
    procedure: is the gold's step order there at all (:func:`.segment.procedure_evidence`);
    overall: trainee / gold duration, clipped to 0.5..2;
    gold_clips: (S,) gold step durations in trainee clips;
    gold_best: (M,) each trainee clip's best cosine to any gold clip;
    alignment: the global DTW alignment (path: which gold moment a trainee moment pairs with);
    scene: the scene comparison (None: not run); trainee_end: the trainee video's last second;
    gold_still_times, trainee_still_times: when the kept stills were taken;
    steps_given: the gold's steps came from a steps file (False: detected from the gold).
    """

    steps: tuple[Step, ...]
    critical: tuple[bool, ...]
    gold_tl: Timeline
    tr_tl: Timeline
    step_ev: tuple[StepEvidence, ...]
    like: np.ndarray
    ref: float
    idle: np.ndarray
    procedure: dict
    overall: float
    gold_clips: np.ndarray
    profile: Profile
    gold_idle: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    gold_best: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    alignment: Alignment | None = None
    embedder: dict = field(default_factory=dict)
    scene: object | None = None  # ..scene.SceneEvidence
    trainee_end: float = 0.0
    gold_still_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    trainee_still_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    steps_given: bool = True

    @property
    def recognised(self) -> bool:
        """Whether the gold's step order is recognised in the trainee at all."""
        return self.procedure["recognised"]

    @property
    def expected(self) -> np.ndarray:
        """(S,) each step's expected trainee time in clips (gold duration x overall pace)."""
        return self.gold_clips * self.overall

    @property
    def shortest(self) -> np.ndarray:
        """(S,) the gold steps in clips x min(1, overall pace): a fast execution's yardstick."""
        return self.gold_clips * min(self.overall, 1.0)

    @property
    def path(self) -> np.ndarray:
        """(K, 2) the DTW path, (gold clip, trainee clip) pairs."""
        return self.alignment.path


def typical_contrast(step_ev) -> float:
    """The typical (median) step's contrast in this trainee, at least ``MIN_CONTRAST``."""
    typical = float(np.median([max(e.mapped_contrast, e.contrast) for e in step_ev]))
    return max(typical, MIN_CONTRAST)


def critical_flags(steps: list[Step], profile: Profile) -> tuple[bool, ...]:
    """Critical per step: the steps file's flag, or named (or 0-based index) in the profile."""
    marks = {str(c) for c in profile.critical_steps}
    return tuple(s.critical or s.name in marks or str(s.index) in marks for s in steps)


def read_only(*arrays: np.ndarray) -> None:
    """Mark arrays the evidence owns read-only (a detector writing into one fails loudly)."""
    for a in arrays:
        a.flags.writeable = False
