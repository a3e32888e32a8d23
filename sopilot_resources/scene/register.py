"""Register a trainee picture onto the gold's: the camera was put back elsewhere, rolled, zoomed,
or (body-worn) looks at the station from another place.

ORB features matched across the two pictures and a RANSAC homography (OpenCV), which copes
with large offsets, roll and zoom; when too few features agree, ECC (an affine warp that
maximises the correlation of the two pictures) from the identity. A registration is accepted
only when it makes the pictures agree better than before and well in absolute terms; else it
is reported as failed and the caller falls back to the clip evidence.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: a registration is accepted when the warped trainee correlates with the gold at least this
#: well (high-passed grey, pixels both show)
MIN_AGREEMENT = 0.35
MIN_INLIERS = 12


@dataclass
class Registration:
    """warp: (3, 3) homography taking gold pixel coordinates to the trainee's; ok: usable;
    agreement: correlation of the high-passed pictures after warping; method: orb | ecc | none."""

    warp: np.ndarray
    ok: bool
    agreement: float
    method: str

    def apply(self, img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """The trainee picture ``img`` seen from the gold's camera (``size`` = (W, H)); pixels
        outside the trainee's view are NaN."""
        x = np.nan_to_num(img, nan=-1e4).astype(np.float32, copy=False)
        out = cv2.warpPerspective(x, self.warp, size, flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=(-1e4, -1e4, -1e4))
        if out.ndim == 3 and out.shape[2] == 3:  # the channels compared one by one (.any(-1) is slow)
            out[(out[..., 0] < -1.0) | (out[..., 1] < -1.0) | (out[..., 2] < -1.0)] = np.nan
        else:
            out[(out < -1.0).any(-1)] = np.nan  # a whole pixel, as everywhere in this package
        return out


def crop_warp(reg: "Registration | None", img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """``img`` seen from the gold's camera, only the gold pixels ``box`` = (x0, y0, x1, y1):
    the same pixels as ``reg.apply(img, size)[y0:y1, x0:x1]``, at the cost of the box (the
    homography shifted by the box's corner). ``reg`` None: the gold itself, a plain crop."""
    x0, y0, x1, y1 = box
    if reg is None:
        return img[y0:y1, x0:x1]
    shift = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
    return Registration(reg.warp @ shift, reg.ok, reg.agreement, reg.method).apply(img, (x1 - x0, y1 - y0))


def _grey(img: np.ndarray) -> np.ndarray:
    bad = np.isnan(img)
    if not bad.any():  # the common case: no pixel outside the view, nothing to fill
        return cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    x = np.nan_to_num(img, nan=float(np.nanmedian(img)) if not bad.all() else 0.0)
    return cv2.cvtColor(np.clip(x, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


def _hp(g: np.ndarray) -> np.ndarray:
    f = g.astype(np.float32)
    return cv2.GaussianBlur(f - cv2.GaussianBlur(f, (0, 0), 6.0), (0, 0), 1.0)


@dataclass(frozen=True)
class View:
    """A picture prepared for registration, each part computed once: grey (H, W) uint8; hp
    (H, W) float32 its high-passed grey; keys / desc: its ORB keypoints and descriptors (desc
    None: none found). A reference registered against many pictures (the gold's end scene of a
    fixed camera) is prepared once (:func:`view`) and shared."""

    grey: np.ndarray
    hp: np.ndarray
    keys: tuple
    desc: np.ndarray | None


def _orb_detector():
    return cv2.ORB_create(nfeatures=800, scaleFactor=1.2, nlevels=6, edgeThreshold=15, patchSize=15)


def view(img: np.ndarray) -> View:
    """(H, W, 3) picture, NaN allowed -> its :class:`View`."""
    g = _grey(img)
    keys, desc = _orb_detector().detectAndCompute(g, None)
    return View(g, _hp(g), tuple(keys), desc)


def hp_grey(img: np.ndarray) -> np.ndarray:
    """(H, W) float32: the high-passed grey of a picture (H, W, 3), NaN allowed: what
    :func:`agreement_hp` correlates."""
    return _hp(_grey(img))


def agreement_hp(a: np.ndarray, hb: np.ndarray, warp: np.ndarray) -> float:
    """Correlation of high-passed greys ``a`` (the reference) and ``hb`` warped by ``warp``."""
    b = cv2.warpPerspective(hb, warp, (a.shape[1], a.shape[0]),
                            flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP, borderValue=np.nan)
    ok = np.isfinite(b)
    if ok.sum() < 0.3 * ok.size:
        return 0.0
    x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    return float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-6))


def agreement(ref: np.ndarray, img: np.ndarray, warp: np.ndarray) -> float:
    """Correlation of the high-passed grey pictures, ``img`` warped by ``warp`` (3x3)."""
    return agreement_hp(hp_grey(ref), hp_grey(img), warp)


def same_view(a: np.ndarray, b: np.ndarray, agree: float, max_px: float) -> bool:
    """Do pictures ``a`` and ``b`` (H, W, 3) show one view: they agree unwarped at least
    ``agree``, or registering ``b`` onto ``a`` moves no corner of the picture more than
    ``max_px`` (px at 320 px wide; a view whose many results make the pictures differ)?"""
    if agreement(a, b, np.eye(3)) >= agree:
        return True
    reg = register(a, b)
    if not reg.ok:
        return False
    h, w = a.shape[:2]
    corners = np.float32([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]])
    moved = corners @ np.asarray(reg.warp, np.float64).T
    moved = moved[:, :2] / moved[:, 2:]
    return float(np.abs(moved - corners[:, :2]).max()) <= max_px * max(h, w) / 320


