"""The floor to beat: a classic OpenCV + tesseract plate reader, as a textbook would build it.

Localisation is morphology on the grey frame (black-hat for dark characters on a light plate, a
horizontal Sobel, closing, Otsu), candidate boxes filtered by plate-like aspect and size; each candidate
is binarised and read by the `tesseract` CLI in single-line mode (psm 7) with an A–Z0–9 whitelist.
It is timed per frame on the same frames as the pipeline; it is a yardstick, not a product path.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field

import numpy as np

from anpr.types import Image

_WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass
class BaselineResult:
    frames: int = 0
    candidates: int = 0
    ms: list[float] = field(default_factory=list)
    reads: set[str] = field(default_factory=set)


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def localise(image: Image, max_candidates: int = 3) -> list[tuple[int, int, int, int]]:
    """Plate-like regions (x, y, w, h), largest first."""
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    rect = cv2.getStructuringElement(cv2.MORPH_RECT, (13, 5))
    blackhat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, rect)
    grad = cv2.convertScaleAbs(cv2.Sobel(blackhat, cv2.CV_32F, 1, 0, ksize=3))
    grad = cv2.GaussianBlur(grad, (5, 5), 0)
    grad = cv2.morphologyEx(grad, cv2.MORPH_CLOSE, rect)
    _t, mask = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    small = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    mask = cv2.dilate(cv2.erode(mask, small, iterations=2), small, iterations=2)
    contours, _h = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if h > 0 and 2.0 <= w / h <= 6.0 and 30 <= w <= 500:
            boxes.append((x, y, w, h))
    boxes.sort(key=lambda b: -b[2] * b[3])
    return boxes[:max_candidates]


def tesseract_read(crop: Image, *, binarise: bool = True, timeout_s: float = 30.0) -> str:
    """One line of text from `tesseract` (psm 7), letters and digits only; '' on any failure.
    `binarise`: scale to 64 px high and Otsu-threshold first (the classic recipe); False sends the crop as is."""
    import cv2

    if binarise:
        gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
        scale = 64.0 / max(1, gray.shape[0])  # tesseract wants ~30 px capitals
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        _t, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        crop = np.asarray(binary, dtype=np.uint8)
    ok, png = cv2.imencode(".png", crop)
    if not ok:
        return ""
    cmd = ["tesseract", "stdin", "stdout", "--psm", "7", "-c", f"tessedit_char_whitelist={_WHITELIST}"]
    try:
        res = subprocess.run(cmd, input=png.tobytes(), capture_output=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    text = "".join(c for c in res.stdout.decode(errors="replace").upper() if c.isalnum())
    return text.replace("CHILE", "")


def run_baseline(frames: list[Image]) -> BaselineResult:
    """Localise and read every frame; per-frame milliseconds include the tesseract process start."""
    out = BaselineResult()
    for image in frames:
        t0 = time.perf_counter()
        for x, y, w, h in localise(image):
            out.candidates += 1
            text = tesseract_read(image[y : y + h, x : x + w])
            if 5 <= len(text) <= 7:
                out.reads.add(text)
        out.ms.append((time.perf_counter() - t0) * 1000.0)
        out.frames += 1
    return out
