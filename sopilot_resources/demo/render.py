"""Render one performance (a timeline of segments) to a video file.

Per frame: work out where the hand, body and camera are; take the piece of the pre-painted world
the camera sees (effects of finished steps are painted into it as they happen), draw what is in
the hand and the arm, warp it to the camera's view (roll, zoom, sub-pixel drift and shake), then
defocus, lighting and noise. With motion blur, the arm is the mean of sub-frame arms spread over
the exposure between the previous frame's state and this one's, and the frame is smeared along
the camera's own motion over that time. The body follows the hand with
a lag; a ``pan`` camera follows the body (a body-worn camera moving between stations), a
``fixed`` one stays on its (loose) mount.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .actions import Action
from .arm import Performer, draw_arm, elbow_position
from .geometry import SHIFT, Projection, smoothstep
from .nuisance import Camera, Look
from .plan import Segment
from .procedures import TaskSpec
from .scene import PAD, render_background
from .view import Pose, integer_crop, view_box, view_matrix, warp_view
from .writer import VideoSink, resolve_codec

REST_DROP = 0.12  # how far the hand sinks towards the body during a long idle (world units)
SUBFRAMES = 3  # sub-frames blended for motion blur


@dataclass(frozen=True)
class _State:
    """What one (sub-)frame shows: hand (x, y), grip, body x, the action in hand and its phase, camera."""

    hand: tuple[float, float]
    grip: float
    body_x: float
    action: Action | None
    u: float
    pose: Pose

    def lerp(self, other: _State, f: float) -> _State:
        """Between this state (f=0) and ``other`` (f=1); the action and its phase follow ``other``
        unless both show the same action."""
        same = self.action is other.action
        return _State((self.hand[0] + (other.hand[0] - self.hand[0]) * f, self.hand[1] + (other.hand[1] - self.hand[1]) * f),
                      self.grip + (other.grip - self.grip) * f, self.body_x + (other.body_x - self.body_x) * f,
                      other.action, self.u + (other.u - self.u) * f if same else other.u, self.pose.lerp(other.pose, f))


def _idle_pose(seg: Segment, t: float, start: tuple[float, float], rest_y: float) -> tuple[float, float, float]:
    """Hand during an idle segment: still for short pauses, sinking to rest for long ones."""
    if seg.duration < 1.5:
        return start[0], start[1], 0.0
    f = smoothstep((t - seg.start_sec) / 0.8)
    return start[0], start[1] + (max(rest_y, start[1]) - start[1]) * f, 0.0


def _shoulder(task: TaskSpec, performer: Performer, body_x: float) -> tuple[float, float]:
    return body_x + performer.side * 0.2 * task.layout.arm_scale, task.shoulder_y


def _draw(bg: np.ndarray, scale: float, states: list[_State], task: TaskSpec, performer: Performer, size: tuple[int, int],
          steady: bool) -> np.ndarray:
    """One (h, w, 3) frame seen from the last state's camera: the world piece in view, then per
    state the hand's tool or part and the arm (several states: their mean, a motion-blurred arm)."""
    w, h = size
    pose = states[-1].pose
    a = None
    if steady and pose.upright:
        x0, y0 = integer_crop(pose, size, bg.shape)
        x1, y1 = x0 + w, y0 + h
    else:
        a = view_matrix(pose, size)
        x0, y0, x1, y1 = view_box(a, size, bg.shape)
    proj = Projection(scale, x0 - PAD * scale, y0 - PAD * scale)
    arm = task.layout.arm_scale
    layers = []
    for st in states:
        canvas = bg[y0:y1, x0:x1].copy()
        if st.action is not None:
            st.action.draw_active(canvas, proj, st.u, np.asarray(st.hand))
        shoulder = _shoulder(task, performer, st.body_x)
        torso = (shoulder[0] - performer.side * 0.12 * arm, task.shoulder_y + 0.12 * arm)
        cv2.ellipse(canvas, proj.pt(*torso), (proj.r(0.3 * arm), proj.r(0.16 * arm)), 0, 0, 360, performer.sleeve, -1, cv2.LINE_AA, SHIFT)
        draw_arm(canvas, proj, performer, shoulder, st.hand, st.grip, arm)
        layers.append(canvas)
    canvas = _mean(layers)
    return canvas if a is None else warp_view(canvas, a, (x0, y0), size)


def _exposure(prev: _State | None, st: _State, blur: float) -> list[_State]:
    """The sub-frame states blended into one frame: this state alone, or spread over the exposure."""
    if prev is None or blur <= 0:
        return [st]
    return [prev.lerp(st, 1.0 - blur * (SUBFRAMES - 1 - k) / (SUBFRAMES - 1)) for k in range(SUBFRAMES)]


def _mean(frames: list[np.ndarray]) -> np.ndarray:
    out = frames[0]
    for k, fr in enumerate(frames[1:], 2):
        out = cv2.addWeighted(out, (k - 1) / k, fr, 1.0 / k, 0.0)
    return out


