"""A picture of a moving camera's route, for the deviations that rest on it
(``scoring/detect_route.py``): where the trainee's camera stopped, station by station over
time, the deviation's stretch shaded. A supervisor sees the station walked past, the two
visited the other way round, or the detour, without opening the video."""
from __future__ import annotations

import cv2

from ..canvas import INK, PALETTE, Axes, canvas, dashed_hline, text

#: red of what the deviation names
MARK = (220, 20, 20)


def route_png(evidence: dict, deviation: dict) -> bytes:
    """PNG bytes: the trainee's stays (``evidence["route"]``, steps counted from 1, and
    ``evidence["route_sec"]``, their (first, last) seconds) as bars at their step's station,
    joined in the order the camera moved; the ``deviation``'s trainee stretch shaded and the
    station it is about marked (a detour's, else its step's)."""
    route, secs = evidence["route"], evidence["route_sec"]
    # the station the deviation is about: a detour's, else its step's (counted from 1)
    step = evidence.get("station_of_step") or (None if deviation.get("gold_step") is None
                                                else deviation["gold_step"] + 1)
    n = max(route + ([step] if step is not None else []))
    span = deviation.get("trainee_time")
    t_end = max([b for _, b in secs] + ([span["end_sec"]] if span else [])) + 1.0
    img = canvas(60 + 26 * n + 50, 760)
    ax = Axes(90, 30, 740, 30 + 26 * n + 10, t_end, n + 0.5)
    if span:
        x0, x1 = int(ax.px(span["start_sec"])), int(ax.px(span["end_sec"]))
        cv2.rectangle(img, (x0, ax.y0 + 1), (max(x1, x0 + 2), ax.y1 - 1), (255, 220, 220), -1)
    for k in range(1, n + 1):
        y = int(ax.py(k))
        marked = k == step
        dashed_hline(img, y, ax.x0, ax.x1, MARK if marked else (200, 200, 200))
        text(img, f"step {k}", ax.x0 - 8, y + 4, 0.4, MARK if marked else INK, anchor="r")
    points = []
    for k, (a, b) in zip(route, secs):
        y = int(ax.py(k))
        x0, x1 = int(ax.px(a)), int(ax.px(b))
        cv2.rectangle(img, (x0 - 3, y - 6), (x1 + 3, y + 6), PALETTE[(k - 1) % len(PALETTE)], -1)
        points.append(((x0 - 3, y), (x1 + 3, y)))
    for (_, end), (start, _) in zip(points[:-1], points[1:]):
        cv2.line(img, end, start, INK, 1, cv2.LINE_AA)
    ax.frame(img, "trainee time (s): where the camera stopped; shaded: the deviation", yticks=False)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return buf.tobytes() if ok else b""


def route_pictures(deviations: list[dict]) -> dict[int, list[tuple[str, bytes]]]:
    """Index in ``deviations`` (dicts, as in the score JSON) -> [(caption, PNG bytes)] for each
    deviation whose evidence is the camera's route."""
    pics = {}
    for i, dev in enumerate(deviations):
        ev = dev.get("evidence") or {}
        if ev.get("source") == "scene" and ev.get("route") and ev.get("route_sec"):
            caption = (f"The camera's route: the gold steps' stations it stopped at over the trainee's video "
                       f"({ev.get('finding', '')}), numbered from 1 as in the messages")
            pics[i] = [(caption, route_png(ev, dev))]
    return pics