def matched_points(va: View, vb: View, min_matches: int = MIN_INLIERS) -> tuple[np.ndarray, np.ndarray] | None:
    """(N, 2) float32 positions in ``va`` and in ``vb`` of the ORB features that match (nearest
    neighbour clearly nearer than the second: ratio 0.8); None with fewer than ``min_matches``."""
    ka, da, kb, db = va.keys, va.desc, vb.keys, vb.desc
    if da is None or db is None or len(ka) < min_matches or len(kb) < min_matches:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(da, db, k=2)
    good = [m for m, *rest in pairs if rest and m.distance < 0.8 * rest[0].distance]
    if len(good) < min_matches:
        return None
    return np.float32([ka[m.queryIdx].pt for m in good]), np.float32([kb[m.trainIdx].pt for m in good])


def _orb(va: View, vb: View) -> np.ndarray | None:
    pts = matched_points(va, vb)
    if pts is None:
        return None
    h, inl = cv2.findHomography(*pts, cv2.RANSAC, 3.0)
    if h is None or inl is None or int(inl.sum()) < MIN_INLIERS:
        return None
    return h


def _ecc(va: View, vb: View) -> np.ndarray | None:
    a, b = (cv2.GaussianBlur(v.grey.astype(np.float32), (5, 5), 0) for v in (va, vb))
    try:
        w = cv2.findTransformECC(a, b, np.eye(2, 3, dtype=np.float32), cv2.MOTION_AFFINE,
                                 (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 80, 1e-5), None, 1)[1]
    except cv2.error:  # no convergence (a picture with no structure)
        return None
    return np.vstack([w, [0, 0, 1]]).astype(np.float64)


def register(ref: np.ndarray | View, img: np.ndarray | View) -> Registration:
    """Register ``img`` (trainee, (H', W', 3)) onto ``ref`` (gold, (H, W, 3)); NaN allowed.
    Either may be given prepared (:func:`view`): the same result, without preparing it again."""
    va = ref if isinstance(ref, View) else view(ref)
    vb = img if isinstance(img, View) else view(img)
    same = va.grey.shape == vb.grey.shape
    eye = np.eye(3)
    base = agreement_hp(va.hp, vb.hp, eye) if same else 0.0
    best = Registration(eye, base >= MIN_AGREEMENT, base, "none")
    for method, fn in (("orb", _orb), ("ecc", _ecc)):
        if fn is _ecc and not same:
            continue
        h = fn(va, vb)
        if h is None:
            continue
        a = agreement_hp(va.hp, vb.hp, h)
        if a > best.agreement + 0.01:
            best = Registration(h, a >= MIN_AGREEMENT, a, method)
        if best.ok and best.agreement > 0.8:
            break
    return best
