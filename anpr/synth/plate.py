"""Render a flat Chilean plate: layout, characters, separators, colours; then wear (see `wear.py`).

Geometry from the 2014 Casa de Moneda design (reference/chile-plates.md, "Look"): cars 360 x 130 mm in
one row, motorcycles 145 x 120 mm in two rows, "CHILE" along the bottom edge. New car plates read
``BG·XZ✿18`` (dot between the letter pairs, the national shield before the digits); old ones read
``AB✿10·00`` (shield after the letters, a small dot between the digit pairs).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from anpr.synth import wear
from anpr.synth.glyphs import condense_for, glyph, pick_font
from anpr.types import Image

Layout = Literal["car", "moto"]
Box = tuple[int, int, int, int]
BGR = tuple[int, int, int]

PLATE_MM: dict[str, tuple[float, float]] = {"car": (360.0, 130.0), "moto": (145.0, 120.0)}


@dataclass(frozen=True, slots=True)
class Style:
    """A colour family: background, characters, border line; `weight` is its share of random draws."""

    background: BGR
    ink: BGR
    weight: float


# BGR. Weights are a guess at street frequency: mostly private, some taxis, a few of the rest.
STYLES: dict[str, Style] = {
    "private": Style((236, 238, 238), (22, 22, 22), 0.78),
    "taxi": Style((40, 130, 245), (20, 20, 20), 0.05),  # taxi básico: orange, black characters
    "radiotaxi": Style((40, 125, 240), (245, 245, 245), 0.03),  # orange, white characters
    "colectivo": Style((40, 215, 245), (20, 20, 20), 0.05),  # yellow, black characters
    "trailer": Style((236, 238, 238), (35, 30, 200), 0.03),  # white, red characters
    "bus": Style((236, 238, 238), (40, 120, 20), 0.02),  # white, green characters
    "diplomatic": Style((235, 200, 140), (90, 40, 10), 0.02),  # light blue, dark-blue characters
    "electric": Style((236, 238, 238), (30, 110, 20), 0.02),  # decreed green for electric vehicles
}


@dataclass(frozen=True, slots=True)
class RenderedPlate:
    """A flat plate image (BGR) with where each character is, in that image's pixels.

    `char_boxes[i]` is the box of `text[i]`; `plate_box` is the plate itself (the image may add a
    dealer frame around it).
    """

    image: Image
    text: str
    layout: Layout
    style: str
    font: str
    char_boxes: tuple[Box, ...]
    plate_box: Box


def pick_style(rng: random.Random) -> str:
    names = list(STYLES)
    return rng.choices(names, weights=[STYLES[n].weight for n in names])[0]


def _groups(text: str) -> tuple[list[str], list[str]]:
    """Character groups and the separator ("dot" | "shield") drawn between consecutive groups."""
    if len(text) == 6 and text[:4].isalpha() and text[4:].isdigit():
        return [text[:2], text[2:4], text[4:]], ["dot", "shield"]
    if len(text) == 6 and text[:2].isalpha() and text[2:].isdigit():
        return [text[:2], text[2:4], text[4:]], ["shield", "dot"]
    runs: list[str] = []
    for ch in text:  # split where letters turn into digits (special formats: CD·1234, PR·1234 ...)
        if runs and runs[-1][-1].isalpha() == ch.isalpha():
            runs[-1] += ch
        else:
            runs.append(ch)
    return runs, ["dot"] * (len(runs) - 1)


def _moto_rows(text: str) -> tuple[str, str]:
    """Motorcycle rows: the letters over the digits (LLL/NN new, LL/NNN old)."""
    split = next((i for i, c in enumerate(text) if c.isdigit()), len(text))
    if split == 0 or split == len(text):
        split = (len(text) + 1) // 2
    return text[:split], text[split:]


def _draw_separator(img: Image, kind: str, cx: float, cy: float, size: float, ink: BGR, bg: BGR) -> None:
    if kind == "dot":
        cv2.circle(img, (round(cx), round(cy)), max(1, round(size * 0.3)), ink, -1, cv2.LINE_AA)
        return
    # The national shield, reduced to what survives at plate resolution: a pointed shield and a star.
    w, h = size * 0.95, size * 1.1
    pts = np.array(
        [
            (cx - w / 2, cy - h / 2),
            (cx + w / 2, cy - h / 2),
            (cx + w / 2, cy + h / 6),
            (cx, cy + h / 2),
            (cx - w / 2, cy + h / 6),
        ],
        np.float32,
    )
    cv2.fillPoly(img, [np.round(pts).astype(np.int32)], ink, cv2.LINE_AA)
    r = w * 0.3
    star = [
        (
            cx + (r if k % 2 == 0 else r * 0.45) * np.sin(k * np.pi / 5),
            cy - h * 0.05 - (r if k % 2 == 0 else r * 0.45) * np.cos(k * np.pi / 5),
        )
        for k in range(10)
    ]
    cv2.fillPoly(img, [np.round(np.array(star)).astype(np.int32)], bg, cv2.LINE_AA)


def _paste(img: Image, mask: np.ndarray, x: int, y: int, ink: BGR) -> Box:
    h, w = mask.shape
    a = (mask.astype(np.float32) / 255.0)[..., None]
    roi = img[y : y + h, x : x + w].astype(np.float32)
    img[y : y + h, x : x + w] = (roi * (1 - a) + np.array(ink, np.float32) * a).round().astype(np.uint8)
    return (x, y, x + w, y + h)


def _draw_row(
    img: Image,
    groups: list[str],
    seps: list[str],
    *,
    y: float,
    cell: tuple[float, float],
    gap: float,
    sep_w: float,
    font: str,
    condense: float,
    ink: BGR,
    bg: BGR,
    left: float,
    right: float,
) -> list[Box]:
    """Lay out one row of groups centred between `left` and `right`; returns a box per character."""
    cw, ch = cell
    n = sum(len(g) for g in groups)
    width = n * cw + sum(len(g) - 1 for g in groups) * gap + len(seps) * sep_w
    x = left + (right - left - width) / 2
    boxes: list[Box] = []
    for gi, group in enumerate(groups):
        for ci, char in enumerate(group):
            mask = glyph(font, char, round(cw), round(ch), condense)
            boxes.append(_paste(img, mask, round(x + (cw - mask.shape[1]) / 2), round(y), ink))
            x += cw + (gap if ci < len(group) - 1 else 0)
        if gi < len(seps):
            _draw_separator(img, seps[gi], x + sep_w / 2, y + ch * 0.45, sep_w * 0.55, ink, bg)
            x += sep_w
    return boxes


def _draw_legend(img: Image, mm: float, y_mm: float, h_mm: float, ink: BGR, font: str) -> None:
    """The spaced-out "CHILE" legend along the bottom edge."""
    cw, ch = round(h_mm * 0.8 * mm), round(h_mm * mm)
    pitch = h_mm * 1.9 * mm
    x0 = img.shape[1] / 2 - pitch * 2 - cw / 2
    for i, char in enumerate("CHILE"):
        mask = glyph(font, char, cw, ch, 0.9)
        _paste(img, mask, round(x0 + i * pitch + (cw - mask.shape[1]) / 2), round(y_mm * mm), ink)


def render_plate(
    text: str,
    rng: random.Random,
    *,
    layout: Layout = "car",
    style: str | None = None,
    px_per_mm: float = 2.0,
    worn: bool = True,
) -> RenderedPlate:
    """Render `text` (``[A-Z0-9]``, no separators) as a flat plate; all randomness comes from `rng`."""
    if not text or not text.isalnum() or not text.isascii() or text.upper() != text:
        raise ValueError(f"plate text must be non-empty [A-Z0-9], got {text!r}")
    if layout not in PLATE_MM:
        raise ValueError(f"unknown layout {layout!r}; expected one of {sorted(PLATE_MM)}")
    style_name = style or pick_style(rng)
    if style_name not in STYLES:
        raise ValueError(f"unknown plate style {style_name!r}; expected one of {sorted(STYLES)}")
    st = STYLES[style_name]
    font = pick_font(rng)
    mm = px_per_mm
    w_mm, h_mm = PLATE_MM[layout]
    W, H = round(w_mm * mm), round(h_mm * mm)
    img = np.empty((H, W, 3), np.uint8)
    img[:] = st.background
    # Thin rounded border line inset from the edge, as pressed into the aluminium.
    inset, radius = round(3.5 * mm), round(7 * mm)
    wear.rounded_rect(img, (inset, inset, W - 1 - inset, H - 1 - inset), radius, st.ink, max(1, round(1.2 * mm)))
    jitter = rng.uniform(0.95, 1.04)
    if layout == "car":
        groups, seps = _groups(text)
        n = len(text)
        cw = min(44.0, (w_mm - 24 - 2 * 22 - (n - 3) * 4) / n) * mm
        ch = 74.0 * jitter * mm
        condense = condense_for(font, round(cw), round(ch))
        boxes = _draw_row(
            img,
            groups,
            seps,
            y=(18 + (74 - 74 * jitter) / 2) * mm,
            cell=(cw, ch),
            gap=4.5 * mm,
            sep_w=22 * mm,
            font=font,
            condense=condense,
            ink=st.ink,
            bg=st.background,
            left=0,
            right=W,
        )
        _draw_legend(img, mm, 103.5, 11.0, st.ink, font)
    else:
        top, bottom = _moto_rows(text)
        n = max(len(top), len(bottom))
        cw = min(36.0, (w_mm - 16 - (n - 1) * 4) / n) * mm
        ch = 40.0 * jitter * mm
        condense = condense_for(font, round(cw), round(ch))
        boxes = []
        for row, y in ((top, 8.0), (bottom, 54.0)):
            boxes += _draw_row(
                img,
                [row],
                [],
                y=y * mm,
                cell=(cw, ch),
                gap=4 * mm,
                sep_w=0,
                font=font,
                condense=condense,
                ink=st.ink,
                bg=st.background,
                left=0,
                right=W,
            )
        _draw_legend(img, mm, 101.0, 9.0, st.ink, font)
    plate_box: Box = (0, 0, W, H)
    if worn:
        img, offset = wear.weather(img, rng, st.ink)
        boxes = [(x1 + offset, y1 + offset, x2 + offset, y2 + offset) for x1, y1, x2, y2 in boxes]
        plate_box = (offset, offset, W + offset, H + offset)
    return RenderedPlate(img, text, layout, style_name, font, tuple(boxes), plate_box)
