"""Pure pre-processing for the plate reader: crop, rectify, find the rows, equalise, size, normalise.

Every function takes and returns arrays and keeps no state, so each is tested on synthetic arrays.
Measured lesson (reference/baselines.md): CLAHE on the crop is worth points by day at no cost; reading
the whole box misreads at its edges, which the constrained decoder (ctc.py) trims.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from anpr.types import Detection, Image

MIN_SIDE = 4
"""Crops thinner than this (pixels) cannot hold a readable character."""


def _u8(x: npt.NDArray[np.generic]) -> Image:
    """OpenCV's results typed as the uint8 images they are (no copy)."""
    return np.asarray(x, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class Glyphs:
    """Character-like blobs in a grey crop: one (x, y, w, h) row per blob."""

    boxes: npt.NDArray[np.int32]


def crop(image: Image, det: Detection, margin: tuple[float, float] = (0.06, 0.12)) -> Image | None:
    """The detection's box widened by `margin` (fractions of its width, height), clipped to the image.

    With corners, the crop is the rectified plate instead (a perspective warp). None when the box is
    empty, outside the image, or thinner than MIN_SIDE.
    """
    if image.size == 0:
        return None
    h, w = image.shape[:2]
    if det.corners is not None and len(det.corners) == 4:
        return warp_corners(image, np.asarray(det.corners, dtype=np.float32), margin)
    x1, y1, x2, y2 = det.box
    mx, my = (x2 - x1) * margin[0], (y2 - y1) * margin[1]
    ix1, iy1 = max(0, int(np.floor(x1 - mx))), max(0, int(np.floor(y1 - my)))
    ix2, iy2 = min(w, int(np.ceil(x2 + mx))), min(h, int(np.ceil(y2 + my)))
    if ix2 - ix1 < MIN_SIDE or iy2 - iy1 < MIN_SIDE:
        return None
    return image[iy1:iy2, ix1:ix2]


def warp_corners(image: Image, corners: npt.NDArray[np.float32], margin: tuple[float, float]) -> Image | None:
    """Perspective-rectify the quad (tl, tr, br, bl) to an upright rectangle of its own mean size."""
    tl, tr, br, bl = corners
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    if width < MIN_SIDE or height < MIN_SIDE:
        return None
    mx, my = width * margin[0], height * margin[1]
    out_w, out_h = round(width + 2 * mx), round(height + 2 * my)
    dst = np.array([[mx, my], [mx + width, my], [mx + width, my + height], [mx, my + height]], np.float32)
    m = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    return _u8(cv2.warpPerspective(image, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


def to_gray(img: Image) -> Image:
    return img if img.ndim == 2 else _u8(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))


def clahe(gray: Image, clip: float = 2.0, tiles: int = 4) -> Image:
    """Local contrast equalisation (the measured +7 points by day on chile_gate crops)."""
    return _u8(cv2.createCLAHE(clipLimit=clip, tileGridSize=(tiles, tiles)).apply(gray))


def glyphs(gray: Image, light_on_dark: bool = False, erode: bool = False) -> Glyphs:
    """Dark-on-light character blobs (Chilean plates: dark characters on a light ground), or light-on-dark
    ones with `light_on_dark` (the white characters of the blue diplomatic and consular plates); `erode`
    thins the characters by a pixel first, parting one that touches the plate's frame through a rivet.

    Otsu threshold, connected components, kept when their height is 20-95 % of the crop's and their
    shape is character-like; the plate border and the small "CHILE" legend fall out by size.
    """
    h, w = gray.shape
    polarity = cv2.THRESH_BINARY if light_on_dark else cv2.THRESH_BINARY_INV
    _, binary = cv2.threshold(gray, 0, 255, polarity | cv2.THRESH_OTSU)
    if erode:
        binary = cv2.erode(binary, np.ones((3, 3), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    boxes = stats[1:n, :4]
    bw, bh = boxes[:, 2], boxes[:, 3]
    keep = (bh >= 0.2 * h) & (bh <= 0.95 * h) & (bw <= 0.35 * w) & (bw >= 0.02 * w) & (bw <= 1.2 * bh)
    return Glyphs(boxes[keep].astype(np.int32))


def _rows_of(boxes: npt.NDArray[np.int32]) -> list[npt.NDArray[np.int32]]:
    """Groups blobs into text rows by vertical centre (a gap larger than half a glyph starts a row)."""
    if len(boxes) == 0:
        return []
    centres = boxes[:, 1] + boxes[:, 3] / 2
    order = np.argsort(centres)
    med_h = float(np.median(boxes[:, 3]))
    rows: list[list[int]] = [[int(order[0])]]
    for a, b in itertools.pairwise(order):
        if centres[b] - centres[a] > 0.6 * med_h:
            rows.append([])
        rows[-1].append(int(b))
    return [boxes[r] for r in rows]


def split_rows(gray: Image, max_aspect: float = 1.9) -> list[tuple[int, int]]:
    """The text rows of a crop as (y0, y1) bands, top first.

    Two bands for a two-row plate (motorcycles, 145 x 120 mm: aspect near 1.2), found from the blobs
    when the crop is near-square; otherwise (or when the blobs say one row) the whole height.
    """
    h = gray.shape[0]
    if not two_row_shaped(gray, max_aspect):
        return [(0, h)]
    rows = [r for r in _rows_of(glyphs(gray).boxes) if len(r) >= 2]
    if len(rows) < 2:
        return [(0, h)]
    top, bottom = rows[0], rows[1]
    cut = round(((top[:, 1] + top[:, 3]).max() + bottom[:, 1].min()) / 2)
    if cut < 0.2 * h or cut > 0.8 * h:
        return [(0, h)]
    return [(0, cut), (cut, h)]


def deskew_angle(gray: Image, max_deg: float = 20.0) -> float:
    """Tilt of the character line in degrees (positive: line descends to the right), from the blobs'
    bottom centres; 0 when fewer than three blobs or the fit is implausible."""
    boxes = glyphs(gray).boxes
    if len(boxes) < 3:
        return 0.0
    rows = _rows_of(boxes)
    main = max(rows, key=len)
    if len(main) < 3:
        return 0.0
    xs = main[:, 0] + main[:, 2] / 2
    ys = main[:, 1] + main[:, 3]
    slope = float(np.polyfit(xs, ys, 1)[0])
    angle = float(np.degrees(np.arctan(slope)))
    return angle if abs(angle) <= max_deg else 0.0


def rotate(img: Image, angle: float) -> Image:
    if abs(angle) < 1.0:
        return img
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return _u8(cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


def char_band(gray: Image, pad: float = 0.3) -> tuple[int, int]:
    """Rows (y0, y1) holding the main character line, padded by `pad` glyph heights; the whole height
    when fewer than three blobs line up. Loose crops otherwise shrink the characters at height 48."""
    h = gray.shape[0]
    rows = _rows_of(glyphs(gray).boxes)
    main = max(rows, key=len) if rows else None
    if main is None or len(main) < 3:
        return 0, h
    gh = float(np.median(main[:, 3]))
    y0 = int(max(0, main[:, 1].min() - pad * gh))
    y1 = int(min(h, (main[:, 1] + main[:, 3]).max() + pad * gh))
    return y0, y1


def resize_height(img: Image, height: int = 48, max_width: int = 640) -> Image:
    """Scale to `height` keeping aspect (small crops are upscaled), width capped at `max_width`."""
    h, w = img.shape[:2]
    new_w = int(min(max_width, max(1, round(w * height / h))))
    interp = cv2.INTER_CUBIC if h < height else cv2.INTER_AREA
    return _u8(cv2.resize(img, (new_w, height), interpolation=interp))


def normalize(img: Image, multiple: int = 8) -> npt.NDArray[np.float32]:
    """PP-OCR input: 3×H×W float32, (x/255 - 0.5)/0.5, right-padded with 0 to a width multiple."""
    if img.ndim == 2:
        img = _u8(cv2.cvtColor(img, cv2.COLOR_GRAY2BGR))
    x = (img.astype(np.float32) / 255.0 - 0.5) / 0.5
    x = x.transpose(2, 0, 1)
    pad = (-x.shape[2]) % multiple
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (0, pad)))
    return np.ascontiguousarray(x)


def prepare(
    plate: Image,
    *,
    height: int = 48,
    max_width: int = 640,
    use_clahe: bool = True,
    deskew: bool = True,
    band: bool = True,
    cut: float | None = None,
) -> list[npt.NDArray[np.float32]]:
    """A plate crop → one normalised model input per text row, top row first (`cut`: see `text_bands`)."""
    gray = to_gray(plate)
    if deskew:
        gray = rotate(gray, deskew_angle(gray))
    if use_clahe:
        gray = clahe(gray)
    bands = text_bands(gray, band=band, cut=cut)
    return [normalize(resize_height(gray[y0:y1], height, max_width)) for y0, y1 in bands]


def longest_text_row(plate: Image, deskew: bool = True) -> int:
    """The most character blobs standing in one line of the crop (levelled first, as `prepare` does), in
    either polarity: dark characters on a light ground, or light on dark (blue diplomatic and consular
    plates: CC★0415's white glyphs gave one dark blob, so its dropped-character read CC041 passed). Light
    ones are also counted thinned, which parts a character joined to the white frame through a rivet.

    Five or more in a line is a one-row plate whatever the crop's shape: no two-row (motorcycle, trailer)
    plate holds more than four characters in a row. Light-on-dark blobs are only counted on a dark ground
    (`dark_ground`): on a white plate they are the characters' counters and the slivers of ground between
    characters that touch the frame, which can outnumber the characters."""
    gray = to_gray(plate)
    if deskew:
        gray = rotate(gray, deskew_angle(gray))
    passes = [glyphs(gray)]
    if dark_ground(gray):
        passes += [glyphs(gray, light_on_dark=True), glyphs(gray, light_on_dark=True, erode=True)]
    return max((len(r) for found in passes for r in _rows_of(found.boxes)), default=0)


def dark_ground(gray: Image) -> bool:
    """Whether the plate's ground is darker than its characters: in the crop's middle (the character band,
    little of the car around it) the ground covers more than the strokes, so the larger of Otsu's two
    classes is the ground."""
    h, w = gray.shape
    middle = gray[h // 5 : h - h // 5, w // 4 : w - w // 4]
    if middle.size == 0:
        return False
    level, _ = cv2.threshold(middle, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return bool(np.count_nonzero(middle > level) < middle.size / 2)


def two_row_shaped(plate: Image, max_aspect: float = 1.9) -> bool:
    """Near-square: possibly a two-row (motorcycle) plate."""
    h, w = plate.shape[:2]
    return bool(w <= max_aspect * h)


def text_bands(gray: Image, *, band: bool = True, cut: float | None = None) -> list[tuple[int, int]]:
    """The (y0, y1) rows to read, top first: the blobs' rows, or with `cut` two rows split at that fraction
    of the height (the motorcycle layout, for when the blobs of a small or blurred plate run together)."""
    h = gray.shape[0]
    if cut is not None:
        y = round(cut * h)
        return [(0, y), (y, h)]
    bands = split_rows(gray)
    if band and len(bands) == 1:
        bands = [char_band(gray)]
    return bands
