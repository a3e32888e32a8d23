"""How long a moving camera stays at each step's station, gold vs trainee.

A body-worn (or panning) camera moves with the performer from station to station and stays
while the work is done there. The gold's settled scene just after each step shows that
step's station; every half second, each video's settled scene is matched against it
(ORB features and a RANSAC similarity transform, OpenCV): the camera is *at the station*
when enough features agree and the station's picture sits near the middle of the view (not
just passing by at an edge). A step's *dwell* is the time spent there, counted from the first
step's start.
Each sample is matched only against the stations of the step the alignment pairs it with and
its neighbours, so a long procedure costs no more per second than a short one.

The trainee's dwell per step, divided by the gold's, is that step's time at its station; the
median over the steps is this trainee's own pace at the stations, so a slow or fast performer,
or a camera that settles less readily, moves every step alike. A step whose dwell stands far
above that pace, and above the trainee's pace from the clips (the larger of the two: a camera
seldom recognised at its stations lowers the first), by the profile's ``slow_ratio`` (as for
the clips' slow steps) was slow, done more than once, or held up there: something the clips of
a moving camera often miss, because the camera at a station looks the same however long it
stays.

The same settled samples, all of them, give each camera's pan path (:mod:`.pan`) and the
trainee's route (:mod:`.route`, ``StationDwell.route``): the stations its camera stopped at,
in which order, and those it walked past.

Only for a moving gold camera (a fixed camera is at every station at once). The steps at the
last step's station are left out: the video ends there, however long the performer rests.
Consecutive steps at one station share one stay (reported once).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from .pan import pan_path, station_positions
from .pictures import StillCache, scene_workers
from .regions import windows
from .register import View, matched_points, view
from .route import Route, trainee_route
from .settle import settled

#: each video's scene is sampled every DWELL_STEP s, settled over +-DWELL_STEP s (the performer's
#: arm removed: its features would hide the station's)
DWELL_STEP = 0.5
#: at a station: at least this many features agree (RANSAC inliers) ...
STATION_INLIERS = 20
#: ... and the station's picture centre lies within this share of the width of the view's centre
STATION_OFFSET = 0.12
#: only steps at whose station the gold itself stays this long (s) are measured
MIN_GOLD_DWELL = 1.5
#: ... and at least this many of them, to know the trainee's pace at the stations
MIN_STEPS = 3
#: a moment is only matched against the stations of the step the alignment pairs it with and
#: of NEIGHBOURS steps either side (a long procedure is not matched against every station)
NEIGHBOURS = 1


def at_station(ref: View, img: View) -> bool:
    """Does ``img`` show the station of ``ref`` (enough features agree, and its picture sits
    near the middle of the view)? Both prepared for registration (:func:`.register.view`)."""
    pts = matched_points(ref, img, STATION_INLIERS)
    if pts is None:
        return False
    # a similarity (shift, zoom, roll: how a camera put back elsewhere sees the same station):
    # two points per RANSAC sample, so far fewer tries than a homography where few agree
    m, inliers = cv2.estimateAffinePartial2D(*pts, method=cv2.RANSAC, ransacReprojThreshold=3.0)
    if m is None or inliers is None or int(inliers.sum()) < STATION_INLIERS:
        return False
    height, width = ref.grey.shape
    cx, cy = m @ np.array([width / 2.0, height / 2.0, 1.0])
    return bool(np.hypot(cx - width / 2.0, cy - height / 2.0) <= STATION_OFFSET * width)


def step_at(spans: list[tuple[float, float]], t: float) -> int:
    """The gold step whose span holds second ``t``, else the nearest one."""
    return int(np.argmin([0.0 if a <= t <= b else min(abs(t - a), abs(t - b)) for a, b in spans]))


def dwell(c: StillCache, refs: list[View], spans: list[tuple[float, float]], t0: float,
          to_gold: Callable[[float], float], wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S, K) bool: which of the K samples of video ``c`` (every DWELL_STEP s from second
    ``t0`` on, settled) show each step's station (``refs``); a sample is only matched against
    the ``wanted`` (S,) stations of the step its moment is paired with (``to_gold``: the video's
    seconds -> the gold's) and of its neighbours. (K,) their seconds; (K, 2) the camera's pan
    path through them (:func:`.route.pan_path`: every sample is settled for it)."""
    first, last = float(c.stills.times[0]), float(c.stills.times[-1])
    times = np.arange(max(t0, first + DWELL_STEP / 2), last - DWELL_STEP / 2 + 1e-6, DWELL_STEP)
    near = [step_at(spans, float(to_gold(float(x)))) for x in times]
    tried = [[s for s in range(len(refs)) if wanted[s] and abs(s - n) <= NEIGHBOURS] for n in near]
    rows: list[list[bool]] = []

    def one(j: int) -> tuple[list[bool], np.ndarray]:
        f = view(settled(c.window(times[j] - DWELL_STEP, times[j] + DWELL_STEP)))
        row = [False] * len(refs)
        for s in tried[j]:
            row[s] = at_station(refs[s], f)
        return row, f.hp

    def hps(results):
        for row, hp in results:  # in order, as they come: only the previous picture is kept
            rows.append(row)
            yield hp

    with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:
        path = pan_path(hps(pool.map(one, range(len(times)))))
    at = np.array(rows, bool).reshape(len(times), len(refs)).T
    return at, times, path