def _shift(img: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """img moved by whole pixels (dx, dy), the uncovered edge repeating the nearest row / column."""
    h, w = img.shape[:2]
    ys = np.clip(np.arange(h) - dy, 0, h - 1)
    xs = np.clip(np.arange(w) - dx, 0, w - 1)
    return img[ys[:, None], xs[None, :]] if dx and dy else img[ys] if dy else img[:, xs]


def _camera_streak(frame: np.ndarray, states: list[_State]) -> np.ndarray:
    """Blur along the camera's own motion during the exposure (shake, drift, pan): the mean of the
    frame shifted to where the view was at each sub-frame (whole pixels; none under 1.5 px)."""
    last = states[-1].pose
    d = [((last.cx - s.pose.cx) * last.zoom, (last.cy - s.pose.cy) * last.zoom) for s in states]
    if max(abs(v) for xy in d for v in xy) < 1.5:
        return frame
    return _mean([_shift(frame, int(round(dx)), int(round(dy))) for dx, dy in d])


def render_performance(path: str | Path, task: TaskSpec, segments: list[Segment], performer: Performer, look: Look,
                       skip_sec: float = 0.0) -> dict:
    """Write the video; returns {path, codec, container, fps, width, height, frame_count, duration_sec}.
    skip_sec: the camera starts that late into the timeline (a recording begun mid-task: the
    performance runs from 0, frames before are not written). A ``changeover`` segment (a shift
    recording's time between cycles) puts the station back as it was before the first step."""
    codec = resolve_codec(look.codec)
    path = Path(path).with_suffix(codec.ext)
    lay = task.layout
    w, h, fps = look.width, look.height, look.fps
    cam = Camera(look)
    scale = h * look.zoom  # pixels per world unit
    bg, bg_proj = render_background(lay, scale)
    bg = cam.light_bench(bg, scale)
    pristine = bg.copy() if any(sg.role == "changeover" for sg in segments) else None
    view_w = w / scale
    cy = 0.5 + look.offset[1]
    fixed_cx = lay.world_w / 2 + look.offset[0]
    n_frames = int(round(segments[-1].end_sec * fps))
    first_frame = int(round(skip_sec * fps))
    dt = 1.0 / fps
    arm = lay.arm_scale
    rest_y = min(task.shoulder_y - 0.25 * arm, 0.95)
    first_action = next(s.action for s in segments if s.action is not None)
    hand = (first_action.at[0], rest_y)  # the performer starts at rest below the first step
    body_x, cam_x = hand[0], min(max(hand[0] - view_w / 2, 0.0), lay.world_w - view_w)
    k_body = 1.0 - math.exp(-dt / performer.body_lag)
    k_cam = 1.0 - math.exp(-dt / 0.6)
    seg_i, seg_start_hand, done = 0, hand, set()
    prev: _State | None = None

    with VideoSink(path, codec, fps, (w, h)) as sink:
        for f in range(n_frames):
            t = f * dt
            while seg_i < len(segments) - 1 and t >= segments[seg_i].end_sec:
                s = segments[seg_i]
                if s.action is not None and seg_i not in done:
                    s.action.draw_effect(bg, bg_proj)
                    done.add(seg_i)
                seg_i += 1
                seg_start_hand = hand
                if segments[seg_i].role == "changeover" and pristine is not None:
                    bg[:] = pristine  # the finished part goes, a new one comes: the station as at the start
            seg = segments[seg_i]
            u = min(1.0, (t - seg.start_sec) / seg.duration)
            if seg.action is not None:
                x, y, grip = seg.action.pose(u, seg_start_hand)
                if u >= seg.action.effect_u and seg_i not in done:
                    seg.action.draw_effect(bg, bg_proj)
                    done.add(seg_i)
            elif seg.role == "changeover" and task.camera == "pan":  # a body-worn camera walks back to the first station
                k = smoothstep((t - seg.start_sec) / min(1.5, seg.duration))
                x = seg_start_hand[0] + (first_action.at[0] - seg_start_hand[0]) * k
                y, grip = seg_start_hand[1] + (rest_y - seg_start_hand[1]) * k, 0.0
            else:
                x, y, grip = _idle_pose(seg, t, seg_start_hand, rest_y)
            wx, wy = performer.wobble(t)
            target = np.array([x + wx * arm, y + wy * arm])
            body_x += (target[0] - body_x) * k_body
            if task.camera == "pan":
                cam_x += (min(max(body_x - view_w / 2, 0.0), lay.world_w - view_w) - cam_x) * k_cam
            cx = cam_x + view_w / 2 if task.camera == "pan" else fixed_cx
            l1 = 0.62 * arm * performer.reach
            reached = elbow_position(np.asarray(_shoulder(task, performer, body_x)), target, l1, l1, performer.elbow_sign)[1]
            hand = (float(reached[0]), float(reached[1]))
            dx, dy, zoom, roll = cam.mount(t)
            sx, sy = cam.shake(t)
            pose = Pose((cx + dx + PAD) * scale + sx, (cy + dy + PAD) * scale + sy, zoom, roll)
            st = _State(hand, grip, body_x, seg.action, u, pose)
            if f < first_frame:  # before the camera started: the performance moves on unseen
                prev = st
                continue
            states = _exposure(prev, st, look.motion_blur)
            frame = _draw(bg, scale, states, task, performer, (w, h), cam.steady)
            sink.write(cam.expose(_camera_streak(frame, states) if len(states) > 1 else frame, t))
            prev = st
    return {"path": path, "codec": codec.fourcc, "codec_key": codec.key, "container": codec.ext.lstrip("."), "fps": fps,
            "width": w, "height": h, "frame_count": n_frames - first_frame,
            "duration_sec": round((n_frames - first_frame) / fps, 3)}
