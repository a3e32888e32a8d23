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


def sighting(ref: View, img: View, min_matches: int = STATION_INLIERS) -> tuple[int, float, float]:
    """(inliers, x, y): how many features of ``ref``'s station agree in ``img`` under one
    similarity transform (RANSAC), and where the station's picture centre lands in the view
    (shares of the width from the view's centre; NaN with no transform). Both prepared for
    registration (:func:`.register.view`); fewer than ``min_matches`` matches: (0, NaN, NaN)."""
    pts = matched_points(ref, img, min_matches)
    if pts is None:
        return 0, float("nan"), float("nan")
    # a similarity (shift, zoom, roll: how a camera put back elsewhere sees the same station):
    # two points per RANSAC sample, so far fewer tries than a homography where few agree
    m, inliers = cv2.estimateAffinePartial2D(*pts, method=cv2.RANSAC, ransacReprojThreshold=3.0)
    if m is None or inliers is None:
        return 0, float("nan"), float("nan")
    height, width = ref.grey.shape
    cx, cy = m @ np.array([width / 2.0, height / 2.0, 1.0])
    return int(inliers.sum()), float((cx - width / 2.0) / width), float((cy - height / 2.0) / width)


def at_station(ref: View, img: View) -> bool:
    """Does ``img`` show the station of ``ref`` (enough features agree, and its picture sits
    near the middle of the view)?"""
    inliers, x, y = sighting(ref, img)
    return inliers >= STATION_INLIERS and bool(np.hypot(x, y) <= STATION_OFFSET)


def step_at(spans: list[tuple[float, float]], t: float) -> int:
    """The gold step whose span holds second ``t``, else the nearest one."""
    return int(np.argmin([0.0 if a <= t <= b else min(abs(t - a), abs(t - b)) for a, b in spans]))


def dwell(c: StillCache, refs: list[View], spans: list[tuple[float, float]], t0: float,
          to_gold: Callable[[float], float], wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S, K) bool: which of the K samples of video ``c`` (every DWELL_STEP s from second
    ``t0`` on, settled) show each step's station (``refs``); a sample is only matched against
    the ``wanted`` (S,) stations of the step its moment is paired with (``to_gold``: the video's
    seconds -> the gold's) and of its neighbours. (K,) their seconds; (K, 2) the camera's pan
    path through them (:func:`.pan.pan_path`: every sample is settled for it)."""
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
        return self.share(s, self.norm(pace))

    def share(self, s: int, norm: float) -> float:
        """Step s's trainee / gold dwell over the pace ``norm`` (NaN: not measured, or no pace)."""
        return float(self.trainee[s] / self.gold[s] / norm) if norm > 0 else float("nan")

    def to_dict(self, s: int, pace: float = 0.0) -> dict:
        return {"source": "scene", "finding": "time the camera stayed at the step's station",
                "trainee_at_station_sec": round(float(self.trainee[s]), 1),
                "gold_at_station_sec": round(float(self.gold[s]), 1),
                "trainee_pace_at_stations": round(self.pace, 2), "trainee_pace": round(pace, 2),
                "ratio": round(self.ratio(s, pace), 2)}


@dataclass(frozen=True)
class GoldStations:
    """What only the gold decides, the same for every trainee of it (kept in the gold's memo,
    :func:`.compare.kept`): ``refs`` each step's station view; ``shared`` (S,) the step's station
    is the previous step's; ``gold`` (S,) seconds at each station, NaN where not measured
    (``measured`` False: the last step's station, or a stay under MIN_GOLD_DWELL); ``stays``
    (S,) the measured stays counted in the pace; ``positions`` (S, 2) each step's station on the
    gold's pan path (:func:`.pan.station_positions`). ``usable`` False: too few stations."""

    refs: list
    shared: np.ndarray
    gold: np.ndarray
    measured: np.ndarray
    stays: np.ndarray
    positions: np.ndarray | None

    @property
    def usable(self) -> bool:
        return self.positions is not None


def gold_stations(g: StillCache, spans: list[tuple[float, float]]) -> GoldStations:
    """The gold's side of :func:`station_dwell`: its station views, how long it stays at each
    (counted from its first step minus a second) and where each station lies on its pan path."""
    end = float(g.stills.times[-1])
    n = len(spans)
    refs = [view(settled(g.window(*windows(spans, s, end)[1]))) for s in range(n)]
    # a step at the last step's station shares the stay at the end of the video, however long
    # the performer rests there; consecutive steps at one station share one stay
    last = np.array([s == n - 1 or at_station(refs[-1], r) for s, r in enumerate(refs)], bool)
    shared = np.array([s > 0 and at_station(refs[s - 1], r) for s, r in enumerate(refs)], bool)
    none = np.zeros(n, bool)
    if (~last & ~shared).sum() < MIN_STEPS:  # one station (a camera that only drifts) or too few
        return GoldStations(refs, shared, np.full(n, np.nan), none, none, None)
    at_g, times_g, path_g = dwell(g, refs, spans, spans[0][0] - 1.0, lambda x: x, ~last)
    gold = at_g.sum(1) * DWELL_STEP
    measured = ~last & (gold >= MIN_GOLD_DWELL)
    stays = measured & ~shared  # a stay shared by several steps counts once in the pace
    if stays.sum() < MIN_STEPS:
        return GoldStations(refs, shared, np.full(n, np.nan), none, none, None)
    return GoldStations(refs, shared, np.where(measured, gold, np.nan), measured, stays,
                        station_positions(times_g, path_g, spans))


def station_dwell(g: StillCache | GoldStations, t: StillCache, spans: list[tuple[float, float]],
                  trainee_from: float, to_gold: Callable[[float], float]) -> StationDwell:
    """The dwell of both videos at each gold step's station (``spans``: gold steps, seconds),
    counted from the gold's first step and from ``trainee_from`` (the trainee's first step)
    minus a second, to each video's end (``to_gold``: trainee seconds -> the gold seconds the
    alignment pairs them with), and the trainee's route. ``g``: the gold's stills, or its side
    already made (:func:`gold_stations`, kept for every trainee of that gold)."""
    gs = g if isinstance(g, GoldStations) else gold_stations(g, spans)
    n = len(spans)
    if not gs.usable:
        return StationDwell(np.full(n, np.nan), np.full(n, np.nan), float("nan"), np.full((n, 2), np.nan), gs.shared)
    at, times, path_t = dwell(t, gs.refs, spans, trainee_from - 1.0, to_gold, gs.measured)
    trainee = np.where(gs.measured, at.sum(1) * DWELL_STEP, np.nan)
    when = np.full((n, 2), np.nan)
    for s, row in enumerate(at):
        if row.any():
            when[s] = times[np.flatnonzero(row)[[0, -1]]]
    pace = float(np.median(trainee[gs.stays] / gs.gold[gs.stays]))
    route = trainee_route(gs.positions, times, path_t)
    return StationDwell(gs.gold, trainee, pace if pace > 0 else float("nan"), when, gs.shared, route)
