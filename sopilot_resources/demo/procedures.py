"""The demo's procedures: four workstations and the SOP performed at each.

- ``t01_valve`` - style ``wide_small``: a fixed wide view of a bench; eight look-alike bins,
  small parts, most steps at the same small fixture.
- ``t02_pump_line`` - style ``pan_stations``: six stations in a row; the (body-worn) camera
  pans with the performer, each step happens at another station.
- ``t03_bracket`` - style ``bench``: a close, fixed view of one bench with medium-size parts.
- ``t04_terminals`` - style ``small_parts``: a fixed view of a row of eight identical screw
  terminals, wires of similar colours and a tray of look-alike jumpers; every step acts on one
  terminal of the row, and its wrong variant on the neighbouring one.

Each step is an :class:`~.actions.Action` placed at the layout's anchors.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import actions as A
from .scene import Layout, Obj
from .terminal_actions import Jumper, Marker, TerminalScrew
from .terminal_block import SCREW_R, terminal_pitch, terminal_points

ASPECT = 16.0 / 9.0


@dataclass(frozen=True)
class StepSpec:
    action: A.Action
    critical: bool = False

    @property
    def name(self) -> str:
        return self.action.name


@dataclass(frozen=True)
class TaskSpec:
    key: str
    title: str
    style: str  # "wide_small" | "pan_stations" | "bench" | "small_parts"
    layout: Layout
    steps: tuple[StepSpec, ...]
    camera: str = "fixed"  # "fixed" | "pan"
    shoulder_y: float = 1.25  # where the performer's shoulder is, world units (> 1: below the view)


def _valve() -> TaskSpec:
    bins = {f"bin{i}": (0.32 + 0.16 * i, 0.24) for i in range(8)}
    shades = [(128 + 4 * i, 118 + 3 * (i % 3), 104 + 2 * i) for i in range(8)]
    parts = [(150 + 6 * (i % 4), 150 + 5 * (i % 3), 140 + 8 * (i % 2)) for i in range(8)]
    objs = [Obj("mat", 0.92, 0.58, 0.62, 0.3, (88, 96, 84))]
    objs += [Obj("bin", x, y, 0.13, 0.08, shades[i], parts[i]) for i, (x, y) in enumerate(bins.values())]
    objs += [Obj("fixture", 0.9, 0.56, 0.14, 0.09, (70, 72, 78)), Obj("rack", 0.48, 0.55, 0.13, 0.05, (110, 110, 105), (40, 40, 40)),
             Obj("button", 1.42, 0.58, 0.06, 0.09, (95, 95, 100), (60, 60, 170)), Obj("box", 1.55, 0.82, 0.16, 0.12, (95, 140, 170))]
    anchors = {**bins, "fixture": (0.9, 0.56), "rack": (0.48, 0.55), "button": (1.42, 0.6), "lamp": (1.42, 0.553),
               "tray": (1.55, 0.82), "spare": (0.28, 0.82)}
    layout = Layout("valve bench (wide)", ASPECT, (150, 158, 160), tuple(objs), anchors, texture_seed=11, arm_scale=0.7,
                    extra_anchors=("tray", "spare"))
    fx, fy = anchors["fixture"]
    steps = (
        StepSpec(A.PickPlace("pick body", (fx, fy), parts[2], 0.035, src=bins["bin2"], alt_src=bins["bin3"], alt_color=parts[3])),
        StepSpec(A.FitGasket("fit seal", (fx, fy), (40, 40, 40), 0.02, src=anchors["rack"], radius=0.035), critical=True),
        StepSpec(A.PickPlace("insert stem", (fx - 0.035, fy), parts[5], 0.022, src=bins["bin5"], alt_src=bins["bin6"], alt_color=parts[6])),
        StepSpec(A.Screw("tighten screw", (fx + 0.045, fy), size=0.02), critical=True),
        StepSpec(A.Press("press test", anchors["button"], size=0.025, lamp=anchors["lamp"])),
        StepSpec(A.Inspect("inspect", (fx, fy), size=0.025)),
    )
    return TaskSpec("t01_valve", "Valve assembly, wide bench view", "wide_small", layout, steps, shoulder_y=0.98)


def _pump_line() -> TaskSpec:
    xs = [0.6 + 0.9 * k for k in range(6)]
    mats = [(120, 90, 60), (70, 110, 70), (60, 80, 130), (110, 70, 110), (70, 120, 130), (100, 100, 100)]
    objs = [Obj("mat", x, 0.55, 0.7, 0.5, c) for x, c in zip(xs, mats)]
    a = xs
    objs += [Obj("bin", a[0] - 0.15, 0.35, 0.18, 0.12, (40, 140, 200), (30, 80, 160)), Obj("fixture", a[0] + 0.15, 0.55, 0.16, 0.12, (60, 60, 60)),
             Obj("rack", a[1] - 0.15, 0.35, 0.18, 0.07, (150, 150, 150), (20, 20, 20)), Obj("fixture", a[1] + 0.1, 0.55, 0.18, 0.14, (50, 70, 90)),
             Obj("jig", a[2], 0.5, 0.3, 0.16, (170, 170, 175)),
             Obj("panel", a[3], 0.38, 0.3, 0.12, (80, 80, 80)), Obj("bin", a[3] - 0.12, 0.65, 0.1, 0.08, (50, 50, 50), (20, 160, 20)),
             Obj("button", a[4], 0.5, 0.1, 0.16, (90, 90, 95), (40, 40, 200)),
             Obj("box", a[5], 0.55, 0.26, 0.2, (90, 140, 180)), Obj("bin", a[5] - 0.2, 0.3, 0.1, 0.08, (230, 230, 230), (200, 200, 200))]
    anchors = {"kit_bin": (a[0] - 0.15, 0.35), "kit_tray": (a[0] + 0.15, 0.55), "rack": (a[1] - 0.15, 0.35),
               "seat": (a[1] + 0.1, 0.55), "bolt": (a[2] + 0.075, 0.5), "socket": (a[3], 0.38), "plug": (a[3] - 0.12, 0.65),
               "button": (a[4], 0.52), "lamp": (a[4], 0.452), "box": (a[5], 0.55), "roll": (a[5] - 0.2, 0.3),
               "spare": (a[2], 0.8), "shelf": (a[4] + 0.2, 0.3)}
    layout = Layout("pump line (stations)", a[-1] + 0.6, (120, 130, 140), tuple(objs), anchors, texture_seed=22, arm_scale=0.85,
                    extra_anchors=("spare", "shelf"))
    steps = (
        StepSpec(A.PickPlace("kit rotor", anchors["kit_tray"], (30, 80, 160), 0.06, src=anchors["kit_bin"])),
        StepSpec(A.FitGasket("fit gasket", anchors["seat"], (20, 20, 20), 0.03, src=anchors["rack"], radius=0.06), critical=True),
        StepSpec(A.Screw("bolt cover", anchors["bolt"], size=0.035), critical=True),
        StepSpec(A.Cable("connect harness", anchors["socket"], (20, 160, 20), 0.04, src=anchors["plug"], alt_at=(a[3] + 0.09, 0.38))),
        StepSpec(A.Press("run test", anchors["button"], size=0.04, lamp=anchors["lamp"])),
        StepSpec(A.Label("label box", anchors["box"], size=0.04, src=anchors["roll"])),
    )
    return TaskSpec("t02_pump_line", "Pump line, camera moving between stations", "pan_stations", layout, steps,
                    camera="pan", shoulder_y=1.15)


def _bracket() -> TaskSpec:
    objs = [Obj("bin", 0.25, 0.28, 0.22, 0.15, (60, 60, 150), (140, 140, 150)), Obj("bin", 0.25, 0.52, 0.22, 0.15, (60, 120, 60), (60, 160, 220)),
            Obj("fixture", 0.85, 0.45, 0.26, 0.18, (75, 75, 80)), Obj("jig", 1.3, 0.38, 0.26, 0.14, (175, 175, 180)),
            Obj("button", 1.6, 0.3, 0.1, 0.16, (95, 95, 100), (40, 40, 210)), Obj("panel", 1.32, 0.7, 0.24, 0.1, (85, 85, 85)),
            Obj("dust", 0.78, 0.8, 0.3, 0.12, (70, 80, 85)), Obj("bin", 1.62, 0.7, 0.1, 0.08, (230, 230, 230), (200, 200, 200))]
    anchors = {"bin_bracket": (0.25, 0.28), "bin_pin": (0.25, 0.52), "fixture": (0.85, 0.45), "screw": (1.365, 0.38),
               "button": (1.6, 0.32), "lamp": (1.6, 0.252), "socket": (1.32, 0.7), "plug": (1.05, 0.75), "patch": (0.78, 0.8),
               "roll": (1.62, 0.7), "tag_spot": (0.95, 0.52), "spare": (0.3, 0.85), "shelf": (1.7, 0.9)}
    layout = Layout("bracket bench (close)", ASPECT, (110, 145, 175), tuple(objs), anchors, texture_seed=33, arm_scale=1.0,
                    extra_anchors=("spare", "shelf"))
    fx, fy = anchors["fixture"]
    steps = (
        StepSpec(A.Wipe("wipe surface", anchors["patch"], (175, 195, 210), 0.05, width=0.22)),
        StepSpec(A.PickPlace("place bracket", (fx, fy), (140, 140, 150), 0.09, src=anchors["bin_bracket"], alt_src=anchors["bin_pin"],
                             alt_color=(60, 160, 220)), critical=True),
        StepSpec(A.PickPlace("insert pin", (fx + 0.05, fy), (60, 160, 220), 0.035, src=anchors["bin_pin"])),
        StepSpec(A.Screw("drive screw", anchors["screw"], size=0.045), critical=True),
        StepSpec(A.Cable("connect sensor", anchors["socket"], (30, 30, 200), 0.04, src=anchors["plug"], alt_at=(1.39, 0.7))),
        StepSpec(A.Press("press check", anchors["button"], size=0.05, lamp=anchors["lamp"])),
        StepSpec(A.Label("apply label", anchors["tag_spot"], size=0.035, src=anchors["roll"])),
    )
    return TaskSpec("t03_bracket", "Bracket assembly, close bench view", "bench", layout, steps, shoulder_y=1.3)


def _terminals() -> TaskSpec:
    block = Obj("terminals", 0.9, 0.42, 0.512, 0.24, (185, 185, 178), (235, 235, 230))
    pts, pitch = terminal_points(block), terminal_pitch(block)
    wires = [(0.66, 0.8, (175, 105, 35)), (0.8, 0.83, (160, 115, 60)), (0.98, 0.81, (150, 110, 45)), (1.12, 0.84, (45, 75, 120))]
    objs = [Obj("rail", 0.9, 0.42, 0.8, 0.1, (175, 175, 170)), block]
    objs += [Obj("wire_end", x, y, 0.009, 0.5, c, angle=1.0 + k) for k, (x, y, c) in enumerate(wires)]
    objs += [Obj("jumper_tray", 0.33, 0.62, 0.26, 0.1, (120, 120, 125), (60, 80, 200)),
             Obj("bin", 1.5, 0.62, 0.1, 0.08, (230, 230, 230), (200, 200, 200)), Obj("box", 1.55, 0.3, 0.16, 0.12, (95, 140, 170))]
    scr, ent, mark = pts["screw"], pts["entry"], pts["marker"]

    def mid(a, b):
        return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)

    jumper_y = block.y + 0.02
    anchors = {"wire_a": wires[1][:2], "wire_b": wires[2][:2], "t3_entry": ent[2], "t3_screw": scr[2], "t4_entry": ent[3],
               "t4_screw": scr[3], "jumper": (mid(ent[5], ent[6])[0], jumper_y), "tray": (0.33 - 0.26 / 12, 0.62),
               "marker": mid(mark[2], mark[3]), "roll": (1.5, 0.62), "spare": (0.28, 0.86), "shelf": (1.55, 0.88)}
    layout = Layout("terminal block (small parts)", ASPECT, (140, 150, 155), tuple(objs), anchors, texture_seed=44, arm_scale=0.85,
                    extra_anchors=("spare", "shelf"))
    r = pitch * SCREW_R
    steps = (
        StepSpec(A.Cable("insert wire T3", ent[2], wires[1][2], 0.03, src=anchors["wire_a"], alt_at=ent[1])),
        StepSpec(TerminalScrew("tighten T3", scr[2], size=r, alt_at=scr[1]), critical=True),
        StepSpec(A.Cable("insert wire T4", ent[3], wires[2][2], 0.03, src=anchors["wire_b"], alt_at=ent[4])),
        StepSpec(TerminalScrew("tighten T4", scr[3], size=r, alt_at=scr[4]), critical=True),
        StepSpec(Jumper("fit jumper T6-T7", anchors["jumper"], (60, 80, 200), pitch * 1.5, src=anchors["tray"],
                        alt_at=(mid(ent[6], ent[7])[0], jumper_y))),
        StepSpec(Marker("mark T3-T4", anchors["marker"], size=0.05, src=anchors["roll"], alt_at=mid(mark[3], mark[4]))),
    )
    return TaskSpec("t04_terminals", "Terminal block wiring, small look-alike parts", "small_parts", layout, steps, shoulder_y=1.2)


def all_tasks() -> list[TaskSpec]:
    """The four demo tasks, in order (quick mode uses the first two: one per footage style)."""
    return [_valve(), _pump_line(), _bracket(), _terminals()]