@dataclass
class StationDwell:
    """gold, trainee: (S,) seconds at each step's station (NaN: not measured: too short in the
    gold, or at the last step's station); pace: the trainee's median ratio over the measured steps (NaN:
    too few); when: (S, 2) the trainee's first and last second at each station (NaN: never)."""

    gold: np.ndarray
    trainee: np.ndarray
    pace: float
    when: np.ndarray
    #: (S,) bool: the step's station is the previous step's (one stay, several steps)
    shared: np.ndarray
    #: the trainee camera's route over the steps' stations (:mod:`.route`; None: not measured)
    route: Route | None = None

    def norm(self, pace: float = 0.0) -> float:
        """This trainee's pace: the larger of its pace at the stations and ``pace`` (its pace
        from the clips), so a trainee whose stations are seldom recognised, which lowers the
        first, does not make the stations it is seen at look slow."""
        return max(self.pace if np.isfinite(self.pace) else 0.0, pace)

    def ratio(self, s: int, pace: float = 0.0) -> float:
        """Step s's trainee / gold dwell over :meth:`norm` (NaN: not measured)."""
        norm = self.norm(pace)
        return float(self.trainee[s] / self.gold[s] / norm) if norm > 0 else float("nan")

    def to_dict(self, s: int, pace: float = 0.0) -> dict:
        return {"source": "scene", "finding": "time the camera stayed at the step's station",
                "trainee_at_station_sec": round(float(self.trainee[s]), 1),
                "gold_at_station_sec": round(float(self.gold[s]), 1),
                "trainee_pace_at_stations": round(self.pace, 2), "trainee_pace": round(pace, 2),
                "ratio": round(self.ratio(s, pace), 2)}


def station_dwell(g: StillCache, t: StillCache, spans: list[tuple[float, float]], trainee_from: float,
                  to_gold: Callable[[float], float]) -> StationDwell:
    """The dwell of both videos at each gold step's station (``spans``: gold steps, seconds),
    counted from the gold's first step and from ``trainee_from`` (the trainee's first step)
    minus a second, to each video's end (``to_gold``: trainee seconds -> the gold seconds the
    alignment pairs them with)."""
    end = float(g.stills.times[-1])
    n = len(spans)
    refs = [view(settled(g.window(*windows(spans, s, end)[1]))) for s in range(n)]
    # a step at the last step's station shares the stay at the end of the video, however long
    # the performer rests there; consecutive steps at one station share one stay
    last = np.array([s == n - 1 or at_station(refs[-1], r) for s, r in enumerate(refs)], bool)
    shared = np.array([s > 0 and at_station(refs[s - 1], r) for s, r in enumerate(refs)], bool)
    nothing = StationDwell(np.full(n, np.nan), np.full(n, np.nan), float("nan"), np.full((n, 2), np.nan), shared)
    if (~last & ~shared).sum() < MIN_STEPS:
        return nothing  # one station (a camera that only drifts) or too few: nothing to compare
    at_g, times_g, path_g = dwell(g, refs, spans, spans[0][0] - 1.0, lambda x: x, ~last)
    gold = at_g.sum(1) * DWELL_STEP
    measured = ~last & (gold >= MIN_GOLD_DWELL)
    stays = measured & ~shared  # a stay shared by several steps counts once in the pace
    if stays.sum() < MIN_STEPS:
        return nothing
    at, times, path_t = dwell(t, refs, spans, trainee_from - 1.0, to_gold, measured)
    trainee = at.sum(1) * DWELL_STEP
    when = np.full((n, 2), np.nan)
    for s, row in enumerate(at):
        if row.any():
            when[s] = times[np.flatnonzero(row)[[0, -1]]]
    gold, trainee = np.where(measured, gold, np.nan), np.where(measured, trainee, np.nan)
    pace = float(np.median(trainee[stays] / gold[stays]))
    route = trainee_route(station_positions(times_g, path_g, spans), times, path_t)
    return StationDwell(gold, trainee, pace if pace > 0 else float("nan"), when, shared, route)

