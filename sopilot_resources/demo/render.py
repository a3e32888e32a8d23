"""Render one performance (a timeline of segments) to a video file.

Per frame: crop the camera's view out of the pre-painted world (effects of finished steps are
painted into it as they happen), draw what is in the hand and the arm, then lighting and noise.
The body follows the hand with a lag; a ``pan`` camera follows the body (a body-worn camera
moving between stations), a ``fixed`` one only shakes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .arm import Performer, draw_arm
from .geometry import SHIFT, Projection, smoothstep
from .nuisance import Camera, Look
from .plan import Segment
from .procedures import TaskSpec
from .scene import PAD, render_background
from .writer import VideoSink, resolve_codec

REST_DROP = 0.12  # how far the hand sinks towards the body during a long idle (world units)


@dataclass
class _Body:
    x: float
    cam_x: float


def _idle_pose(seg: Segment, t: float, start: tuple[float, float], rest_y: float) -> tuple[float, float, float]:
    """Hand during an idle segment: still for short pauses, sinking to rest for long ones."""
    if seg.duration < 1.5:
        return start[0], start[1], 0.0
    f = smoothstep((t - seg.start_sec) / 0.8)
    return start[0], start[1] + (max(rest_y, start[1]) - start[1]) * f, 0.0


def render_performance(path: str | Path, task: TaskSpec, segments: list[Segment], performer: Performer, look: Look) -> dict:
    """Write the video; returns {path, codec, container, fps, width, height, frame_count, duration_sec}."""
    codec = resolve_codec(look.codec)
    path = Path(path).with_suffix(codec.ext)
    lay = task.layout
    w, h, fps = look.width, look.height, look.fps
    cam = Camera(look)
    scale = h * look.zoom  # pixels per world unit
    bg, bg_proj = render_background(lay, scale)
    bg = cam.light_bench(bg, scale)
    view_w, view_h = w / scale, h / scale
    cam_y = 0.5 - view_h / 2 + look.offset[1]
    fixed_cam_x = (lay.world_w - view_w) / 2 + look.offset[0]
    total = segments[-1].end_sec
    n_frames = int(round(total * fps))
    dt = 1.0 / fps
    rest_y = min(task.shoulder_y - 0.25 * lay.arm_scale, 0.95)
    first_action = next(s.action for s in segments if s.action is not None)
    hand = np.array([first_action.at[0], rest_y])  # the performer starts at rest below the first step
    body = _Body(x=hand[0], cam_x=min(max(hand[0] - view_w / 2, 0.0), lay.world_w - view_w))
    k_body = 1.0 - math.exp(-dt / performer.body_lag)
    k_cam = 1.0 - math.exp(-dt / 0.6)
    seg_i, seg_start_hand, done = 0, (float(hand[0]), float(hand[1])), set()

    with VideoSink(path, codec, fps, (w, h)) as sink:
        for f in range(n_frames):
            t = f * dt
            while seg_i < len(segments) - 1 and t >= segments[seg_i].end_sec:
                s = segments[seg_i]
                if s.action is not None and seg_i not in done:
                    s.action.draw_effect(bg, bg_proj)
                    done.add(seg_i)
                seg_i += 1
                seg_start_hand = (float(hand[0]), float(hand[1]))
            seg = segments[seg_i]
            u = min(1.0, (t - seg.start_sec) / seg.duration)
            if seg.action is not None:
                x, y, grip = seg.action.pose(u, seg_start_hand)
                if u >= seg.action.effect_u and seg_i not in done:
                    seg.action.draw_effect(bg, bg_proj)
                    done.add(seg_i)
            else:
                x, y, grip = _idle_pose(seg, t, seg_start_hand, rest_y)
            wx, wy = performer.wobble(t)
            hand = np.array([x + wx * lay.arm_scale, y + wy * lay.arm_scale])
            body.x += (hand[0] - body.x) * k_body
            if task.camera == "pan":
                target = min(max(body.x - view_w / 2, 0.0), lay.world_w - view_w)
                body.cam_x += (target - body.cam_x) * k_cam
            else:
                body.cam_x = fixed_cam_x
            sx, sy = cam.shake(t)
            ox = int(round(min(max((body.cam_x + PAD) * scale + sx, 0), bg.shape[1] - w)))
            oy = int(round(min(max((cam_y + PAD) * scale + sy, 0), bg.shape[0] - h)))
            frame = bg[oy:oy + h, ox:ox + w].copy()
            proj = Projection(scale, ox - PAD * scale, oy - PAD * scale)
            if seg.action is not None:
                seg.action.draw_active(frame, proj, u, hand)
            shoulder = (body.x + performer.side * 0.2 * lay.arm_scale, task.shoulder_y)
            torso = (shoulder[0] - performer.side * 0.12 * lay.arm_scale, task.shoulder_y + 0.12 * lay.arm_scale)
            cv2.ellipse(frame, proj.pt(*torso), (proj.r(0.3 * lay.arm_scale), proj.r(0.16 * lay.arm_scale)), 0, 0, 360,
                        performer.sleeve, -1, cv2.LINE_AA, SHIFT)
            hand = draw_arm(frame, proj, performer, shoulder, hand, grip, lay.arm_scale)
            sink.write(cam.expose(frame, t))
    return {"path": path, "codec": codec.fourcc, "codec_key": codec.key, "container": codec.ext.lstrip("."), "fps": fps,
            "width": w, "height": h, "frame_count": n_frames, "duration_sec": round(n_frames / fps, 3)}
