"""The picture of a moving camera's route in the pair report (scene/route_figure.py)."""
import cv2
import numpy as np

from sopilot_resources.pair_report.figures import scene_figures
from sopilot_resources.scene.route_figure import route_pictures, route_png

EXTRA = {"type": "extra_action", "gold_step": 4, "trainee_time": {"start_sec": 28.75, "end_sec": 37.25},
         "message": "extra action after step 5",
         "evidence": {"source": "scene", "finding": "the camera left the gold's way between stations",
                      "station_of_step": 4, "route": [1, 2, 3, 4, 5, 4, 6],
                      "route_sec": [[0.2, 6.8], [10.2, 11.8], [17.2, 18.8], [24.8, 24.8], [28.8, 28.8],
                                    [31.2, 31.2], [37.2, 37.2]]}}
MISSING = {"type": "missing_step", "gold_step": 4, "trainee_time": None, "message": "step 5 missing",
           "evidence": {"source": "scene", "finding": "the camera passed the step's station without stopping",
                        "route": [1, 2, 3, 4, 6], "route_sec": [[0.2, 6.8], [10.2, 11.8], [17.2, 18.8],
                                                                [24.8, 24.8], [31.2, 31.2]]}}
CLIPS = {"type": "slow_step", "gold_step": 2, "trainee_time": {"start_sec": 3.0, "end_sec": 9.0},
         "message": "slow", "evidence": None}


def _decode(data: bytes) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_each_route_deviation_gets_a_route_picture_and_no_other_does():
    pics = route_pictures([CLIPS, EXTRA, MISSING])
    assert sorted(pics) == [1, 2]
    for figs in pics.values():
        (caption, data), = figs
        assert "route" in caption and data[:8] == b"\x89PNG\r\n\x1a\n"
        img = _decode(data)
        assert img.shape[0] > 100 and img.shape[1] > 500


def test_the_picture_shades_the_detour_and_draws_a_bar_at_each_stop():
    img = _decode(route_png(EXTRA["evidence"], EXTRA))
    shaded = np.all(img == (255, 220, 220), axis=-1)
    xs = np.flatnonzero(shaded.any(0))
    assert xs.size and xs.min() > img.shape[1] / 2  # the detour is late in the video
    palette_blue = np.all(img == (31, 119, 180), axis=-1)  # step 1's stay, at the start
    assert palette_blue.any() and np.flatnonzero(palette_blue.any(0)).max() < img.shape[1] / 2
    # a station walked past: nothing shaded (a missing step has no trainee time), no bar at 5
    img = _decode(route_png(MISSING["evidence"], MISSING))
    assert not np.all(img == (255, 220, 220), axis=-1).any()
    assert not np.all(img == (148, 103, 189), axis=-1).any()  # step 5's colour


def test_the_pair_report_carries_route_pictures_without_a_scene_outcome():
    class Result:
        scene = None

    figs = scene_figures(Result(), {"deviations": [CLIPS, MISSING]})
    assert list(figs) == [1] and figs[1][0].mime == "image/png"
