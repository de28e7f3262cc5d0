"""Put a rendered plate into a photograph so that it does not look pasted.

Pure functions on arrays: warp a flat plate onto a quad, then match the light, contrast, colour cast,
blur and sensor noise that the photograph had where the original plate was.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
import numpy.typing as npt

from anpr.synth._np import f32, u8
from anpr.types import Image

Quad = npt.NDArray[np.float32]  # 4x2: tl, tr, br, bl

_BLUR_STEPS = (0.0, 0.4, 0.7, 1.0, 1.4, 1.9, 2.6, 3.4)


def warp_onto(scene: Image, plate: Image, quad: Quad) -> tuple[Image, npt.NDArray[np.float32]]:
    """The plate warped into scene coordinates, and its coverage mask (0..1, anti-aliased edges)."""
    qw = float(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))
    qh = float(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))
    # Shrink first with area averaging: a straight perspective warp from 720 px down to 80 px aliases.
    tw, th = max(4, round(qw * 2)), max(4, round(qh * 2))
    small = cv2.resize(plate, (tw, th), interpolation=cv2.INTER_AREA) if tw < plate.shape[1] else plate
    h, w = small.shape[:2]
    src = np.array([(0, 0), (w, 0), (w, h), (0, h)], np.float32)
    m = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    size = (scene.shape[1], scene.shape[0])
    warped = cv2.warpPerspective(small, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), m, size, flags=cv2.INTER_LINEAR)
    return u8(warped), f32(mask)


def _gray(img: Image) -> npt.NDArray[np.float32]:
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32) if img.ndim == 3 else img.astype(np.float32)


def _sharpness(gray: npt.NDArray[np.float32]) -> float:
    """Edge energy relative to contrast: comparable between a real and a rendered plate."""
    if gray.size < 16:
        return 0.0
    lo, hi = np.percentile(gray, (5, 95))
    lap = cv2.Laplacian(gray, cv2.CV_32F)
    return float(np.mean(np.abs(lap)) / max(hi - lo, 8.0))


def noise_sigma(gray: npt.NDArray[np.float32]) -> float:
    """Sensor noise estimate: robust spread of the Laplacian (MAD), which texture inflates only a little."""
    if gray.size < 16:
        return 0.0
    lap = cv2.Laplacian(gray, cv2.CV_32F, ksize=1)
    return float(np.median(np.abs(lap - np.median(lap))) * 1.4826 / np.sqrt(20.0))


def match_and_composite(
    scene: Image,
    warped: Image,
    mask: npt.NDArray[np.float32],
    reference: Image,
    rng: random.Random,
    noise_ref: Image | None = None,
) -> Image:
    """Composite `warped` over `scene`, after matching it to `reference` (the original plate pixels)."""
    out = scene.copy()
    ys, xs = np.nonzero(mask > 0.01)
    if len(xs) == 0:
        return out
    pad = 6
    y0, y1 = max(0, ys.min() - pad), min(scene.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(scene.shape[1], xs.max() + pad + 1)
    plate = warped[y0:y1, x0:x1].astype(np.float32)
    m = mask[y0:y1, x0:x1]
    inside = m > 0.5
    ref_gray = _gray(reference)
    p_gray = _gray(plate.clip(0, 255).astype(np.uint8))[inside]
    # Light and contrast: map the render's ink..background range onto the real plate's.
    lo_o, hi_o = np.percentile(ref_gray, (5, 95)) if ref_gray.size else (40.0, 200.0)
    lo_n, hi_n = np.percentile(p_gray, (5, 95)) if p_gray.size else (20.0, 235.0)
    span_o = max(hi_o - lo_o, 30.0) * rng.uniform(0.9, 1.1)
    gain = span_o / max(hi_n - lo_n, 1.0)
    plate = (plate - lo_n) * gain + lo_o
    # Colour cast of the scene's light (keep the plate's own colour: only half the reference's tint).
    if reference.ndim == 3 and reference.size:
        ref = reference.reshape(-1, 3).astype(np.float32)
        cast = (ref.mean(axis=0) - ref.mean()) * 0.5
        plate += np.clip(cast, -20, 20)
    a = m[..., None]
    region = out[y0:y1, x0:x1].astype(np.float32)
    comp = region * (1 - a) + plate * a
    # Blur: the step that brings the render's sharpness closest to the real plate's.
    target = _sharpness(ref_gray)
    best, best_err = comp, float("inf")
    for sigma in _BLUR_STEPS:
        cand = cv2.GaussianBlur(comp, (0, 0), sigma) if sigma else comp
        err = abs(_sharpness(_gray(cand.clip(0, 255).astype(np.uint8))) - target)
        if err < best_err:
            best, best_err = cand, err
    # Sensor noise like the reference's, so the pasted plate is not the one clean patch in the photo.
    sigma_n = min(noise_sigma(_gray(noise_ref)) if noise_ref is not None else noise_sigma(ref_gray), 6.0)
    nrng = np.random.default_rng(rng.getrandbits(32))
    best = best + nrng.normal(0, sigma_n, best.shape[:2])[..., None].astype(np.float32)
    grow = cv2.dilate(a[..., 0], np.ones((5, 5), np.uint8))[..., None]
    region = region * (1 - grow) + best * grow
    out[y0:y1, x0:x1] = region.clip(0, 255).astype(np.uint8)
    return out


def erase_box(scene: Image, box: tuple[int, int, int, int], grow: int) -> Image:
    """Paint over the original plate with a smooth fill from its surroundings.

    Normalised convolution (blur of the known pixels divided by blur of the known mask) rather than
    cv2.inpaint: Telea streaks look like a smeared plate, a smooth fill looks like bare bumper.
    """
    h, w = scene.shape[:2]
    x1, y1, x2, y2 = box
    pad = max(12, (y2 - y1))
    cx0, cy0, cx1, cy1 = max(0, x1 - pad), max(0, y1 - pad), min(w, x2 + pad), min(h, y2 + pad)
    crop = scene[cy0:cy1, cx0:cx1].astype(np.float32)
    hole = np.zeros(crop.shape[:2], np.float32)
    hole[max(0, y1 - grow - cy0) : y2 + grow - cy0, max(0, x1 - grow - cx0) : x2 + grow - cx0] = 1.0
    known = 1.0 - hole
    sigma = max(2.0, (y2 - y1) * 0.35)
    num = cv2.GaussianBlur(crop * known[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(known, (0, 0), sigma)[..., None]
    fill = num / np.maximum(den, 1e-3)
    # Where the hole is wider than the blur reaches, fall back to the ring's mean colour.
    ring_mean = crop[known > 0].mean(axis=0) if (known > 0).any() else crop.reshape(-1, 3).mean(axis=0)
    weight = np.clip(den / 0.05, 0, 1)
    fill = fill * weight + ring_mean * (1 - weight)
    soft = cv2.GaussianBlur(hole, (0, 0), 1.0)[..., None]
    out = scene.copy()
    out[cy0:cy1, cx0:cx1] = (crop * (1 - soft) + fill * soft).clip(0, 255).astype(np.uint8)
    return out


def ring(scene: Image, box: tuple[int, int, int, int]) -> Image:
    """The strips above and below a box, stacked: the background's noise without the plate's edges."""
    h = scene.shape[0]
    x1, y1, x2, y2 = box
    pad = max(4, (y2 - y1) // 2)
    top = scene[max(0, y1 - pad) : y1, x1:x2]
    bottom = scene[y2 : min(h, y2 + pad), x1:x2]
    strips = [s for s in (top, bottom) if s.size]
    return np.vstack(strips) if strips else scene[y1:y2, x1:x2]
